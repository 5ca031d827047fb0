package io.tidemark.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.examples.fraud.FraudDetectionJob;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.serde.avro.AvroSerializer;
import io.tidemark.testkit.KafkaBroker;
import io.tidemark.testkit.SchemaRegistry;
import io.tidemark.testkit.ZooKeeperServer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The examples' job jar under {@code spark-submit}: Spark's own launcher
 * ({@code org.apache.spark.deploy.SparkSubmit}) on the class path of a Spark 3.5.1 distribution,
 * with its Avro 1.11, Curator 2.13 and ZooKeeper 3.6, runs the fraud-detection job from the jar,
 * with offsets in ZooKeeper. The jar's relocated Avro 1.12, Curator 5 and ZooKeeper 3.9 must be
 * the ones the job uses.
 */
class SparkSubmitIT {
  private static final Path ROOT = Path.of(System.getProperty("tidemark.root", "..")).toAbsolutePath().normalize();

  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().build();

  @RegisterExtension
  static final SchemaRegistry registry = SchemaRegistry.builder().build();

  @RegisterExtension
  static final ZooKeeperServer zk = ZooKeeperServer.create();

  @Test
  void theFraudJobRunsFromTheJobJarUnderSparkSubmit() throws Exception {
    Path jobJar;
    try (Stream<Path> jars = Files.list(ROOT.resolve("examples/target"))) {
      jobJar = jars.filter(p -> p.getFileName().toString().endsWith("-job.jar")).findFirst()
          .orElseThrow(() -> new AssertionError("no job jar in examples/target: run mvn package first"));
    }
    String sparkClasspath = Files.readString(ROOT.resolve("spark-distribution/target/spark.classpath")).trim();

    broker.createTopic("card-transactions", 1);
    broker.createTopic("fraud-alerts", 1);
    Schema schema = Shipments.load("card-transaction.avsc");
    AvroSerializer<GenericRecord> ser = new AvroSerializer<>();
    ser.configure(Map.of("schema.registry.url", registry.baseUrl()), false);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      GenericRecord t = new GenericData.Record(schema);
      t.put("cardId", "card-z");
      t.put("amountCents", 40_000L);
      t.put("merchant", "shop");
      t.put("at", Instant.parse("2026-11-26T12:00:00Z").plusSeconds(i).toEpochMilli());
      records.add(new ProducerRecord<>("card-transactions", ser.serialize("card-transactions", t)));
    }
    broker.produce(records);

    Path work = Files.createDirectories(Path.of("spark-submit").toAbsolutePath());
    Path marker = work.resolve("stop");
    Files.deleteIfExists(marker);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("--add-exports")) {
        command.add(a);
      }
    }
    String store = "zk://" + zk.connectString() + "/tidemark-submit";
    command.addAll(List.of("-cp", sparkClasspath, "org.apache.spark.deploy.SparkSubmit",
        "--master", "local[2]", "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.ui.enabled=false",
        "--class", FraudDetectionJob.class.getName(), jobJar.toString(),
        "--bootstrap", broker.bootstrapServers(), "--registry", registry.baseUrl(), "--store", store,
        "--stop-marker", marker.toString()));
    Path log = work.resolve("spark-submit.log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try (OffsetStore offsets = OffsetStores.open(store)) {
      Awaitility.await("the job to commit the 4 transactions; its log: " + log).atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofMillis(300))
          .until(() -> !p.isAlive() || offsets.read("fraud-detection").positions().values().stream()
              .mapToLong(Long::longValue).sum() >= 4);
      Files.createFile(marker);
      assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("spark-submit ends after the marker; log: %s", log).isTrue();
      assertThat(p.exitValue()).as("exit code; log: %s", log).isZero();
    } finally {
      p.destroyForcibly();
    }
    List<ConsumerRecord<byte[], byte[]>> alerts = broker.consume("fraud-alerts", 1, Duration.ofSeconds(30));
    assertThat(new String(alerts.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("card-z@2026-11-26T12:00:00Z");
    assertThat(Files.readString(log)).as("Spark's launcher ran the job").contains("SparkContext");
  }
}
