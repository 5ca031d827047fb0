package io.tidemark.benchmarks;

import io.tidemark.serde.avro.AvroDeserializer;
import io.tidemark.serde.avro.AvroSerializer;
import io.tidemark.serde.avro.registry.CachingSchemaRegistryClient;
import io.tidemark.serde.avro.registry.RestSchemaRegistryClient;
import io.tidemark.serde.avro.registry.SchemaRegistryClient;
import io.tidemark.testkit.SchemaRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of the Avro serdes against their floor, measured in the same run: raw Avro binary
 * encoding and decoding of the same record with a {@link GenericDatumWriter} and
 * {@link GenericDatumReader}, without the 5-byte header and the (cached) registry lookup.
 * {@code serialize / anchorRawEncode} and {@code deserialize / anchorRawDecode} are the ratios to
 * quote; the target is 0.95 or more. Run with {@code -prof gc} for allocations per record.
 *
 * <p>{@code shape}: {@code small} is 3 fields (long, string, double); {@code wide} is 50 fields
 * of five types. {@code deserializeEvolved} reads into a reader schema with one more field (with a
 * default), the resolving path; its anchor is {@code anchorRawDecodeEvolved}. A real schema
 * registry (the testkit's) serves the schema; after the first call every lookup is a cache hit.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
public class SerdeBenchmark {

  /** The registry, one per trial. */
  @State(Scope.Benchmark)
  public static class Registry {
    SchemaRegistry registry;
    SchemaRegistryClient client;

    /** Starts the testkit's registry. */
    @Setup(Level.Trial)
    public void start() {
      registry = SchemaRegistry.builder().build().start();
      client = CachingSchemaRegistryClient.builder(RestSchemaRegistryClient.builder(registry.baseUrl()).build()).build();
    }

    /** Stops it. */
    @TearDown(Level.Trial)
    public void stop() {
      registry.close();
    }
  }

  /** One record, its bytes, and the serdes and raw readers and writers. */
  @State(Scope.Thread)
  public static class Data {
    /** {@code small} (3 fields) or {@code wide} (50 fields). */
    @Param({"small", "wide"})
    public String shape;

    String topic;
    GenericRecord record;
    byte[] framed;
    byte[] raw;
    AvroSerializer<GenericRecord> serializer;
    AvroDeserializer<GenericRecord> deserializer;
    AvroDeserializer<GenericRecord> evolving;
    GenericDatumWriter<GenericRecord> rawWriter;
    GenericDatumReader<GenericRecord> rawReader;
    GenericDatumReader<GenericRecord> rawEvolvingReader;

    /** Builds the record and warms the serdes' caches. */
    @Setup(Level.Trial)
    public void prepare(Registry r) throws IOException {
      Schema schema = schema(shape, false);
      Schema evolved = schema(shape, true);
      record = record(schema);
      topic = "bench-" + shape; // built once: the timed calls must not pay for string building
      serializer = new AvroSerializer<>(r.client);
      serializer.configure(Map.of(), false);
      deserializer = new AvroDeserializer<>(r.client);
      deserializer.configure(Map.of(), false);
      evolving = new AvroDeserializer<GenericRecord>(r.client).readerSchema(evolved);
      framed = serializer.serialize(topic, record);
      rawWriter = new GenericDatumWriter<>(schema);
      rawReader = new GenericDatumReader<>(schema);
      rawEvolvingReader = new GenericDatumReader<>(schema, evolved);
      raw = Arrays.copyOfRange(framed, 5, framed.length);
      if (!deserializer.deserialize("bench", framed).equals(record)) {
        throw new IllegalStateException("the serdes do not round-trip the " + shape + " record");
      }
    }
  }

  /** The record with the header and the registry's id: what a producer sends. */
  @Benchmark
  public byte[] serialize(Data d) {
    return d.serializer.serialize(d.topic, d.record);
  }

  /** The record read back as written. */
  @Benchmark
  public GenericRecord deserialize(Data d) {
    return d.deserializer.deserialize(d.topic, d.framed);
  }

  /** The record read into a reader schema with one more field (resolving). */
  @Benchmark
  public GenericRecord deserializeEvolved(Data d) {
    return d.evolving.deserialize(d.topic, d.framed);
  }

  /** The floor of serialize: Avro's own encoding of the same record into a fresh byte array. */
  @Benchmark
  public byte[] anchorRawEncode(Data d) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    BinaryEncoder e = EncoderFactory.get().directBinaryEncoder(out, null);
    d.rawWriter.write(d.record, e);
    e.flush();
    return out.toByteArray();
  }

  /** The floor of deserialize: Avro's own decoding of the same body. */
  @Benchmark
  public GenericRecord anchorRawDecode(Data d) throws IOException {
    return d.rawReader.read(null, DecoderFactory.get().binaryDecoder(d.raw, null));
  }

  /** The floor of deserializeEvolved: Avro's own resolving read. */
  @Benchmark
  public GenericRecord anchorRawDecodeEvolved(Data d) throws IOException {
    return d.rawEvolvingReader.read(null, DecoderFactory.get().binaryDecoder(d.raw, null));
  }

  static Schema schema(String shape, boolean evolved) {
    StringBuilder fields = new StringBuilder();
    if (shape.equals("small")) {
      fields.append("{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"customer\",\"type\":\"string\"},"
          + "{\"name\":\"amount\",\"type\":\"double\"}");
    } else {
      String[] types = {"long", "string", "double", "int", "boolean"};
      for (int i = 0; i < 50; i++) {
        fields.append(i == 0 ? "" : ",").append("{\"name\":\"f").append(i).append("\",\"type\":\"")
            .append(types[i % types.length]).append("\"}");
      }
    }
    if (evolved) {
      fields.append(",{\"name\":\"added\",\"type\":\"string\",\"default\":\"none\"}");
    }
    return new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Bench" + shape + "\",\"fields\":[" + fields + "]}");
  }

  static GenericRecord record(Schema schema) {
    GenericRecord r = new GenericData.Record(schema);
    for (Schema.Field f : schema.getFields()) {
      r.put(f.pos(), switch (f.schema().getType()) {
        case LONG -> 1_000_000_007L * (f.pos() + 1);
        case STRING -> "value-" + f.name();
        case DOUBLE -> 12.5 * (f.pos() + 1);
        case INT -> 42 * (f.pos() + 1);
        case BOOLEAN -> f.pos() % 2 == 0;
        default -> throw new IllegalArgumentException(f.schema().getType().toString());
      });
    }
    return r;
  }
}
