/**
 * JMH benchmarks and end-to-end runs of Tidemark, run from {@code benchmarks/target/benchmarks.jar} (see
 * {@code docs/benchmarks.md}). Not published.
 *
 * <ul>
 *   <li>{@link io.tidemark.benchmarks.OffsetStoreBenchmark}: commit and read latency of the
 *       {@code memory:} and {@code file:} offset stores by number of partitions, with a raw
 *       file-write anchor for quoting the file store's figures as ratios.
 *   <li>{@link io.tidemark.benchmarks.ZooKeeperCommitRun}: commit latency (p50, p99) and round
 *       trips of the {@code zk:} store against a real ZooKeeper, with Kafka's {@code commitSync}
 *       of the same offsets to a real broker as the anchor.
 * </ul>
 */
package io.tidemark.benchmarks;
