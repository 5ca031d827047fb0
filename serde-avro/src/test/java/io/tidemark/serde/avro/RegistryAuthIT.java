package io.tidemark.serde.avro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.serde.avro.registry.RegistryAuthException;
import io.tidemark.testkit.SchemaRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The serdes against a real registry that demands an OIDC bearer token on every request,
 * configured only through the serde settings. A refused or missing credential is a
 * {@link RegistryAuthException}, and the token never shows in it.
 */
class RegistryAuthIT {

  @RegisterExtension
  static final SchemaRegistry registry = SchemaRegistry.builder().bearerAuth().build();

  private static final Schema SCHEMA = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Ping\","
      + "\"namespace\":\"io.tidemark.it\",\"fields\":[{\"name\":\"n\",\"type\":\"int\"}]}");

  private static GenericRecord ping(int n) {
    GenericRecord r = new GenericData.Record(SCHEMA);
    r.put("n", n);
    return r;
  }

  private static Map<String, Object> settings(String credentialSetting, String value) {
    Map<String, Object> s = new HashMap<>(Map.of("schema.registry.url", registry.baseUrl(),
        "schema.registry.retries", "3"));
    if (credentialSetting != null) {
      s.put(credentialSetting, value);
    }
    return s;
  }

  private static RegistryAuthException refusal(Map<String, Object> settings, String topic) {
    try (AvroSerializer<Object> ser = new AvroSerializer<>()) {
      ser.configure(settings, false);
      // that a refusal is not retried is counted in RestClientHttpTest
      Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> ser.serialize(topic, ping(1)));
      assertThat(thrown).isInstanceOf(RegistryAuthException.class);
      return (RegistryAuthException) thrown;
    }
  }

  @Test
  void withAValidBearerTokenRecordsRoundTrip() {
    Map<String, Object> settings = settings("bearer.auth.token", registry.issueToken("orders-job", Duration.ofMinutes(5)));
    try (AvroSerializer<Object> ser = new AvroSerializer<>(); AvroDeserializer<Object> de = new AvroDeserializer<>()) {
      ser.configure(settings, false);
      de.configure(settings, false);
      assertThat(de.deserialize("auth.ok", ser.serialize("auth.ok", ping(3)))).isEqualTo(ping(3));
    }
  }

  @Test
  void withoutCredentialsTheRefusalSaysWhatToSet() {
    RegistryAuthException e = refusal(settings(null, null), "auth.none");
    assertThat(e.status()).isEqualTo(401);
    assertThat(e).hasMessageContaining("basic.auth.user.info or bearer.auth.token");
  }

  @Test
  void anExpiredTokenIsRefusedAndNeverShown() {
    String expired = registry.issueToken("orders-job", Duration.ofMinutes(-10));
    RegistryAuthException e = refusal(settings("bearer.auth.token", expired), "auth.expired");
    assertThat(e.status()).isEqualTo(401);
    assertThat(e.getMessage()).doesNotContain(expired).doesNotContain(expired.substring(expired.lastIndexOf('.') + 1));
  }

  @Test
  void basicCredentialsAreRefusedByATokenOnlyRegistryAndNeverShown() {
    RegistryAuthException e = refusal(settings("basic.auth.user.info", "svc:s3cret-basic"), "auth.basic");
    assertThat(e.status()).isEqualTo(401);
    assertThat(e.getMessage()).doesNotContain("s3cret-basic");
  }
}
