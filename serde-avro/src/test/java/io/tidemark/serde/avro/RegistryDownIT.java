package io.tidemark.serde.avro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.serde.avro.registry.RegistryUnavailableException;
import io.tidemark.testkit.SchemaRegistry;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The registry stops mid-stream: records of cached schemas keep decoding; the others fail clearly. */
class RegistryDownIT {

  @RegisterExtension
  static final SchemaRegistry registry = SchemaRegistry.builder().build();

  private static GenericRecord event(Schema schema, String name) {
    GenericRecord r = new GenericData.Record(schema);
    r.put("name", name);
    return r;
  }

  @Test
  void cachedSchemasKeepDecodingAndUnknownOnesFailNamingTheRegistry() {
    Schema seen = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Seen\",\"fields\":[{\"name\":\"name\","
        + "\"type\":\"string\"}]}");
    Schema unseen = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Unseen\",\"fields\":[{\"name\":\"name\","
        + "\"type\":\"string\"}]}");
    Map<String, Object> config = Map.of("schema.registry.url", registry.baseUrl(), "schema.registry.retries", "1",
        "schema.registry.request.timeout.ms", "2000");
    AvroSerializer<GenericRecord> ser = new AvroSerializer<>();
    ser.configure(config, false);
    AvroDeserializer<GenericRecord> de = new AvroDeserializer<>();
    de.configure(config, false);
    byte[] known = ser.serialize("seen", event(seen, "a"));
    byte[] notYetRead = ser.serialize("unseen", event(unseen, "b"));
    assertThat(de.deserialize("seen", known).get("name").toString()).isEqualTo("a");

    registry.close();

    for (int i = 0; i < 100; i++) {
      assertThat(de.deserialize("seen", known).get("name").toString()).isEqualTo("a");
    }
    assertThatThrownBy(() -> de.deserialize("unseen", notYetRead)).isInstanceOf(RegistryUnavailableException.class)
        .hasMessageContaining("could not get schema").hasMessageContaining("127.0.0.1");
  }
}
