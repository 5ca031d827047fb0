package io.tidemark.offsets.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.OffsetConflictException;
import io.tidemark.offsets.RewindTarget;
import io.tidemark.testkit.CommitStream;
import io.tidemark.testkit.ZooKeeperEnsemble;
import io.tidemark.testkit.ZooKeeperServer;
import java.time.Duration;
import java.util.List;
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
      assertThat(zombie.commit(CommitStream.batch("job", 0, epoch))).isEqualTo(CommitResult.APPLIED);
      armed.set(true);

      assertThatThrownBy(() -> zombie.commit(CommitStream.batch("job", 1, epoch)))
          .isInstanceOfSatisfying(OffsetConflictException.class,
              e -> assertThat(e.conflict()).isEqualTo(OffsetConflictException.Conflict.STALE_EPOCH));

      assertThat(armed).as("the claim happened").isFalse();
      assertThat(newerEpoch.get()).isEqualTo(epoch + 1);
      CommittedOffsets stored = newer.read("job");
      assertThat(stored.lastBatchId()).hasValue(0);
      assertThat(stored.positions()).isEqualTo(CommitStream.positionsAfter(0));
      assertThat(newer.history("job", 10)).hasSize(1);
      assertThat(newer.commit(CommitStream.batch("job", 1, epoch + 1))).isEqualTo(CommitResult.APPLIED);
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
        store.commit(CommitStream.batch("job", id, epoch));
      }
      armed.set(true);

      CommittedOffsets rewound = store.rewind("job", RewindTarget.toBatch(0));

      assertThat(armed).as("the fault fired").isFalse();
      assertThat(rewound.epoch()).isEqualTo(epoch + 1);
      assertThat(rewound.positions()).isEqualTo(CommitStream.positionsAfter(0));
      assertThat(store.read("job")).isEqualTo(rewound);
      assertThat(store.history("job", 10)).hasSize(4).first().isInstanceOf(HistoryEntry.Rewound.class);
    }
  }

  @Test
  void aCommitWhoseAnswerIsLostIsAppliedEvenWhenASuccessorClaimedAndCommittedSince() throws Exception {
    AtomicBoolean armed = new AtomicBoolean(false);
    AtomicLong successorEpoch = new AtomicLong();
    try (CuratorFramework a = client(); CuratorFramework b = client();
        ZooKeeperOffsetStore successor = store(b, "/answer-lost-successor", ZooKeeperOffsetStore.Faults.NONE);
        ZooKeeperOffsetStore first = store(a, "/answer-lost-successor", new ZooKeeperOffsetStore.Faults() {
          @Override
          public void afterApplied(ZooKeeper zk) throws KeeperException {
            if (armed.getAndSet(false)) {
              // batch 1 is applied; before its answer arrives another driver claims and commits batch 2
              long e = successor.claim("job");
              successorEpoch.set(e);
              successor.commit(CommitStream.batch("job", 2, e));
              ZooKeeperServer.expireSession(a);
              throw new KeeperException.ConnectionLossException();
            }
          }
        })) {
      long epoch = first.claim("job");
      first.commit(CommitStream.batch("job", 0, epoch));
      armed.set(true);

      assertThat(first.commit(CommitStream.batch("job", 1, epoch))).as("batch 1, which did apply")
          .isEqualTo(CommitResult.APPLIED);

      assertThat(armed).as("the fault fired").isFalse();
      assertThat(successor.read("job").positions()).isEqualTo(CommitStream.positionsAfter(2));
      assertThat(successor.history("job", 10)).extracting(e -> ((HistoryEntry.Committed) e).commit().batchId())
          .containsExactly(2L, 1L, 0L);
      // its next batch is refused: it is fenced
      assertThatThrownBy(() -> first.commit(CommitStream.batch("job", 3, epoch)))
          .isInstanceOfSatisfying(OffsetConflictException.class,
              e -> assertThat(e.conflict()).isEqualTo(OffsetConflictException.Conflict.STALE_EPOCH));
      assertThat(successor.commit(CommitStream.batch("job", 3, successorEpoch.get()))).isEqualTo(CommitResult.APPLIED);
    }
  }

  @Test
  void aRewindWhoseAnswerIsLostIsNotAppliedAgainWhenAnotherDriverWroteSince() throws Exception {
    AtomicBoolean armed = new AtomicBoolean(false);
    try (CuratorFramework a = client(); CuratorFramework b = client();
        ZooKeeperOffsetStore driver = store(b, "/rewind-lost-successor", ZooKeeperOffsetStore.Faults.NONE);
        ZooKeeperOffsetStore operator = store(a, "/rewind-lost-successor", new ZooKeeperOffsetStore.Faults() {
          @Override
          public void afterApplied(ZooKeeper zk) throws KeeperException {
            if (armed.getAndSet(false)) {
              // the rewind to batch 0 is applied; a driver restarts from it and commits batch 1 again
              long e = driver.claim("job");
              driver.commit(CommitStream.batch("job", 1, e));
              ZooKeeperServer.expireSession(a);
              throw new KeeperException.ConnectionLossException();
            }
          }
        })) {
      long epoch = operator.claim("job");
      for (long id = 0; id < 3; id++) {
        operator.commit(CommitStream.batch("job", id, epoch));
      }
      armed.set(true);

      CommittedOffsets rewound = operator.rewind("job", RewindTarget.toBatch(0));

      assertThat(armed).as("the fault fired").isFalse();
      assertThat(rewound.epoch()).isEqualTo(epoch + 1);
      assertThat(rewound.positions()).isEqualTo(CommitStream.positionsAfter(0));
      CommittedOffsets stored = driver.read("job");
      assertThat(stored.epoch()).as("one rewind and one claim since epoch %d", epoch).isEqualTo(epoch + 2);
      assertThat(stored.lastBatchId()).hasValue(1);
      assertThat(stored.positions()).isEqualTo(CommitStream.positionsAfter(1));
      assertThat(driver.history("job", 10)).filteredOn(e -> e instanceof HistoryEntry.Rewound).hasSize(1);
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
      assertThat(store.commit(CommitStream.batch("job", 0, epoch))).isEqualTo(CommitResult.APPLIED);
      long session = sessionId(c);
      armed.set(true);

      assertThat(store.commit(CommitStream.batch("job", 1, epoch))).isEqualTo(CommitResult.APPLIED);

      assertThat(armed).as("the fault fired").isFalse();
      assertThat(sessionId(c)).as("a new session").isNotEqualTo(session);
      assertThat(store.read("job").positions()).isEqualTo(CommitStream.positionsAfter(1));
      assertThat(store.history("job", 10)).extracting(e -> ((HistoryEntry.Committed) e).commit().batchId())
          .containsExactly(1L, 0L);
      assertThat(store.commit(CommitStream.batch("job", 2, epoch))).isEqualTo(CommitResult.APPLIED);
    }
  }

  @Test
  void commitsStayWholeAndNeverRegressWhileTheLeaderDiesAndTheSessionExpires() throws Exception {
    Duration patience = Duration.ofSeconds(90);
    InstanceSpec killed = null;
    try (CuratorFramework writerClient = client(); CuratorFramework readerClient = client();
        ZooKeeperOffsetStore writer = store(writerClient, "/stream", ZooKeeperOffsetStore.Faults.NONE);
        ZooKeeperOffsetStore reader = store(readerClient, "/stream", ZooKeeperOffsetStore.Faults.NONE)) {
      CommitStream stream = CommitStream.start(writer, reader, "stream");
      try (stream) {
        stream.awaitProgress(20, patience);
        killed = ensemble.killLeader();
        LOG.info("killed the leader {} after batch {}", killed, stream.committed());
        stream.awaitProgress(20, patience);
        ZooKeeperServer.expireSession(writerClient);
        LOG.info("expired the writer's session after batch {}", stream.committed());
        stream.awaitProgress(20, patience);
        ensemble.restart(killed);
        killed = null;
        stream.awaitProgress(20, patience);
      } finally {
        if (killed != null) {
          ensemble.restart(killed);
        }
      }
      LOG.info("{} commits and {} reads through the faults", stream.committed() + 1, stream.reads());
      stream.assertEveryCommitAppliedOnceAndWhole(1000);
    }
  }


  /** {@code count} batch ids counting down from {@code from}. */
  private static List<Long> countingDown(long from, int count) {
    return IntStream.range(0, count).mapToObj(i -> from - i).collect(Collectors.toList());
  }
}
