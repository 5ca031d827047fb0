package io.tidemark.offsets.hbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.OffsetConflictException;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.testkit.CommitStream;
import io.tidemark.testkit.HBaseCluster;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.hbase.ServerName;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Table;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits through an aborted and restarted region server, a lost answer and a claim that lands
 * between a writer's read and its compare-and-set: every commit applies whole or not at all,
 * exactly once, and positions never go back.
 */
class HBaseFaultIT {
  private static final Logger LOG = LoggerFactory.getLogger(HBaseFaultIT.class);
  private static final int PARTITIONS = 4;
  private static final long STEP = 10;
  private static final TableName TABLE = TableName.valueOf("tidemark:faults");

  @RegisterExtension
  static final HBaseCluster hbase = HBaseCluster.create();

  private static OffsetStore open() {
    return OffsetStores.open("hbase://" + hbase.zookeeperQuorum() + "/" + TABLE.getNameAsString()
        + "?hbase.create.table=true&hbase.rpc.timeout=3s&hbase.operation.deadline=180s&hbase.retry.backoff=100ms");
  }

  private static HBaseOffsetStore store(HBaseOffsetStore.Faults faults) {
    return HBaseOffsetStore.builder(hbase.connection(), TABLE).createTableIfMissing(true).faults(faults).build();
  }

  @Test
  void aCommitWhoseAnswerIsLostIsReadBackAndReportedApplied() {
    AtomicBoolean armed = new AtomicBoolean(false);
    try (HBaseOffsetStore store = store(new HBaseOffsetStore.Faults() {
      @Override
      public void afterApplied(Table table) throws IOException {
        if (armed.getAndSet(false)) {
          throw new IOException("test: the answer of an applied batch is lost");
        }
      }
    })) {
      long epoch = store.claim("lost");
      assertThat(store.commit(CommitStream.batch("lost", 0, epoch))).isEqualTo(CommitResult.APPLIED);
      armed.set(true);

      assertThat(store.commit(CommitStream.batch("lost", 1, epoch))).isEqualTo(CommitResult.APPLIED);

      assertThat(armed).as("the fault fired").isFalse();
      assertThat(store.read("lost").positions()).isEqualTo(CommitStream.positionsAfter(1));
      assertThat(store.history("lost", 10)).extracting(e -> ((HistoryEntry.Committed) e).commit().batchId())
          .containsExactly(1L, 0L);
      assertThat(store.commit(CommitStream.batch("lost", 2, epoch))).isEqualTo(CommitResult.APPLIED);
    }
  }

  @Test
  void aClaimBetweenTheReadAndTheCompareAndSetFencesTheOldWriterWhole() {
    AtomicBoolean armed = new AtomicBoolean(false);
    AtomicLong newerEpoch = new AtomicLong();
    try (HBaseOffsetStore newer = store(HBaseOffsetStore.Faults.NONE);
        HBaseOffsetStore zombie = store(new HBaseOffsetStore.Faults() {
          @Override
          public void beforeSend(Table table) {
            if (armed.getAndSet(false)) {
              newerEpoch.set(newer.claim("fenced"));
            }
          }
        })) {
      long epoch = zombie.claim("fenced");
      assertThat(zombie.commit(CommitStream.batch("fenced", 0, epoch))).isEqualTo(CommitResult.APPLIED);
      armed.set(true);

      assertThatThrownBy(() -> zombie.commit(CommitStream.batch("fenced", 1, epoch)))
          .isInstanceOfSatisfying(OffsetConflictException.class,
              e -> assertThat(e.conflict()).isEqualTo(OffsetConflictException.Conflict.STALE_EPOCH));

      assertThat(newerEpoch.get()).isEqualTo(epoch + 1);
      CommittedOffsets stored = newer.read("fenced");
      assertThat(stored.lastBatchId()).hasValue(0);
      assertThat(stored.positions()).isEqualTo(CommitStream.positionsAfter(0));
      assertThat(newer.history("fenced", 10)).hasSize(1);
      assertThat(newer.commit(CommitStream.batch("fenced", 1, epoch + 1))).isEqualTo(CommitResult.APPLIED);
      assertThat(newer.history("fenced", 10)).hasSize(2);
    }
  }

  @Test
  void commitsStayWholeAndNeverRegressWhileTheRegionServerIsAbortedAndReplaced() throws Exception {
    Duration patience = Duration.ofSeconds(240);
    try (OffsetStore writer = open(); OffsetStore reader = open()) {
      CommitStream stream = CommitStream.start(writer, reader, "stream");
      try (stream) {
        stream.awaitProgress(20, patience);
        ServerName victim = hbase.regionServers().get(0);
        hbase.abortRegionServer(victim);
        LOG.info("aborted region server {} after batch {}", victim, stream.committed());
        hbase.startRegionServer();
        stream.awaitProgress(20, patience);
        LOG.info("commits resumed on the new region server; at batch {}", stream.committed());
      }
      LOG.info("{} commits and {} reads through the abort", stream.committed() + 1, stream.reads());
      stream.assertEveryCommitAppliedOnceAndWhole(100_000);
    }
  }

}
