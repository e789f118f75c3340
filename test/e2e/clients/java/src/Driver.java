// Client-matrix driver for Apache Kafka's Java client (kafka-clients 2.8 through 4.x: only APIs
// all of them have). Runs the steps given as arguments, in order, and prints one JSON line per
// step (the protocol is described in test/e2e/clients/README.md):
//   produce|<conn>|<topic>|v1,v2,...      produce the values, each acknowledged before the next step
//   consume|<conn>|<topic>|<group>|<n>    read n values from the beginning in <group>, commit, close
//   list|<conn>                           the topic names the client lists
//   txn|<conn>|<topic>|<transactional id>|commit:v1,v2;abort:v3;...
//                                         transactions in turn, each committed or aborted
//   consume|...|<n>|read_committed        consume, with that isolation.level
// <conn> is "@host:port" (PLAINTEXT) or "<MECHANISM>:<user>:<password>@host:port" (SASL_PLAINTEXT).
// One producer per <conn> serves every produce step of that connection, so a step after a
// denial runs on the client that met it.

import java.time.Duration;
import java.util.*;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.serialization.*;

public class Driver {
  static final long TIMEOUT_MS = Long.parseLong(System.getenv().getOrDefault("MATRIX_TIMEOUT_MS", "15000"));
  static final Map<String, KafkaProducer<String, String>> producers = new HashMap<>();

  public static void main(String[] args) {
    for (String step : args) {
      String[] a = step.split("\\|", -1);
      try {
        switch (a[0]) {
          case "produce": produce(a[1], a[2], a[3].split(",")); break;
          case "consume": consume(a[1], a[2], a[3], Integer.parseInt(a[4]), a.length > 5 ? a[5] : ""); break;
          case "txn": txn(a[1], a[2], a[3], a[4]); break;
          case "list": list(a[1]); break;
          default: throw new IllegalArgumentException("unknown step " + a[0]);
        }
      } catch (Exception e) {
        emit(a[0], false, "\"error\":" + q(errorName(e)) + ",\"message\":" + q(String.valueOf(e)));
      }
    }
    for (KafkaProducer<String, String> p : producers.values()) p.close(Duration.ofSeconds(5));
    System.exit(0);
  }

  static Properties conn(String c) {
    int at = c.lastIndexOf('@');
    Properties p = new Properties();
    p.put("bootstrap.servers", c.substring(at + 1));
    p.put("request.timeout.ms", "10000");
    p.put("default.api.timeout.ms", String.valueOf(TIMEOUT_MS));
    if (at > 0) {
      String[] auth = c.substring(0, at).split(":", 3);
      String module = auth[0].equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
          : "org.apache.kafka.common.security.scram.ScramLoginModule";
      p.put("security.protocol", "SASL_PLAINTEXT");
      p.put("sasl.mechanism", auth[0]);
      p.put("sasl.jaas.config", module + " required username=\"" + auth[1] + "\" password=\"" + auth[2] + "\";");
    }
    return p;
  }

  static void produce(String c, String topic, String[] values) throws Exception {
    KafkaProducer<String, String> p = producers.get(c);
    if (p == null) {
      Properties props = conn(c);
      props.put("acks", "all"); // 2.8's default is 1; the policy requires -1 on orders.*
      props.put("max.block.ms", String.valueOf(TIMEOUT_MS));
      props.put("delivery.timeout.ms", String.valueOf(TIMEOUT_MS));
      p = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
      producers.put(c, p);
    }
    for (String v : values) p.send(new ProducerRecord<>(topic, v)).get(TIMEOUT_MS + 5000, TimeUnit.MILLISECONDS);
    emit("produce", true, "\"count\":" + values.length);
  }

  /**
   * Transactions on one transactional producer, in turn: "commit:v1,v2;abort:v3" sends v1 and v2
   * in a transaction it commits, then v3 in one it aborts.
   */
  static void txn(String c, String topic, String transactionalId, String plan) {
    Properties props = conn(c);
    props.put("acks", "all");
    props.put("transactional.id", transactionalId);
    props.put("max.block.ms", String.valueOf(TIMEOUT_MS));
    props.put("delivery.timeout.ms", String.valueOf(TIMEOUT_MS));
    props.put("transaction.timeout.ms", "10000");
    try (KafkaProducer<String, String> p = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
      p.initTransactions();
      int n = 0;
      for (String t : plan.split(";")) {
        String[] kv = t.split(":", 2);
        p.beginTransaction();
        for (String v : kv[1].split(",")) p.send(new ProducerRecord<>(topic, v));
        if (kv[0].equals("commit")) p.commitTransaction();
        else {
          p.flush();
          p.abortTransaction();
        }
        n++;
      }
      emit("txn", true, "\"transactions\":" + n);
    } catch (Exception e) {
      emit("txn", false, "\"error\":" + q(errorName(e)) + ",\"message\":" + q(String.valueOf(e)));
    }
  }

  static void consume(String c, String topic, String group, int n, String isolation) {
    Properties props = conn(c);
    if (!isolation.isEmpty()) props.put("isolation.level", isolation);
    props.put("group.id", group);
    props.put("enable.auto.commit", "false");
    props.put("auto.offset.reset", "earliest");
    // "consumer": KIP-848's consumer group protocol (ConsumerGroupHeartbeat), kafka-clients 3.7 on.
    String protocol = System.getenv("MATRIX_GROUP_PROTOCOL");
    if (protocol != null && !protocol.isEmpty()) props.put("group.protocol", protocol);
    List<String> got = new ArrayList<>();
    try (KafkaConsumer<String, String> cons = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      cons.subscribe(Collections.singletonList(topic));
      long deadline = System.currentTimeMillis() + TIMEOUT_MS;
      while (got.size() < n && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : cons.poll(Duration.ofMillis(300))) got.add(r.value());
      }
      if (got.size() < n) {
        emit("consume", false, "\"error\":\"TIMEOUT\",\"message\":" + q("got " + got.size() + " of " + n));
        return;
      }
      cons.commitSync();
    }
    emit("consume", true, "\"values\":" + qs(got));
  }

  static void list(String c) throws Exception {
    try (Admin admin = Admin.create(conn(c))) {
      emit("list", true, "\"topics\":" + qs(new ArrayList<>(admin.listTopics().names().get())));
    }
  }

  /** Kafka's name for the error (Errors.forException), else the exception's class. */
  static String errorName(Throwable e) { return Out.errorName(e, e); }

  static void emit(String op, boolean ok, String rest) {
    System.out.println("{\"op\":\"" + op + "\",\"ok\":" + ok + (rest.isEmpty() ? "" : "," + rest) + "}");
    System.out.flush();
  }

  static String qs(List<String> l) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < l.size(); i++) b.append(i > 0 ? "," : "").append(q(l.get(i)));
    return b.append("]").toString();
  }

  static String q(String s) { return Out.q(s); }
}
