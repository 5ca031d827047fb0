package io.tidemark.offsets.spi;

import io.tidemark.offsets.OffsetStore;
import java.net.URI;
import java.util.Optional;

/**
 * Opens {@link OffsetStore}s for one URI scheme. Found through {@link java.util.ServiceLoader}:
 * list the implementation in {@code META-INF/services/io.tidemark.offsets.spi.OffsetStoreProvider}.
 * Implementations must have a public no-argument constructor and be thread-safe.
 */
public interface OffsetStoreProvider {

  /** The URI scheme this provider opens, for example {@code zk}. */
  String scheme();

  /** The settings the store accepts, for validation and the generated docs. */
  ConfigDef configDef();

  /**
   * Opens a store. {@code config} holds the URI's query parameters and the caller's map, parsed
   * against {@link #configDef()}.
   *
   * @throws io.tidemark.offsets.ConfigException when the URI itself is malformed
   * @throws io.tidemark.offsets.StoreUnavailableException when the backend cannot be reached
   */
  OffsetStore open(URI uri, StoreConfig config);

  /**
   * The setting that holds the prefix of the Kafka consumer groups in which this store keeps
   * positions (a group per job: prefix plus job id), for a store that keeps them there. With it,
   * {@link io.tidemark.offsets.OffsetStores#open} refuses consumer-group mirroring
   * ({@code mirror.*}) whose groups could be the store's own: a mirror would overwrite the
   * positions the store reads. Default: none (the store keeps no consumer groups).
   */
  default Optional<ConfigKey<String>> consumerGroupPrefix() {
    return Optional.empty();
  }
}
