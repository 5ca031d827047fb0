package io.tidemark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tidemark.spark.structured.TidemarkStructuredStream;
import io.tidemark.testkit.KafkaBroker;
import io.tidemark.testkit.ZooKeeperServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link TidemarkStructuredStream} that opened its store from a URI closes it when its query or
 * its Spark context stops: seen from the ZooKeeper server, whose client connections drop back.
 */
class StructuredStoreLifecycleIT {

  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().build();

  @RegisterExtension
  static final ZooKeeperServer zookeeper = ZooKeeperServer.create();

  @TempDir
  Path dir;

  private static final Pattern CONNECTIONS = Pattern.compile("Connections: (\\d+)");

  /** The client connections the ZooKeeper server holds, from its {@code srvr} command (this one included). */
  private static int zookeeperConnections() throws IOException {
    try (Socket s = new Socket("127.0.0.1", zookeeper.port())) {
      OutputStream out = s.getOutputStream();
      out.write("srvr".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      Matcher m = CONNECTIONS.matcher(answer);
      if (!m.find()) {
        throw new IllegalStateException("no connection count in the srvr answer: " + answer);
      }
      return Integer.parseInt(m.group(1));
    }
  }

  private static TidemarkStructuredStream stream(SparkSession spark, String topic) {
    return TidemarkStructuredStream.builder(spark).job("job-" + topic).topics(List.of(topic))
        .kafkaOption("kafka.bootstrap.servers", broker.bootstrapServers())
        .store("zk://" + zookeeper.connectString() + "/tidemark-lifecycle").guarantee(DeliveryGuarantee.AT_LEAST_ONCE)
        .build();
  }

  @Test
  void theStoreItOpenedIsClosedWhenItsQueryStops() throws Exception {
    String topic = "lifecycle-query";
    broker.createTopic(topic, 2);
    SparkTestSupport.produce(broker, topic, 2, 0, 20);
    SparkSession spark = SparkSession.builder().config(SparkTestSupport.localConf("lifecycle-query")).getOrCreate();
    try {
      int before = zookeeperConnections();
      TidemarkStructuredStream t = stream(spark, topic);
      assertThat(zookeeperConnections()).as("the stream's store connected").isGreaterThan(before);
      StreamingQuery query = t.readStream().writeStream().foreachBatch(t.foreachBatch((batch, id) -> batch.count()))
          .option("checkpointLocation", dir.resolve("checkpoint").toString()).start();
      await().atMost(Duration.ofSeconds(60))
          .untilAsserted(() -> assertThat(t.committer().positions()).isEqualTo(broker.endOffsets(topic)));
      query.stop();
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(zookeeperConnections())
          .as("ZooKeeper connections after the query stopped").isEqualTo(before));
    } finally {
      spark.stop();
    }
  }

  @Test
  void theStoreItOpenedIsClosedWhenItsSparkContextStops() throws Exception {
    String topic = "lifecycle-context";
    broker.createTopic(topic, 1);
    SparkSession spark = SparkSession.builder().config(SparkTestSupport.localConf("lifecycle-context")).getOrCreate();
    int before;
    try {
      before = zookeeperConnections();
      stream(spark, topic); // built, never run
      assertThat(zookeeperConnections()).as("the stream's store connected").isGreaterThan(before);
    } finally {
      spark.stop();
    }
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(zookeeperConnections())
        .as("ZooKeeper connections after the Spark context stopped").isEqualTo(before));
  }
}
