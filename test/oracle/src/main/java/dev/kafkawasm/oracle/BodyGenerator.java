package dev.kafkawasm.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BinaryNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.apache.kafka.common.Uuid;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * Builds a random but valid JSON body for one message definition at one version, in the
 * shape Kafka's XxxDataJsonConverter.read expects (field names in lowerCamelCase).
 *
 * Variant 0: arrays have 1-3 elements, fields nullable at this version are null (except
 * tagged fields whose default is null: null would just mean "absent"), tagged fields set,
 * wide int64 values and non-ASCII / escape-worthy strings sometimes.
 * Variant 1: nullable fields non-null, arrays of 0-3 elements, tagged fields absent,
 * values at the edges of their type sometimes.
 */
final class BodyGenerator {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final String[] EXOTIC = {"é", "日本", "😀", "\"", "\\", "\n", "\t", "\u0001", "/"};

    private final Map<String, JsonNode> commonStructs = new HashMap<>();
    private final short version;
    private final int variant;
    private final Random rnd;

    BodyGenerator(JsonNode definition, short version, int variant, Random rnd) {
        for (JsonNode s : definition.path("commonStructs")) {
            commonStructs.put(s.get("name").asText(), s);
        }
        this.version = version;
        this.variant = variant;
        this.rnd = rnd;
    }

    ObjectNode body(JsonNode definition) {
        return struct(definition.path("fields"));
    }

    /** "Foo" -> "foo", "KRaftVersionFeature" -> "kRaftVersionFeature" (as Kafka's generator does). */
    static String jsonName(String name) {
        return Character.toLowerCase(name.charAt(0)) + name.substring(1);
    }

    private ObjectNode struct(JsonNode fields) {
        ObjectNode out = F.objectNode();
        for (JsonNode field : fields) {
            if (!Versions.parse(field.path("versions").asText("none")).contains(version)) continue;
            boolean tagged = field.has("taggedVersions");
            if (tagged && (variant == 1
                    || !Versions.parse(field.get("taggedVersions").asText()).contains(version))) continue;
            boolean nullable = Versions.parse(field.path("nullableVersions").asText("none")).contains(version);
            boolean nullMeansAbsent = tagged && "null".equals(field.path("default").asText(""));
            JsonNode value = (nullable && variant == 0 && !nullMeansAbsent)
                    ? NullNode.getInstance()
                    : value(field.get("type").asText(), field);
            out.set(jsonName(field.get("name").asText()), value);
        }
        return out;
    }

    private JsonNode value(String type, JsonNode field) {
        if (type.startsWith("[]")) {
            String elementType = type.substring(2);
            int n = variant == 0 ? 1 + rnd.nextInt(3) : rnd.nextInt(4);
            ArrayNode array = F.arrayNode();
            for (int i = 0; i < n; i++) array.add(value(elementType, field));
            return array;
        }
        switch (type) {
            case "bool": return BooleanNode.valueOf(rnd.nextBoolean());
            case "int8": return IntNode.valueOf((int) integer(Byte.MIN_VALUE, Byte.MAX_VALUE));
            case "int16": return IntNode.valueOf((int) integer(Short.MIN_VALUE, Short.MAX_VALUE));
            case "uint16": return IntNode.valueOf((int) integer(0, 0xFFFF));
            case "int32": return IntNode.valueOf((int) integer(Integer.MIN_VALUE, Integer.MAX_VALUE));
            case "uint32": return LongNode.valueOf(integer(0, 0xFFFFFFFFL));
            case "int64": return LongNode.valueOf(integer(Long.MIN_VALUE, Long.MAX_VALUE));
            case "float64": return DoubleNode.valueOf(float64());
            case "string": return TextNode.valueOf(string());
            case "uuid": return TextNode.valueOf(uuid().toString());
            case "bytes":
            case "records": return BinaryNode.valueOf(bytes());
            default: return struct(structFields(type, field));
        }
    }

    /** A struct type is defined inline by the field's own "fields", or in commonStructs. */
    private JsonNode structFields(String type, JsonNode field) {
        if (field.has("fields")) return field.get("fields");
        JsonNode common = commonStructs.get(type);
        if (common == null) throw new IllegalArgumentException("unknown type " + type);
        return common.get("fields");
    }

    private long integer(long min, long max) {
        if (variant == 1 && rnd.nextInt(3) == 0) {
            long[] edges = {min, max, 0, Math.max(min, -1)};
            return edges[rnd.nextInt(edges.length)];
        }
        // Half small values, half anywhere in the range (for int64 that is usually beyond
        // 2^53, where JSON readers that go through a double lose exactness).
        long small = rnd.nextInt(2001) - 1000L;
        if (rnd.nextBoolean() && small >= min && small <= max) return small;
        long span = max - min + 1; // 0 when the range is all of long
        return span == 0 ? rnd.nextLong() : min + Math.floorMod(rnd.nextLong(), span);
    }

    private double float64() {
        if (variant == 1 && rnd.nextInt(3) == 0) {
            double[] edges = {0.0, -0.0, Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_VALUE, 1.0};
            return edges[rnd.nextInt(edges.length)];
        }
        switch (rnd.nextInt(3)) {
            case 0: return rnd.nextInt(100000) / 4.0;          // exact binary fractions
            case 1: return rnd.nextGaussian() * 1e6;           // arbitrary 17-digit values
            default: return Double.longBitsToDouble(rnd.nextLong() & 0x7FEFFFFFFFFFFFFFL)
                    * (rnd.nextBoolean() ? 1 : -1);             // any finite magnitude
        }
    }

    private String string() {
        if (variant == 1 && rnd.nextInt(4) == 0) return "";
        StringBuilder s = new StringBuilder();
        int n = 1 + rnd.nextInt(12);
        for (int i = 0; i < n; i++) {
            if (variant == 0 && rnd.nextInt(6) == 0) s.append(EXOTIC[rnd.nextInt(EXOTIC.length)]);
            else s.append((char) (rnd.nextBoolean() ? 'a' + rnd.nextInt(26) : ' ' + rnd.nextInt(95)));
        }
        return s.toString();
    }

    private Uuid uuid() {
        if (variant == 1 && rnd.nextInt(4) == 0) return Uuid.ZERO_UUID;
        return new Uuid(rnd.nextLong(), rnd.nextLong());
    }

    private byte[] bytes() {
        int n = (variant == 1 && rnd.nextInt(4) == 0) ? 0 : 1 + rnd.nextInt(16);
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    /** A version range from a definition: "none", "N", "N-M" or "N+". */
    record Versions(int lo, int hi) {
        static Versions parse(String s) {
            s = s.trim();
            if (s.equals("none")) return new Versions(1, 0);
            if (s.endsWith("+")) return new Versions(Integer.parseInt(s.substring(0, s.length() - 1)), Short.MAX_VALUE);
            int dash = s.indexOf('-');
            if (dash < 0) return new Versions(Integer.parseInt(s), Integer.parseInt(s));
            return new Versions(Integer.parseInt(s.substring(0, dash)), Integer.parseInt(s.substring(dash + 1)));
        }

        boolean contains(int v) {
            return v >= lo && v <= hi;
        }
    }
}
