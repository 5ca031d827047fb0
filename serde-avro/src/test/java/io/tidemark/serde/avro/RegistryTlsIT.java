package io.tidemark.serde.avro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.serde.avro.registry.RegistryTlsException;
import io.tidemark.testkit.SchemaRegistry;
import io.tidemark.testkit.TlsFiles;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The serdes over HTTPS to a real registry, configured only through the serde settings: one
 * registry serving TLS, one demanding client certificates (mutual TLS). A handshake that fails
 * is a {@link RegistryTlsException} at once, naming the settings to check, and no password shows.
 */
class RegistryTlsIT {

  @TempDir
  static Path dir;

  private static TlsFiles files;
  private static SchemaRegistry tls;
  private static SchemaRegistry mutualTls;

  private static final Schema SCHEMA = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Ping\","
      + "\"namespace\":\"io.tidemark.it\",\"fields\":[{\"name\":\"n\",\"type\":\"int\"}]}");

  @BeforeAll
  static void start() {
    files = TlsFiles.generate(dir.resolve("tls"));
    tls = SchemaRegistry.builder().tls(files, false).build().start();
    mutualTls = SchemaRegistry.builder().tls(files, true).build().start();
  }

  @AfterAll
  static void stop() {
    for (SchemaRegistry r : new SchemaRegistry[] {tls, mutualTls}) {
      if (r != null) {
        r.close();
      }
    }
  }

  private static Map<String, Object> settings(SchemaRegistry registry, boolean truststore, boolean keystore) {
    Map<String, Object> s = new HashMap<>(Map.of("schema.registry.url", registry.tlsBaseUrl(),
        "schema.registry.retries", "2"));
    if (truststore) {
      s.put("schema.registry.ssl.truststore.location", files.serverTrustStore().toString());
      s.put("schema.registry.ssl.truststore.password", files.password());
    }
    if (keystore) {
      s.put("schema.registry.ssl.keystore.location", files.clientKeyStore().toString());
      s.put("schema.registry.ssl.keystore.password", files.password());
    }
    return s;
  }

  private static GenericRecord ping(int n) {
    GenericRecord r = new GenericData.Record(SCHEMA);
    r.put("n", n);
    return r;
  }

  private static void assertRoundTrip(Map<String, Object> settings, String topic) {
    try (AvroSerializer<Object> ser = new AvroSerializer<>(); AvroDeserializer<Object> de = new AvroDeserializer<>()) {
      ser.configure(settings, false);
      de.configure(settings, false);
      assertThat(de.deserialize(topic, ser.serialize(topic, ping(7)))).isEqualTo(ping(7));
    }
  }

  private static void assertTlsFailure(Map<String, Object> settings, String topic, String expected) {
    try (AvroSerializer<Object> ser = new AvroSerializer<>()) {
      ser.configure(settings, false);
      assertThatThrownBy(() -> ser.serialize(topic, ping(1)))
          .satisfies(e -> {
            Throwable t = e;
            while (t != null && !(t instanceof RegistryTlsException)) {
              t = t.getCause();
            }
            assertThat(t).as("a RegistryTlsException in %s", e).isNotNull();
            assertThat(t.getMessage()).contains(expected).contains("schema.registry.ssl.truststore.location")
                .contains("schema.registry.ssl.keystore.location").doesNotContain(files.password());
          });
    }
  }

  @Test
  void withTheRegistrysCertificateTrustedRecordsRoundTripOverHttps() {
    assertRoundTrip(settings(tls, true, false), "tls.ok");
  }

  @Test
  void withoutTrustingTheRegistryTheHandshakeFailsClearly() {
    assertTlsFailure(settings(tls, false, false), "tls.untrusted", "TLS with the schema registry at https://127.0.0.1");
  }

  @Test
  void mutualTlsWorksWithTheClientCertificate() {
    assertRoundTrip(settings(mutualTls, true, true), "mtls.ok");
  }

  @Test
  void mutualTlsWithoutAClientCertificateFailsClearly() {
    assertTlsFailure(settings(mutualTls, true, false), "mtls.nocert", "TLS with the schema registry at https://127.0.0.1");
  }
}
