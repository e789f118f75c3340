package dev.kafkawasm.oracle;

import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.message.RequestHeaderDataJsonConverter;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.RequestHeader;

import java.nio.ByteBuffer;
import java.util.Base64;

/**
 * Reads request frames as Kafka's broker reads them, for test/oracle/broker-reads.ts: the
 * header with RequestHeader.parse (SocketServer's Processor), the body with
 * AbstractRequest.parseRequest (RequestContext.parseRequest), bytes after the body ignored.
 *
 * stdin: one frame per line, base64, the bytes after the size prefix. stdout: one JSON line per
 * frame, {"ok":true,"header":…,"body":…} (Kafka's converters' JSON) or {"ok":false,"error":…}.
 *
 * Usage: BrokerReads < frames.b64 > readings.jsonl
 */
public final class BrokerReads {
    private static final String MESSAGE_PACKAGE = "org.apache.kafka.common.message.";

    public static void main(String[] args) throws Exception {
        ObjectMapper output = JsonMapper.builder().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();
        LineAnswers.run(line -> output.writeValueAsString(read(Base64.getDecoder().decode(line))));
    }

    private static ObjectNode read(byte[] frame) {
        ObjectNode result = JsonNodeFactory.instance.objectNode();
        try {
            ByteBuffer buffer = ByteBuffer.wrap(frame);
            RequestHeader header = RequestHeader.parse(buffer);
            short version = header.apiVersion();
            AbstractRequest request = AbstractRequest.parseRequest(header.apiKey(), version, new ByteBufferAccessor(buffer)).request;
            ApiMessage body = request.data();
            String name = body.getClass().getSimpleName(); // XxxRequestData
            Class<?> converter = Class.forName(MESSAGE_PACKAGE + name + "JsonConverter");
            JsonNode bodyJson = (JsonNode) converter.getMethod("write", body.getClass(), short.class, boolean.class)
                    .invoke(null, body, version, true);
            result.put("ok", true);
            result.set("header", RequestHeaderDataJsonConverter.write(header.data(), header.headerVersion()));
            result.set("body", bodyJson);
        } catch (Throwable e) {
            Throwable cause = e.getCause() != null && e instanceof java.lang.reflect.InvocationTargetException ? e.getCause() : e;
            result.put("ok", false);
            result.put("error", cause.getClass().getSimpleName() + ": " + cause.getMessage());
        }
        return result;
    }
}
