// A broker plugin for the e2e tests: a client-telemetry receiver (KIP-714), so that the broker
// offers GetTelemetrySubscriptions and PushTelemetry as it does where an operator installed one,
// and clients push their metrics through Envoy and the filter as they would there. It keeps no
// metrics: each push it receives is one JSON line in the file named by the broker config
// e2e.telemetry.file (who pushed, on which listener, how many bytes), which
// test/e2e/telemetry.test.ts reads.
//
// Built against kafka-clients by `make kafka` (mk/kafka.mk) into the broker's libs, named in
// server.properties' metric.reporters. ClientTelemetry is the interface Kafka 3.7 to 4.4 all read.

import java.io.FileWriter;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricsReporter;
import org.apache.kafka.server.authorizer.AuthorizableRequestContext;
import org.apache.kafka.server.telemetry.ClientTelemetry;
import org.apache.kafka.server.telemetry.ClientTelemetryPayload;
import org.apache.kafka.server.telemetry.ClientTelemetryReceiver;

public class E2eTelemetry implements MetricsReporter, ClientTelemetry, ClientTelemetryReceiver {
  private String file;

  @Override public void configure(Map<String, ?> configs) {
    Object f = configs.get("e2e.telemetry.file");
    file = f == null ? null : f.toString();
  }

  @Override public ClientTelemetryReceiver clientReceiver() { return this; }

  @Override public synchronized void exportMetrics(AuthorizableRequestContext ctx, ClientTelemetryPayload payload) {
    if (file == null) return;
    String line = "{\"principal\":" + q(ctx.principal().toString()) + ",\"clientId\":" + q(ctx.clientId())
        + ",\"listener\":" + q(ctx.listenerName()) + ",\"clientInstanceId\":" + q(String.valueOf(payload.clientInstanceId()))
        + ",\"contentType\":" + q(payload.contentType()) + ",\"bytes\":" + payload.data().remaining()
        + ",\"terminating\":" + payload.isTerminating() + "}\n";
    try (FileWriter w = new FileWriter(file, true)) {
      w.write(line);
    } catch (IOException e) {
      // A test that finds no line says so; the broker goes on.
    }
  }

  @Override public void init(List<KafkaMetric> metrics) {}
  @Override public void metricChange(KafkaMetric metric) {}
  @Override public void metricRemoval(KafkaMetric metric) {}
  @Override public void close() {}

  private static String q(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char ch : String.valueOf(s).toCharArray()) {
      if (ch == '"' || ch == '\\') b.append('\\').append(ch);
      else if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
      else b.append(ch);
    }
    return b.append('"').toString();
  }
}
