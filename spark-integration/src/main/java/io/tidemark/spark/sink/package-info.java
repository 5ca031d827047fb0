/**
 * Outputs for {@link io.tidemark.spark.DeliveryGuarantee#EXACTLY_ONCE}: a
 * {@link io.tidemark.spark.sink.TransactionalOutput} prepares before the commit and publishes
 * after it; {@link io.tidemark.spark.sink.FileBatchSink} is one, publishing each batch's
 * directory by an atomic rename.
 */
package io.tidemark.spark.sink;
