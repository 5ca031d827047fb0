package io.tidemark.offsets.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.CommitTooLargeException;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.offsets.StoreCorruptedException;
import io.tidemark.offsets.StoreUnavailableException;
import io.tidemark.testkit.ZooKeeperServer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The znode layout as humans and tools see it, and the size of a wide commit's transaction. */
class ZooKeeperLayoutIT {
  private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperLayoutIT.class);

  @RegisterExtension
  static final ZooKeeperServer zk = ZooKeeperServer.create();

  private static CuratorFramework client() throws InterruptedException {
    CuratorFramework c = CuratorFrameworkFactory.newClient(zk.connectString(), new RetryOneTime(100));
    c.start();
    c.blockUntilConnected();
    return c;
  }

  @Test
  void offsetsArePlainDecimalTextInReadableZnodes() throws Exception {
    try (CuratorFramework c = client();
        ZooKeeperOffsetStore store = ZooKeeperOffsetStore.builder(c).root("/layout").build()) {
      long epoch = store.claim("orders-job");
      store.commit(OffsetCommit.builder("orders-job", 0, epoch).range("orders", 0, 0, 120).range("orders", 1, 5, 17)
          .starts(Map.of(new TopicPartition("orders", 0), 0L, new TopicPartition("orders", 1), 5L)).build());

      assertThat(text(c, "/layout/jobs/orders-job/offsets/orders/0")).isEqualTo("0 120\n1 17\n");
      assertThat(text(c, "/layout/jobs/orders-job/epoch")).isEqualTo("1");
      assertThat(text(c, "/layout/jobs/orders-job/head")).startsWith("batch 0\nhistory 1\nhistory-first 1\ntime ")
          .endsWith("\nbucket orders 0\n");
      assertThat(text(c, "/layout/jobs/orders-job/history/00000000000000000001"))
          .contains("kind commit").contains("range orders 0 0 120").contains("range orders 1 5 17");
    }
    // a store built around the caller's client never closes it
  }

  @Test
  void aTenThousandPartitionCommitIsOneSmallTransaction() throws Exception {
    try (CuratorFramework c = client();
        ZooKeeperOffsetStore store = ZooKeeperOffsetStore.builder(c).root("/wide").build()) {
      long epoch = store.claim("wide");
      List<OffsetRange> ranges = IntStream.range(0, 10_000)
          .mapToObj(p -> new OffsetRange("events.clicks-v2", p, 1_000_000_000L, 1_000_000_500L)).collect(Collectors.toList());
      store.commit(OffsetCommit.builder("wide", 0, epoch).ranges(ranges)
          .starts(ranges.stream().collect(Collectors.toMap(OffsetRange::topicPartition, OffsetRange::fromOffset))).build());
      long firstBytes = ZooKeeperOffsetStore.requestBytes(store.lastCommitOps());
      LOG.info("the first commit of 10,000 partitions (creating every bucket) is one multi of {} operations and {} bytes",
          store.lastCommitOps().size(), firstBytes);
      assertThat(firstBytes).isLessThan(1024 * 1024 / 4);
      List<OffsetRange> next = ranges.stream().map(r -> new OffsetRange(r.topic(), r.partition(), r.untilOffset(),
          r.untilOffset() + 500)).collect(Collectors.toList());
      OffsetCommit steady = OffsetCommit.builder("wide", 1, epoch).ranges(next).build();
      store.commit(steady);

      long bytes = ZooKeeperOffsetStore.requestBytes(store.lastCommitOps());
      LOG.info("a steady-state commit of 10,000 partitions is one multi of {} operations and {} bytes",
          store.lastCommitOps().size(), bytes);
      // check + head + 10 buckets + history entry + no prune yet
      assertThat(store.lastCommitOps()).hasSize(13);
      assertThat(bytes).isLessThan(1024 * 1024 / 4);
      assertThat(store.read("wide").positions()).hasSize(10_000)
          .containsEntry(new TopicPartition("events.clicks-v2", 9_999), 1_000_001_000L);
      // the wide history entry is stored compressed and reads back whole
      assertThat(c.getData().forPath("/wide/jobs/wide/history/00000000000000000002")).startsWith(0x1f, 0x8b);
      HistoryEntry.Committed newest = (HistoryEntry.Committed) store.history("wide", 1).get(0);
      assertThat(newest.commit()).isEqualTo(steady);
    }
  }

  @Test
  void aBucketRemovedByHandIsReportedAsCorruptionNamingIt() throws Exception {
    try (CuratorFramework c = client();
        ZooKeeperOffsetStore store = ZooKeeperOffsetStore.builder(c).root("/damaged").build()) {
      long epoch = store.claim("job");
      store.commit(OffsetCommit.builder("job", 0, epoch).range("orders", 0, 0, 10).range("orders", 1000, 0, 10)
          .starts(Map.of(new TopicPartition("orders", 0), 0L, new TopicPartition("orders", 1000), 0L)).build());
      c.delete().forPath("/damaged/jobs/job/offsets/orders/1000");

      assertThatThrownBy(() -> store.read("job")).isInstanceOf(StoreCorruptedException.class)
          .hasMessageContaining("/damaged/jobs/job/offsets/orders/1000").hasMessageContaining("NONODE");
    }
  }

  @Test
  void anInterruptedDeleteIsFinishedByTheNextClaim() throws Exception {
    try (CuratorFramework c = client();
        ZooKeeperOffsetStore store = ZooKeeperOffsetStore.builder(c).root("/half-deleted").build()) {
      long epoch = store.claim("job");
      store.commit(OffsetCommit.builder("job", 0, epoch).range("orders", 0, 0, 10)
          .starts(Map.of(new TopicPartition("orders", 0), 0L)).build());
      // what delete() leaves if it stops right after its first transaction
      c.transaction().forOperations(c.transactionOp().delete().forPath("/half-deleted/jobs/job/head"),
          c.transactionOp().delete().forPath("/half-deleted/jobs/job/epoch"));

      assertThat(store.listJobs()).doesNotContain("job");
      assertThat(store.read("job").positions()).isEmpty();
      assertThat(store.claim("job")).isEqualTo(1);
      assertThat(store.read("job").positions()).isEmpty();
      assertThat(store.history("job", 10)).isEmpty();
    }
  }

  @Test
  void aCommitLargerThanTheRequestLimitIsRefusedAndWritesNothing() throws Exception {
    try (CuratorFramework c = client();
        ZooKeeperOffsetStore store = ZooKeeperOffsetStore.builder(c).root("/limited").maxRequestBytes(4096).build()) {
      long epoch = store.claim("limited");
      store.commit(OffsetCommit.builder("limited", 0, epoch).range("t", 0, 0, 10)
          .starts(Map.of(new TopicPartition("t", 0), 0L)).build());
      List<OffsetRange> wide = IntStream.range(0, 500).mapToObj(p -> new OffsetRange("t", p, p == 0 ? 10 : 0, 20))
          .collect(Collectors.toList());
      OffsetCommit tooLarge = OffsetCommit.builder("limited", 1, epoch).ranges(wide)
          .starts(wide.stream().filter(r -> r.partition() > 0)
              .collect(Collectors.toMap(OffsetRange::topicPartition, OffsetRange::fromOffset))).build();

      assertThatThrownBy(() -> store.commit(tooLarge)).isInstanceOf(CommitTooLargeException.class)
          .hasMessageContaining("batch 1 of job limited (500 partitions)").hasMessageContaining("zk.max.request.bytes is 4096")
          .hasMessageContaining("Nothing was written");
      try (ZooKeeperOffsetStore other = ZooKeeperOffsetStore.builder(c).root("/limited").build()) {
        assertThat(other.read("limited").positions()).containsOnly(Map.entry(new TopicPartition("t", 0), 10L));
        assertThat(other.read("limited").lastBatchId()).hasValue(0);
        assertThat(other.history("limited", 10)).hasSize(1);
      }
    }
  }

  @Test
  void anUnreachableZooKeeperIsAStoreUnavailableExceptionNamingIt() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String uri = "zk://127.0.0.1:" + port + "/nowhere?zk.operation.deadline=1s&zk.connection.timeout=500ms";
    assertThatThrownBy(() -> OffsetStores.open(uri))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("ZooKeeper at 127.0.0.1:" + port + " did not accept a connection within PT1S");
  }

  @Test
  void credentialsNeverAppearInDescriptionsOrErrors() {
    String uri = "zk://" + zk.connectString() + "/secure?zk.auth.digest=alice:s3cret";
    try (var store = OffsetStores.open(uri)) {
      assertThat(store.description()).doesNotContain("s3cret").doesNotContain("alice");
      assertThat(store.toString()).doesNotContain("s3cret");
    }
    assertThatThrownBy(() -> OffsetStores.open("zk://alice:s3cret@" + zk.connectString() + "/x"))
        .hasMessageNotContaining("s3cret").hasMessageContaining("carries credentials");
  }

  private static String text(CuratorFramework c, String path) throws Exception {
    return new String(c.getData().forPath(path), StandardCharsets.UTF_8);
  }
}
