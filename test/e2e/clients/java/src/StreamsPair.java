// Two instances of one Kafka Streams application for test/e2e/streams.test.ts, in one JVM, as a
// user scales an application out: each with its own state directory and an application.server
// endpoint (interactive queries), one standby replica of each store. The topology is
// StreamsApp's (counts per key through a repartition topic and a changelog). It
//   1. starts both and waits until they run, each store's task active on one instance and standby
//      on the other, and each instance's metadata names both endpoints;
//   2. writes <keys> to <input> and reads <output> until the counts are there;
//   3. once the second's standby copies caught up, closes the first instance, which leaves the group: the second takes its tasks over from its standby copies
//      (records restored from the changelog are counted), then one more record of the first key
//      is written and its new count read back.
// One JSON line at the end:
//   {"ok":true,"standby":[["1_0"],["1_1"]],"endpoints":[...],"counts":{...},"failover":{...}}
//   {"ok":false,"error":"...","message":"...", ...what was seen until then}
//
//   java -cp ... StreamsPair <bootstrap> <application id> <input> <output> <classic|streams>
//        <key,key,...> <timeout ms>
// With the streams group protocol the number of standby replicas is the group's config
// (streams.num.standby.replicas), which the test sets beforehand; with the classic one it is the
// instances' num.standby.replicas.

import java.time.Duration;
import java.util.*;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.*;
import org.apache.kafka.streams.*;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.state.*;

public class StreamsPair {
  static final AtomicReference<Throwable> failure = new AtomicReference<>();
  static final Map<String, Object> seen = new LinkedHashMap<>();
  /** How long each wait took (ms), in order: for a reader of a slow run. */
  static final List<Long> waits = new ArrayList<>();

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], appId = args[1], input = args[2], output = args[3], protocol = args[4];
    List<String> keys = List.of(args[5].split(","));
    long deadline = System.currentTimeMillis() + Long.parseLong(args[6]);

    AtomicLong restoredAfterFailover = new AtomicLong();
    KafkaStreams first = instance(bootstrap, appId, input, output, protocol, 0, null);
    KafkaStreams second = instance(bootstrap, appId, input, output, protocol, 1, restoredAfterFailover);
    try (Reader out = new Reader(bootstrap, output);
         Producer<String, String> in = new KafkaProducer<>(producerConfig(bootstrap), new StringSerializer(), new StringSerializer())) {
      first.start();
      second.start();
      List<KafkaStreams> both = List.of(first, second);
      String waited = until(deadline, "both instances running, each store active on one and standby on the other", () -> spread(both));
      if (waited != null) { fail("TIMEOUT", waited); return; }
      seen.put("standby", List.of(standbyTasks(first), standbyTasks(second)));
      seen.put("endpoints", endpoints(first));

      Map<String, Long> expect = new TreeMap<>();
      for (String k : keys) { in.send(new ProducerRecord<>(input, k, "x")).get(); expect.merge(k, 1L, Long::sum); }
      waited = until(deadline, "the counts " + expect, () -> out.readUntil(expect));
      if (waited != null) { fail("TIMEOUT", waited + ", read " + out.counts); return; }
      seen.put("counts", new TreeMap<>(out.counts));

      // Standby copies follow the changelog a moment behind: the failover is judged once they caught up.
      waited = until(deadline, "the second instance's stores caught up with their changelogs", () -> caughtUp(second));
      if (waited != null) { fail("TIMEOUT", waited + ", lags " + second.allLocalStorePartitionLags()); return; }
      long restoredBefore = restoredAfterFailover.get();
      // Leaving the group (Streams' default close does not) hands its tasks over at once, as
      // when an instance is scaled in, instead of after the session timeout.
      first.close(org.apache.kafka.streams.CloseOptions.groupMembershipOperation(org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(20)));
      waited = until(deadline, "the second instance running every task", () -> second.state() == KafkaStreams.State.RUNNING
          && activeTasks(second).containsAll(List.of("0_0", "0_1", "1_0", "1_1")));
      if (waited != null) { fail("TIMEOUT", waited + ", it has " + activeTasks(second)); return; }
      String again = keys.get(0);
      in.send(new ProducerRecord<>(input, again, "x")).get();
      expect.merge(again, 1L, Long::sum);
      waited = until(deadline, "the counts " + expect + " after failover", () -> out.readUntil(expect));
      if (waited != null) { fail("TIMEOUT", waited + ", read " + out.counts); return; }
      seen.put("failover", Map.of("active", activeTasks(second), "restored", restoredAfterFailover.get() - restoredBefore,
          "counts", new TreeMap<>(out.counts)));
      emit(true, null, null);
    } catch (Exception e) {
      fail(StreamsApp.errorName(e), String.valueOf(StreamsApp.rootOf(e)));
    } finally {
      first.close(Duration.ofSeconds(10));
      second.close(Duration.ofSeconds(10));
      System.exit(0);
    }
  }

  /** Instance `n` of the application; `restored` (if given) counts the records it restores. */
  static KafkaStreams instance(String bootstrap, String appId, String input, String output, String protocol, int n, AtomicLong restored) {
    Properties p = StreamsApp.config(bootstrap, appId, protocol, appId + "-" + n);
    p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 1);
    p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, "127.0.0.1:" + (17000 + n));
    KafkaStreams s = new KafkaStreams(StreamsApp.topology(input, output, Stores.persistentKeyValueStore("counts")), p);
    s.setUncaughtExceptionHandler(e -> {
      failure.compareAndSet(null, e);
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    if (restored != null) s.setGlobalStateRestoreListener(new StateRestoreListener() {
      public void onRestoreStart(TopicPartition tp, String store, long start, long end) {}
      public void onBatchRestored(TopicPartition tp, String store, long end, long n) { restored.addAndGet(n); }
      public void onRestoreEnd(TopicPartition tp, String store, long total) {}
    });
    s.cleanUp();
    return s;
  }

  /** Whether both run with every stateful task (subtopology 1) active on one and standby on the other. */
  static boolean spread(List<KafkaStreams> both) {
    Set<String> active = new TreeSet<>(), standby = new TreeSet<>();
    for (KafkaStreams s : both) {
      if (s.state() != KafkaStreams.State.RUNNING) return false;
      for (String t : activeTasks(s)) if (t.startsWith("1_")) active.add(t);
      for (String t : standbyTasks(s)) standby.add(t);
      if (endpoints(s).size() < 2) return false;
    }
    return active.equals(Set.of("1_0", "1_1")) && standby.equals(active);
  }

  /** Whether every store partition the instance holds (active or standby) has no changelog lag. */
  static boolean caughtUp(KafkaStreams s) {
    var lags = s.allLocalStorePartitionLags();
    if (lags.isEmpty()) return false;
    for (var store : lags.values()) for (var lag : store.values()) if (lag.offsetLag() != 0) return false;
    return true;
  }

  static List<String> activeTasks(KafkaStreams s) {
    List<String> tasks = new ArrayList<>();
    for (var thread : s.metadataForLocalThreads()) for (var t : thread.activeTasks()) tasks.add(t.taskId().toString());
    Collections.sort(tasks);
    return tasks;
  }

  static List<String> standbyTasks(KafkaStreams s) {
    List<String> tasks = new ArrayList<>();
    for (var thread : s.metadataForLocalThreads()) for (var t : thread.standbyTasks()) tasks.add(t.taskId().toString());
    Collections.sort(tasks);
    return tasks;
  }

  /** What interactive queries know of each instance: its endpoint, and the partitions it serves active and standby. */
  static List<String> endpoints(KafkaStreams s) {
    List<String> all = new ArrayList<>();
    for (StreamsMetadata m : s.metadataForAllStreamsClients()) {
      all.add(m.hostInfo().host() + ":" + m.hostInfo().port() + " active " + new TreeSet<>(names(m.topicPartitions()))
          + " standby " + new TreeSet<>(names(m.standbyTopicPartitions())));
    }
    Collections.sort(all);
    return all;
  }

  static List<String> names(Set<TopicPartition> parts) {
    List<String> n = new ArrayList<>();
    for (TopicPartition tp : parts) n.add(tp.topic() + "-" + tp.partition());
    return n;
  }

  interface Check { boolean done() throws Exception; }

  /** null once `check` holds; else, at the deadline or on an instance's failure, what was waited for. */
  static String until(long deadline, String what, Check check) throws Exception {
    long start = System.currentTimeMillis();
    while (System.currentTimeMillis() < deadline) {
      if (failure.get() != null) throw new RuntimeException(failure.get());
      if (check.done()) { waits.add(System.currentTimeMillis() - start); return null; }
      Thread.sleep(100);
    }
    return "waited for " + what;
  }

  static Properties producerConfig(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return p;
  }

  /** The output topic, read from the start with no group: the latest count per key. */
  static final class Reader implements AutoCloseable {
    final KafkaConsumer<String, Long> consumer;
    final Map<String, Long> counts = new TreeMap<>();
    final String topic;
    boolean assigned;

    Reader(String bootstrap, String topic) {
      Properties c = new Properties();
      c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      consumer = new KafkaConsumer<>(c, new StringDeserializer(), new LongDeserializer());
      this.topic = topic;
    }

    boolean readUntil(Map<String, Long> expect) {
      if (!assigned) {
        List<TopicPartition> parts = new ArrayList<>();
        for (var info : consumer.partitionsFor(topic, Duration.ofSeconds(2))) parts.add(new TopicPartition(topic, info.partition()));
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        assigned = true;
      }
      for (ConsumerRecord<String, Long> r : consumer.poll(Duration.ofMillis(200))) counts.put(r.key(), r.value());
      return counts.equals(expect);
    }

    public void close() { consumer.close(); }
  }

  static void fail(String error, String message) {
    Throwable f = failure.get();
    if (f != null) { error = StreamsApp.errorName(f); message = String.valueOf(StreamsApp.rootOf(f)); }
    emit(false, error, message);
  }

  static void emit(boolean ok, String error, String message) {
    StringBuilder j = new StringBuilder("{\"ok\":").append(ok);
    if (error != null) j.append(",\"error\":").append(Out.q(error)).append(",\"message\":").append(Out.q(message));
    seen.put("waitsMs", waits);
    for (var e : seen.entrySet()) j.append(",").append(Out.q(e.getKey())).append(":").append(json(e.getValue()));
    System.out.println(j.append("}"));
    System.out.flush();
  }

  static String json(Object v) {
    if (v instanceof Map<?, ?> m) {
      StringBuilder j = new StringBuilder("{");
      for (var e : m.entrySet()) j.append(j.length() > 1 ? "," : "").append(Out.q(String.valueOf(e.getKey()))).append(":").append(json(e.getValue()));
      return j.append("}").toString();
    }
    if (v instanceof Collection<?> c) {
      StringBuilder j = new StringBuilder("[");
      for (Object o : c) j.append(j.length() > 1 ? "," : "").append(json(o));
      return j.append("]").toString();
    }
    if (v instanceof Number) return v.toString();
    return Out.q(String.valueOf(v));
  }
}
