package io.tidemark.testkit;

import io.tidemark.testkit.internal.TempDirs;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real standalone ZooKeeper server (Curator's {@link TestingServer}) in the test JVM, on a free
 * loopback port, with its data in a temporary directory.
 *
 * <p>As a JUnit 5 extension, declare it on a {@code static} field; outside JUnit call
 * {@link #start()} and {@link #close()}. Thread-safe: every method may be called from any thread.
 */
public final class ZooKeeperServer implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperServer.class);

  private TestingServer server;
  private Path dir;
  private Duration lastStartup = Duration.ZERO;

  /** A server that starts on {@link #start()} or in the extension's beforeAll. */
  public static ZooKeeperServer create() {
    return new ZooKeeperServer();
  }

  private ZooKeeperServer() {}

  /** Starts the server; returns once it accepts connections. */
  public synchronized ZooKeeperServer start() {
    if (server != null) {
      throw new IllegalStateException("ZooKeeper is already running at " + connectString());
    }
    long t0 = System.nanoTime();
    dir = TempDirs.create("zookeeper");
    InstanceSpec spec = loopbackSpec(dir.toFile(), InstanceSpec.getRandomPort(), -1, -1, 1);
    try {
      server = new TestingServer(spec, true);
    } catch (Exception e) {
      throw new ServerStartException("ZooKeeper did not start on 127.0.0.1:" + spec.getPort() + ": " + e, e);
    }
    lastStartup = Duration.ofNanos(System.nanoTime() - t0);
    LOG.info("ZooKeeper started in {} ms at {}", lastStartup.toMillis(), connectString());
    return this;
  }

  static InstanceSpec loopbackSpec(File dataDir, int port, int electionPort, int quorumPort, int serverId) {
    return new InstanceSpec(dataDir, port, electionPort, quorumPort, false, serverId, -1, -1,
        Map.of("clientPortAddress", "127.0.0.1", "4lw.commands.whitelist", "srvr,ruok",
            "admin.enableServer", "false"), "127.0.0.1");
  }

  /** {@code 127.0.0.1:<port>}. */
  public synchronized String connectString() {
    requireStarted();
    return server.getConnectString();
  }

  /** The client port. */
  public synchronized int port() {
    requireStarted();
    return server.getPort();
  }

  /** How long the last {@link #start()} took. */
  public Duration startupTime() {
    return lastStartup;
  }

  /** Stops the server, keeping its data (clients see connection loss). */
  public synchronized void stop() {
    requireStarted();
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop ZooKeeper: " + e, e);
    }
  }

  /** Starts a stopped server again on the same port with the same data. */
  public synchronized void restart() {
    requireStarted();
    try {
      server.restart();
    } catch (Exception e) {
      throw new ServerStartException("ZooKeeper did not restart on " + server.getConnectString() + ": " + e, e);
    }
  }

  /**
   * Expires the ZooKeeper session of {@code client} on the server, as a long GC pause or a
   * network partition would: a second connection takes over the session (same id and password)
   * and closes it, so the server drops the session and its ephemeral nodes at once. The client
   * then sees {@code Expired}, and Curator reconnects with a new session. Other clients are not
   * affected. Waits at most 30 seconds for the server to confirm.
   */
  public static void expireSession(CuratorFramework client) {
    try {
      ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
      String connectString = client.getZookeeperClient().getCurrentConnectionString();
      CountDownLatch connected = new CountDownLatch(1);
      ZooKeeper twin = new ZooKeeper(connectString, zk.getSessionTimeout(), event -> {
        if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
          connected.countDown();
        }
      }, zk.getSessionId(), zk.getSessionPasswd());
      try {
        if (!connected.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("could not attach to session 0x" + Long.toHexString(zk.getSessionId())
              + " at " + connectString + " within 30 s");
        }
      } finally {
        twin.close(30_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while expiring the session of " + client, e);
    } catch (Exception e) {
      throw new IllegalStateException("cannot expire the session of " + client + ": " + e, e);
    }
  }

  /** Stops the server and deletes its data. Idempotent. */
  @Override
  public synchronized void close() {
    if (server != null) {
      try {
        server.close();
      } catch (Exception e) {
        LOG.warn("closing ZooKeeper failed", e);
      }
      server = null;
    }
    TempDirs.deleteRecursively(dir);
    dir = null;
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
    if (server == null) {
      throw new IllegalStateException("ZooKeeper is not started: call start() first");
    }
  }
}
