/**
 * Registry-framed Avro in Spark: {@link io.tidemark.spark.avro.AvroDecoding} decodes Kafka records
 * in RDDs and Datasets with one schema cache per executor JVM, and sends records that cannot be
 * decoded where the {@link io.tidemark.spark.avro.BadRecordPolicy} says.
 */
package io.tidemark.spark.avro;
