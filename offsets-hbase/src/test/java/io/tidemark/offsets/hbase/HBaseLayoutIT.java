package io.tidemark.offsets.hbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.ConfigException;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.offsets.StoreUnavailableException;
import io.tidemark.testkit.HBaseCluster;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Admin;
import org.apache.hadoop.hbase.client.ClusterConnection;
import org.apache.hadoop.hbase.client.ColumnFamilyDescriptorBuilder;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.ConnectionFactory;
import org.apache.hadoop.hbase.client.Get;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.client.ResultScanner;
import org.apache.hadoop.hbase.client.Scan;
import org.apache.hadoop.hbase.client.Table;
import org.apache.hadoop.hbase.client.TableDescriptorBuilder;
import org.apache.hadoop.hbase.util.Bytes;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The table as humans and tools see it, the RPCs of a commit, and the errors of a wrong table. */
class HBaseLayoutIT {
  private static final Logger LOG = LoggerFactory.getLogger(HBaseLayoutIT.class);

  @RegisterExtension
  static final HBaseCluster hbase = HBaseCluster.create();

  private static String text(Result r, String family, String qualifier) {
    return Bytes.toString(r.getValue(Bytes.toBytes(family), Bytes.toBytes(qualifier)));
  }

  @Test
  void offsetsArePlainDecimalTextAndTheNewestHistoryRowComesFirst() throws Exception {
    TableName name = TableName.valueOf("tidemark:layout");
    try (HBaseOffsetStore store = HBaseOffsetStore.builder(hbase.connection(), name).createTableIfMissing(true).build()) {
      long epoch = store.claim("orders-job");
      store.commit(OffsetCommit.builder("orders-job", 0, epoch).range("orders", 0, 0, 120).range("orders", 1, 5, 17)
          .starts(Map.of(new TopicPartition("orders", 0), 0L, new TopicPartition("orders", 1), 5L)).build());
      store.commit(OffsetCommit.builder("orders-job", 1, epoch).range("orders", 0, 120, 130).build());
    }
    try (Table table = hbase.connection().getTable(name)) {
      Result head = table.get(new Get(Bytes.toBytes("orders-job/head")));
      assertThat(text(head, "p", "orders:0")).isEqualTo("130");
      assertThat(text(head, "p", "orders:1")).isEqualTo("17");
      assertThat(text(head, "h", "batch")).isEqualTo("1");
      assertThat(text(head, "h", "epoch")).isEqualTo("1");
      assertThat(text(head, "h", "seq")).isEqualTo("2");
      assertThat(text(head, "h", "entry")).contains("kind commit").contains("range orders 0 120 130");

      List<Result> rows = new ArrayList<>();
      try (ResultScanner scanner = table.getScanner(new Scan().setRowPrefixFilter(Bytes.toBytes("orders-job/hist/")))) {
        scanner.forEach(rows::add);
      }
      assertThat(rows).hasSize(2);
      assertThat(text(rows.get(0), "c", "batch")).isEqualTo("1");
      assertThat(text(rows.get(0), "c", "orders:0")).isEqualTo("130");
      assertThat(text(rows.get(1), "c", "batch")).isEqualTo("0");
      assertThat(text(rows.get(1), "c", "orders:1")).isEqualTo("17");
      assertThat(Bytes.toString(rows.get(0).getRow())).startsWith("orders-job/hist/" + (Long.MAX_VALUE - 2) + "/");
    }
  }

  @Test
  void aSteadyStateCommitIsOneRpcAtTenThousandPartitions() throws Exception {
    Configuration conf = new Configuration(hbase.configuration());
    conf.setBoolean("hbase.client.metrics.enable", true);
    try (Connection connection = ConnectionFactory.createConnection(conf);
        HBaseOffsetStore store = HBaseOffsetStore.builder(connection, TableName.valueOf("tidemark:wide"))
            .createTableIfMissing(true).build()) {
      long epoch = store.claim("wide");
      for (int partitions : new int[] {1, 10_000}) {
        String job = "wide-" + partitions;
        epoch = store.claim(job);
        List<OffsetRange> ranges = IntStream.range(0, partitions)
            .mapToObj(p -> new OffsetRange("events.clicks-v2", p, 1_000_000_000L, 1_000_000_500L))
            .collect(Collectors.toList());
        store.commit(OffsetCommit.builder(job, 0, epoch).ranges(ranges)
            .starts(ranges.stream().collect(Collectors.toMap(OffsetRange::topicPartition, OffsetRange::fromOffset)))
            .build());
        OffsetCommit next = OffsetCommit.builder(job, 1, epoch).ranges(ranges.stream()
            .map(r -> new OffsetRange(r.topic(), r.partition(), r.untilOffset(), r.untilOffset() + 500))
            .collect(Collectors.toList())).build();

        long before = rpcs(connection);
        store.commit(next);
        long rpcs = rpcs(connection) - before;

        LOG.info("a steady-state commit of {} partitions took {} RPC(s)", partitions, rpcs);
        assertThat(rpcs).as("RPCs of one commit of %d partitions", partitions).isEqualTo(1);
        assertThat(store.read(job).positions()).hasSize(partitions)
            .containsEntry(new TopicPartition("events.clicks-v2", partitions - 1), 1_000_001_000L);
      }
    }
  }

  private static long rpcs(Connection connection) {
    return ((ClusterConnection) connection).getConnectionMetrics().getRpcCounters().values().stream()
        .mapToLong(c -> c.getCount()).sum();
  }

  @Test
  void aMissingTableIsAnErrorThatSaysHowToCreateIt() {
    String uri = "hbase://" + hbase.zookeeperQuorum() + "/tidemark:absent";
    assertThatThrownBy(() -> OffsetStores.open(uri)).isInstanceOf(TableSchemaException.class)
        .hasMessageContaining("table tidemark:absent does not exist").hasMessageContaining("hbase.create.table=true")
        .hasMessageContaining("create 'tidemark:absent', {NAME => 'h', VERSIONS => 1}");
  }

  @Test
  void aTableWithoutTheFamiliesOrWithATtlOnTheHeadIsRefused() throws Exception {
    TableName wrong = TableName.valueOf("wrong");
    try (Admin admin = hbase.connection().getAdmin()) {
      admin.createTable(TableDescriptorBuilder.newBuilder(wrong)
          .setColumnFamily(ColumnFamilyDescriptorBuilder.newBuilder(Bytes.toBytes("h")).setTimeToLive(3600).build())
          .setColumnFamily(ColumnFamilyDescriptorBuilder.of("p")).build());
    }
    assertThatThrownBy(() -> OffsetStores.open("hbase://" + hbase.zookeeperQuorum() + "/wrong"))
        .isInstanceOf(TableSchemaException.class)
        .hasMessageContaining("family 'h' has a TTL of 3600 s, which would expire the job's current position")
        .hasMessageContaining("alter 'wrong', {NAME => 'h', TTL => 'FOREVER'}")
        .hasMessageContaining("it has no column family 'c' (fix: alter 'wrong', {NAME => 'c', VERSIONS => 1, TTL => 2592000})");
  }

  @Test
  void anUnreachableClusterIsAStoreUnavailableExceptionNamingIt() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String uri = "hbase://127.0.0.1:" + port + "/tidemark:nowhere?hbase.operation.deadline=3s&hbase.rpc.timeout=500ms";
    assertThatThrownBy(() -> OffsetStores.open(uri)).isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("on HBase at 127.0.0.1:" + port).hasMessageContaining("within PT3S")
        .hasCauseInstanceOf(java.io.IOException.class);
  }

  @Test
  void uriMistakesAreConfigErrors() {
    assertThatThrownBy(() -> OffsetStores.open("hbase://user:secret@zk1:2181/t")).isInstanceOf(ConfigException.class)
        .hasMessageNotContaining("secret");
    assertThatThrownBy(() -> OffsetStores.open("hbase://zk1:2181,zk2:2182/t")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("different ports");
    assertThatThrownBy(() -> OffsetStores.open("hbase://zk1:2181/bad:name:x")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("is not a table name");
  }
}
