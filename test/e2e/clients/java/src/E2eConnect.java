// Two small Kafka Connect connectors for test/e2e/connect.test.ts, run by Kafka's own Connect
// worker (connect-runtime from Maven Central; the file connectors are not published there):
//   E2eConnect$LinesSource  writes the comma-separated "lines" of its config to "topic", once
//                           (exactly-once capable);
//   E2eConnect$FileSink     appends every record's value, one line each, to "file".

import java.io.FileWriter;
import java.io.IOException;
import java.util.*;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.*;
import org.apache.kafka.connect.source.*;

public class E2eConnect {
  static final ConfigDef ANY = new ConfigDef();

  public static class LinesSource extends SourceConnector {
    private Map<String, String> props;
    @Override public void start(Map<String, String> props) { this.props = props; }
    @Override public Class<? extends Task> taskClass() { return LinesSourceTask.class; }
    @Override public List<Map<String, String>> taskConfigs(int max) { return List.of(props); }
    @Override public void stop() {}
    @Override public ConfigDef config() { return ANY; }
    @Override public String version() { return "1"; }
    // Its offsets are written with its records, so exactly-once works for it (a worker with
    // exactly.once.source.support=enabled checks this when a connector requires it).
    @Override public ExactlyOnceSupport exactlyOnceSupport(Map<String, String> props) { return ExactlyOnceSupport.SUPPORTED; }
  }

  public static class LinesSourceTask extends SourceTask {
    private String topic;
    private List<String> lines;
    private boolean sent;
    @Override public void start(Map<String, String> props) {
      topic = props.get("topic");
      lines = Arrays.asList(props.get("lines").split(","));
    }
    @Override public List<SourceRecord> poll() throws InterruptedException {
      if (sent) {
        Thread.sleep(200);
        return null;
      }
      sent = true;
      List<SourceRecord> out = new ArrayList<>();
      for (int i = 0; i < lines.size(); i++) {
        out.add(new SourceRecord(Map.of("source", "lines"), Map.of("line", i), topic, null, Schema.STRING_SCHEMA, lines.get(i)));
      }
      return out;
    }
    @Override public void stop() {}
    @Override public String version() { return "1"; }
  }

  public static class FileSink extends SinkConnector {
    private Map<String, String> props;
    @Override public void start(Map<String, String> props) { this.props = props; }
    @Override public Class<? extends Task> taskClass() { return FileSinkTask.class; }
    @Override public List<Map<String, String>> taskConfigs(int max) { return List.of(props); }
    @Override public void stop() {}
    @Override public ConfigDef config() { return ANY; }
    @Override public String version() { return "1"; }
  }

  public static class FileSinkTask extends SinkTask {
    private String file;
    @Override public void start(Map<String, String> props) { file = props.get("file"); }
    @Override public void put(Collection<SinkRecord> records) {
      try (FileWriter w = new FileWriter(file, true)) {
        for (SinkRecord r : records) w.write(r.value() + "\n");
      } catch (IOException e) {
        throw new ConnectException(e);
      }
    }
    @Override public void stop() {}
    @Override public String version() { return "1"; }
  }
}
