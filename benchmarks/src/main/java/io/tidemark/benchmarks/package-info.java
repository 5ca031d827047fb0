/**
 * JMH benchmarks of Tidemark, run from {@code benchmarks/target/benchmarks.jar} (see
 * {@code docs/benchmarks.md}). Not published.
 *
 * <ul>
 *   <li>{@link io.tidemark.benchmarks.OffsetStoreBenchmark}: commit and read latency of the
 *       {@code memory:} and {@code file:} offset stores by number of partitions, with a raw
 *       file-write anchor for quoting the file store's figures as ratios.
 * </ul>
 */
package io.tidemark.benchmarks;
