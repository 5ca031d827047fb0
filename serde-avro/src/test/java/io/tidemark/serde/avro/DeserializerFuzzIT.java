package io.tidemark.serde.avro;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.serde.avro.registry.CachingSchemaRegistryClient;
import io.tidemark.serde.avro.registry.RestSchemaRegistryClient;
import io.tidemark.serde.avro.registry.SchemaRegistryClient;
import io.tidemark.serde.avro.test.Order;
import io.tidemark.testkit.SchemaRegistry;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A seeded mutation fuzzer over the deserializer: 100,000 inputs derived from valid records by
 * flipping, inserting, deleting and overwriting bytes (lengths and counts included) and by
 * damaging headers, through the generic, the resolving (an evolved reader schema) and the
 * specific reader. Every input must decode or fail with one of the declared
 * {@code SerializationException}s; anything else (an {@code OutOfMemoryError}, a
 * {@code NullPointerException}, ...) fails the test with the seed and the input in hex. The bytes
 * each input allocates are measured (the thread's allocation counter): none may take more than
 * 16 MiB, so a hostile length cannot exhaust the heap.
 */
class DeserializerFuzzIT {
  private static final Logger LOG = LoggerFactory.getLogger(DeserializerFuzzIT.class);
  private static final long SEED = 20261126L;
  private static final int INPUTS = 100_000;

  @RegisterExtension
  static final SchemaRegistry registry = SchemaRegistry.builder().build();

  private static final Schema SCHEMA = new Schema.Parser().parse("""
      {"type": "record", "name": "Fuzz", "fields": [
        {"name": "id", "type": "long"},
        {"name": "name", "type": "string"},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attrs", "type": {"type": "map", "values": "int"}},
        {"name": "blob", "type": "bytes"},
        {"name": "maybe", "type": ["null", "double"]},
        {"name": "nested", "type": {"type": "array", "items": {"type": "array", "items": "long"}}}
      ]}""");

  /** Reads the Fuzz schema with one more field: the resolving decoder's path. */
  private static final Schema EVOLVED = evolved();

  private static Schema evolved() {
    String json = SCHEMA.toString(); // ends with the fields array's "]" and the record's "}"
    return new Schema.Parser().parse(json.substring(0, json.length() - 2)
        + ",{\"name\":\"added\",\"type\":\"string\",\"default\":\"x\"}]}");
  }

  /** No single input may allocate more than this while failing or decoding. */
  private static final long MAX_BYTES_PER_INPUT = 16L << 20;

  private static SchemaRegistryClient client() {
    return CachingSchemaRegistryClient.builder(RestSchemaRegistryClient.builder(registry.baseUrl()).build()).build();
  }

  @Test
  void genericReaderOnlyThrowsDeclaredExceptionsAndAllocatesBoundedly() {
    SchemaRegistryClient client = client();
    AvroSerializer<GenericRecord> ser = new AvroSerializer<>(client);
    ser.configure(Map.of(), false);
    AvroDeserializer<Object> de = new AvroDeserializer<>(client);
    de.configure(Map.of(), false);
    Random random = new Random(SEED);
    List<byte[]> seeds = List.of(ser.serialize("fuzz", record(random, 0)), ser.serialize("fuzz", record(random, 3)),
        ser.serialize("fuzz", record(random, 20)));
    fuzz("generic", de, "fuzz", seeds, random, INPUTS);
  }

  @Test
  void resolvingReaderOnlyThrowsDeclaredExceptionsAndAllocatesBoundedly() {
    SchemaRegistryClient client = client();
    AvroSerializer<GenericRecord> ser = new AvroSerializer<>(client);
    ser.configure(Map.of(), false);
    AvroDeserializer<Object> de = new AvroDeserializer<>(client);
    de.configure(Map.of("avro.reader.schema", EVOLVED.toString()), false);
    Random random = new Random(SEED + 1);
    List<byte[]> seeds = List.of(ser.serialize("fuzz", record(random, 0)), ser.serialize("fuzz", record(random, 20)));
    assertThat(((GenericRecord) de.deserialize("fuzz", seeds.get(0))).get("added").toString()).isEqualTo("x");
    fuzz("resolving", de, "fuzz", seeds, random, INPUTS / 4);
  }

  @Test
  void specificReaderOnlyThrowsDeclaredExceptionsAndAllocatesBoundedly() {
    SchemaRegistryClient client = client();
    AvroSerializer<Object> ser = new AvroSerializer<>(client);
    ser.configure(Map.of(), false);
    AvroDeserializer<Object> de = new AvroDeserializer<>(client);
    de.configure(Map.of("specific.avro.reader", "true",
        "specific.avro.trusted.packages", "io.tidemark.serde.avro.test"), false);
    Random random = new Random(SEED + 2);
    List<byte[]> seeds = List.of(
        ser.serialize("fuzz-orders", Order.newBuilder().setId(1).setCustomer("").setAmount(0).build()),
        ser.serialize("fuzz-orders", Order.newBuilder().setId(-7).setCustomer("c".repeat(40)).setAmount(2.5).build()));
    assertThat(de.deserialize("fuzz-orders", seeds.get(1))).isInstanceOf(Order.class);
    fuzz("specific", de, "fuzz-orders", seeds, random, INPUTS / 4);
  }

  @Test
  void hostileLengthsAndCountsFailWithoutBeingAllocated() {
    SchemaRegistryClient client = client();
    AvroSerializer<GenericRecord> ser = new AvroSerializer<>(client);
    ser.configure(Map.of(), false);
    AvroDeserializer<Object> de = new AvroDeserializer<>(client);
    de.configure(Map.of(), false);
    int id = WireFormat.schemaId(ser.serialize("fuzz", record(new Random(SEED), 1)), "seed");
    ByteBuffer header = ByteBuffer.allocate(5).put((byte) 0).putInt(id);
    byte[] gibString = concat(header.array(), new byte[] {0x00}, zigzag(1L << 30)); // id 0, name of 1 GiB
    byte[] hugeArray = concat(header.array(), new byte[] {0x00, 0x00}, zigzag(100_000_000L)); // 10^8 tags
    byte[] hugeMap = concat(header.array(), new byte[] {0x00, 0x00, 0x00}, zigzag(100_000_000L)); // 10^8 attrs
    for (byte[] input : List.of(gibString, hugeArray, hugeMap)) {
      com.sun.management.ThreadMXBean threads =
          (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
      long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> de.deserialize("fuzz", input))
          .isInstanceOf(CorruptRecordException.class);
      long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
      assertThat(allocated).as("bytes allocated for %s", WireFormat.hex(input)).isLessThan(MAX_BYTES_PER_INPUT);
    }
  }

  private static byte[] zigzag(long n) {
    long v = (n << 1) ^ (n >> 63);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static void fuzz(String reader, AvroDeserializer<Object> de, String topic, List<byte[]> seeds, Random random,
      int inputs) {
    int validId = WireFormat.schemaId(seeds.get(0), "seed");
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long self = Thread.currentThread().getId();
    long maxAllocated = 0;
    Map<String, Integer> outcomes = new TreeMap<>();
    for (int i = 0; i < inputs; i++) {
      byte[] input = mutate(seeds.get(random.nextInt(seeds.size())), random, validId);
      long before = threads.getThreadAllocatedBytes(self);
      try {
        de.deserialize(topic, input);
        outcomes.merge("decoded", 1, Integer::sum);
      } catch (SerializationException declared) {
        outcomes.merge(declared.getClass().getSimpleName(), 1, Integer::sum);
      } catch (Throwable other) {
        throw new AssertionError(reader + " input " + i + " (seed " + SEED + ") threw " + other + "; input: "
            + WireFormat.hex(input), other);
      }
      long allocated = threads.getThreadAllocatedBytes(self) - before;
      if (allocated > MAX_BYTES_PER_INPUT) {
        throw new AssertionError(reader + " input " + i + " allocated " + allocated + " bytes; input: "
            + WireFormat.hex(input));
      }
      maxAllocated = Math.max(maxAllocated, allocated);
    }
    LOG.info("{} reader, {} fuzzed inputs: {}; most allocated by one input: {} bytes", reader, inputs, outcomes,
        maxAllocated);
    assertThat(outcomes.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(inputs);
    assertThat(outcomes).containsKeys("decoded", "CorruptRecordException", "InvalidHeaderException",
        "UnknownSchemaIdException");
  }

  private static GenericRecord record(Random random, int size) {
    GenericRecord r = new GenericData.Record(SCHEMA);
    r.put("id", random.nextLong());
    r.put("name", "n".repeat(size));
    r.put("tags", java.util.Collections.nCopies(size, "tag"));
    Map<String, Integer> attrs = new TreeMap<>();
    for (int i = 0; i < size; i++) {
      attrs.put("k" + i, i);
    }
    r.put("attrs", attrs);
    r.put("blob", ByteBuffer.wrap(new byte[size]));
    r.put("maybe", size % 2 == 0 ? null : 1.5);
    r.put("nested", java.util.Collections.nCopies(size / 2, List.of(1L, 2L)));
    return r;
  }

  /** One mutation of {@code seed}: the body mostly, the header now and then. */
  private static byte[] mutate(byte[] seed, Random random, int validId) {
    byte[] b = seed.clone();
    switch (random.nextInt(10)) {
      case 0 -> b[0] = (byte) (1 + random.nextInt(255)); // not the magic byte
      case 1 -> b = java.util.Arrays.copyOf(b, random.nextInt(WireFormat.HEADER_BYTES)); // no whole header
      case 2 -> ByteBuffer.wrap(b).putInt(1, validId + 1 + random.nextInt(3)); // an id the registry lacks
      case 3 -> b = java.util.Arrays.copyOf(b, WireFormat.HEADER_BYTES + random.nextInt(b.length - 4)); // truncated
      case 4 -> { // a huge varint where a length or count may be
        int at = WireFormat.HEADER_BYTES + random.nextInt(b.length - WireFormat.HEADER_BYTES);
        byte[] big = {(byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x0f};
        b = splice(b, at, big);
      }
      case 5 -> b = splice(b, WireFormat.HEADER_BYTES + random.nextInt(b.length - WireFormat.HEADER_BYTES + 1),
          randomBytes(random, 1 + random.nextInt(8)));
      default -> { // flip bits in the body
        int flips = 1 + random.nextInt(4);
        for (int f = 0; f < flips && b.length > WireFormat.HEADER_BYTES; f++) {
          int at = WireFormat.HEADER_BYTES + random.nextInt(b.length - WireFormat.HEADER_BYTES);
          b[at] ^= (byte) (1 << random.nextInt(8));
        }
      }
    }
    return b;
  }

  private static byte[] splice(byte[] b, int at, byte[] insert) {
    byte[] out = new byte[b.length + insert.length];
    System.arraycopy(b, 0, out, 0, at);
    System.arraycopy(insert, 0, out, at, insert.length);
    System.arraycopy(b, at, out, at + insert.length, b.length - at);
    return out;
  }

  private static byte[] randomBytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }
}
