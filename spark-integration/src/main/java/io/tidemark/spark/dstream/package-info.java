/**
 * The DStream adapter: {@link io.tidemark.spark.dstream.TidemarkDirectStream}, a Kafka direct
 * stream started from the store, whose {@code foreachBatch} hands over typed
 * {@link io.tidemark.spark.dstream.KafkaBatch}es and commits each with the chosen guarantee.
 */
package io.tidemark.spark.dstream;
