package io.tidemark.benchmarks;

import io.tidemark.offsets.hbase.HBaseOffsetStore;
import io.tidemark.testkit.HBaseCluster;
import io.tidemark.testkit.KafkaBroker;
import java.time.Duration;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.ClusterConnection;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.ConnectionFactory;

/**
 * End-to-end commit latency of the {@code hbase:} store against a real HBase mini-cluster (the
 * testkit's: one master, one region server, one HDFS data node, in this JVM), with Kafka's
 * {@code commitSync} of the same offsets as the anchor (see {@link CommitLatency}). Requests per
 * commit are the RPCs the HBase client sent (its connection metrics) and the requests the Kafka
 * consumer sent.
 *
 * <p>The mini-cluster is not in {@code benchmarks.jar}; {@code mvn package} writes an argument
 * file with the JVM flags HBase needs and the class path: run
 * {@code java @benchmarks/target/hbase-commit-run.args [partitions...]}. System properties as
 * for {@link ZooKeeperCommitRun}.
 */
public final class HBaseCommitRun {
  private HBaseCommitRun() {}

  /** Runs the measurement and prints a Markdown table. */
  public static void main(String[] args) {
    CommitLatency.main(() -> {
      try (HBaseCluster hbase = HBaseCluster.create(Duration.ofMinutes(3)).start();
          KafkaBroker kafka = CommitLatency.broker().build().start()) {
        Configuration conf = new Configuration(hbase.configuration());
        conf.setBoolean("hbase.client.metrics.enable", true);
        try (Connection connection = ConnectionFactory.createConnection(conf)) {
          System.out.println("HBase mini-cluster, ZooKeeper " + hbase.zookeeperQuorum());
          new CommitLatency(args).run("hbase", kafka,
              width -> HBaseOffsetStore.builder(connection, TableName.valueOf("tidemark:bench_" + width))
                  .createTableIfMissing(true).build(),
              () -> ((ClusterConnection) connection).getConnectionMetrics().getRpcCounters().values().stream()
                  .mapToLong(c -> c.getCount()).sum());
        }
      }
    });
  }
}
