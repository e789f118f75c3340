// Kafka's own Admin.describeTopics, as admin tools and UIs call it (kafka-clients 4.4 from the
// console tools' jars): against a 3.7+ broker it sends DescribeTopicPartitions, paging through
// the partitions `limit` at a time with a cursor. Run as a single-file program:
//   java -cp '.cache/clients/console-4.4.0/*' test/e2e/clients/admin/DescribeTopics.java <bootstrap> <limit> <topic>...
// Prints one JSON object: each topic's partitions (index and leader) or Kafka's name for its error.

import java.util.*;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.protocol.Errors;

public class DescribeTopics {
  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", args[0]);
    p.put("request.timeout.ms", "10000");
    p.put("default.api.timeout.ms", "15000");
    List<String> topics = Arrays.asList(args).subList(2, args.length);
    StringBuilder out = new StringBuilder("{");
    try (Admin admin = Admin.create(p)) {
      DescribeTopicsOptions options = new DescribeTopicsOptions().partitionSizeLimitPerResponse(Integer.parseInt(args[1]));
      Map<String, KafkaFuture<TopicDescription>> each = admin.describeTopics(TopicCollection.ofTopicNames(topics), options).topicNameValues();
      String sep = "";
      for (String topic : topics) {
        out.append(sep).append('"').append(topic).append("\":");
        sep = ",";
        try {
          TopicDescription d = each.get(topic).get(20, TimeUnit.SECONDS);
          out.append("{\"partitions\":[");
          String psep = "";
          for (TopicPartitionInfo info : d.partitions()) {
            out.append(psep).append("{\"partition\":").append(info.partition())
               .append(",\"leader\":").append(info.leader() == null ? -1 : info.leader().id()).append('}');
            psep = ",";
          }
          out.append("]}");
        } catch (ExecutionException e) {
          out.append("{\"error\":\"").append(Errors.forException(e.getCause()).name()).append("\"}");
        }
      }
    }
    System.out.println(out.append('}'));
  }
}
