package io.tidemark.spark.avro;

import java.io.Serializable;

/**
 * A decoded Kafka record: where it came from, its original key bytes, its decoded value and the
 * schema id it was written with. The coordinates make idempotent outputs easy (a row key from
 * topic, partition and offset overwrites itself on a replay).
 *
 * @param topic the source topic
 * @param partition the source partition
 * @param offset the source offset
 * @param timestamp the record's Kafka timestamp (epoch milliseconds)
 * @param key the original key bytes (may be null)
 * @param value the decoded value (a {@code GenericRecord}, a generated class, or a primitive; null for a tombstone)
 * @param schemaId the writer schema id (-1 for a tombstone)
 * @param <T> the value type
 */
public record DecodedRecord<T>(String topic, int partition, long offset, long timestamp, byte[] key, T value,
    int schemaId) implements Serializable {
}
