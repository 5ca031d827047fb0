package io.tidemark.examples.fraud;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.examples.JobOptions;
import io.tidemark.examples.Shipments;
import io.tidemark.examples.StreamRunner;
import io.tidemark.examples.Streams;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.serde.avro.AvroSerializer;
import io.tidemark.spark.avro.AvroDecoding;
import io.tidemark.testkit.KafkaBroker;
import io.tidemark.testkit.SchemaRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Fraud detection at least once: the cards over their limit within a window raise alerts, the
 * others do not, and malformed records reach the dead-letter topic byte for byte while the job
 * goes on.
 */
class FraudDetectionJobIT {
  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().build();

  @RegisterExtension
  static final SchemaRegistry registry = SchemaRegistry.builder().build();

  private static final Schema TRANSACTION = Shipments.load("card-transaction.avsc");
  private static final Instant T0 = Instant.parse("2026-11-26T12:00:00Z");

  private static byte[] transaction(AvroSerializer<GenericRecord> ser, String card, long cents, int secondsAfterT0) {
    GenericRecord r = new GenericData.Record(TRANSACTION);
    r.put("cardId", card);
    r.put("amountCents", cents);
    r.put("merchant", "shop");
    r.put("at", T0.plusSeconds(secondsAfterT0).toEpochMilli());
    return ser.serialize("card-transactions", r);
  }

  @Test
  void cardsOverTheirLimitRaiseAlertsAndMalformedRecordsAreDeadLettered() throws Exception {
    broker.createTopic("card-transactions", 2);
    broker.createTopic("fraud-alerts", 1);
    broker.createTopic("card-transactions-dead-letters", 1);
    AvroSerializer<GenericRecord> ser = new AvroSerializer<>();
    ser.configure(Map.of("schema.registry.url", registry.baseUrl()), false);
    List<byte[]> malformed = List.of("not avro".getBytes(StandardCharsets.UTF_8), new byte[] {0, 0, 0, 0x7f, 1, 2},
        new byte[0]);
    List<ProducerRecord<byte[], byte[]>> records = new java.util.ArrayList<>();
    // card-a: 2 x 500.00 now and 1 x 500.00 in a later batch, within the first minute (one alert);
    // card-b: 2 x 100.00 (none); card-c: 2 x 600.00 but in two different minutes (none)
    for (int i = 0; i < 2; i++) {
      records.add(new ProducerRecord<>("card-transactions", 0, null, transaction(ser, "card-a", 50_000, 10 + i)));
    }
    records.add(new ProducerRecord<>("card-transactions", 1, null, transaction(ser, "card-b", 10_000, 5)));
    records.add(new ProducerRecord<>("card-transactions", 1, null, transaction(ser, "card-b", 10_000, 6)));
    records.add(new ProducerRecord<>("card-transactions", 0, null, transaction(ser, "card-c", 60_000, 30)));
    records.add(new ProducerRecord<>("card-transactions", 0, null, transaction(ser, "card-c", 60_000, 90)));
    for (byte[] bad : malformed) {
      records.add(new ProducerRecord<>("card-transactions", 1, null, bad));
    }
    broker.produce(records);

    Path dir = Files.createTempDirectory("fraud");
    String store = "file:" + dir.resolve("offsets");
    JobOptions o = JobOptions.parse("FraudDetectionJob", "", FraudDetectionJob.OPTIONS, new String[] {"--bootstrap",
        broker.bootstrapServers(), "--registry", registry.baseUrl(), "--store", store, "--stop-marker",
        dir.resolve("stop").toString()});
    CompletableFuture<Integer> running = Streams.start(() -> FraudDetectionJob.run(o));
    Streams.awaitCommitted(running, store, "fraud-detection", records.size());
    assertThat(broker.endOffsets("fraud-alerts").values()).as("1,000.00 is not over the limit").containsExactly(0L);
    broker.produce(List.of(new ProducerRecord<>("card-transactions", 0, null, transaction(ser, "card-a", 50_000, 12))));
    assertThat(Streams.stopWhenCommitted(running, store, "fraud-detection", records.size() + 1, dir.resolve("stop")))
        .isZero();

    List<ConsumerRecord<byte[], byte[]>> alerts = broker.consume("fraud-alerts", 1, Duration.ofSeconds(30));
    Set<String> keys = alerts.stream().map(a -> new String(a.key(), StandardCharsets.UTF_8)).collect(Collectors.toSet());
    assertThat(keys).containsExactly("card-a@2026-11-26T12:00:00Z");
    assertThat(new String(alerts.get(0).value(), StandardCharsets.UTF_8)).contains("\"totalCents\":150000",
        "\"transactions\":3");
    assertThat(broker.endOffsets("fraud-alerts").values()).as("one alert, raised once: no batch was replayed")
        .containsExactly(1L);

    List<ConsumerRecord<byte[], byte[]>> dead = broker.consume("card-transactions-dead-letters", 3,
        Duration.ofSeconds(30));
    assertThat(dead).extracting(ConsumerRecord::value).containsExactlyInAnyOrderElementsOf(malformed);
    assertThat(dead).allSatisfy(d -> assertThat(d.headers().lastHeader(AvroDecoding.HEADER_ERROR)).isNotNull());
  }

  @Test
  void anAlertThatCannotBeSentFailsItsBatchWhichIsNotCommitted() throws Exception {
    broker.createTopic("card-spend", 1);
    AvroSerializer<GenericRecord> ser = new AvroSerializer<>();
    ser.configure(Map.of("schema.registry.url", registry.baseUrl()), false);
    broker.produce(List.of(new ProducerRecord<>("card-spend", 0, null, transaction(ser, "card-x", 200_000, 1))));

    Path dir = Files.createTempDirectory("fraud-no-alerts-topic");
    String store = "file:" + dir.resolve("offsets");
    JobOptions o = JobOptions.parse("FraudDetectionJob", "", FraudDetectionJob.OPTIONS, new String[] {"--bootstrap",
        broker.bootstrapServers(), "--registry", registry.baseUrl(), "--store", store, "--topic", "card-spend",
        "--job", "fraud-no-alerts-topic", "--alerts", "no-such-topic", "--alerts-timeout-ms", "2000"});
    assertThat(FraudDetectionJob.run(o)).as("the job stops on the failed batch").isEqualTo(StreamRunner.FAILED);
    try (OffsetStore offsets = OffsetStores.open(store)) {
      assertThat(offsets.read("fraud-no-alerts-topic").positions()).as("nothing committed: a restart reads it again")
          .isEmpty();
    }
  }
}
