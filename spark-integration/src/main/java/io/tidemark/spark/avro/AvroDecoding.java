package io.tidemark.spark.avro;

import io.tidemark.serde.avro.AvroDeserializer;
import io.tidemark.serde.avro.CorruptRecordException;
import io.tidemark.serde.avro.InvalidHeaderException;
import io.tidemark.serde.avro.UnknownSchemaIdException;
import io.tidemark.serde.avro.WireFormat;
import io.tidemark.spark.dstream.KafkaBatch;
import io.tidemark.spark.internal.AvroMetrics;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Row;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes registry-framed Avro values (tidemark-serde-avro) in Spark. Each executor JVM keeps one
 * deserializer, and so one schema cache, per configuration: after warm-up no record calls the
 * registry. A record that cannot be decoded follows the {@link BadRecordPolicy}; nothing is
 * dropped silently.
 *
 * <pre>{@code
 * AvroDecoding avro = AvroDecoding.builder(Map.of("schema.registry.url", "http://registry:8081"))
 *     .policy(BadRecordPolicy.DEAD_LETTER)
 *     .deadLetterTopic("shipments.dlq", Map.of("bootstrap.servers", "kafka:9092"))
 *     .build();
 * stream.foreachBatch(batch -> {
 *   AvroDecoding.Decoded<GenericRecord> shipments = avro.decode(batch.rdd());
 *   write(shipments.rdd(), batch.batchId());
 *   shipments.addCommitMetadata(batch); // writer schema ids and bad-record counts, into the commit
 * });
 * }</pre>
 *
 * <p>Records must reach Spark as bytes: use {@code ByteArrayDeserializer} for keys and values,
 * so a dead letter can keep the original bytes. A partition's records are decoded before any is
 * handed on, and its dead letters are acknowledged by Kafka before its task ends, so a batch whose
 * output succeeded has its dead letters written.
 */
public final class AvroDecoding implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(AvroDecoding.class);

  /** Dead-letter header: the error's class and message. */
  public static final String HEADER_ERROR = "tidemark.error";
  /** Dead-letter header: the source topic. */
  public static final String HEADER_TOPIC = "tidemark.source.topic";
  /** Dead-letter header: the source partition. */
  public static final String HEADER_PARTITION = "tidemark.source.partition";
  /** Dead-letter header: the source offset. */
  public static final String HEADER_OFFSET = "tidemark.source.offset";
  /** Dead-letter header: the schema id in the record's header, when it has one. */
  public static final String HEADER_SCHEMA_ID = "tidemark.schema.id";
  /** Commit-metadata key: the writer schema ids a batch held. */
  public static final String SCHEMA_IDS_KEY = "avro.schema-ids";
  /** Commit-metadata key: how many records of a batch were bad, and what the policy did. */
  public static final String BAD_RECORDS_KEY = "tidemark.bad-records";

  private final Map<String, String> serdeConfig;
  private final BadRecordPolicy policy;
  private final String deadLetterTopic;
  private final Map<String, String> producerConfig;

  private AvroDecoding(Builder b) {
    this.serdeConfig = Map.copyOf(b.serdeConfig);
    this.policy = b.policy;
    this.deadLetterTopic = b.deadLetterTopic;
    this.producerConfig = b.producerConfig == null ? Map.of() : Map.copyOf(b.producerConfig);
  }

  /** A builder with the serde settings ({@code schema.registry.url}, {@code avro.reader.schema}, ...). */
  public static Builder builder(Map<String, ?> serdeConfig) {
    return new Builder(serdeConfig);
  }

  /** The policy for bad records. */
  public BadRecordPolicy policy() {
    return policy;
  }

  /** A batch's decoded records, with counters that are complete once an action has run over them. */
  public static final class Decoded<T> implements Serializable {
    private static final long serialVersionUID = 1L;
    private final JavaRDD<DecodedRecord<T>> rdd;
    private final transient LongAccumulator bad;
    private final transient CollectionAccumulator<Integer> schemaIds;
    private final BadRecordPolicy policy;

    Decoded(JavaRDD<DecodedRecord<T>> rdd, LongAccumulator bad, CollectionAccumulator<Integer> schemaIds,
        BadRecordPolicy policy) {
      this.rdd = rdd;
      this.bad = bad;
      this.schemaIds = schemaIds;
      this.policy = policy;
    }

    /** The decoded records (bad ones left out under SKIP and DEAD_LETTER). */
    public JavaRDD<DecodedRecord<T>> rdd() {
      return rdd;
    }

    /** Bad records met so far (complete after an action over {@link #rdd()}). */
    public long badRecords() {
      return bad.value();
    }

    /** Writer schema ids met so far (complete after an action over {@link #rdd()}). */
    public Set<Integer> schemaIds() {
      return new TreeSet<>(schemaIds.value());
    }

    /** Adds the schema ids and the bad-record count to {@code batch}'s commit; call after the output's actions. */
    public void addCommitMetadata(KafkaBatch<?, ?> batch) {
      metadata(badRecords(), schemaIds(), policy).forEach(batch::addCommitMetadata);
    }
  }

  /**
   * Decodes the values of {@code records} (keys and values as bytes). The result's RDD is lazy:
   * decoding, dead letters and counting happen when an action runs over it; cache it if the
   * output runs several.
   */
  public <T> Decoded<T> decode(JavaRDD<ConsumerRecord<byte[], byte[]>> records) {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(records.context());
    LongAccumulator bad = sc.sc().longAccumulator("tidemark.bad-records");
    CollectionAccumulator<Integer> ids = sc.sc().collectionAccumulator("tidemark.avro.schema-ids");
    Counts counts = Counts.of(sc.sc(), bad, policy);
    AvroDecoding self = this;
    JavaRDD<DecodedRecord<T>> decoded = records.mapPartitions(it -> {
      List<Raw> raw = new ArrayList<>();
      it.forEachRemaining(r -> raw.add(new Raw(r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), r.value())));
      return self.<T>decodePartition(raw, bad, ids, counts).iterator();
    });
    return new Decoded<>(decoded, bad, ids, policy);
  }

  /**
   * Decodes the {@code value} column of Spark's Kafka source rows ({@code key}, {@code value},
   * {@code topic}, {@code partition}, {@code offset}, {@code timestamp}) and maps each decoded
   * record with {@code map}. Bad records follow the policy; they are counted in the Spark UI's
   * accumulator {@code tidemark.bad-records}. To have the counts in the batch's commit, use
   * {@link #decodeBatch}.
   */
  public <V, T> Dataset<T> decode(Dataset<Row> kafkaRows, MapFunction<DecodedRecord<V>, T> map, Encoder<T> encoder) {
    return this.<V, T>decodeBatch(kafkaRows, map, encoder).dataset();
  }

  /**
   * As {@link #decode(Dataset, MapFunction, Encoder)}, with the batch's counters: in a
   * {@link io.tidemark.spark.structured.TidemarkStructuredStream} output, call
   * {@link DecodedBatch#addCommitMetadata} after the output's actions to record the writer schema
   * ids and the bad-record count in the batch's commit, as {@link Decoded#addCommitMetadata} does
   * for DStreams.
   */
  public <V, T> DecodedBatch<T> decodeBatch(Dataset<Row> kafkaRows, MapFunction<DecodedRecord<V>, T> map,
      Encoder<T> encoder) {
    LongAccumulator bad = kafkaRows.sparkSession().sparkContext().longAccumulator("tidemark.bad-records");
    CollectionAccumulator<Integer> ids =
        kafkaRows.sparkSession().sparkContext().collectionAccumulator("tidemark.avro.schema-ids");
    Counts counts = Counts.of(kafkaRows.sparkSession().sparkContext(), bad, policy);
    AvroDecoding self = this;
    Dataset<T> decoded = kafkaRows.mapPartitions((org.apache.spark.api.java.function.MapPartitionsFunction<Row, T>) it -> {
      List<Raw> raw = new ArrayList<>();
      it.forEachRemaining(r -> raw.add(new Raw(r.getAs("topic"), r.<Integer>getAs("partition"), r.<Long>getAs("offset"),
          r.getAs("timestamp") == null ? -1L : r.<java.sql.Timestamp>getAs("timestamp").getTime(),
          r.getAs("key"), r.getAs("value"))));
      List<T> out = new ArrayList<>();
      for (DecodedRecord<V> d : self.<V>decodePartition(raw, bad, ids, counts)) {
        out.add(map.call(d));
      }
      return out.iterator();
    }, encoder);
    return new DecodedBatch<>(decoded, bad, ids, policy);
  }

  /**
   * A Structured Streaming batch's decoded rows, with counters that are complete once an action
   * has run over them. Each action over {@link #dataset()} decodes (and counts) again: persist it
   * if the output runs several, so that the counts are the batch's.
   */
  public static final class DecodedBatch<T> {
    private final Dataset<T> dataset;
    private final LongAccumulator bad;
    private final CollectionAccumulator<Integer> schemaIds;
    private final BadRecordPolicy policy;

    DecodedBatch(Dataset<T> dataset, LongAccumulator bad, CollectionAccumulator<Integer> schemaIds,
        BadRecordPolicy policy) {
      this.dataset = dataset;
      this.bad = bad;
      this.schemaIds = schemaIds;
      this.policy = policy;
    }

    /** The decoded rows (bad ones left out under SKIP and DEAD_LETTER). */
    public Dataset<T> dataset() {
      return dataset;
    }

    /** Bad records met so far (complete after an action over {@link #dataset()}). */
    public long badRecords() {
      return bad.value();
    }

    /** Writer schema ids met so far (complete after an action over {@link #dataset()}). */
    public Set<Integer> schemaIds() {
      return new TreeSet<>(schemaIds.value());
    }

    /**
     * Adds the schema ids ({@value #SCHEMA_IDS_KEY}) and the bad-record count
     * ({@value #BAD_RECORDS_KEY}) to the commit of the batch {@code stream} is running; call in its
     * output, after the output's actions. Under {@code AT_MOST_ONCE} the commit comes before the
     * output, so there is nothing to add to.
     *
     * @throws IllegalStateException outside a batch's output
     */
    public void addCommitMetadata(io.tidemark.spark.structured.TidemarkStructuredStream stream) {
      metadata(badRecords(), schemaIds(), policy).forEach(stream::addCommitMetadata);
    }
  }

  /** The commit metadata of a batch's decoding. */
  private static Map<String, String> metadata(long bad, Set<Integer> schemaIds, BadRecordPolicy policy) {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    m.put(SCHEMA_IDS_KEY, schemaIds.stream().map(String::valueOf).collect(Collectors.joining(",")));
    if (bad > 0) {
      m.put(BAD_RECORDS_KEY, bad + " " + policy);
    }
    return m;
  }

  /**
   * The accumulators behind the {@code tidemark.avro} metrics source: schema lookups and registry
   * calls (the bad-record count is the decoding's own accumulator).
   */
  private record Counts(LongAccumulator lookups, LongAccumulator registryCalls) implements Serializable {
    static Counts of(org.apache.spark.SparkContext sc, LongAccumulator bad, BadRecordPolicy policy) {
      Counts c = new Counts(sc.longAccumulator("tidemark.avro.schema-lookups"),
          sc.longAccumulator("tidemark.avro.registry-calls"));
      AvroMetrics.of(sc).track(bad, policy, c.lookups(), c.registryCalls());
      return c;
    }
  }

  /** One source record, as bytes. */
  private record Raw(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {}

  @SuppressWarnings("unchecked")
  private <T> List<DecodedRecord<T>> decodePartition(List<Raw> raw, LongAccumulator bad,
      CollectionAccumulator<Integer> ids, Counts counts) throws Exception {
    AvroDeserializer<Object> deserializer = ExecutorSerdes.deserializer(serdeConfig);
    long lookups = 0;
    List<DecodedRecord<T>> out = new ArrayList<>(raw.size());
    List<Future<RecordMetadata>> deadLetters = new ArrayList<>();
    Set<Integer> seen = new TreeSet<>();
    for (Raw r : raw) {
      int schemaId = r.value() != null && r.value().length >= WireFormat.HEADER_BYTES
          && r.value()[0] == WireFormat.MAGIC ? WireFormat.schemaId(r.value(), "record") : -1;
      if (schemaId >= 0) {
        lookups++;
      }
      Object value;
      try {
        value = deserializer.deserialize(r.topic(), r.value());
      } catch (InvalidHeaderException | UnknownSchemaIdException | CorruptRecordException e) {
        String where = r.topic() + "/" + r.partition() + "@" + r.offset();
        switch (policy) {
          case FAIL -> throw new BadRecordException("record " + where + " cannot be decoded: " + e.getMessage()
              + ". The policy is FAIL: the batch is not committed. Fix the producer, or choose SKIP or DEAD_LETTER.", e);
          case SKIP -> LOG.warn("skipped record {} (policy SKIP): {}", where, e.getMessage());
          case DEAD_LETTER -> {
            deadLetters.add(ExecutorSerdes.producer(producerConfig).send(deadLetter(r, schemaId, e)));
            LOG.warn("dead-lettered record {} to {}: {}", where, deadLetterTopic, e.getMessage());
          }
          default -> throw new IllegalStateException(policy.toString());
        }
        bad.add(1);
        continue;
      }
      if (schemaId >= 0) {
        seen.add(schemaId);
      }
      out.add(new DecodedRecord<>(r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), (T) value, schemaId));
    }
    for (Future<RecordMetadata> f : deadLetters) {
      try {
        f.get();
      } catch (java.util.concurrent.ExecutionException e) {
        throw new BadRecordException("cannot write a dead letter to " + deadLetterTopic + ": " + e.getCause()
            + ". The batch is not committed; it is replayed after a restart.", e.getCause());
      }
    }
    seen.forEach(ids::add);
    counts.lookups().add(lookups);
    counts.registryCalls().add(ExecutorSerdes.newRegistryCalls(deserializer));
    return out;
  }

  private ProducerRecord<byte[], byte[]> deadLetter(Raw r, int schemaId, Exception e) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(HEADER_ERROR, (e.getClass().getSimpleName() + ": " + e.getMessage()).getBytes(StandardCharsets.UTF_8));
    headers.add(HEADER_TOPIC, r.topic().getBytes(StandardCharsets.UTF_8));
    headers.add(HEADER_PARTITION, Integer.toString(r.partition()).getBytes(StandardCharsets.UTF_8));
    headers.add(HEADER_OFFSET, Long.toString(r.offset()).getBytes(StandardCharsets.UTF_8));
    if (schemaId >= 0) {
      headers.add(HEADER_SCHEMA_ID, Integer.toString(schemaId).getBytes(StandardCharsets.UTF_8));
    }
    return new ProducerRecord<>(deadLetterTopic, null, r.key(), r.value(), headers);
  }

  /** One deserializer (and so one registry client and schema cache) and one producer per configuration, per JVM. */
  static final class ExecutorSerdes {
    private static final Map<Map<String, String>, AvroDeserializer<Object>> DESERIALIZERS = new ConcurrentHashMap<>();
    private static final Map<Map<String, String>, KafkaProducer<byte[], byte[]>> PRODUCERS = new ConcurrentHashMap<>();
    /** Per deserializer: the registry calls already reported by a task of this JVM. */
    private static final Map<AvroDeserializer<Object>, AtomicLong> REPORTED_CALLS = new ConcurrentHashMap<>();

    /** Registry calls {@code deserializer}'s client made since the last task of this JVM reported them. */
    static long newRegistryCalls(AvroDeserializer<Object> deserializer) {
      long now = deserializer.registryStats().map(s -> s.registryCalls()).orElse(0L);
      long before = REPORTED_CALLS.computeIfAbsent(deserializer, d -> new AtomicLong()).getAndAccumulate(now, Math::max);
      return Math.max(0, now - before);
    }

    private ExecutorSerdes() {}

    static AvroDeserializer<Object> deserializer(Map<String, String> config) {
      return DESERIALIZERS.computeIfAbsent(config, c -> {
        AvroDeserializer<Object> d = new AvroDeserializer<>();
        d.configure(c, false);
        return d;
      });
    }

    static KafkaProducer<byte[], byte[]> producer(Map<String, String> config) {
      return PRODUCERS.computeIfAbsent(config, c -> {
        Map<String, Object> props = new TreeMap<>(c);
        props.putIfAbsent("acks", "all");
        KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        Runtime.getRuntime().addShutdownHook(new Thread(p::close, "tidemark-dead-letters-close"));
        return p;
      });
    }
  }

  /** Options of an {@link AvroDecoding}. */
  public static final class Builder {
    private final Map<String, String> serdeConfig = new TreeMap<>();
    private BadRecordPolicy policy = BadRecordPolicy.FAIL;
    private String deadLetterTopic;
    private Map<String, String> producerConfig;

    private Builder(Map<String, ?> serdeConfig) {
      serdeConfig.forEach((k, v) -> this.serdeConfig.put(k, String.valueOf(v)));
    }

    /** What to do with records that cannot be decoded (default FAIL). */
    public Builder policy(BadRecordPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** For DEAD_LETTER: the topic, and the producer's settings ({@code bootstrap.servers} at least). */
    public Builder deadLetterTopic(String topic, Map<String, ?> producer) {
      this.deadLetterTopic = Objects.requireNonNull(topic, "topic");
      this.producerConfig = new TreeMap<>();
      producer.forEach((k, v) -> producerConfig.put(k, String.valueOf(v)));
      return this;
    }

    /** Checks the options. */
    public AvroDecoding build() {
      if (!serdeConfig.containsKey("schema.registry.url")) {
        throw new IllegalArgumentException("schema.registry.url is required in the serde settings");
      }
      if (policy == BadRecordPolicy.DEAD_LETTER && (deadLetterTopic == null
          || !producerConfig.containsKey("bootstrap.servers"))) {
        throw new IllegalArgumentException("policy DEAD_LETTER needs deadLetterTopic(topic, producer settings with"
            + " bootstrap.servers)");
      }
      if (policy != BadRecordPolicy.DEAD_LETTER && deadLetterTopic != null) {
        throw new IllegalArgumentException("a dead-letter topic is set but the policy is " + policy
            + ": set policy(DEAD_LETTER), or remove the topic");
      }
      return new AvroDecoding(this);
    }
  }

  @Override
  public String toString() {
    return "AvroDecoding[" + policy + (deadLetterTopic == null ? "" : " to " + deadLetterTopic) + "]";
  }
}
