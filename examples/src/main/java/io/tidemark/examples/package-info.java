/**
 * Example jobs to copy: each is an ordinary Spark application with a {@code main} that runs
 * locally ({@code local[2]} unless {@code spark.master} is set) and under {@code spark-submit}.
 *
 * <ul>
 *   <li>{@link io.tidemark.examples.dashboard.DashboardJob}: products shipped per minute, exactly
 *       once into HBase (or files), offsets in ZooKeeper, HBase or a file;
 *   <li>{@link io.tidemark.examples.fraud.FraudDetectionJob}: card spending over a per-card limit
 *       within a window, at least once, malformed records to a dead-letter topic;
 *   <li>{@link io.tidemark.examples.evolution.SchemaEvolutionJob} and
 *       {@link io.tidemark.examples.evolution.EvolvingProducer}: a producer moving from schema v1
 *       to v2 while the job runs, and an incompatible v3 refused at registration;
 *   <li>{@link io.tidemark.examples.demo.Demo}: the one-command demo behind {@code bin/demo}.
 * </ul>
 *
 * <p>{@link io.tidemark.examples.JobOptions} reads the jobs' {@code --name value} options.
 */
package io.tidemark.examples;
