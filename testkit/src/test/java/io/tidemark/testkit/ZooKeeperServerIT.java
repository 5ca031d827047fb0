package io.tidemark.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryForever;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ZooKeeperServerIT {

  @RegisterExtension
  static final ZooKeeperServer zk = ZooKeeperServer.create();

  private CuratorFramework client;

  @BeforeEach
  void connect() throws InterruptedException {
    client = CuratorFrameworkFactory.builder().connectString(zk.connectString())
        .sessionTimeoutMs(10_000).connectionTimeoutMs(5_000).retryPolicy(new RetryForever(100)).build();
    client.start();
    assertThat(client.blockUntilConnected(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
  }

  @AfterEach
  void close() {
    client.close();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aMultiOpIsAppliedWhollyOrNotAtAll() throws Exception {
    client.create().creatingParentsIfNeeded().forPath("/jobs/a", bytes("0"));
    int version = client.checkExists().forPath("/jobs/a").getVersion();

    List<CuratorOp> ok = List.of(
        client.transactionOp().check().withVersion(version).forPath("/jobs/a"),
        client.transactionOp().setData().forPath("/jobs/a", bytes("10")),
        client.transactionOp().create().forPath("/jobs/b", bytes("20")));
    client.transaction().forOperations(ok);

    List<CuratorOp> stale = List.of(
        client.transactionOp().check().withVersion(version).forPath("/jobs/a"),
        client.transactionOp().setData().forPath("/jobs/b", bytes("99")));
    assertThatThrownBy(() -> client.transaction().forOperations(stale))
        .isInstanceOf(KeeperException.BadVersionException.class);

    assertThat(new String(client.getData().forPath("/jobs/a"), StandardCharsets.UTF_8)).isEqualTo("10");
    assertThat(new String(client.getData().forPath("/jobs/b"), StandardCharsets.UTF_8)).isEqualTo("20");
  }

  @Test
  void dataSurvivesAStopAndRestart() throws Exception {
    client.create().creatingParentsIfNeeded().forPath("/durable/x", bytes("kept"));

    zk.stop();
    zk.restart();

    await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
        .until(() -> new String(client.getData().forPath("/durable/x"), StandardCharsets.UTF_8).equals("kept"));
  }

  @Test
  void expireSessionExpiresExactlyThatClientsSessionOnTheServer() throws Exception {
    List<ConnectionState> states = new CopyOnWriteArrayList<>();
    client.getConnectionStateListenable().addListener((c, s) -> states.add(s));
    long before = client.getZookeeperClient().getZooKeeper().getSessionId();
    client.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL).forPath("/live/victim");
    try (CuratorFramework bystander = CuratorFrameworkFactory.builder().connectString(zk.connectString())
        .sessionTimeoutMs(60_000).connectionTimeoutMs(5_000).retryPolicy(new RetryForever(100)).build()) {
      bystander.start();
      assertThat(bystander.blockUntilConnected(10, TimeUnit.SECONDS)).isTrue();
      bystander.create().withMode(CreateMode.EPHEMERAL).forPath("/live/bystander");
      long bystanderSession = bystander.getZookeeperClient().getZooKeeper().getSessionId();
      long t0 = System.nanoTime();

      ZooKeeperServer.expireSession(client);

      // the server dropped the session: its ephemeral node is gone for everyone, well before the 10 s timeout
      await().atMost(Duration.ofSeconds(5)).until(() -> bystander.checkExists().forPath("/live/victim") == null);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
      await().atMost(Duration.ofSeconds(30)).until(() -> states.contains(ConnectionState.LOST)
          && states.get(states.size() - 1) == ConnectionState.RECONNECTED);
      assertThat(client.getZookeeperClient().getZooKeeper().getSessionId()).isNotEqualTo(before);
      assertThat(bystander.getZookeeperClient().getZooKeeper().getSessionId()).isEqualTo(bystanderSession);
      assertThat(bystander.checkExists().forPath("/live/bystander")).isNotNull();
    }
  }
}
