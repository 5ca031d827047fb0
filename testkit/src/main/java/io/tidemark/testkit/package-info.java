/**
 * Real servers for tests, started on loopback, on free ports, in temporary directories, and torn
 * down even when a test fails or the test JVM dies.
 *
 * <ul>
 *   <li>{@link io.tidemark.testkit.KafkaBroker}: Kafka 4.1.1 (KRaft) in a child JVM; topics,
 *       produce and consume helpers, stop/kill and restart with the same data, short retention.
 *   <li>{@link io.tidemark.testkit.ZooKeeperServer} and {@link io.tidemark.testkit.ZooKeeperEnsemble}:
 *       Curator's testing servers; kill and restart a node (the leader too), expire a session.
 *   <li>{@link io.tidemark.testkit.HBaseCluster}: HBase's mini-cluster; abort and restart a region
 *       server.
 *   <li>{@link io.tidemark.testkit.SchemaRegistry}: Apicurio Registry in a child JVM with the
 *       Confluent-compatible API.
 * </ul>
 *
 * <p>Each fixture is a JUnit 5 extension meant for a {@code static} {@code @RegisterExtension}
 * field (one server per test class), and an {@link java.lang.AutoCloseable} with {@code start()}
 * for use outside JUnit. Every wait is bounded: a server that cannot start throws
 * {@link io.tidemark.testkit.ServerStartException} naming the cause, with the last lines of its log.
 */
package io.tidemark.testkit;
