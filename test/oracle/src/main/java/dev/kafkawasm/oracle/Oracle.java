package dev.kafkawasm.oracle;

import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.message.RequestHeaderDataJsonConverter;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.message.ResponseHeaderDataJsonConverter;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.protocol.Readable;

import java.io.BufferedWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Writes reference frames with Kafka's own classes, one JSON line per frame:
 * for every request/response definition, every valid version, two variants, a random body
 * (see BodyGenerator) is read by Kafka's XxxDataJsonConverter, framed as
 * int32 size + header + body with Kafka's serializers, decoded back as a self-check,
 * and written with the header and body JSON exactly as Kafka's converters produce them.
 *
 * Usage: Oracle <schemaDir> <seed> <outFile.jsonl>
 */
public final class Oracle {
    private static final String MESSAGE_PACKAGE = "org.apache.kafka.common.message.";
    private static final int VARIANTS = 2;

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: Oracle <schemaDir> <seed> <outFile.jsonl>");
            System.exit(2);
        }
        Path schemaDir = Path.of(args[0]);
        long seed = Long.parseLong(args[1]);
        Path outFile = Path.of(args[2]);
        ObjectMapper definitions = JsonMapper.builder().enable(JsonReadFeature.ALLOW_JAVA_COMMENTS).build();
        // Shortest round-trip digits for float64, the same on every JDK (Java 17's
        // Double.toString sometimes prints more digits than needed).
        ObjectMapper output = JsonMapper.builder().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();

        List<Path> files;
        try (Stream<Path> list = Files.list(schemaDir)) {
            files = list.filter(p -> p.toString().endsWith(".json")).sorted().collect(Collectors.toList());
        }
        int messages = 0, versions = 0, frames = 0, skipped = 0;
        try (BufferedWriter out = Files.newBufferedWriter(outFile, StandardCharsets.UTF_8)) {
            for (Path file : files) {
                JsonNode def = definitions.readTree(file.toFile());
                String kind = def.path("type").asText();
                if (!kind.equals("request") && !kind.equals("response")) continue;
                String name = def.get("name").asText();
                BodyGenerator.Versions valid = BodyGenerator.Versions.parse(def.get("validVersions").asText());
                if (valid.lo() > valid.hi()) {
                    System.err.println("oracle: note: " + name + " has validVersions \"none\", nothing to build");
                    continue;
                }
                boolean covered = false;
                for (int v = valid.lo(); v <= valid.hi(); v++) {
                    boolean versionCovered = false;
                    for (int variant = 0; variant < VARIANTS; variant++) {
                        Random rnd = new Random(seed ^ (name + "/" + v + "/" + variant).hashCode());
                        ObjectNode line;
                        try {
                            line = frame(def, name, kind, (short) v, variant, rnd);
                        } catch (Exception e) {
                            Throwable cause = e instanceof InvocationTargetException ? e.getCause() : e;
                            System.err.println("oracle: skipped " + name + " v" + v + " variant " + variant + ": " + cause);
                            skipped++;
                            continue;
                        }
                        out.write(output.writeValueAsString(line));
                        out.write('\n');
                        frames++;
                        versionCovered = true;
                    }
                    if (versionCovered) versions++;
                    covered |= versionCovered;
                }
                if (covered) messages++;
            }
        }
        System.out.println("oracle: messages=" + messages + " versions=" + versions
                + " frames=" + frames + " skipped=" + skipped);
    }

    /** Builds, serializes and self-checks one frame; returns its JSON line. */
    private static ObjectNode frame(JsonNode def, String name, String kind, short version, int variant,
                                    Random rnd) throws Exception {
        short apiKey = (short) def.get("apiKey").asInt();
        ApiKeys api = ApiKeys.forId(apiKey);
        boolean request = kind.equals("request");

        JsonNode input = new BodyGenerator(def, version, variant, rnd).body(def);
        Class<?> converter = Class.forName(MESSAGE_PACKAGE + name + "DataJsonConverter");
        Message body = (Message) converter.getMethod("read", JsonNode.class, short.class).invoke(null, input, version);
        Method writeJson = converter.getMethod("write", body.getClass(), short.class, boolean.class);

        int correlationId = rnd.nextInt();
        Message header;
        short headerVersion;
        if (request) {
            headerVersion = api.requestHeaderVersion(version);
            header = new RequestHeaderData()
                    .setRequestApiKey(apiKey)
                    .setRequestApiVersion(version)
                    .setCorrelationId(correlationId)
                    .setClientId(clientId(rnd));
        } else {
            headerVersion = api.responseHeaderVersion(version);
            header = new ResponseHeaderData().setCorrelationId(correlationId);
        }
        byte[] frame = serialize(header, headerVersion, body, version);
        JsonNode headerJson = headerJson(header, headerVersion);
        JsonNode bodyJson = (JsonNode) writeJson.invoke(null, body, version, true);

        // Self-check: Kafka decodes the frame back to the same JSON and the same bytes.
        ByteBufferAccessor in = new ByteBufferAccessor(ByteBuffer.wrap(frame));
        int size = in.readInt();
        Message header2 = request ? new RequestHeaderData(in, headerVersion) : new ResponseHeaderData(in, headerVersion);
        Message body2 = body.getClass().getConstructor(Readable.class, short.class).newInstance(in, version);
        if (size != frame.length - 4 || in.remaining() != 0
                || !headerJson.equals(headerJson(header2, headerVersion))
                || !bodyJson.equals(writeJson.invoke(null, body2, version, true))
                || !Arrays.equals(frame, serialize(header2, headerVersion, body2, version))) {
            throw new IllegalStateException("self-check failed: the frame does not decode back to the same message");
        }

        ObjectNode line = JsonNodeFactory.instance.objectNode();
        line.put("name", name);
        line.put("apiKey", apiKey);
        line.put("kind", kind);
        line.put("version", version);
        line.put("variant", variant);
        line.put("headerVersion", headerVersion);
        line.put("frame", Base64.getEncoder().encodeToString(frame));
        line.set("header", headerJson);
        line.set("body", bodyJson);
        return line;
    }

    /** int32 size, then header and body, written the way Kafka's network layer does. */
    private static byte[] serialize(Message header, short headerVersion, Message body, short version) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = header.size(cache, headerVersion) + body.size(cache, version);
        ByteBuffer buffer = ByteBuffer.allocate(4 + size);
        ByteBufferAccessor out = new ByteBufferAccessor(buffer);
        out.writeInt(size);
        header.write(out, cache, headerVersion);
        body.write(out, cache, version);
        if (buffer.hasRemaining()) throw new IllegalStateException("size mismatch: " + buffer.remaining() + " bytes left");
        return buffer.array();
    }

    private static JsonNode headerJson(Message header, short headerVersion) {
        return header instanceof RequestHeaderData
                ? RequestHeaderDataJsonConverter.write((RequestHeaderData) header, headerVersion)
                : ResponseHeaderDataJsonConverter.write((ResponseHeaderData) header, headerVersion);
    }

    private static String clientId(Random rnd) {
        switch (rnd.nextInt(4)) {
            case 0: return null;
            case 1: return "";
            case 2: return "client-" + rnd.nextInt(1000);
            default: return "producteur-é-日本-" + rnd.nextInt(1000);
        }
    }
}
