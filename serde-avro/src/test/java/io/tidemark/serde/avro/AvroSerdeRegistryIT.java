package io.tidemark.serde.avro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tidemark.serde.avro.registry.CachingSchemaRegistryClient;
import io.tidemark.serde.avro.registry.IncompatibleSchemaException;
import io.tidemark.serde.avro.registry.RegistryException;
import io.tidemark.serde.avro.registry.RestSchemaRegistryClient;
import io.tidemark.serde.avro.registry.SchemaNotFoundException;
import io.tidemark.serde.avro.registry.SchemaRegistryClient;
import io.tidemark.serde.avro.registry.SubjectNotFoundException;
import io.tidemark.serde.avro.test.Order;
import io.tidemark.testkit.SchemaRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The serdes and the registry client against a real schema registry (Apicurio, Confluent-compatible API). */
class AvroSerdeRegistryIT {

  @RegisterExtension
  static final SchemaRegistry registry = SchemaRegistry.builder().build();

  private static final Schema V1 = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Click\","
      + "\"namespace\":\"io.tidemark.it\",\"fields\":[{\"name\":\"user\",\"type\":\"string\"},"
      + "{\"name\":\"page\",\"type\":\"string\"}]}");
  private static final Schema V2 = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Click\","
      + "\"namespace\":\"io.tidemark.it\",\"fields\":[{\"name\":\"user\",\"type\":\"string\"},"
      + "{\"name\":\"page\",\"type\":\"string\"},{\"name\":\"ms\",\"type\":\"long\",\"default\":0}]}");

  @BeforeAll
  static void backwardCompatibility() {
    registry.setCompatibility("BACKWARD"); // Apicurio's default is NONE
  }

  private static RestSchemaRegistryClient rest() {
    return RestSchemaRegistryClient.builder(registry.baseUrl()).build();
  }

  private static SchemaRegistryClient cached(SchemaRegistryClient real) {
    return CachingSchemaRegistryClient.builder(real).build();
  }

  private static GenericRecord click(Schema schema, String user, String page) {
    GenericRecord r = new GenericData.Record(schema);
    r.put("user", user);
    r.put("page", page);
    if (schema.getField("ms") != null) {
      r.put("ms", 1234L);
    }
    return r;
  }

  private static byte[] rawAvro(Schema schema, Object datum) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder e = EncoderFactory.get().directBinaryEncoder(out, null);
    new GenericDatumWriter<>(schema).write(datum, e);
    e.flush();
    return out.toByteArray();
  }

  @Test
  void aGenericRecordIsTheMagicByteTheIdAndTheAvroBody() throws Exception {
    SchemaRegistryClient client = cached(rest());
    AvroSerializer<GenericRecord> ser = new AvroSerializer<>(client);
    ser.configure(Map.of(), false);
    GenericRecord click = click(V1, "ada", "/home");

    byte[] bytes = ser.serialize("clicks", click);

    int id = client.id("clicks-value", V1);
    ByteBuffer expected = ByteBuffer.allocate(5 + rawAvro(V1, click).length).put((byte) 0).putInt(id).put(rawAvro(V1, click));
    assertThat(bytes).isEqualTo(expected.array());
    AvroDeserializer<GenericRecord> de = new AvroDeserializer<>(client);
    de.configure(Map.of(), false);
    assertThat(de.deserialize("clicks", bytes)).isEqualTo(click);
    assertThat(ser.serialize("clicks", null)).isNull();
    assertThat(de.deserialize("clicks", null)).isNull();
  }

  @Test
  void specificRecordsAndPrimitivesRoundTrip() {
    SchemaRegistryClient client = cached(rest());
    AvroSerializer<Object> ser = new AvroSerializer<>(client);
    ser.configure(Map.of(), false);
    Order order = Order.newBuilder().setId(7).setCustomer("acme").setAmount(12.5).build();
    byte[] bytes = ser.serialize("orders", order);
    AvroDeserializer<Object> untrusted = new AvroDeserializer<>(client);
    untrusted.configure(Map.of("specific.avro.reader", "true"), false);
    assertThatThrownBy(() -> untrusted.deserialize("orders", bytes))
        .hasMessageContaining("names class io.tidemark.serde.avro.test.Order, which Avro does not trust")
        .hasMessageContaining("specific.avro.trusted.packages");
    AvroDeserializer<Object> specific = new AvroDeserializer<>(client);
    specific.configure(Map.of("specific.avro.reader", "true", "specific.avro.trusted.packages",
        "io.tidemark.serde.avro.test"), false);
    assertThat(specific.deserialize("orders", bytes)).isEqualTo(order);

    AvroSerializer<Object> keys = new AvroSerializer<>(client);
    keys.configure(Map.of(), true);
    AvroDeserializer<Object> generic = new AvroDeserializer<>(client);
    generic.configure(Map.of(), true);
    assertThat(generic.deserialize("orders", keys.serialize("orders", 42L))).isEqualTo(42L);
    // a specific reader reads values that have no generated class as they were written
    AvroDeserializer<Object> specificKeys = new AvroDeserializer<>(client);
    specificKeys.configure(Map.of("specific.avro.reader", "true"), true);
    assertThat(specificKeys.deserialize("orders", keys.serialize("orders", 42L))).isEqualTo(42L);
    assertThat(generic.deserialize("orders-str", keys.serialize("orders-str", "k1")).toString()).isEqualTo("k1");
    assertThat((ByteBuffer) generic.deserialize("orders-bytes", keys.serialize("orders-bytes", new byte[] {1, 2})))
        .isEqualTo(ByteBuffer.wrap(new byte[] {1, 2}));
    assertThat(client.subjects()).contains("orders-value", "orders-key", "orders-str-key");
  }

  @Test
  void evolutionOnReadAndANewWriterSchemaMidStream() {
    SchemaRegistryClient client = cached(rest());
    AvroSerializer<GenericRecord> ser = new AvroSerializer<>(client);
    ser.configure(Map.of(), false);
    AvroDeserializer<GenericRecord> asV2 = new AvroDeserializer<>(client);
    asV2.configure(Map.of("avro.reader.schema", V2.toString()), false);
    AvroDeserializer<GenericRecord> asWritten = new AvroDeserializer<>(client);
    asWritten.configure(Map.of(), false);

    byte[] old = ser.serialize("evolving", click(V1, "ada", "/a"));
    GenericRecord upgraded = asV2.deserialize("evolving", old);
    assertThat(upgraded.get("ms")).isEqualTo(0L); // the reader's default for a field the writer did not have

    byte[] newer = ser.serialize("evolving", click(V2, "bob", "/b")); // registers V2 mid-stream
    assertThat(asWritten.deserialize("evolving", newer).get("ms")).isEqualTo(1234L);
    assertThat(asWritten.deserialize("evolving", old).getSchema()).isEqualTo(V1);
    assertThat(client.versions("evolving-value")).hasSize(2);
  }

  @Test
  void anIncompatibleSchemaIsRefusedWithTheRegistrysConflict() {
    SchemaRegistryClient client = rest();
    client.register("strict-value", V1);
    Schema incompatible = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Click\","
        + "\"namespace\":\"io.tidemark.it\",\"fields\":[{\"name\":\"user\",\"type\":\"int\"}]}");

    assertThat(client.isCompatible("strict-value", incompatible)).isFalse();
    assertThat(client.isCompatible("strict-value", V2)).isTrue();
    assertThatThrownBy(() -> client.register("strict-value", incompatible))
        .isInstanceOfSatisfying(IncompatibleSchemaException.class, e -> assertThat(e.status()).isEqualTo(409))
        .hasMessageContaining("refused to register a schema under strict-value: HTTP 409");
    assertThatThrownBy(() -> client.latest("no-such-subject")).isInstanceOf(SubjectNotFoundException.class)
        .hasMessageContaining("40401");
  }

  @Test
  void compatibilityLevelsCanBeReadAndSet() {
    SchemaRegistryClient client = rest();
    client.register("configured-value", V1);
    client.setCompatibility(Optional.of("configured-value"), "FULL");
    assertThat(client.compatibility(Optional.of("configured-value"))).isEqualTo("FULL");
    assertThat(client.compatibility(Optional.empty())).isEqualTo("BACKWARD");
  }

  @Test
  void anUnknownIdNamesTheIdAndTheRegistryAndIsNotAskedAgainAtOnce() {
    CountingClient counting = new CountingClient(rest());
    AvroDeserializer<Object> de = new AvroDeserializer<>(cached(counting));
    de.configure(Map.of(), false);
    byte[] poison = {0, 0x7f, 0x7f, 0x7f, 0x7f, 2, 'x'};

    for (int i = 0; i < 5; i++) {
      assertThatThrownBy(() -> de.deserialize("t", poison)).isInstanceOfSatisfying(UnknownSchemaIdException.class,
          e -> assertThat(e.id()).isEqualTo(0x7f7f7f7f)).hasMessageContaining("schema id 2139062143")
          .hasMessageContaining(registry.baseUrl());
    }
    assertThat(counting.calls).as("registry calls for five poison records").hasValue(1);
  }

  @Test
  void afterWarmUpNoRecordCallsTheRegistryAndConcurrentMissesMakeOneRequest() throws Exception {
    SchemaRegistryClient writerClient = cached(rest());
    AvroSerializer<GenericRecord> ser = new AvroSerializer<>(writerClient);
    ser.configure(Map.of(), false);
    byte[] bytes = ser.serialize("hot", click(V1, "ada", "/x"));

    CountingClient counting = new CountingClient(rest());
    AvroDeserializer<GenericRecord> de = new AvroDeserializer<>(cached(counting));
    de.configure(Map.of(), false);
    int threads = 8;
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> readers = new CopyOnWriteArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "reader-" + readers.size());
      readers.add(t);
      return t;
    });
    // the one request waits until every other reader is parked behind it: the misses truly overlap
    counting.beforeSchemaById = () -> {
      Thread requester = Thread.currentThread();
      await().atMost(Duration.ofSeconds(20)).until(() -> readers.stream().filter(t -> t != requester)
          .filter(t -> t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING)
          .count() == threads - 1);
    };
    try {
      List<Future<GenericRecord>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(pool.submit(() -> {
          go.await();
          return de.deserialize("hot", bytes);
        }));
      }
      go.countDown();
      for (Future<GenericRecord> f : results) {
        assertThat(f.get().get("user").toString()).isEqualTo("ada");
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(counting.calls).as("requests for %d concurrent first reads of one id", threads).hasValue(1);
    for (int i = 0; i < 1_000; i++) {
      de.deserialize("hot", bytes);
    }
    assertThat(counting.calls).as("requests after 1,000 more records").hasValue(1);
  }

  @Test
  void useLatestAndUseSchemaIdWriteInThatSchemasLayoutAndRefuseWhatItCannotRead() {
    SchemaRegistryClient client = cached(rest());
    int v1 = client.register("fixed-value", V1);
    int v2 = client.register("fixed-value", V2);
    AvroDeserializer<GenericRecord> de = new AvroDeserializer<>(client);
    de.configure(Map.of(), false);

    AvroSerializer<GenericRecord> latest = new AvroSerializer<>(client);
    latest.configure(Map.of("use.latest.version", "true", "auto.register.schemas", "false"), false);
    byte[] asV2 = latest.serialize("fixed", click(V1, "ada", "/a"));
    assertThat(ByteBuffer.wrap(asV2, 1, 4).getInt()).isEqualTo(v2);
    GenericRecord read = de.deserialize("fixed", asV2);
    assertThat(read.getSchema()).isEqualTo(V2);
    assertThat(read.get("user").toString()).isEqualTo("ada");
    assertThat(read.get("page").toString()).isEqualTo("/a");
    assertThat(read.get("ms")).as("the default of the field the record lacks").isEqualTo(0L);

    AvroSerializer<GenericRecord> pinned = new AvroSerializer<>(client);
    pinned.configure(Map.of("use.schema.id", String.valueOf(v1), "auto.register.schemas", "false"), false);
    GenericRecord fromV2 = de.deserialize("fixed", pinned.serialize("fixed", click(V2, "bob", "/b")));
    assertThat(fromV2.getSchema()).isEqualTo(V1);
    assertThat(fromV2.get("user").toString()).isEqualTo("bob");

    Schema pageAsNumber = new Schema.Parser().parse(V1.toString().replace(
        "{\"name\":\"page\",\"type\":\"string\"}", "{\"name\":\"page\",\"type\":\"int\"}"));
    GenericRecord odd = new GenericData.Record(pageAsNumber);
    odd.put("user", "eve");
    odd.put("page", 3);
    assertThatThrownBy(() -> latest.serialize("fixed", odd))
        .isInstanceOf(org.apache.kafka.common.errors.SerializationException.class)
        .hasMessageContaining("as schema " + v2 + " (use.latest.version)")
        .hasMessageContaining("cannot read the record's schema").hasMessageContaining("TYPE_MISMATCH at /fields/1/type");
  }

  @Test
  void aReaderSchemaThatCannotReadTheWriterIsAConfigurationErrorNotACorruptRecord() {
    SchemaRegistryClient client = cached(rest());
    AvroSerializer<GenericRecord> ser = new AvroSerializer<>(client);
    ser.configure(Map.of(), false);
    byte[] bytes = ser.serialize("reader-mismatch", click(V1, "ada", "/a"));
    Schema needsMs = new Schema.Parser().parse(V2.toString().replace(",\"default\":0", ""));
    AvroDeserializer<GenericRecord> de = new AvroDeserializer<>(client);
    de.configure(Map.of("avro.reader.schema", needsMs.toString()), false);
    assertThatThrownBy(() -> de.deserialize("reader-mismatch", bytes)).isInstanceOf(ReaderSchemaException.class)
        .isNotInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("cannot read writer schema").hasMessageContaining("READER_FIELD_MISSING_DEFAULT_VALUE")
        .hasMessageContaining("avro.reader.schema");
  }

  @Test
  void contradictorySettingsAreRefusedAtConfigure() {
    SchemaRegistryClient client = cached(rest());
    assertThatThrownBy(() -> new AvroSerializer<>(client).configure(Map.of("use.schema.id", "1",
        "use.latest.version", "true", "auto.register.schemas", "false"), false))
        .isInstanceOf(org.apache.kafka.common.config.ConfigException.class).hasMessageContaining("choose one");
    assertThatThrownBy(() -> new AvroSerializer<>(client).configure(Map.of("use.latest.version", "true"), false))
        .isInstanceOf(org.apache.kafka.common.config.ConfigException.class)
        .hasMessageContaining("auto.register.schemas=false");
    assertThatThrownBy(() -> new AvroSerdeConfig(Map.of("schema.registry.url", registry.baseUrl(),
        "basic.auth.user.info", "u:p", "bearer.auth.token", "t")).client())
        .isInstanceOf(org.apache.kafka.common.config.ConfigException.class).hasMessageContaining("both set")
        .hasMessageNotContaining("u:p");
  }

  @Test
  void corruptAndHostileBodiesAreTypedErrors() throws Exception {
    SchemaRegistryClient client = cached(rest());
    AvroSerializer<GenericRecord> ser = new AvroSerializer<>(client);
    ser.configure(Map.of(), false);
    AvroDeserializer<GenericRecord> de = new AvroDeserializer<>(client);
    de.configure(Map.of(), false);
    byte[] good = ser.serialize("bad-input", click(V1, "ada", "/x"));

    byte[] truncated = Arrays.copyOf(good, good.length - 2);
    assertThatThrownBy(() -> de.deserialize("bad-input", truncated)).isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("cannot be decoded");
    byte[] trailing = Arrays.copyOf(good, good.length + 3);
    assertThatThrownBy(() -> de.deserialize("bad-input", trailing)).isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("bytes after its Avro body");
    byte[] hostile = Arrays.copyOf(good, good.length);
    hostile[5] = (byte) 0xfe; // the first string's length as a huge zig-zag varint
    hostile[6] = (byte) 0xff;
    assertThatThrownBy(() -> de.deserialize("bad-input", hostile)).isInstanceOf(CorruptRecordException.class);
    assertThatThrownBy(() -> de.deserialize("bad-input", new byte[] {1, 2, 3, 4, 5, 6}))
        .isInstanceOf(InvalidHeaderException.class).hasMessageContaining("01 02 03 04 05 06");
    assertThat(de.deserialize("bad-input", good).get("user").toString()).isEqualTo("ada");
  }

  @Test
  void aWrongRegistryUrlIsNotMistakenForAnUnknownSchema() {
    String root = registry.baseUrl().replace(SchemaRegistry.CCOMPAT_PATH, "");
    RestSchemaRegistryClient wrong = RestSchemaRegistryClient.builder(root).retries(0).build();
    assertThatThrownBy(() -> wrong.schema(1)).isInstanceOf(RegistryException.class)
        .isNotInstanceOf(SchemaNotFoundException.class).hasMessageContaining("Is the registry URL right");
  }

  @Test
  void credentialsNeverShowInDescriptions() {
    RestSchemaRegistryClient client = RestSchemaRegistryClient.builder(registry.baseUrl()).basicAuth("svc", "s3cret")
        .build();
    assertThat(client.toString()).doesNotContain("s3cret").doesNotContain("svc");
    assertThatThrownBy(() -> RestSchemaRegistryClient.builder("http://svc:s3cret@registry:8081").build())
        .hasMessageNotContaining("s3cret").hasMessageContaining("carries credentials");
  }
}
