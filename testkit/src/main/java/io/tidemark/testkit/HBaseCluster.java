package io.tidemark.testkit;

import io.tidemark.testkit.internal.TempDirs;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.HashSet;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.Abortable;
import org.apache.hadoop.hbase.HBaseConfiguration;
import org.apache.hadoop.hbase.HConstants;
import org.apache.hadoop.hbase.ServerName;
import org.apache.hadoop.hbase.Stoppable;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.ConnectionFactory;
import org.apache.hadoop.hbase.regionserver.OnlineRegions;
import org.apache.hadoop.hbase.testing.TestingHBaseCluster;
import org.apache.hadoop.hbase.testing.TestingHBaseClusterOption;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real HBase mini-cluster (HBase's {@link TestingHBaseCluster}: one master, one region server,
 * one HDFS data node and its own ZooKeeper) in the test JVM, for fault tests with region-server
 * abort and restart. It takes 11 to 25 seconds to start: share one per test class.
 *
 * <p>HBase is not a dependency of the testkit: add {@code org.apache.hbase:hbase-shaded-testing-util}
 * with {@code hadoop-client-api} and {@code hadoop-client-runtime} 3.4.1 and {@code junit:junit}
 * (which the mini-cluster loads) to your tests. The unshaded {@code hbase-testing-util} brings
 * Hadoop 2.10, which needs Guava 11 and fails next to the Curator 5 that the testkit brings. The
 * JVM needs the {@code --add-opens} flags that Tidemark's build passes to every test JVM.
 *
 * <p>As a JUnit 5 extension, declare it on a {@code static} field. Thread-safe.
 */
public final class HBaseCluster implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(HBaseCluster.class);

  private TestingHBaseCluster cluster;
  private Connection connection;
  private Path dir;
  private Duration lastStartup = Duration.ZERO;
  private Properties systemPropertiesBefore;
  private Set<String> changedSystemProperties = Set.of();
  private final Duration startTimeout;

  private HBaseCluster(Duration startTimeout) {
    this.startTimeout = startTimeout;
  }

  /** A one-region-server cluster that starts on {@link #start()} or in the extension's beforeAll; start-up may take 3 minutes. */
  public static HBaseCluster create() {
    return new HBaseCluster(Duration.ofMinutes(3));
  }

  /** Like {@link #create()} with another start-up limit. */
  public static HBaseCluster create(Duration startTimeout) {
    if (startTimeout.isNegative() || startTimeout.isZero()) {
      throw new IllegalArgumentException("startTimeout must be positive, got " + startTimeout);
    }
    return new HBaseCluster(startTimeout);
  }

  /** Starts the cluster and opens a shared connection; returns once both are up. */
  public synchronized HBaseCluster start() {
    if (cluster != null) {
      throw new IllegalStateException("the HBase cluster is already running");
    }
    long t0 = System.nanoTime();
    // The mini-cluster points java.io.tmpdir, hadoop.log.dir and others at its own directories,
    // which it deletes on stop; put them back then, or later servers in this JVM fail.
    systemPropertiesBefore = (Properties) System.getProperties().clone();
    dir = TempDirs.create("hbase");
    String base = dir.toAbsolutePath().toString();
    Configuration conf = HBaseConfiguration.create();
    conf.set("hadoop.tmp.dir", base + "/hadoop");
    conf.set(HConstants.ZOOKEEPER_QUORUM, "127.0.0.1");
    // no web UIs: they would take ports beyond loopback's free ones and are of no use in tests
    conf.setInt(HConstants.MASTER_INFO_PORT, -1);
    conf.setInt(HConstants.REGIONSERVER_INFO_PORT, -1);
    TestingHBaseClusterOption option = TestingHBaseClusterOption.builder()
        .conf(conf)
        .numMasters(1)
        .numRegionServers(1)
        .numDataNodes(1)
        .build();
    cluster = TestingHBaseCluster.create(option);
    ExecutorService starter = Executors.newSingleThreadExecutor(r -> new Thread(r, "hbase-cluster-start"));
    try {
      starter.submit(() -> {
        cluster.start();
        connection = ConnectionFactory.createConnection(cluster.getConf());
        return null;
      }).get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      close();
      throw new ServerStartException("the HBase mini-cluster did not start within " + startTimeout
          + " (data under " + base + ")", e);
    } catch (ExecutionException e) {
      close();
      throw new ServerStartException("the HBase mini-cluster did not start (data under " + base + "): " + e.getCause(),
          e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new ServerStartException("interrupted while starting the HBase mini-cluster", e);
    } finally {
      starter.shutdownNow();
    }
    changedSystemProperties = changedSince(systemPropertiesBefore);
    lastStartup = Duration.ofNanos(System.nanoTime() - t0);
    LOG.info("HBase mini-cluster started in {} ms, ZooKeeper quorum {}", lastStartup.toMillis(), zookeeperQuorum());
    return this;
  }

  /** The cluster's configuration, for clients of your own. */
  public synchronized Configuration configuration() {
    requireStarted();
    return cluster.getConf();
  }

  /** {@code host:port} of the cluster's ZooKeeper, as an {@code hbase://} store URI names it. */
  public synchronized String zookeeperQuorum() {
    Configuration conf = configuration();
    return conf.get(HConstants.ZOOKEEPER_QUORUM) + ":" + conf.get(HConstants.ZOOKEEPER_CLIENT_PORT);
  }

  /** A connection owned by this fixture; do not close it. */
  public synchronized Connection connection() {
    requireStarted();
    return connection;
  }

  /** How long the last {@link #start()} took. */
  public Duration startupTime() {
    return lastStartup;
  }

  /** The region servers that are running (neither aborted nor stopped). */
  public synchronized List<ServerName> regionServers() {
    requireStarted();
    return cluster.getRegionServerAddresses().stream()
        .filter(sn -> cluster.getOnlineRegionsInterface(sn)
            .filter(rs -> !(rs instanceof Abortable a && a.isAborted()))
            .filter(rs -> !(rs instanceof Stoppable s && s.isStopped()))
            .isPresent())
        .collect(Collectors.toList());
  }

  /**
   * Aborts a region server as a crash would (no clean close of its regions); the master
   * reassigns them once another region server is up.
   */
  public synchronized void abortRegionServer(ServerName server) {
    requireStarted();
    Optional<OnlineRegions> rs = cluster.getOnlineRegionsInterface(server);
    if (rs.isEmpty() || !(rs.get() instanceof Abortable)) {
      throw new IllegalArgumentException("no live region server " + server + "; live: " + regionServers());
    }
    ((Abortable) rs.get()).abort("aborted by tidemark-testkit", new IOException("test-injected region server abort"));
  }

  /** Stops a region server cleanly and waits for it to exit. */
  public synchronized void stopRegionServer(ServerName server) {
    requireStarted();
    try {
      cluster.stopRegionServer(server).get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop region server " + server + ": " + e, e);
    }
  }

  /** Starts a new region server. */
  public synchronized void startRegionServer() {
    requireStarted();
    try {
      cluster.startRegionServer();
    } catch (Exception e) {
      throw new ServerStartException("a region server did not start: " + e, e);
    }
  }

  /** Closes the connection, stops the cluster and deletes its data. Idempotent. */
  @Override
  public synchronized void close() {
    if (connection != null) {
      try {
        connection.close();
      } catch (IOException e) {
        LOG.warn("closing the HBase connection failed", e);
      }
      connection = null;
    }
    if (cluster != null) {
      try {
        cluster.stop();
      } catch (Exception e) {
        LOG.warn("stopping the HBase mini-cluster failed", e);
      }
      cluster = null;
    }
    TempDirs.deleteRecursively(dir);
    dir = null;
    restoreSystemProperties();
  }

  /** The keys whose values differ from {@code before}: the ones the mini-cluster set. */
  private static Set<String> changedSince(Properties before) {
    Set<String> changed = new HashSet<>();
    for (String key : System.getProperties().stringPropertyNames()) {
      if (!Objects.equals(before.getProperty(key), System.getProperty(key))) {
        changed.add(key);
      }
    }
    return changed;
  }

  /** Puts back the system properties the mini-cluster changed while starting, and only those. */
  private void restoreSystemProperties() {
    if (systemPropertiesBefore == null) {
      return;
    }
    for (String key : changedSystemProperties) {
      String before = systemPropertiesBefore.getProperty(key);
      if (before == null) {
        System.clearProperty(key);
      } else {
        System.setProperty(key, before);
      }
    }
    systemPropertiesBefore = null;
    changedSystemProperties = Set.of();
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
      throw new IllegalStateException("the HBase cluster is not started: call start() first");
    }
  }
}
