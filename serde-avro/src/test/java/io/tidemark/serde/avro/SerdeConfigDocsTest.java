package io.tidemark.serde.avro;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.testkit.GeneratedDocs;
import org.junit.jupiter.api.Test;

/** docs/configuration/serde-avro.md is generated from AvroSerdeConfig.SETTINGS; this fails when it is stale. */
class SerdeConfigDocsTest {

  @Test
  void theCommittedReferenceMatchesTheDeclaredSettings() {
    String fresh = "# Avro serde settings\n\n"
        + "Generated from `AvroSerdeConfig.SETTINGS`; do not edit by hand. Pass them with the Kafka client's own\n"
        + "settings (Kafka hands every setting to the serdes; the ones not listed here are ignored). The names are\n"
        + "Confluent's where the meaning is the same.\n\n" + AvroSerdeConfig.markdownTable();
    assertThat(fresh).contains("| `schema.registry.url` | list |").contains("| `auto.register.schemas` | boolean | `true` |");
    GeneratedDocs.assertCurrent("configuration/serde-avro.md", fresh);
  }
}
