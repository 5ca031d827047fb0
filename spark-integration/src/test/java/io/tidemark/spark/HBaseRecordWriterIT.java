package io.tidemark.spark;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.spark.sink.HBaseRecordWriter;
import io.tidemark.testkit.HBaseCluster;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Admin;
import org.apache.hadoop.hbase.client.ColumnFamilyDescriptorBuilder;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.ResultScanner;
import org.apache.hadoop.hbase.client.Scan;
import org.apache.hadoop.hbase.client.Table;
import org.apache.hadoop.hbase.client.TableDescriptorBuilder;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The HBase output against a real cluster: reconnects after its connection closed, with one shutdown hook. */
class HBaseRecordWriterIT {
  private static final String HOOK_THREAD = "tidemark-hbase-writer-close";

  @RegisterExtension
  static final HBaseCluster hbase = HBaseCluster.create();

  private static JavaSparkContext spark;

  @BeforeAll
  static void startSpark() {
    spark = new JavaSparkContext(SparkTestSupport.localConf("hbase-writer-it"));
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  /** The JVM's registered shutdown hooks whose thread has {@code name} (read from the JDK's hook registry). */
  private static long shutdownHooksNamed(String name) throws Exception {
    Field hooks = Class.forName("java.lang.ApplicationShutdownHooks").getDeclaredField("hooks");
    hooks.setAccessible(true);
    Map<?, ?> registered = (Map<?, ?>) hooks.get(null);
    synchronized (Class.forName("java.lang.ApplicationShutdownHooks")) {
      return registered.keySet().stream().filter(t -> ((Thread) t).getName().equals(name)).count();
    }
  }

  /** Closes the connections the writers of this JVM share, as a lost cluster would. */
  private static void closeSharedConnections() throws Exception {
    Field f = HBaseRecordWriter.class.getDeclaredField("CONNECTIONS");
    f.setAccessible(true);
    for (Object c : ((Map<?, ?>) f.get(null)).values()) {
      ((Connection) c).close();
    }
  }

  /** Records of offsets [from, from + count) of partition 0 of topic {@code hooks}, made in the tasks. */
  private static JavaRDD<ConsumerRecord<byte[], byte[]>> records(int from, int count) {
    List<Integer> offsets = IntStream.range(from, from + count).boxed().toList();
    return spark.parallelize(offsets, 2).map(o -> new ConsumerRecord<>("hooks", 0, o, (byte[]) null,
        ("v" + o).getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void reconnectsAfterItsConnectionClosedAndRegistersOneShutdownHook() throws Exception {
    TableName name = TableName.valueOf("writer_hooks");
    try (Admin admin = hbase.connection().getAdmin()) {
      admin.createTable(TableDescriptorBuilder.newBuilder(name).setColumnFamily(ColumnFamilyDescriptorBuilder.of("d"))
          .build());
    }
    HBaseRecordWriter writer = HBaseRecordWriter.of(Map.of(
        "hbase.zookeeper.quorum", hbase.configuration().get("hbase.zookeeper.quorum"),
        "hbase.zookeeper.property.clientPort", hbase.configuration().get("hbase.zookeeper.property.clientPort")),
        name.getNameAsString(), "d");
    long before = shutdownHooksNamed(HOOK_THREAD);
    for (int round = 0; round < 3; round++) {
      writer.write(records(round * 10, 10));
      closeSharedConnections(); // the next write reconnects
    }
    writer.write(records(30, 10));
    int rows = 0;
    try (Table table = hbase.connection().getTable(name); ResultScanner scanner = table.getScanner(new Scan())) {
      while (scanner.next() != null) {
        rows++;
      }
    }
    assertThat(rows).as("every write after a reconnect landed").isEqualTo(40);
    assertThat(shutdownHooksNamed(HOOK_THREAD) - before).as("shutdown hooks added by four connections in a row")
        .isLessThanOrEqualTo(1);
  }
}
