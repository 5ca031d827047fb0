/**
 * The Structured Streaming adapter: {@link io.tidemark.spark.structured.TidemarkStructuredStream},
 * a Kafka source started from the store and a {@code foreachBatch} wrapper that commits each batch
 * with the chosen guarantee.
 */
package io.tidemark.spark.structured;
