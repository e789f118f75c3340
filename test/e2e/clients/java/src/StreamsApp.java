// A Kafka Streams application for test/e2e/streams.test.ts, run as users run theirs (kafka-streams
// from Maven Central): it reads <input> (key = a word), counts the records per key through a
// repartition topic and a changelog (internal topics it creates itself, named after its
// application id), writes the counts to <output>, and reads <output> back until every key of
// <expect> has its count. One JSON line at the end:
//   {"ok":true,"counts":{"a":2,"b":1},"state":"RUNNING"}
//   {"ok":false,"error":"<Kafka's name for the error, or the exception's class>","message":"..."}
//
//   java -cp ... StreamsApp <bootstrap> <application id> <input> <output> <at_least_once|exactly_once_v2>
//        <classic|streams> <key=count,...> <timeout ms> [memory|rocksdb]
// The count's store is in memory, or RocksDB's (Kafka Streams' default store). Either way it is
// restored from its changelog when the application starts: it wipes its local state first.

import java.time.Duration;
import java.util.*;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.serialization.*;
import org.apache.kafka.streams.*;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.*;
import org.apache.kafka.streams.state.*;

public class StreamsApp {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], appId = args[1], input = args[2], output = args[3], guarantee = args[4], protocol = args[5];
    Map<String, Long> expect = new TreeMap<>();
    for (String kv : args[6].split(",")) expect.put(kv.split("=")[0], Long.parseLong(kv.split("=")[1]));
    long timeoutMs = Long.parseLong(args[7]);
    boolean rocksdb = args.length > 8 && args[8].equals("rocksdb");

    Properties p = config(bootstrap, appId, protocol, appId);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
    KeyValueBytesStoreSupplier store = rocksdb ? Stores.persistentKeyValueStore("counts") : Stores.inMemoryKeyValueStore("counts");

    AtomicReference<Throwable> failure = new AtomicReference<>();
    try (KafkaStreams streams = new KafkaStreams(topology(input, output, store), p)) {
      streams.setUncaughtExceptionHandler(e -> {
        failure.compareAndSet(null, e);
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
      });
      streams.cleanUp();
      streams.start();
      Map<String, Long> counts = new TreeMap<>();
      Properties c = new Properties();
      c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      long deadline = System.currentTimeMillis() + timeoutMs;
      // No group: the output's partitions are assigned, read from the start.
      try (KafkaConsumer<String, Long> out = new KafkaConsumer<>(c, new StringDeserializer(), new LongDeserializer())) {
        List<org.apache.kafka.common.TopicPartition> parts = new ArrayList<>();
        while (parts.isEmpty() && System.currentTimeMillis() < deadline && failure.get() == null) {
          try {
            for (var info : out.partitionsFor(output, Duration.ofSeconds(2))) parts.add(new org.apache.kafka.common.TopicPartition(output, info.partition()));
          } catch (Exception e) {
            Thread.sleep(200);
          }
        }
        out.assign(parts);
        out.seekToBeginning(parts);
        while (!counts.equals(expect) && System.currentTimeMillis() < deadline && failure.get() == null
            && streams.state() != KafkaStreams.State.ERROR && streams.state() != KafkaStreams.State.NOT_RUNNING) {
          for (ConsumerRecord<String, Long> r : out.poll(Duration.ofMillis(200))) counts.put(r.key(), r.value());
        }
      }
      Throwable f = failure.get();
      if (f != null) {
        emit(false, "\"error\":" + q(errorName(f)) + ",\"message\":" + q(String.valueOf(rootOf(f))));
      } else if (!counts.equals(expect)) {
        emit(false, "\"error\":\"TIMEOUT\",\"message\":" + q("counts " + counts + ", state " + streams.state()));
      } else {
        StringBuilder j = new StringBuilder("{");
        for (var e : counts.entrySet()) j.append(j.length() > 1 ? "," : "").append(q(e.getKey())).append(":").append(e.getValue());
        emit(true, "\"counts\":" + j.append("}") + ",\"state\":" + q(String.valueOf(streams.state())));
      }
      streams.close(Duration.ofSeconds(10));
    }
    System.exit(0);
  }

  /** The application's configuration (StreamsPair's too); its local state in a directory named after `stateName`. */
  static Properties config(String bootstrap, String appId, String protocol, String stateName) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.GROUP_PROTOCOL_CONFIG, protocol);
    p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    p.put(StreamsConfig.STATE_DIR_CONFIG, System.getProperty("java.io.tmpdir") + "/kafka-streams-e2e-" + stateName);
    return p;
  }

  /** Counts per key of <input> into `store`, through a repartition topic (selectKey marks the stream for it), to <output>. */
  static Topology topology(String input, String output, KeyValueBytesStoreSupplier store) {
    StreamsBuilder b = new StreamsBuilder();
    b.<String, String>stream(input)
        .selectKey((k, v) -> k)
        .groupByKey()
        .count(Materialized.<String, Long>as(store).withValueSerde(Serdes.Long()))
        .toStream()
        .to(output, Produced.with(Serdes.String(), Serdes.Long()));
    return b.build();
  }

  /** Kafka's name for the first Kafka error among the causes, else the root cause's class. */
  static String errorName(Throwable e) { return Out.errorName(e, rootOf(e)); }

  static Throwable rootOf(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t;
  }

  static void emit(boolean ok, String rest) {
    System.out.println("{\"ok\":" + ok + "," + rest + "}");
    System.out.flush();
  }

  static String q(String s) { return Out.q(s); }
}
