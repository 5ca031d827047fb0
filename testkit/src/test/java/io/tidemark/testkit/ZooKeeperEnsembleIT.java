package io.tidemark.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryForever;
import org.apache.curator.test.InstanceSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ZooKeeperEnsembleIT {

  @RegisterExtension
  static final ZooKeeperEnsemble ensemble = ZooKeeperEnsemble.create();

  @Test
  void survivesTheLeadersDeathAndTakesItBack() throws Exception {
    assertThat(ensemble.nodes()).hasSize(3);
    try (CuratorFramework client = CuratorFrameworkFactory.builder().connectString(ensemble.connectString())
        .sessionTimeoutMs(15_000).connectionTimeoutMs(5_000).retryPolicy(new RetryForever(100)).build()) {
      client.start();
      assertThat(client.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
      client.create().forPath("/before", "1".getBytes(StandardCharsets.UTF_8));

      InstanceSpec oldLeader = ensemble.killLeader();
      InstanceSpec newLeader = ensemble.awaitLeader(Duration.ofSeconds(30));
      assertThat(newLeader).isNotEqualTo(oldLeader);

      await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
          .until(() -> client.create().forPath("/after", "2".getBytes(StandardCharsets.UTF_8)) != null);
      ensemble.restart(oldLeader);
      ensemble.kill(newLeader);
      ensemble.awaitLeader(Duration.ofSeconds(30));

      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
          new String(client.getData().forPath("/before"), StandardCharsets.UTF_8).equals("1")
              && new String(client.getData().forPath("/after"), StandardCharsets.UTF_8).equals("2"));
    }
  }
}
