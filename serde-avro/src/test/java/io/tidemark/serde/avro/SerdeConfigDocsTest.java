package io.tidemark.serde.avro;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration/serde-avro.md is generated from AvroSerdeConfig.SETTINGS; this fails when it is stale. */
class SerdeConfigDocsTest {
  private static final Path DOC = Path.of(System.getProperty("tidemark.root", ".."), "docs", "configuration",
      "serde-avro.md");

  @Test
  void theCommittedReferenceMatchesTheDeclaredSettings() throws Exception {
    String fresh = "# Avro serde settings\n\n"
        + "Generated from `AvroSerdeConfig.SETTINGS`; do not edit by hand. Pass them with the Kafka client's own\n"
        + "settings (Kafka hands every setting to the serdes; the ones not listed here are ignored). The names are\n"
        + "Confluent's where the meaning is the same.\n\n" + AvroSerdeConfig.markdownTable();
    Path generated = Path.of("target", "configuration", "serde-avro.md");
    Files.createDirectories(generated.getParent());
    Files.writeString(generated, fresh, StandardCharsets.UTF_8);

    assertThat(fresh).contains("| `schema.registry.url` | list |").contains("| `auto.register.schemas` | boolean | `true` |");
    assertThat(DOC).as("the configuration reference").exists();
    assertThat(Files.readString(DOC, StandardCharsets.UTF_8))
        .as("%s is stale: copy serde-avro/%s over it (it was just generated)", DOC.normalize(), generated)
        .isEqualTo(fresh);
  }
}
