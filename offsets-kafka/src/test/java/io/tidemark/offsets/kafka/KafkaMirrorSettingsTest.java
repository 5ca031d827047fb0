package io.tidemark.offsets.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.ConfigException;
import io.tidemark.offsets.ConsumerGroupMirror;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A {@code kafka:} store with consumer-group mirroring: the mirror's groups must never be able to
 * be the store's own (the mirror would overwrite the positions it reads), so overlapping group
 * prefixes are refused at open, before any client connects.
 */
class KafkaMirrorSettingsTest {
  private static final URI STORE = URI.create("kafka://127.0.0.1:9");

  @ParameterizedTest(name = "kafka.group.prefix ''{0}'', mirror.group.prefix ''{1}''")
  @CsvSource({
      "tidemark., tidemark.",
      "tidemark., ''",
      "'', mirror.",
      "tidemark., tidemark.mirror.",
      "'', ''"})
  void overlappingGroupPrefixesAreRefusedAtOpen(String storePrefix, String mirrorPrefix) {
    assertThatThrownBy(() -> OffsetStores.open(STORE, Map.of("kafka.group.prefix", storePrefix,
        "mirror.bootstrap.servers", "127.0.0.1:9", "mirror.group.prefix", mirrorPrefix)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("setting 'mirror.group.prefix'")
        .hasMessageContaining("kafka.group.prefix '" + storePrefix + "'")
        .hasMessageContaining("overwrite")
        .hasMessageContaining("remove mirror.bootstrap.servers");
  }

  @Test
  void disjointGroupPrefixesAreAccepted() {
    try (OffsetStore store = OffsetStores.open(STORE, Map.of("kafka.group.prefix", "tidemark.",
        "mirror.bootstrap.servers", "127.0.0.1:9", "mirror.group.prefix", "mirror."))) {
      assertThat(ConsumerGroupMirror.of(store)).isPresent();
    }
  }
}
