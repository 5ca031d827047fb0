package io.tidemark.offsets.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.testkit.GeneratedDocs;
import org.junit.jupiter.api.Test;

/** docs/configuration/offsets-kafka.md is generated from the kafka: store's settings; this fails when it is stale. */
class KafkaConfigDocsTest {

  static String render() {
    return "# Kafka consumer-group offset store settings\n\n"
        + "Generated from the settings the `kafka:` store declares; do not edit by hand. Settings go in the store URI's\n"
        + "query (`kafka://broker1:9092,broker2:9092?kafka.refresh.interval=30m`) or in the map passed to\n"
        + "`OffsetStores.open(uri, config)`. What the store can and cannot guarantee is in\n"
        + "[the Kafka store guide](../offsets-kafka.md).\n\n"
        + new KafkaStoreProvider().configDef().markdownTable();
  }

  @Test
  void theCommittedReferenceMatchesTheDeclaredSettings() {
    String fresh = render();
    assertThat(fresh).contains("| `kafka.group.prefix` | string | `tidemark.` |").contains("| `kafka.request.timeout` | duration | `30s` |");
    GeneratedDocs.assertCurrent("configuration/offsets-kafka.md", fresh);
  }
}
