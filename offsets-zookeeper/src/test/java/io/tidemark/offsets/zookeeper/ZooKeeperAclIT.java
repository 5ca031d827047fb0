package io.tidemark.offsets.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.ConfigException;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStoreException;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.testkit.ZooKeeperServer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.kafka.common.TopicPartition;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Digest ACLs: the owner alone moves the offsets, the read-only principal reads them, others get nothing. */
class ZooKeeperAclIT {
  private static final String OWNER = "tidemark:owner-secret";
  private static final String MONITOR = "monitor:monitor-secret";
  private static final String OTHER = "mallory:other-secret";
  private static final String BUCKET = "/secured/jobs/job/offsets/orders/0";
  private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);

  @RegisterExtension
  static final ZooKeeperServer zk = ZooKeeperServer.create();

  private static OffsetStore open(String credentials) {
    return OffsetStores.open("zk://" + zk.connectString() + "/secured?zk.auth.digest=" + credentials
        + "&zk.acl.read-only=" + MONITOR + "&zk.operation.deadline=5s");
  }

  private static CuratorFramework client(String credentials) throws InterruptedException {
    CuratorFrameworkFactory.Builder b = CuratorFrameworkFactory.builder().connectString(zk.connectString())
        .retryPolicy(new RetryOneTime(100));
    if (credentials != null) {
      b.authorization("digest", credentials.getBytes(StandardCharsets.UTF_8));
    }
    CuratorFramework c = b.build();
    c.start();
    c.blockUntilConnected();
    return c;
  }

  @Test
  void onlyTheOwnerMovesTheOffsetsAndTheReadOnlyPrincipalReadsThem() throws Exception {
    long epoch;
    try (OffsetStore owner = open(OWNER)) {
      epoch = owner.claim("job");
      owner.commit(OffsetCommit.builder("job", 0, epoch).range("orders", 0, 0, 100)
          .starts(Map.of(ORDERS_0, 0L)).build());
    }

    try (CuratorFramework owner = client(OWNER); CuratorFramework anonymous = client(null)) {
      assertThat(owner.getACL().forPath(BUCKET)).containsExactlyInAnyOrder(
          new ACL(ZooDefs.Perms.ALL, new Id("digest", DigestAuthenticationProvider.generateDigest(OWNER))),
          new ACL(ZooDefs.Perms.READ, new Id("digest", DigestAuthenticationProvider.generateDigest(MONITOR))));
      assertThatThrownBy(() -> anonymous.getData().forPath(BUCKET)).isInstanceOf(KeeperException.NoAuthException.class);
      assertThatThrownBy(() -> anonymous.getACL().forPath(BUCKET)).isInstanceOf(KeeperException.NoAuthException.class);
    }
    try (CuratorFramework other = client(OTHER)) {
      assertThatThrownBy(() -> other.getData().forPath(BUCKET)).isInstanceOf(KeeperException.NoAuthException.class);
      assertThatThrownBy(() -> other.setData().forPath(BUCKET, "0 999999\n".getBytes(StandardCharsets.UTF_8)))
          .isInstanceOf(KeeperException.NoAuthException.class);
      assertThatThrownBy(() -> other.delete().forPath(BUCKET)).isInstanceOf(KeeperException.NoAuthException.class);
    }
    assertThatThrownBy(() -> open(OTHER)).isInstanceOf(OffsetStoreException.class)
        .hasMessageContaining("not authorised").hasMessageContaining("zk.auth.digest")
        .hasMessageNotContaining("other-secret");
    try (OffsetStore monitor = open(MONITOR)) {
      assertThat(monitor.read("job").positions()).containsOnly(Map.entry(ORDERS_0, 100L));
      assertThat(monitor.history("job", 10)).hasSize(1);
      assertThatThrownBy(() -> monitor.commit(OffsetCommit.builder("job", 1, epoch).range("orders", 0, 100, 200)
          .build())).isInstanceOf(OffsetStoreException.class).hasMessageContaining("not authorised")
          .hasMessageNotContaining("monitor-secret");
      assertThatThrownBy(() -> monitor.claim("job")).isInstanceOf(OffsetStoreException.class);
    }
    try (OffsetStore owner = open(OWNER)) {
      assertThat(owner.read("job").positions()).containsOnly(Map.entry(ORDERS_0, 100L));
      assertThat(owner.read("job").epoch()).isEqualTo(epoch);
      assertThat(owner.commit(OffsetCommit.builder("job", 1, epoch).range("orders", 0, 100, 200).build()))
          .isEqualTo(CommitResult.APPLIED);
      assertThat(owner.read("job").positions()).containsOnly(Map.entry(ORDERS_0, 200L));
    }
  }

  @Test
  void aReadOnlyPrincipalWithoutCredentialsIsRefused() {
    assertThatThrownBy(() -> OffsetStores.open("zk://" + zk.connectString() + "/half?zk.acl.read-only=" + MONITOR))
        .isInstanceOf(ConfigException.class).hasMessageContaining("zk.auth.digest")
        .hasMessageNotContaining("monitor-secret");
  }

  @Test
  void withoutCredentialsNodesAreOpen() {
    try (OffsetStore store = OffsetStores.open("zk://" + zk.connectString() + "/open")) {
      store.claim("job");
    }
    try (CuratorFramework anonymous = client(null)) {
      assertThat(anonymous.getACL().forPath("/open/jobs/job/epoch")).isEqualTo(List.copyOf(ZooDefs.Ids.OPEN_ACL_UNSAFE));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
