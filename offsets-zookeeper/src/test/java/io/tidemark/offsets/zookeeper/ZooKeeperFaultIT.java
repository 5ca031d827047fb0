package io.tidemark.offsets.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetConflictException;
import io.tidemark.offsets.RewindTarget;
import io.tidemark.testkit.ZooKeeperEnsemble;
import io.tidemark.testkit.ZooKeeperServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.InstanceSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits through a killed leader and expired sessions on a three-node ensemble: every commit is
 * applied whole or not at all, exactly once, positions never go back, and the store carries on
 * by itself.
 */
class ZooKeeperFaultIT {
  private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperFaultIT.class);
  private static final int PARTITIONS = 4;
  private static final long STEP = 10;

  @RegisterExtension
  static final ZooKeeperEnsemble ensemble = ZooKeeperEnsemble.create();

  /** Batch {@code id}: every partition of "events" moves from {@code id * STEP} to {@code (id + 1) * STEP}. */
  private static OffsetCommit batch(String job, long id, long epoch) {
    OffsetCommit.Builder b = OffsetCommit.builder(job, id, epoch);
    for (int p = 0; p < PARTITIONS; p++) {
      b.range("events", p, id * STEP, (id + 1) * STEP);
    }
    if (id == 0) {
      b.starts(IntStream.range(0, PARTITIONS).boxed()
          .collect(Collectors.toMap(p -> new TopicPartition("events", p), p -> 0L)));
    }
    return b.build();
  }

  private static CuratorFramework client() throws InterruptedException {
    CuratorFramework c = CuratorFrameworkFactory.builder().connectString(ensemble.connectString())
        .sessionTimeoutMs(6_000).connectionTimeoutMs(2_000).retryPolicy(new RetryNTimes(3, 100)).build();
    c.start();
    assertThat(c.blockUntilConnected(30, TimeUnit.SECONDS)).as("connected to " + ensemble.connectString()).isTrue();
    return c;
  }

  private static ZooKeeperOffsetStore store(CuratorFramework c, String root, ZooKeeperOffsetStore.Faults faults) {
    return ZooKeeperOffsetStore.builder(c).root(root).operationDeadline(Duration.ofSeconds(60))
        .retryBackoff(Duration.ofMillis(50)).faults(faults).build();
  }

  private static long sessionId(CuratorFramework c) throws Exception {
    return c.getZookeeperClient().getZooKeeper().getSessionId();
  }

  private static Map<TopicPartition, Long> positionsAfter(long batch) {
    return IntStream.range(0, PARTITIONS).boxed()
        .collect(Collectors.toMap(p -> new TopicPartition("events", p), p -> (batch + 1) * STEP));
  }

  @Test
  void aCommitWhoseAnswerIsLostIsReadBackAndReportedApplied() throws Exception {
    commitBatchOneThrough("/answer-lost", (c, armed) -> new ZooKeeperOffsetStore.Faults() {
      @Override
      public void afterApplied(ZooKeeper zk) throws KeeperException {
        if (armed.getAndSet(false)) {
          // the transaction is applied; the session dies before its answer arrives
          ZooKeeperServer.expireSession(c);
          throw new KeeperException.ConnectionLossException();
        }
      }
    });
  }

  @Test
  void aSessionExpiredJustBeforeTheTransactionIsRetriedOnTheNewSession() throws Exception {
    commitBatchOneThrough("/expired-before", (c, armed) -> new ZooKeeperOffsetStore.Faults() {
      @Override
      public void beforeSend(ZooKeeper zk) {
        if (armed.getAndSet(false)) {
          ZooKeeperServer.expireSession(c);
        }
      }
    });
  }

  @Test
  void aClaimBetweenTheReadAndTheTransactionFencesTheOldWriterWhole() throws Exception {
    AtomicBoolean armed = new AtomicBoolean(false);
    AtomicLong newerEpoch = new AtomicLong();
    try (CuratorFramework a = client(); CuratorFramework b = client();
        ZooKeeperOffsetStore newer = store(b, "/fenced", ZooKeeperOffsetStore.Faults.NONE);
        ZooKeeperOffsetStore zombie = store(a, "/fenced", new ZooKeeperOffsetStore.Faults() {
          @Override
          public void beforeSend(ZooKeeper zk) {
            if (armed.getAndSet(false)) {
              // a new driver claims the job after the old one judged its commit valid
              newerEpoch.set(newer.claim("job"));
            }
          }
        })) {
      long epoch = zombie.claim("job");
      assertThat(zombie.commit(batch("job", 0, epoch))).isEqualTo(CommitResult.APPLIED);
      armed.set(true);

      assertThatThrownBy(() -> zombie.commit(batch("job", 1, epoch)))
          .isInstanceOfSatisfying(OffsetConflictException.class,
              e -> assertThat(e.conflict()).isEqualTo(OffsetConflictException.Conflict.STALE_EPOCH));

      assertThat(armed).as("the claim happened").isFalse();
      assertThat(newerEpoch.get()).isEqualTo(epoch + 1);
      CommittedOffsets stored = newer.read("job");
      assertThat(stored.lastBatchId()).hasValue(0);
      assertThat(stored.positions()).isEqualTo(positionsAfter(0));
      assertThat(newer.history("job", 10)).hasSize(1);
      assertThat(newer.commit(batch("job", 1, epoch + 1))).isEqualTo(CommitResult.APPLIED);
    }
  }

  @Test
  void aRewindWhoseAnswerIsLostIsAppliedOnce() throws Exception {
    AtomicBoolean armed = new AtomicBoolean(false);
    try (CuratorFramework c = client();
        ZooKeeperOffsetStore store = store(c, "/rewind-lost", new ZooKeeperOffsetStore.Faults() {
          @Override
          public void afterApplied(ZooKeeper zk) throws KeeperException {
            if (armed.getAndSet(false)) {
              ZooKeeperServer.expireSession(c);
              throw new KeeperException.ConnectionLossException();
            }
          }
        })) {
      long epoch = store.claim("job");
      for (long id = 0; id < 3; id++) {
        store.commit(batch("job", id, epoch));
      }
      armed.set(true);

      CommittedOffsets rewound = store.rewind("job", RewindTarget.toBatch(0));

      assertThat(armed).as("the fault fired").isFalse();
      assertThat(rewound.epoch()).isEqualTo(epoch + 1);
      assertThat(rewound.positions()).isEqualTo(positionsAfter(0));
      assertThat(store.read("job")).isEqualTo(rewound);
      assertThat(store.history("job", 10)).hasSize(4).first().isInstanceOf(HistoryEntry.Rewound.class);
    }
  }

  /**
   * Commits batch 0, arms {@code fault} and commits batch 1 through it: the commit must report
   * APPLIED, on a new session, with batch 1 stored exactly once, and the store must go on.
   */
  private static void commitBatchOneThrough(String root,
      BiFunction<CuratorFramework, AtomicBoolean, ZooKeeperOffsetStore.Faults> fault) throws Exception {
    AtomicBoolean armed = new AtomicBoolean(false);
    try (CuratorFramework c = client(); ZooKeeperOffsetStore store = store(c, root, fault.apply(c, armed))) {
      long epoch = store.claim("job");
      assertThat(store.commit(batch("job", 0, epoch))).isEqualTo(CommitResult.APPLIED);
      long session = sessionId(c);
      armed.set(true);

      assertThat(store.commit(batch("job", 1, epoch))).isEqualTo(CommitResult.APPLIED);

      assertThat(armed).as("the fault fired").isFalse();
      assertThat(sessionId(c)).as("a new session").isNotEqualTo(session);
      assertThat(store.read("job").positions()).isEqualTo(positionsAfter(1));
      assertThat(store.history("job", 10)).extracting(e -> ((HistoryEntry.Committed) e).commit().batchId())
          .containsExactly(1L, 0L);
      assertThat(store.commit(batch("job", 2, epoch))).isEqualTo(CommitResult.APPLIED);
    }
  }

  @Test
  void commitsStayWholeAndNeverRegressWhileTheLeaderDiesAndTheSessionExpires() throws Exception {
    String job = "stream";
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong committed = new AtomicLong(-1);
    AtomicLong reads = new AtomicLong();
    List<CommitResult> results = new CopyOnWriteArrayList<>();
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    InstanceSpec killed = null;
    try (CuratorFramework writerClient = client(); CuratorFramework readerClient = client();
        ZooKeeperOffsetStore writer = store(writerClient, "/stream", ZooKeeperOffsetStore.Faults.NONE);
        ZooKeeperOffsetStore reader = store(readerClient, "/stream", ZooKeeperOffsetStore.Faults.NONE)) {
      long epoch = writer.claim(job);
      Thread writing = new Thread(() -> {
        for (long id = 0; !stop.get(); id++) {
          try {
            results.add(writer.commit(batch(job, id, epoch)));
            committed.set(id);
          } catch (RuntimeException e) {
            problems.add("commit of batch " + id + " failed: " + e);
            return;
          }
        }
      }, "writer");
      Thread reading = new Thread(() -> {
        long last = -1;
        while (!stop.get()) {
          try {
            CommittedOffsets o = reader.read(job);
            reads.incrementAndGet();
            if (o.lastBatchId().isEmpty()) {
              continue;
            }
            long b = o.lastBatchId().getAsLong();
            if (!o.positions().equals(positionsAfter(b))) {
              problems.add("read a partial commit: batch " + b + " with positions " + o.positions());
            }
            if (b < last) {
              problems.add("positions went back from batch " + last + " to " + b);
            }
            last = b;
          } catch (RuntimeException e) {
            problems.add("read failed: " + e);
            return;
          }
        }
      }, "reader");
      writing.start();
      reading.start();
      try {
        awaitProgress(committed, reads, 20, problems);
        killed = ensemble.killLeader();
        LOG.info("killed the leader {} after batch {}", killed, committed.get());
        awaitProgress(committed, reads, 20, problems);
        ZooKeeperServer.expireSession(writerClient);
        LOG.info("expired the writer's session after batch {}", committed.get());
        awaitProgress(committed, reads, 20, problems);
        ensemble.restart(killed);
        killed = null;
        awaitProgress(committed, reads, 20, problems);
      } finally {
        stop.set(true);
        writing.join(120_000);
        reading.join(120_000);
        assertThat(writing.isAlive() || reading.isAlive()).as("the writer and the reader stopped").isFalse();
        if (killed != null) {
          ensemble.restart(killed);
        }
      }

      assertThat(problems).isEmpty();
      long last = committed.get();
      LOG.info("{} commits and {} reads through the faults", last + 1, reads.get());
      assertThat(reads.get()).isPositive();
      assertThat(results).hasSize((int) last + 1).containsOnly(CommitResult.APPLIED);
      CommittedOffsets end = reader.read(job);
      assertThat(end.lastBatchId()).hasValue(last);
      assertThat(end.positions()).isEqualTo(positionsAfter(last));
      List<Long> ids = writer.history(job, 1000).stream().map(e -> ((HistoryEntry.Committed) e).commit())
          .peek(cmt -> assertThat(cmt.ranges()).hasSize(PARTITIONS)).map(OffsetCommit::batchId).toList();
      assertThat(ids).isEqualTo(countingDown(last, (int) Math.min(last + 1, 1000)));
    }
  }

  /** Waits until both the writer and the reader got on by {@code steps} more commits and reads. */
  private static void awaitProgress(AtomicLong committed, AtomicLong reads, int steps,
      ConcurrentLinkedQueue<String> problems) {
    long target = committed.get() + steps;
    long readTarget = reads.get() + steps;
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20))
        .until(() -> (committed.get() >= target && reads.get() >= readTarget) || !problems.isEmpty());
    assertThat(problems).isEmpty();
  }

  /** {@code count} batch ids counting down from {@code from}. */
  private static List<Long> countingDown(long from, int count) {
    return IntStream.range(0, count).mapToObj(i -> from - i).collect(Collectors.toList());
  }
}
