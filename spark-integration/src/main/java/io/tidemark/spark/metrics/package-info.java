/**
 * Tidemark's metrics, as Dropwizard metrics registered with Spark's own metrics system, so that
 * the sinks a job already has (JMX, the Prometheus servlet, Graphite, CSV, ...) report them with no
 * extra wiring: {@link io.tidemark.spark.metrics.JobMetrics} per job (commits, refusals, lag,
 * data loss, mirroring) and {@link io.tidemark.spark.metrics.AvroMetrics} per application (bad
 * records, registry calls and cache hit rate). The adapters register them; see docs/operations.md.
 */
package io.tidemark.spark.metrics;
