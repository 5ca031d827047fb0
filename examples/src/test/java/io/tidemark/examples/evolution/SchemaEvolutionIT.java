package io.tidemark.examples.evolution;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.examples.JobOptions;
import io.tidemark.examples.Streams;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.spark.sink.FileBatchSink;
import io.tidemark.testkit.KafkaBroker;
import io.tidemark.testkit.SchemaRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The producer moves from v1 to v2 while the job runs: the job reads both (v1 records with v2's
 * default carrier); the producer's v3 is refused at registration with each incompatibility
 * listed, and never reaches the topic.
 */
class SchemaEvolutionIT {
  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().build();

  @RegisterExtension
  static final SchemaRegistry registry = SchemaRegistry.builder().build();

  @Test
  void theJobReadsV1ThenV2WithoutStoppingAndV3IsRefused() throws Exception {
    broker.createTopic("shipments-evolving", 1);
    Path dir = Files.createTempDirectory("evolution");
    String store = "file:" + dir.resolve("offsets");
    JobOptions o = JobOptions.parse("SchemaEvolutionJob", "", SchemaEvolutionJob.OPTIONS, new String[] {"--bootstrap",
        broker.bootstrapServers(), "--registry", registry.baseUrl(), "--store", store, "--out",
        dir.resolve("out").toString(), "--stop-marker", dir.resolve("stop").toString()});
    CompletableFuture<Integer> running = Streams.start(() -> SchemaEvolutionJob.run(o));
    ByteArrayOutputStream report = new ByteArrayOutputStream();
    try (EvolvingProducer.Session producer = new EvolvingProducer.Session(broker.bootstrapServers(),
        registry.baseUrl(), "shipments-evolving", new PrintStream(report, true, StandardCharsets.UTF_8));
        OffsetStore offsets = OffsetStores.open(store)) {
      producer.requireBackwardCompatibility();
      producer.produce(1, 0, 100);
      Awaitility.await("the job to read the v1 records").atMost(Duration.ofMinutes(2))
          .until(() -> running.isDone() || offsets.read("schema-evolution").positions().values().stream()
              .mapToLong(Long::longValue).sum() >= 100);
      producer.produce(2, 100, 100); // while the job runs
      assertThat(producer.tryIncompatible()).as(report.toString(StandardCharsets.UTF_8)).isTrue();
    }
    assertThat(Streams.stopWhenCommitted(running, store, "schema-evolution", 200, dir.resolve("stop"))).isZero();

    String said = report.toString(StandardCharsets.UTF_8);
    assertThat(said).contains("v3: refused by the registry (HTTP 409)", "nothing was written with v3",
        "TYPE_MISMATCH at /fields/2/type");
    assertThat(broker.endOffsets("shipments-evolving").values()).containsExactly(200L);

    List<String> lines = new ArrayList<>();
    try (Stream<Path> batches = Files.list(dir.resolve("out"))) {
      for (Path b : batches.filter(p -> p.getFileName().toString().startsWith(FileBatchSink.BATCH_PREFIX)).toList()) {
        try (Stream<Path> parts = Files.list(b)) {
          for (Path part : parts.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
            lines.addAll(Files.readAllLines(part));
          }
        }
      }
    }
    assertThat(lines).hasSize(200);
    assertThat(lines).filteredOn(l -> Integer.parseInt(l.split(",")[0].substring("order-".length())) < 100)
        .hasSize(100).allSatisfy(l -> assertThat(l.split(",")[3]).isEqualTo("null"));
    assertThat(lines).filteredOn(l -> Integer.parseInt(l.split(",")[0].substring("order-".length())) >= 100)
        .hasSize(100).allSatisfy(l -> assertThat(l.split(",")[3]).isIn("dhl", "ups"));
    assertThat(lines.stream().map(l -> l.split(",")[4]).distinct()).as("two writer schemas").hasSize(2);
  }
}
