package io.tidemark.benchmarks;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.tidemark.serde.avro.AvroDeserializer;
import io.tidemark.serde.avro.AvroSerializer;
import io.tidemark.testkit.SchemaRegistry;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
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
 * Our serdes against a peer measured in the same run: Apicurio's
 * {@code apicurio-registry-avro-serde-kafka} (its {@code AvroKafkaSerializer} and
 * {@code AvroKafkaDeserializer}), both talking to one Apicurio Registry 3.x (which needs a Java
 * 21+, found as the testkit finds it), on the same records as {@link SerdeBenchmark}. Both write
 * the same bytes for the same schema id, which the setup checks. {@code oursSerialize /
 * apicurioSerialize} and {@code oursDeserialize / apicurioDeserialize} are the ratios to quote.
 * After the setup neither side calls the registry per record.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
public class PeerSerdeBenchmark {

  /** The registry both serdes use, one per trial. */
  @State(Scope.Benchmark)
  public static class Registry {
    SchemaRegistry registry;

    /** Starts an Apicurio Registry 3.x. */
    @Setup(Level.Trial)
    public void start() {
      registry = SchemaRegistry.builder().version("3.3.3").build().start();
    }

    /** Stops it. */
    @TearDown(Level.Trial)
    public void stop() {
      registry.close();
    }
  }

  /** One record, its bytes, and both sides' serdes. */
  @State(Scope.Thread)
  public static class Data {
    /** {@code small} (3 fields) or {@code wide} (50 fields). */
    @Param({"small", "wide"})
    public String shape;

    String topic;
    GenericRecord record;
    byte[] framed;
    AvroSerializer<GenericRecord> ours;
    AvroDeserializer<GenericRecord> oursReader;
    AvroKafkaSerializer<GenericRecord> apicurio;
    AvroKafkaDeserializer<GenericRecord> apicurioReader;

    /** Builds the record, registers it through the peer, and warms both sides' caches. */
    @Setup(Level.Trial)
    public void prepare(Registry r) {
      Schema schema = SerdeBenchmark.schema(shape, false);
      record = SerdeBenchmark.record(schema);
      topic = "peer-" + shape;
      Map<String, Object> theirs = Map.of("apicurio.registry.url", r.registry.rootUrl() + "/apis/registry/v3",
          "apicurio.registry.auto-register", "true");
      apicurio = new AvroKafkaSerializer<>();
      apicurio.configure(theirs, false);
      apicurioReader = new AvroKafkaDeserializer<>();
      apicurioReader.configure(theirs, false);
      ours = new AvroSerializer<>();
      ours.configure(Map.of("schema.registry.url", r.registry.baseUrl()), false);
      oursReader = new AvroDeserializer<>();
      oursReader.configure(Map.of("schema.registry.url", r.registry.baseUrl()), false);

      byte[] theirBytes = apicurio.serialize(topic, record);
      framed = ours.serialize(topic, record);
      if (!Arrays.equals(framed, theirBytes)) {
        throw new IllegalStateException("the two serdes wrote different bytes for the " + shape + " record");
      }
      if (!oursReader.deserialize(topic, framed).equals(record)
          || !apicurioReader.deserialize(topic, framed).toString().equals(record.toString())) {
        throw new IllegalStateException("a serde does not round-trip the " + shape + " record");
      }
    }

    /** Closes the peer's clients. */
    @TearDown(Level.Trial)
    public void close() {
      apicurio.close();
      apicurioReader.close();
    }
  }

  /** Ours: header, id and body. */
  @Benchmark
  public byte[] oursSerialize(Data d) {
    return d.ours.serialize(d.topic, d.record);
  }

  /** The peer: the same bytes. */
  @Benchmark
  public byte[] apicurioSerialize(Data d) {
    return d.apicurio.serialize(d.topic, d.record);
  }

  /** Ours, reading the record back. */
  @Benchmark
  public GenericRecord oursDeserialize(Data d) {
    return d.oursReader.deserialize(d.topic, d.framed);
  }

  /** The peer, reading the same bytes. */
  @Benchmark
  public GenericRecord apicurioDeserialize(Data d) {
    return d.apicurioReader.deserialize(d.topic, d.framed);
  }
}
