package io.tidemark.examples.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.examples.JobOptions;
import io.tidemark.examples.Shipments;
import io.tidemark.examples.Streams;
import io.tidemark.serde.avro.AvroSerializer;
import io.tidemark.testkit.HBaseCluster;
import io.tidemark.testkit.KafkaBroker;
import io.tidemark.testkit.SchemaRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.hbase.NamespaceDescriptor;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Admin;
import org.apache.hadoop.hbase.client.ColumnFamilyDescriptorBuilder;
import org.apache.hadoop.hbase.client.TableDescriptorBuilder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The dashboard job with both its offsets and its output in HBase: the per-minute table equals
 * what was produced, and a second run over the same input (a replay from an earlier position)
 * leaves it unchanged, because cells are keyed by their source record.
 */
class DashboardJobIT {
  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().build();

  @RegisterExtension
  static final SchemaRegistry registry = SchemaRegistry.builder().build();

  @RegisterExtension
  static final HBaseCluster hbase = HBaseCluster.create();

  @Test
  void unitsPerMinuteAreExactInHBaseAndAReplayChangesNothing() throws Exception {
    broker.createTopic("shipments", 3);
    TableName table = TableName.valueOf("dash:units");
    try (Admin admin = hbase.connection().getAdmin()) {
      admin.createNamespace(NamespaceDescriptor.create("dash").build());
      admin.createTable(TableDescriptorBuilder.newBuilder(table).setColumnFamily(ColumnFamilyDescriptorBuilder.of("d"))
          .build());
    }
    List<GenericRecord> produced = new ArrayList<>();
    AvroSerializer<GenericRecord> values = new AvroSerializer<>();
    values.configure(Map.of("schema.registry.url", registry.baseUrl()), false);
    try (KafkaProducer<String, GenericRecord> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
        broker.bootstrapServers()), new StringSerializer(), values)) {
      for (int i = 0; i < 900; i++) {
        GenericRecord r = Shipments.v1("o-" + i, Shipments.PRODUCTS.get(i % 5), 1 + i % 7, "hamburg",
            Instant.parse("2026-11-26T10:00:00Z").plusSeconds(i / 3));
        produced.add(r);
        producer.send(new ProducerRecord<>("shipments", "o-" + i, r));
      }
    }
    Map<String, Map<String, Long>> expected = new java.util.TreeMap<>();
    for (GenericRecord r : produced) {
      expected.computeIfAbsent(Shipments.minute((Long) r.get("shippedAt")), m -> new java.util.TreeMap<>())
          .merge(r.get("product").toString(), (long) (Integer) r.get("quantity"), Long::sum);
    }

    String quorum = hbase.configuration().get("hbase.zookeeper.quorum") + ":"
        + hbase.configuration().get("hbase.zookeeper.property.clientPort");
    for (String job : List.of("dashboard", "dashboard-replay")) {
      Path marker = Files.createTempDirectory("dashboard").resolve("stop");
      String store = "hbase://" + hbase.zookeeperQuorum() + "/dash:offsets?hbase.create.table=true";
      JobOptions o = JobOptions.parse("DashboardJob", "", DashboardJob.OPTIONS, new String[] {"--bootstrap",
          broker.bootstrapServers(), "--registry", registry.baseUrl(), "--store", store, "--out",
          "hbase:" + table.getNameAsString(), "--hbase-zookeeper", quorum, "--job", job, "--stop-marker",
          marker.toString()});
      CompletableFuture<Integer> running = Streams.start(() -> DashboardJob.run(o));
      assertThat(Streams.stopWhenCommitted(running, store, job, 900, marker)).isZero();

      List<ShipmentLine> lines = DashboardOutput.readHBase(hbase.connection(), table);
      assertThat(lines).hasSize(900);
      assertThat(DashboardOutput.unitsPerMinute(lines)).isEqualTo(expected);
    }
  }
}
