package io.tidemark.testkit;

import io.tidemark.testkit.internal.TempDirs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.apache.zookeeper.client.FourLetterWordMain;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real ZooKeeper ensemble (Curator's {@link TestingCluster}, three nodes by default) in the test
 * JVM, on loopback, for fault tests: kill and restart one node, the leader included. Session
 * expiry of a client works as with {@link ZooKeeperServer#expireSession}.
 *
 * <p>As a JUnit 5 extension, declare it on a {@code static} field. Thread-safe.
 */
public final class ZooKeeperEnsemble implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperEnsemble.class);

  private final int size;
  private TestingCluster cluster;
  private final List<Path> dirs = new ArrayList<>();
  private Duration lastStartup = Duration.ZERO;

  private ZooKeeperEnsemble(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("an ensemble needs at least one node, got " + size);
    }
    this.size = size;
  }

  /** A three-node ensemble. */
  public static ZooKeeperEnsemble create() {
    return new ZooKeeperEnsemble(3);
  }

  /** An ensemble of {@code size} nodes. */
  public static ZooKeeperEnsemble ofSize(int size) {
    return new ZooKeeperEnsemble(size);
  }

  /** Starts every node; returns once a leader is elected. */
  public synchronized ZooKeeperEnsemble start() {
    if (cluster != null) {
      throw new IllegalStateException("the ensemble is already running at " + connectString());
    }
    long t0 = System.nanoTime();
    List<InstanceSpec> specs = new ArrayList<>();
    for (int id = 1; id <= size; id++) {
      Path dir = TempDirs.create("zookeeper-" + id);
      dirs.add(dir);
      specs.add(ZooKeeperServer.loopbackSpec(dir.toFile(), InstanceSpec.getRandomPort(),
          InstanceSpec.getRandomPort(), InstanceSpec.getRandomPort(), id));
    }
    // A restarted member rebinds its election port, which the OS may still hold for a moment; after
    // 3 failed binds (ZooKeeper's default) ZooKeeper calls System.exit(14) in this JVM. Retry longer.
    if (System.getProperty("zookeeper.electionPortBindRetry") == null) {
      System.setProperty("zookeeper.electionPortBindRetry", "30");
    }
    cluster = new TestingCluster(specs);
    try {
      cluster.start();
    } catch (Exception e) {
      throw new ServerStartException("the ZooKeeper ensemble did not start (" + specs + "): " + e, e);
    }
    awaitLeader(Duration.ofSeconds(30));
    lastStartup = Duration.ofNanos(System.nanoTime() - t0);
    LOG.info("ZooKeeper ensemble of {} started in {} ms at {}", size, lastStartup.toMillis(), connectString());
    return this;
  }

  /** The connect string naming every node. */
  public synchronized String connectString() {
    requireStarted();
    return cluster.getConnectString();
  }

  /** How long the last {@link #start()} took. */
  public Duration startupTime() {
    return lastStartup;
  }

  /** The nodes, in server-id order. */
  public synchronized List<InstanceSpec> nodes() {
    requireStarted();
    return List.copyOf(cluster.getInstances());
  }

  /**
   * Waits until one running node is the leader and returns it.
   *
   * @throws AssertionError when no leader is elected within {@code timeout}
   */
  public InstanceSpec awaitLeader(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      InstanceSpec leader = leaderOrNull();
      if (leader != null) {
        return leader;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for a ZooKeeper leader", e);
      }
    }
    throw new AssertionError("no ZooKeeper leader elected within " + timeout);
  }

  private synchronized InstanceSpec leaderOrNull() {
    requireStarted();
    for (InstanceSpec node : cluster.getInstances()) {
      try {
        String srvr = FourLetterWordMain.send4LetterWord("127.0.0.1", node.getPort(), "srvr", false, 1000);
        if (srvr.contains("Mode: leader") || srvr.contains("Mode: standalone")) {
          return node;
        }
      } catch (Exception e) {
        // a killed or electing node does not answer: not the leader
      }
    }
    return null;
  }

  /** Kills one node (its clients lose their connection); returns whether it was running. */
  public synchronized boolean kill(InstanceSpec node) {
    requireStarted();
    try {
      return cluster.killServer(Objects.requireNonNull(node, "node"));
    } catch (Exception e) {
      throw new IllegalStateException("cannot kill ZooKeeper node " + node + ": " + e, e);
    }
  }

  /** Kills the current leader and returns it; the others elect a new one. */
  public InstanceSpec killLeader() {
    InstanceSpec leader = awaitLeader(Duration.ofSeconds(30));
    kill(leader);
    return leader;
  }

  /** Restarts a killed node with its data. */
  public synchronized void restart(InstanceSpec node) {
    requireStarted();
    try {
      cluster.restartServer(Objects.requireNonNull(node, "node"));
    } catch (Exception e) {
      throw new ServerStartException("ZooKeeper node " + node + " did not restart: " + e, e);
    }
  }

  /** Stops every node and deletes their data. Idempotent. */
  @Override
  public synchronized void close() {
    if (cluster != null) {
      try {
        cluster.close();
      } catch (Exception e) {
        LOG.warn("closing the ZooKeeper ensemble failed", e);
      }
      cluster = null;
    }
    dirs.forEach(TempDirs::deleteRecursively);
    dirs.clear();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  private void requireStarted() {
    if (cluster == null) {
      throw new IllegalStateException("the ZooKeeper ensemble is not started: call start() first");
    }
  }
}
