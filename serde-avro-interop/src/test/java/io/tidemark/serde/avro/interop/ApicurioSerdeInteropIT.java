package io.tidemark.serde.avro.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.tidemark.serde.avro.AvroDeserializer;
import io.tidemark.serde.avro.AvroSerializer;
import io.tidemark.testkit.SchemaRegistry;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our serdes against Apicurio's {@code apicurio-registry-avro-serde-kafka} (a serde written
 * elsewhere, with its own registry client on Apicurio's v3 API), through one real Apicurio
 * Registry 3.x: the framing is the same byte for byte, and each side decodes the other's records,
 * across a schema change.
 *
 * <p>Apicurio 3.x needs Java 21+. The testkit looks for one (see {@link SchemaRegistry}); where none
 * is installed the test is skipped with the reason, except in CI ({@code CI} set), where it fails.
 */
class ApicurioSerdeInteropIT {

  private static final String REGISTRY_VERSION = "3.3.3";

  private static final Schema V1 = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Shipment\","
      + "\"namespace\":\"io.tidemark.interop\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"},"
      + "{\"name\":\"product\",\"type\":\"string\"},{\"name\":\"qty\",\"type\":\"int\"}]}");
  private static final Schema V2 = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Shipment\","
      + "\"namespace\":\"io.tidemark.interop\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"},"
      + "{\"name\":\"product\",\"type\":\"string\"},{\"name\":\"qty\",\"type\":\"int\"},"
      + "{\"name\":\"depot\",\"type\":[\"null\",\"string\"],\"default\":null}]}");

  private static SchemaRegistry registry;

  @BeforeAll
  static void startApicurio3() {
    if (!SchemaRegistry.canRun(REGISTRY_VERSION)) {
      String why = "Apicurio Registry " + REGISTRY_VERSION + " needs a Java 21+; none was found (set"
          + " -Dtidemark.registry.java=<java home>)";
      if (System.getenv("CI") != null) {
        fail(why + ". CI machines have one under /usr/lib/jvm: this interoperability proof must run there.");
      }
      assumeTrue(false, why);
    }
    registry = SchemaRegistry.builder().version(REGISTRY_VERSION).compatibility("BACKWARD").build().start();
  }

  @AfterAll
  static void stop() {
    if (registry != null) {
      registry.close();
    }
  }

  private static AvroSerializer<Object> ourSerializer() {
    AvroSerializer<Object> s = new AvroSerializer<>();
    s.configure(Map.of("schema.registry.url", registry.baseUrl()), false);
    return s;
  }

  private static AvroDeserializer<Object> ourDeserializer(Schema reader) {
    Map<String, Object> config = new HashMap<>(Map.of("schema.registry.url", registry.baseUrl()));
    if (reader != null) {
      config.put("avro.reader.schema", reader.toString());
    }
    AvroDeserializer<Object> d = new AvroDeserializer<>();
    d.configure(config, false);
    return d;
  }

  private static Map<String, Object> theirConfig() {
    return Map.of(
        "apicurio.registry.url", registry.rootUrl() + "/apis/registry/v3",
        "apicurio.registry.auto-register", "true");
  }

  private static AvroKafkaSerializer<GenericRecord> theirSerializer() {
    AvroKafkaSerializer<GenericRecord> s = new AvroKafkaSerializer<>();
    s.configure(theirConfig(), false);
    return s;
  }

  private static AvroKafkaDeserializer<GenericRecord> theirDeserializer() {
    AvroKafkaDeserializer<GenericRecord> d = new AvroKafkaDeserializer<>();
    d.configure(theirConfig(), false);
    return d;
  }

  private static GenericRecord shipment(Schema schema, long id, String product, int qty) {
    GenericRecord r = new GenericData.Record(schema);
    r.put("id", id);
    r.put("product", product);
    r.put("qty", qty);
    if (schema.getField("depot") != null) {
      r.put("depot", "depot-" + (id % 3));
    }
    return r;
  }

  private static int schemaId(byte[] framed) {
    assertThat(framed[0]).as("magic byte").isZero();
    return ByteBuffer.wrap(framed, 1, 4).getInt();
  }

  /** Decoded values compared field by field as text: the two sides may pick different string classes. */
  private static void assertSameFields(Object actual, GenericRecord expected) {
    assertThat(actual).isInstanceOf(GenericRecord.class);
    GenericRecord a = (GenericRecord) actual;
    assertThat(a.getSchema().getFields()).extracting(Schema.Field::name)
        .containsExactlyElementsOf(expected.getSchema().getFields().stream().map(Schema.Field::name).toList());
    for (Schema.Field f : expected.getSchema().getFields()) {
      assertThat(String.valueOf(a.get(f.name()))).as(f.name()).isEqualTo(String.valueOf(expected.get(f.name())));
    }
  }

  @Test
  void ourBytesDecodeWithApicuriosDeserializer() {
    try (AvroSerializer<Object> ours = ourSerializer();
        AvroKafkaDeserializer<GenericRecord> theirs = theirDeserializer()) {
      for (int i = 0; i < 50; i++) {
        GenericRecord sent = shipment(V1, i, "widget-" + i, i * 7);
        byte[] bytes = ours.serialize("interop.ours", sent);
        assertSameFields(theirs.deserialize("interop.ours", bytes), sent);
      }
    }
  }

  @Test
  void apicuriosBytesDecodeWithOurs() {
    try (AvroKafkaSerializer<GenericRecord> theirs = theirSerializer();
        AvroDeserializer<Object> ours = ourDeserializer(null)) {
      for (int i = 0; i < 50; i++) {
        GenericRecord sent = shipment(V1, i, "gadget-" + i, i);
        byte[] bytes = theirs.serialize("interop.theirs", sent);
        assertSameFields(ours.deserialize("interop.theirs", bytes), sent);
      }
    }
  }

  @Test
  void bothWriteTheSameBytesForTheSameSchemaAndRecord() {
    try (AvroKafkaSerializer<GenericRecord> theirs = theirSerializer();
        AvroSerializer<Object> ours = ourSerializer()) {
      GenericRecord sent = shipment(V1, 42, "sprocket", 3);
      // Apicurio registers first; ours then finds the same schema under the same subject
      byte[] theirBytes = theirs.serialize("interop.same", sent);
      byte[] ourBytes = ours.serialize("interop.same", sent);
      assertThat(schemaId(ourBytes)).isEqualTo(schemaId(theirBytes));
      assertThat(ourBytes).as("ours %s, theirs %s", Arrays.toString(ourBytes), Arrays.toString(theirBytes))
          .isEqualTo(theirBytes);
    }
  }

  @Test
  void aSchemaChangeMidStreamDecodesBothWaysWithoutARestart() {
    String topic = "interop.evolving";
    try (AvroKafkaSerializer<GenericRecord> theirs = theirSerializer();
        AvroSerializer<Object> ours = ourSerializer();
        AvroDeserializer<Object> oursReadingV2 = ourDeserializer(V2);
        AvroKafkaDeserializer<GenericRecord> theirReader = theirDeserializer()) {
      GenericRecord old = shipment(V1, 1, "bolt", 10);
      byte[] oldBytes = theirs.serialize(topic, old);
      // the producer moves to v2 (a new optional field): a new schema id mid-stream
      GenericRecord newer = shipment(V2, 2, "nut", 20);
      byte[] newBytes = ours.serialize(topic, newer);
      assertThat(schemaId(newBytes)).isNotEqualTo(schemaId(oldBytes));

      // ours, reading with v2, fills the default into the old record and keeps the new field
      GenericRecord oldAsV2 = shipment(V2, 1, "bolt", 10);
      oldAsV2.put("depot", null);
      assertSameFields(oursReadingV2.deserialize(topic, oldBytes), oldAsV2);
      assertSameFields(oursReadingV2.deserialize(topic, newBytes), newer);
      // theirs reads each record with its writer schema
      assertSameFields(theirReader.deserialize(topic, oldBytes), old);
      assertSameFields(theirReader.deserialize(topic, newBytes), newer);
    }
  }
}
