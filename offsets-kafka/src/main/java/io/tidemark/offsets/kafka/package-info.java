/**
 * The Kafka consumer-group offset store: {@link io.tidemark.offsets.kafka.KafkaOffsetStore},
 * opened from {@code kafka://} URIs by {@link io.tidemark.offsets.kafka.KafkaStoreProvider}.
 * Positions are a consumer group's committed offsets, as Spark keeps them; the commit rules are
 * checked within the driver, and the class documentation lists what Kafka's semantics do not
 * allow this store to guarantee.
 */
package io.tidemark.offsets.kafka;
