package io.tidemark.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SchemaRegistryIT {

  @RegisterExtension
  static final SchemaRegistry registry = SchemaRegistry.builder().build();

  private static final String V1 = "{\"type\":\"record\",\"name\":\"Shipment\",\"namespace\":\"demo\","
      + "\"fields\":[{\"name\":\"id\",\"type\":\"string\"}]}";
  private static final String V2 = "{\"type\":\"record\",\"name\":\"Shipment\",\"namespace\":\"demo\","
      + "\"fields\":[{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"qty\",\"type\":\"int\",\"default\":1}]}";
  private static final String V3_INCOMPATIBLE = "{\"type\":\"record\",\"name\":\"Shipment\",\"namespace\":\"demo\","
      + "\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}";

  @Test
  void registersFetchesAndEnforcesBackwardCompatibility() {
    assertThat(registry.baseUrl()).startsWith("http://127.0.0.1:").endsWith("/apis/ccompat/v7");

    int v1 = registry.register("shipments-value", V1);
    int v2 = registry.register("shipments-value", V2);

    assertThat(v2).isNotEqualTo(v1);
    assertThat(registry.schemaById(v1)).contains("Shipment").doesNotContain("qty");
    assertThat(registry.schemaById(v2)).contains("qty");
    assertThatThrownBy(() -> registry.register("shipments-value", V3_INCOMPATIBLE))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("HTTP 409");
  }
}
