/**
 * For authors of offset-store backends: the {@link io.tidemark.offsets.spi.OffsetStoreProvider}
 * found through {@link java.util.ServiceLoader}, typed settings
 * ({@link io.tidemark.offsets.spi.ConfigDef}, {@link io.tidemark.offsets.spi.ConfigKey}), and the
 * commit and rewind rules as pure functions ({@link io.tidemark.offsets.spi.CommitRules}) to apply
 * under the backend's own atomic write, the readable text form of history entries
 * ({@link io.tidemark.offsets.spi.HistoryText}) and the job-id and topic-name rules
 * ({@link io.tidemark.offsets.spi.Names}) for backends that build paths or keys from them.
 */
package io.tidemark.offsets.spi;
