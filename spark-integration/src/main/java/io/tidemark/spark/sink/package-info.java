/**
 * Outputs for {@link io.tidemark.spark.DeliveryGuarantee#EXACTLY_ONCE}: a
 * {@link io.tidemark.spark.sink.TransactionalOutput} prepares before the commit and publishes
 * after it; {@link io.tidemark.spark.sink.FileBatchSink} is one, publishing each batch's
 * directory by an atomic rename; {@link io.tidemark.spark.sink.KafkaTransactionalSink} is another,
 * committing each task's Kafka transaction after the batch's commit (its failure to do so for a
 * committed batch: {@link io.tidemark.spark.sink.KafkaTransactionLostException}).
 */
package io.tidemark.spark.sink;
