// What the Java drivers (Driver.java, StreamsApp.java) print: JSON strings, and Kafka's name for
// an error.

import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.Errors;

final class Out {
  private Out() {}

  /** Kafka's name for the first Kafka error among the causes (Errors.forException), else the class of `fallback`. */
  static String errorName(Throwable e, Throwable fallback) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ApiException) {
        Errors err = Errors.forException(t);
        return err == Errors.UNKNOWN_SERVER_ERROR ? t.getClass().getSimpleName() : err.name();
      }
    }
    return fallback.getClass().getSimpleName();
  }

  /** `s` as a JSON string. */
  static String q(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      if (ch == '"' || ch == '\\') b.append('\\').append(ch);
      else if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
      else b.append(ch);
    }
    return b.append('"').toString();
  }
}
