package io.tidemark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.serde.avro.AvroSerializer;
import io.tidemark.spark.avro.AvroDecoding;
import io.tidemark.spark.avro.BadRecordException;
import io.tidemark.spark.avro.BadRecordPolicy;
import io.tidemark.spark.dstream.TidemarkDirectStream;
import io.tidemark.spark.structured.TidemarkStructuredStream;
import io.tidemark.testkit.KafkaBroker;
import io.tidemark.testkit.SchemaRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.streaming.Durations;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Registry-framed Avro decoded in Spark (real broker, real registry, {@code local[2]}): good
 * records decoded, bad ones failed, skipped or dead-lettered with their original bytes, and the
 * batch's writer schema ids in its commit.
 */
class AvroInSparkIT {

  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().build();

  @RegisterExtension
  static final SchemaRegistry registry = SchemaRegistry.builder().build();

  private static final Schema SHIPMENT = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Shipment\","
      + "\"namespace\":\"io.tidemark.it\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"},"
      + "{\"name\":\"product\",\"type\":\"string\"}]}");
  private static final int GOOD = 100;
  private static final List<String> SEEN = Collections.synchronizedList(new ArrayList<>());

  private static SparkSession spark;
  private JavaStreamingContext ssc;
  private OffsetStore store;

  @TempDir
  Path dir;

  @BeforeAll
  static void startSpark() {
    spark = SparkSession.builder().config(SparkTestSupport.localConf("avro-in-spark-it")).getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  @BeforeEach
  void open() {
    SEEN.clear();
    store = OffsetStores.open("file:" + dir.resolve("store"));
    ssc = new JavaStreamingContext(JavaSparkContext.fromSparkContext(spark.sparkContext()), Durations.milliseconds(300));
  }

  @AfterEach
  void close() {
    ssc.stop(false, false);
    store.close();
  }

  /** 100 good shipments over 2 partitions, and 6 bad records among them; returns the bad values. */
  private static List<byte[]> produceMixed(String topic) {
    broker.createTopic(topic, 2);
    AvroSerializer<GenericRecord> ser = new AvroSerializer<>();
    ser.configure(Map.of("schema.registry.url", registry.baseUrl()), false);
    byte[] good0 = null;
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i < GOOD; i++) {
      GenericRecord s = new GenericData.Record(SHIPMENT);
      s.put("id", (long) i);
      s.put("product", "p" + i);
      byte[] bytes = ser.serialize(topic, s);
      good0 = good0 == null ? bytes : good0;
      records.add(new ProducerRecord<>(topic, i % 2, ("k" + i).getBytes(StandardCharsets.UTF_8), bytes));
    }
    byte[] wrongMagic = good0.clone();
    wrongMagic[0] = 7;
    byte[] truncated = Arrays.copyOf(good0, 6);
    byte[] unknownId = good0.clone();
    ByteBuffer.wrap(unknownId).putInt(1, 987_654);
    List<byte[]> bad = List.of(wrongMagic, truncated, unknownId, "not avro".getBytes(StandardCharsets.UTF_8),
        new byte[] {0}, Arrays.copyOf(good0, good0.length + 3));
    for (int i = 0; i < bad.size(); i++) {
      records.add(10 * i + 5, new ProducerRecord<>(topic, i % 2, ("bad" + i).getBytes(StandardCharsets.UTF_8),
          bad.get(i)));
    }
    broker.produce(records);
    return bad;
  }

  private TidemarkDirectStream<byte[], byte[]> stream(String topic) {
    Map<String, Object> kafka = Map.of("bootstrap.servers", broker.bootstrapServers(), "group.id", "g-" + topic,
        "key.deserializer", ByteArrayDeserializer.class, "value.deserializer", ByteArrayDeserializer.class);
    return TidemarkDirectStream.<byte[], byte[]>builder(ssc).job("job-" + topic).topics(List.of(topic))
        .kafkaParams(kafka).store(store).guarantee(DeliveryGuarantee.AT_LEAST_ONCE).build();
  }

  private static AvroDecoding.Builder decoding() {
    return AvroDecoding.builder(Map.of("schema.registry.url", registry.baseUrl()));
  }

  private void runToTheEnd(String topic, AvroDecoding avro) {
    TidemarkDirectStream<byte[], byte[]> stream = stream(topic);
    stream.foreachBatch(batch -> {
      AvroDecoding.Decoded<GenericRecord> decoded = avro.decode(batch.rdd());
      SEEN.addAll(decoded.rdd().map(d -> d.value().get("product").toString()).collect());
      decoded.addCommitMetadata(batch);
    });
    ssc.start();
    await().atMost(Duration.ofSeconds(60)).until(() -> store.read("job-" + topic).positions()
        .equals(broker.endOffsets(topic)));
  }

  private Map<String, String> lastCommitMetadata(String topic) {
    return ((HistoryEntry.Committed) store.history("job-" + topic, 1).get(0)).commit().metadata();
  }

  @Test
  void deadLettersKeepTheOriginalBytesAndSayWhereTheyCameFrom() {
    String topic = "avro-dead-letters";
    List<byte[]> bad = produceMixed(topic);
    broker.createTopic(topic + ".dlq", 1);
    com.codahale.metrics.Counter deadLettered = io.tidemark.spark.internal.AvroMetrics.of(spark.sparkContext()).registry()
        .counter("bad-records.DEAD_LETTER");
    long before = deadLettered.getCount();
    runToTheEnd(topic, decoding().policy(BadRecordPolicy.DEAD_LETTER)
        .deadLetterTopic(topic + ".dlq", Map.of("bootstrap.servers", broker.bootstrapServers())).build());

    assertThat(SEEN).hasSize(GOOD).doesNotHaveDuplicates();
    List<ConsumerRecord<byte[], byte[]>> letters = broker.consume(topic + ".dlq", bad.size(), Duration.ofSeconds(30));
    assertThat(letters).hasSize(bad.size());
    assertThat(letters).extracting(r -> Arrays.toString(r.value()))
        .containsExactlyInAnyOrderElementsOf(bad.stream().map(Arrays::toString).toList());
    for (ConsumerRecord<byte[], byte[]> r : letters) {
      assertThat(new String(r.key(), StandardCharsets.UTF_8)).startsWith("bad");
      assertThat(header(r, AvroDecoding.HEADER_TOPIC)).isEqualTo(topic);
      assertThat(header(r, AvroDecoding.HEADER_ERROR)).matches("(InvalidHeader|UnknownSchemaId|CorruptRecord)Exception: .+");
      long offset = Long.parseLong(header(r, AvroDecoding.HEADER_OFFSET));
      int partition = Integer.parseInt(header(r, AvroDecoding.HEADER_PARTITION));
      assertThat(broker.consume(topic, GOOD + bad.size(), Duration.ofSeconds(30)).stream()
          .filter(s -> s.partition() == partition && s.offset() == offset).findFirst().orElseThrow().value())
          .isEqualTo(r.value());
    }
    assertThat(letters).filteredOn(r -> r.headers().lastHeader(AvroDecoding.HEADER_SCHEMA_ID) != null)
        .extracting(r -> header(r, AvroDecoding.HEADER_SCHEMA_ID)).contains("987654");
    assertThat(lastCommitMetadata(topic)).containsKey(AvroDecoding.SCHEMA_IDS_KEY);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(deadLettered.getCount() - before).as("the tidemark.avro metric").isEqualTo(bad.size()));
  }

  private static String header(ConsumerRecord<?, ?> r, String key) {
    Header h = r.headers().lastHeader(key);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  @Test
  void skippedRecordsAreCountedIntoTheCommit() {
    String topic = "avro-skip";
    produceMixed(topic);
    runToTheEnd(topic, decoding().policy(BadRecordPolicy.SKIP).build());
    assertThat(SEEN).hasSize(GOOD).doesNotHaveDuplicates();
    assertSixSkippedCountedIntoTheCommits(topic);
  }

  /** The bad-record counts of every commit of {@code topic}'s job add up to the 6 bad records, all skipped. */
  private void assertSixSkippedCountedIntoTheCommits(String topic) {
    List<String> counts = new ArrayList<>();
    for (HistoryEntry e : store.history("job-" + topic, 100)) {
      String v = ((HistoryEntry.Committed) e).commit().metadata().get(AvroDecoding.BAD_RECORDS_KEY);
      if (v != null) {
        counts.add(v);
      }
    }
    assertThat(counts.stream().mapToInt(v -> Integer.parseInt(v.substring(0, v.indexOf(' ')))).sum())
        .as("bad records counted into the commits %s", counts).isEqualTo(6);
    assertThat(counts).allMatch(v -> v.endsWith(" SKIP"));
  }

  @Test
  void underFailABadRecordFailsTheBatchAndNothingIsCommitted() {
    String topic = "avro-fail";
    produceMixed(topic);
    TidemarkDirectStream<byte[], byte[]> stream = stream(topic);
    AvroDecoding avro = decoding().build();
    stream.foreachBatch(batch -> {
      AvroDecoding.Decoded<GenericRecord> decoded = avro.decode(batch.rdd());
      SEEN.addAll(decoded.rdd().map(d -> d.value().get("product").toString()).collect());
    });
    ssc.start();
    assertThatThrownBy(stream::awaitTermination).isInstanceOf(BatchFailedException.class)
        .hasStackTraceContaining(BadRecordException.class.getSimpleName()).hasStackTraceContaining("policy is FAIL");
    // every record was there before the start, so the first batch held them all, bad ones included
    assertThat(store.read("job-" + topic).isEmpty()).as("nothing committed").isTrue();
    assertThat(SEEN).isEmpty();
  }

  @Test
  void datasetsDecodeThroughTheStructuredAdapterAndCountBadRecordsIntoTheCommit() throws Exception {
    String topic = "avro-structured";
    produceMixed(topic);
    TidemarkStructuredStream t = TidemarkStructuredStream.builder(spark).job("job-" + topic).topics(List.of(topic))
        .kafkaOption("kafka.bootstrap.servers", broker.bootstrapServers()).store(store)
        .guarantee(DeliveryGuarantee.AT_LEAST_ONCE).build();
    AvroDecoding avro = decoding().policy(BadRecordPolicy.SKIP).build();
    t.readStream().writeStream()
        .foreachBatch(t.foreachBatch((batch, batchId) -> {
          AvroDecoding.DecodedBatch<String> decoded = avro.<GenericRecord, String>decodeBatch(batch,
              d -> d.value().get("product").toString(), Encoders.STRING());
          SEEN.addAll(decoded.dataset().collectAsList());
          decoded.addCommitMetadata(t);
        }))
        .option("checkpointLocation", dir.resolve("checkpoint").toString())
        .trigger(Trigger.AvailableNow()).start().awaitTermination();
    assertThat(SEEN).hasSize(GOOD).doesNotHaveDuplicates();
    assertThat(store.read("job-" + topic).positions()).isEqualTo(broker.endOffsets(topic));
    assertSixSkippedCountedIntoTheCommits(topic);
    assertThat(lastCommitMetadata(topic)).containsKey(AvroDecoding.SCHEMA_IDS_KEY);
    assertThatThrownBy(() -> t.addCommitMetadata(io.tidemark.offsets.ResolvedStart.DATA_LOSS_METADATA_KEY, "none"))
        .as("a key of Tidemark's own").isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is Tidemark's own");
    assertThatThrownBy(() -> t.addCommitMetadata("k", "v")).as("outside a batch")
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("no batch of job job-" + topic + " is running");
  }
}
