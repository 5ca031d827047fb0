package io.tidemark.serde.avro;

import io.tidemark.serde.avro.compat.CompatibilityChecker;
import io.tidemark.serde.avro.compat.CompatibilityLevel;
import io.tidemark.serde.avro.registry.SchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.Encoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes Avro values (generic records, generated specific records, primitives) in the Schema
 * Registry wire format: magic byte {@code 0}, the schema id as 4 bytes big-endian, the Avro
 * binary body. The schema id comes from the registry: registered on first use
 * ({@code auto.register.schemas}, default), looked up, the subject's latest
 * ({@code use.latest.version}), or fixed ({@code use.schema.id}); with the last two, a record of
 * another schema is written in that schema's layout by Avro's schema resolution, and refused when
 * that schema cannot read it. {@code null} is written as
 * {@code null} (a tombstone). Settings: {@link AvroSerdeConfig}. Thread-safe.
 */
public class AvroSerializer<T> implements Serializer<T> {
  private SchemaRegistryClient client;
  private boolean isKey;
  private SubjectNameStrategy strategy = SubjectNameStrategy.TOPIC;
  private boolean autoRegister = true;
  private boolean useLatest;
  private int useSchemaId = -1;
  private final Map<WriterKey, DatumWriter<Object>> writers = new ConcurrentHashMap<>();

  /** Generic or specific writing depends on the record's class as well as the schema. */
  private record WriterKey(Schema schema, Class<?> type) {}

  /** A record schema written as another schema's id: checked and built once, not per record. */
  private record ConverterKey(Schema recordSchema, int id, Class<?> type) {}

  private final Map<ConverterKey, DatumWriter<Object>> converters = new ConcurrentHashMap<>();

  /** For Kafka, which configures it with {@link #configure}. */
  public AvroSerializer() {}

  /** Around {@code client} (usually a caching one); {@link #configure} may still set the other settings. */
  public AvroSerializer(SchemaRegistryClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    AvroSerdeConfig config = new AvroSerdeConfig(configs);
    this.isKey = isKey;
    this.strategy = config.strategy(isKey);
    this.autoRegister = config.bool("auto.register.schemas");
    this.useLatest = config.bool("use.latest.version");
    this.useSchemaId = config.integer("use.schema.id");
    if (useSchemaId >= 0 && useLatest) {
      throw new ConfigException("use.schema.id and use.latest.version are both set: choose one");
    }
    if ((useSchemaId >= 0 || useLatest) && autoRegister) {
      throw new ConfigException((useLatest ? "use.latest.version" : "use.schema.id") + " writes with a schema already"
          + " in the registry, so set auto.register.schemas=false as well (it defaults to true)");
    }
    if (client == null) {
      client = config.client();
    }
  }

  @Override
  public byte[] serialize(String topic, T data) {
    if (data == null) {
      return null;
    }
    if (client == null) {
      throw new IllegalStateException("AvroSerializer is not configured: call configure() with schema.registry.url,"
          + " or build it with a SchemaRegistryClient");
    }
    Schema schema = AvroSchemas.of(data);
    Resolved resolved = resolved(topic, schema, data);
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    out.write(WireFormat.MAGIC);
    out.write(resolved.id >>> 24);
    out.write(resolved.id >>> 16);
    out.write(resolved.id >>> 8);
    out.write(resolved.id);
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    try {
      resolved.writer.write(AvroSchemas.datum(data), encoder);
      encoder.flush();
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("cannot write a " + schema.getFullName() + " to topic " + topic
          + " with schema " + resolved.id + ": " + e.getMessage(), e);
    }
    return out.toByteArray();
  }

  /** The id and writer of a schema on a topic, resolved once: the record path makes no lookups after that. */
  private record Resolved(int id, DatumWriter<Object> writer) {}

  private record TopicSchema(String topic, Schema schema) {}

  private final Map<TopicSchema, Resolved> resolved = new ConcurrentHashMap<>();

  /** The last topic and schema resolved: a producer usually writes one schema to one topic at a time. */
  private volatile LastResolved lastResolved;

  private record LastResolved(String topic, Schema schema, Resolved resolved) {}

  private Resolved resolved(String topic, Schema schema, Object data) {
    LastResolved last = lastResolved;
    if (last != null && last.schema() == schema && last.topic().equals(topic)) {
      return last.resolved();
    }
    Resolved r = lookUp(topic, schema, data);
    if (!useLatest) {
      lastResolved = new LastResolved(topic, schema, r);
    }
    return r;
  }

  private Resolved lookUp(String topic, Schema schema, Object data) {
    TopicSchema key = new TopicSchema(topic, schema);
    Resolved known = resolved.get(key);
    if (known != null && !useLatest) {
      return known;
    }
    int id;
    Schema writerSchema = schema;
    if (useSchemaId >= 0) {
      id = useSchemaId;
      writerSchema = client.schema(id);
    } else {
      String subject;
      try {
        subject = strategy.subject(topic, isKey, schema);
      } catch (IllegalArgumentException e) {
        throw new SerializationException("cannot name the subject of a " + schema.getFullName() + " on topic " + topic
            + ": " + e.getMessage(), e);
      }
      if (useLatest) {
        SchemaRegistryClient.SchemaVersion latest = client.latest(subject);
        id = latest.id();
        writerSchema = latest.schema();
      } else if (autoRegister) {
        id = client.register(subject, schema);
      } else {
        id = client.id(subject, schema);
      }
    }
    DatumWriter<Object> writer;
    if (writerSchema.equals(schema)) {
      writer = writers.computeIfAbsent(new WriterKey(writerSchema, data.getClass()), k -> writer(k.schema(), data));
    } else {
      Schema target = writerSchema;
      int targetId = id;
      writer = converters.computeIfAbsent(new ConverterKey(schema, targetId, data.getClass()),
          k -> converting(topic, targetId, schema, target, data));
    }
    Resolved r = new Resolved(id, writer);
    if (!useLatest) { // the latest version is the client's to cache, for its TTL
      resolved.put(key, r);
    }
    return r;
  }

  /**
   * With {@code use.latest.version} or {@code use.schema.id} the id names a schema other than the
   * record's. The record is written in that schema's layout through Avro's schema resolution (as if
   * a reader of that schema read it), which is only possible when that schema can read the
   * record's: otherwise the bytes would not mean what the record says, and nothing is written.
   */
  private DatumWriter<Object> converting(String topic, int id, Schema recordSchema, Schema idSchema, Object data) {
    CompatibilityChecker.Result check = CompatibilityChecker.check(idSchema, List.of(recordSchema),
        CompatibilityLevel.BACKWARD);
    if (!check.compatible()) {
      throw new SerializationException("cannot write a " + recordSchema.getFullName() + " to topic " + topic
          + " as schema " + id + " (" + (useSchemaId >= 0 ? "use.schema.id" : "use.latest.version")
          + "): that schema cannot read the record's schema: " + check.incompatibilities()
          + ". Produce records of schema " + id + ", or register the record's schema and turn the setting off.");
    }
    DatumWriter<Object> recordWriter = writers.computeIfAbsent(new WriterKey(recordSchema, data.getClass()),
        k -> writer(k.schema(), data));
    return new ResolvingWriter(recordWriter, recordSchema, idSchema);
  }

  /** Writes a datum of one schema in the layout of another that can read it: encode, resolve, encode. */
  private static final class ResolvingWriter implements DatumWriter<Object> {
    private final DatumWriter<Object> recordWriter;
    private final GenericDatumReader<Object> resolver;
    private final GenericDatumWriter<Object> targetWriter;

    ResolvingWriter(DatumWriter<Object> recordWriter, Schema recordSchema, Schema target) {
      this.recordWriter = recordWriter;
      this.resolver = new GenericDatumReader<>(recordSchema, target);
      this.targetWriter = new GenericDatumWriter<>(target);
    }

    @Override
    public void setSchema(Schema schema) {
      throw new UnsupportedOperationException("fixed at construction");
    }

    @Override
    public void write(Object datum, Encoder out) throws IOException {
      ByteArrayOutputStream buffer = new ByteArrayOutputStream(64);
      BinaryEncoder e = EncoderFactory.get().directBinaryEncoder(buffer, null);
      recordWriter.write(datum, e);
      e.flush();
      Object resolved = resolver.read(null, DecoderFactory.get().binaryDecoder(buffer.toByteArray(), null));
      targetWriter.write(resolved, out);
    }
  }

  private static DatumWriter<Object> writer(Schema writerSchema, Object data) {
    if (data instanceof SpecificRecord) {
      return new SpecificDatumWriter<>(writerSchema, SpecificData.getForClass(data.getClass()));
    }
    return new GenericDatumWriter<>(writerSchema);
  }

  @Override
  public void close() {
    // the client holds no resources that need closing
  }
}
