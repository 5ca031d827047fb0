/**
 * Tidemark's metrics, as Dropwizard metrics registered with Spark's own metrics system, so that
 * the sinks a job already has (JMX, the Prometheus servlet, Graphite, CSV, ...) report them with no
 * extra wiring: {@link io.tidemark.spark.metrics.JobMetrics} per job, in the source
 * {@code tidemark.job.<job>} (commits, refusals, lag, data loss, mirroring), and, per application,
 * the source {@code tidemark.avro} of {@code AvroDecoding} (bad records by policy, registry calls
 * and cache hit rate). The adapters register them; docs/operations.md lists every metric.
 */
package io.tidemark.spark.metrics;
