package io.tidemark.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tidemark.testkit.internal.Jdks;
import io.tidemark.testkit.internal.RuntimeArtifacts;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/**
 * Apicurio Registry 3.3.3 on a Java 21+. It runs where such a JDK is installed and the 3.3.3
 * distribution has been fetched (build tidemark-testkit-runtime with -Dtidemark.registry.version=3.3.3);
 * elsewhere it is skipped, saying which of the two is missing.
 */
class SchemaRegistryApicurio3IT {

  private static final String V1 = "{\"type\":\"record\",\"name\":\"Shipment\",\"namespace\":\"demo\","
      + "\"fields\":[{\"name\":\"id\",\"type\":\"string\"}]}";
  private static final String V2_INCOMPATIBLE = "{\"type\":\"record\",\"name\":\"Shipment\",\"namespace\":\"demo\","
      + "\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}";

  @Test
  void registersFetchesAndRefusesAnIncompatibleSchemaOnApicurio3() {
    assumeTrue(Jdks.find(21, System.getProperty("tidemark.registry.java")).isPresent(), "no JDK 21+ installed");
    String archive = RuntimeArtifacts.properties().getProperty("registry.3.3.3.archive");
    assumeTrue(Files.isRegularFile(RuntimeArtifacts.localRepository().resolve(archive)),
        "Apicurio 3.3.3 not fetched: build tidemark-testkit-runtime with -Dtidemark.registry.version=3.3.3");

    try (SchemaRegistry registry = SchemaRegistry.builder().version("3.3.3").build().start()) {
      assertThat(registry.version()).isEqualTo("3.3.3");
      int id = registry.register("shipments-value", V1);
      assertThat(registry.schemaById(id)).contains("Shipment");
      assertThatThrownBy(() -> registry.register("shipments-value", V2_INCOMPATIBLE))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("HTTP 409");
    }
  }
}
