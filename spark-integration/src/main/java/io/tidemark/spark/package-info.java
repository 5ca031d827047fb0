/**
 * Kafka to Spark with a chosen delivery guarantee: the adapters read their start from an
 * {@link io.tidemark.offsets.OffsetStore}, run the job's output, and commit each batch's positions
 * at the point the {@link io.tidemark.spark.DeliveryGuarantee} asks for.
 *
 * <ul>
 *   <li>{@link io.tidemark.spark.dstream} — the DStream direct stream;
 *   <li>{@link io.tidemark.spark.structured} — Structured Streaming's {@code foreachBatch};
 *   <li>{@link io.tidemark.spark.sink} — outputs that make exactly-once end to end.
 * </ul>
 */
package io.tidemark.spark;
