package io.tidemark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.offsets.KafkaOutputTransactions;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.testkit.GeneratedDocs;
import io.tidemark.testkit.KafkaBroker;
import io.tidemark.testkit.SchemaRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/operations.md, with the real output of every command it shows. The page's text is the
 * template {@code docs/operations.md.template} (test resources); each {@code $ tidemark ...} line
 * in a {@code console} block is run here, in this JVM, against a real broker, a real registry, a
 * file store and a {@code kafka://} store, and its output (and exit code, when not 0) is written
 * under it. Host names, paths and the times that change from run to run are replaced by fixed
 * ones. The test fails when the committed page differs: the CLI's output changed, or the page was
 * edited by hand.
 */
class OperationsDocIT {
  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().build();

  @RegisterExtension
  static final SchemaRegistry registry = SchemaRegistry.builder().compatibility("BACKWARD").build();

  @TempDir
  Path dir;

  private static final Pattern COMMAND = Pattern.compile("^\\$ tidemark (.*)$");
  private static final Instant RECORDS_FROM = Instant.parse("2026-11-26T08:00:00Z");

  /** What a command line and its output show instead of this run's ports, paths and times. */
  private final Map<String, String> shown = new LinkedHashMap<>();

  @Test
  void theOperationsPageShowsWhatEachCommandPrints() throws Exception {
    seed();
    String template;
    try (InputStream in = OperationsDocIT.class.getResourceAsStream("/docs/operations.md.template")) {
      template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String fresh = render(template);
    assertThat(fresh).contains("$ tidemark offsets list").doesNotContain("127.0.0.1").doesNotContain(dir.toString());
    GeneratedDocs.assertCurrent("operations.md", fresh);
  }

  /**
   * Topic {@code shipments}: 3 partitions of 600 records, one a second from 08:00 UTC. Job
   * {@code shipments-dashboard} (file store) committed 4 batches of 100 records per partition an
   * hour ago; {@code fraud-alerts} committed one 42 s ago (its driver looks alive);
   * {@code nightly-archive} committed 2 an hour ago and was claimed since (a driver started); the
   * {@code kafka://} store holds {@code orders-audit}. Schemas v1 to v3 of the examples.
   */
  private void seed() throws IOException {
    // records timestamped in the past: kept whatever their age (the broker's default retention is 7 days)
    broker.createTopic("shipments", 3, Map.of("retention.ms", "-1"));
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int p = 0; p < 3; p++) {
      for (int i = 0; i < 600; i++) {
        records.add(new ProducerRecord<>("shipments", p, RECORDS_FROM.toEpochMilli() + i * 1000L, null,
            ("shipment " + i).getBytes(StandardCharsets.UTF_8)));
      }
    }
    broker.produce(records);
    String store = "file:" + dir.resolve("offsets");
    shown.put(store, "file:/var/lib/tidemark/offsets");
    Instant hourAgo = Instant.now().minus(Duration.ofHours(1)).truncatedTo(ChronoUnit.MILLIS);
    Instant recent = Instant.now().minus(Duration.ofSeconds(42)).truncatedTo(ChronoUnit.MILLIS);
    try (OffsetStore s = OffsetStores.open(store)) {
      commitBatches(s, "shipments-dashboard", 4, hourAgo);
      commitBatches(s, "fraud-alerts", 1, recent);
      commitBatches(s, "nightly-archive", 2, hourAgo);
      s.claim("nightly-archive"); // a driver started, and has read nothing yet
      commitBatches(s, "orders-to-kafka", 3, hourAgo, Map.of(KafkaOutputTransactions.STORED_SLOT, "0",
          KafkaOutputTransactions.STORED_TRANSACTIONS, "0/1/0/orders-enriched/0/200,1/2/0/orders-enriched/1/200,"
              + "2/3/0/orders-enriched/2/200"));
    }
    // what KafkaTransactionalSink leaves after a crash of orders-to-kafka's driver between batch 2's
    // commit and its publish, then another in batch 3 before its commit
    broker.createTopic("orders-enriched", 3);
    for (String id : List.of("0-0", "0-1", "0-2", "1-0", "1-1")) {
      openTransaction("tidemark.orders-to-kafka-" + id, id.charAt(2) - '0');
    }
    String kafkaStore = "kafka://" + broker.bootstrapServers() + "?kafka.group.prefix=tidemark.";
    try (OffsetStore s = OffsetStores.open(kafkaStore)) {
      commitBatches(s, "orders-audit", 2, hourAgo);
    }
    for (int b = 0; b < 4; b++) {
      shown.put(hourAgo.plusSeconds(b).toString(), Instant.parse("2026-11-26T09:10:00Z").plusSeconds(b).toString());
    }
    shown.put(recent.toString(), "2026-11-26T10:09:18Z");
    shown.put(broker.bootstrapServers(), "kafka1:9092");
    shown.put(registry.baseUrl(), "http://registry:8081");
    for (String v : List.of("shipment-v1.avsc", "shipment-v2.avsc", "shipment-v3-incompatible.avsc")) {
      Path copy = dir.resolve(v);
      Files.copy(Path.of(System.getProperty("tidemark.root", ".."), "examples", "src", "main", "resources", "avro", v), copy);
      shown.put(copy.toString(), v);
    }
    shown.put(dir.toString(), ".");
  }

  /** Batches 0.. of 100 records per partition, committed a second apart from {@code from}. */
  private static void commitBatches(OffsetStore s, String job, int batches, Instant from) {
    commitBatches(s, job, batches, from, Map.of());
  }

  /** As {@link #commitBatches(OffsetStore, String, int, Instant)}, the last batch's commit with {@code lastMetadata} too. */
  private static void commitBatches(OffsetStore s, String job, int batches, Instant from,
      Map<String, String> lastMetadata) {
    long epoch = s.claim(job);
    for (int b = 0; b < batches; b++) {
      OffsetCommit.Builder c = OffsetCommit.builder(job, b, epoch).commitTime(from.plusSeconds(b))
          .metadata("avro.schema-ids", "1").metadata("tidemark.guarantee", s.isCompareAndSet() ? "EXACTLY_ONCE"
              : "AT_LEAST_ONCE");
      for (int p = 0; p < 3; p++) {
        c.range("shipments", p, b * 100L, b * 100L + 100);
      }
      if (b == 0) {
        c.starts(Map.of(new TopicPartition("shipments", 0), 0L, new TopicPartition("shipments", 1), 0L,
            new TopicPartition("shipments", 2), 0L));
      }
      if (b == batches - 1) {
        c.metadata(lastMetadata);
      }
      s.commit(c.build());
    }
  }

  /** Opens a transaction of one record under {@code id} and leaves it open: the producer is closed without aborting it. */
  private void openTransaction(String id, int partition) {
    KafkaProducer<byte[], byte[]> p = broker.producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id,
        ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "900000"));
    try {
      p.initTransactions();
      p.beginTransaction();
      p.send(new ProducerRecord<>("orders-enriched", partition, null, id.getBytes(StandardCharsets.UTF_8)));
      p.flush();
    } finally {
      p.close(Duration.ZERO);
    }
  }

  private String render(String template) {
    StringBuilder out = new StringBuilder();
    for (String line : template.split("\n", -1)) {
      Matcher m = COMMAND.matcher(line);
      if (!m.matches()) {
        out.append(line).append('\n');
        continue;
      }
      String command = m.group(1)
          .replace("${STORE}", "file:" + dir.resolve("offsets"))
          .replace("${KAFKA}", broker.bootstrapServers())
          .replace("${REGISTRY}", registry.baseUrl())
          .replace("${DIR}", dir.toString());
      Cli.Run run = Cli.tidemark(split(command));
      out.append(show("$ tidemark " + command)).append('\n');
      out.append(show(run.out()));
      out.append(show(run.err()));
      if (run.code() != 0) {
        out.append("[exit ").append(run.code()).append("]\n");
      }
    }
    String text = out.toString();
    return openFor(text.substring(0, text.length() - 1).replaceAll("\\d+ s ago", "42 s ago"))
        .replaceAll("\\) at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z", ") at 2026-11-26T10:10:02Z");
  }

  /** The transactions' ages in {@code transactions list}: 3 s, in the column's width (7 wide up to 9999 s). */
  private static String openFor(String text) {
    Matcher m = Pattern.compile("(?m)^(tidemark\\.orders-to-kafka-\\S+ +\\S+ +\\d+ +\\d+  )(\\d+ s)").matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + "3 s" + " ".repeat(m.group(2).length() - 3)));
    }
    return m.appendTail(out).toString();
  }

  private String show(String text) {
    String s = text;
    for (Map.Entry<String, String> e : shown.entrySet()) {
      s = s.replace(e.getKey(), e.getValue());
    }
    return s;
  }

  /** Splits on spaces, keeping single-quoted words whole. */
  private static String[] split(String command) {
    List<String> words = new ArrayList<>();
    Matcher m = Pattern.compile("'([^']*)'|(\\S+)").matcher(command);
    while (m.find()) {
      words.add(m.group(1) != null ? m.group(1) : m.group(2));
    }
    return words.toArray(String[]::new);
  }
}
