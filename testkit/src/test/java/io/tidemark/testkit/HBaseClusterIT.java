package io.tidemark.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.apache.hadoop.hbase.ServerName;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Admin;
import org.apache.hadoop.hbase.client.CheckAndMutate;
import org.apache.hadoop.hbase.client.ColumnFamilyDescriptorBuilder;
import org.apache.hadoop.hbase.client.Get;
import org.apache.hadoop.hbase.client.Put;
import org.apache.hadoop.hbase.client.Table;
import org.apache.hadoop.hbase.client.TableDescriptorBuilder;
import org.apache.hadoop.hbase.util.Bytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class HBaseClusterIT {

  @RegisterExtension
  static final HBaseCluster hbase = HBaseCluster.create();

  private static final byte[] CF = Bytes.toBytes("o");
  private static final byte[] Q = Bytes.toBytes("next");

  @Test
  void putGetCheckAndMutateAndARegionServerAbort() throws Exception {
    TableName name = TableName.valueOf("offsets");
    try (Admin admin = hbase.connection().getAdmin()) {
      admin.createTable(TableDescriptorBuilder.newBuilder(name)
          .setColumnFamily(ColumnFamilyDescriptorBuilder.of(CF)).build());
    }
    byte[] row = Bytes.toBytes("job-1");
    try (Table table = hbase.connection().getTable(name)) {
      table.put(new Put(row).addColumn(CF, Q, Bytes.toBytes("10")));
      assertThat(Bytes.toString(table.get(new Get(row)).getValue(CF, Q))).isEqualTo("10");

      boolean applied = table.checkAndMutate(CheckAndMutate.newBuilder(row).ifEquals(CF, Q, Bytes.toBytes("10"))
          .build(new Put(row).addColumn(CF, Q, Bytes.toBytes("20")))).isSuccess();
      boolean stale = table.checkAndMutate(CheckAndMutate.newBuilder(row).ifEquals(CF, Q, Bytes.toBytes("10"))
          .build(new Put(row).addColumn(CF, Q, Bytes.toBytes("30")))).isSuccess();
      assertThat(applied).isTrue();
      assertThat(stale).isFalse();
    }

    ServerName victim = hbase.regionServers().get(0);
    hbase.abortRegionServer(victim);
    hbase.startRegionServer();
    await().atMost(Duration.ofSeconds(120)).until(() -> !hbase.regionServers().contains(victim)
        && !hbase.regionServers().isEmpty());

    try (Table table = hbase.connection().getTable(name)) {
      await().atMost(Duration.ofSeconds(120)).ignoreExceptions()
          .until(() -> "20".equals(Bytes.toString(table.get(new Get(row)).getValue(CF, Q))));
    }
  }
}
