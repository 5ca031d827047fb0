package io.tidemark.offsets.hbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.OffsetConflictException;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.offsets.RewindTarget;
import io.tidemark.offsets.hbase.internal.Schema;
import io.tidemark.testkit.CommitStream;
import io.tidemark.testkit.HBaseCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.hbase.ServerName;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Delete;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.client.ResultScanner;
import org.apache.hadoop.hbase.client.Scan;
import org.apache.hadoop.hbase.client.Table;
import org.apache.hadoop.hbase.util.Bytes;
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

  /**
   * A fault after a batch applied: the newest history row is deleted (as if its Put had failed
   * while the head's compare-and-set applied) and the answer is lost.
   */
  private static HBaseOffsetStore.Faults historyLostThenAnswerLost(String job, AtomicBoolean armed) {
    return new HBaseOffsetStore.Faults() {
      @Override
      public void afterApplied(Table table) throws IOException {
        if (armed.getAndSet(false)) {
          try (ResultScanner rows = table.getScanner(new Scan().setRowPrefixFilter(Bytes.toBytes(job + "/hist/"))
              .setLimit(1))) {
            table.delete(new Delete(rows.next().getRow()));
          }
          throw new IOException("test: the answer of an applied batch is lost");
        }
      }
    };
  }

  @Test
  void aCommitWhoseAnswerIsLostIsReadBackReportedAppliedAndItsHistoryRowRestored() {
    AtomicBoolean armed = new AtomicBoolean(false);
    try (HBaseOffsetStore store = store(historyLostThenAnswerLost("lost", armed))) {
      long epoch = store.claim("lost");
      assertThat(store.commit(CommitStream.batch("lost", 0, epoch))).isEqualTo(CommitResult.APPLIED);
      armed.set(true);

      assertThat(store.commit(CommitStream.batch("lost", 1, epoch))).isEqualTo(CommitResult.APPLIED);

      assertThat(armed).as("the fault fired").isFalse();
      assertThat(store.read("lost").positions()).isEqualTo(CommitStream.positionsAfter(1));
      assertThat(store.commit(CommitStream.batch("lost", 2, epoch))).isEqualTo(CommitResult.APPLIED);
      assertThat(store.history("lost", 10)).extracting(e -> ((HistoryEntry.Committed) e).commit().batchId())
          .containsExactly(2L, 1L, 0L);
    }
  }

  @Test
  void aRewindWhoseAnswerIsLostIsAppliedOnceWithItsHistoryRow() {
    AtomicBoolean armed = new AtomicBoolean(false);
    try (HBaseOffsetStore store = store(historyLostThenAnswerLost("rewound", armed))) {
      long epoch = store.claim("rewound");
      for (long id = 0; id < 3; id++) {
        store.commit(CommitStream.batch("rewound", id, epoch));
      }
      armed.set(true);

      CommittedOffsets rewound = store.rewind("rewound", RewindTarget.toBatch(0));

      assertThat(armed).as("the fault fired").isFalse();
      assertThat(rewound.epoch()).isEqualTo(epoch + 1);
      assertThat(store.read("rewound")).isEqualTo(rewound);
      assertThat(store.commit(CommitStream.batch("rewound", 1, epoch + 1))).isEqualTo(CommitResult.APPLIED);
      List<HistoryEntry> history = store.history("rewound", 10);
      assertThat(history).hasSize(5);
      assertThat(history.get(1)).isInstanceOf(HistoryEntry.Rewound.class);
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
      // the loser's history row is gone, not merely off the chain
      assertThat(historyRows("fenced")).isEqualTo(1);
      CommittedOffsets stored = newer.read("fenced");
      assertThat(stored.lastBatchId()).hasValue(0);
      assertThat(stored.positions()).isEqualTo(CommitStream.positionsAfter(0));
      assertThat(newer.history("fenced", 10)).hasSize(1);
      assertThat(newer.commit(CommitStream.batch("fenced", 1, epoch + 1))).isEqualTo(CommitResult.APPLIED);
      assertThat(newer.history("fenced", 10)).hasSize(2);
    }
  }

  /**
   * A store whose armed fault, after its batch applied, lets {@code other} write through
   * {@code meanwhile}, then loses the answer.
   */
  private static HBaseOffsetStore answerLostAfter(AtomicBoolean armed, Runnable meanwhile) {
    return store(new HBaseOffsetStore.Faults() {
      @Override
      public void afterApplied(Table table) throws IOException {
        if (armed.getAndSet(false)) {
          meanwhile.run();
          throw new IOException("test: the answer of an applied batch is lost");
        }
      }
    });
  }

  @Test
  void aCommitWhoseAnswerIsLostIsAppliedEvenWhenASuccessorClaimedAndCommittedSince() {
    AtomicBoolean armed = new AtomicBoolean(false);
    AtomicLong successorEpoch = new AtomicLong();
    try (HBaseOffsetStore successor = store(HBaseOffsetStore.Faults.NONE);
        HBaseOffsetStore first = answerLostAfter(armed, () -> {
          successorEpoch.set(successor.claim("lost-successor"));
          successor.commit(CommitStream.batch("lost-successor", 2, successorEpoch.get()));
          successor.commit(CommitStream.batch("lost-successor", 3, successorEpoch.get()));
        })) {
      long epoch = first.claim("lost-successor");
      assertThat(first.commit(CommitStream.batch("lost-successor", 0, epoch))).isEqualTo(CommitResult.APPLIED);
      armed.set(true);

      assertThat(first.commit(CommitStream.batch("lost-successor", 1, epoch))).isEqualTo(CommitResult.APPLIED);

      assertThat(armed).as("the fault fired").isFalse();
      assertThat(successor.read("lost-successor").positions()).isEqualTo(CommitStream.positionsAfter(3));
      assertThat(successor.history("lost-successor", 10))
          .extracting(e -> ((HistoryEntry.Committed) e).commit().batchId()).containsExactly(3L, 2L, 1L, 0L);
      // its next batch is refused: it is fenced
      assertThatThrownBy(() -> first.commit(CommitStream.batch("lost-successor", 4, epoch)))
          .isInstanceOfSatisfying(OffsetConflictException.class,
              e -> assertThat(e.conflict()).isEqualTo(OffsetConflictException.Conflict.STALE_EPOCH));
      assertThat(successor.commit(CommitStream.batch("lost-successor", 4, successorEpoch.get())))
          .isEqualTo(CommitResult.APPLIED);
    }
  }

  @Test
  void aLostAnswerWhoseProofIsGoneIsReportedAsTheConflictItIsNeverAppliedTwice() {
    AtomicBoolean armed = new AtomicBoolean(false);
    try (HBaseOffsetStore successor = store(HBaseOffsetStore.Faults.NONE);
        HBaseOffsetStore first = answerLostAfter(armed, () -> {
          long e = successor.claim("proof-gone");
          successor.commit(CommitStream.batch("proof-gone", 2, e));
          successor.commit(CommitStream.batch("proof-gone", 3, e));
          // the history row of batch 2, which names batch 1's token, expires (as to a short TTL)
          deleteHistoryRowsOf("proof-gone", 3);
        })) {
      long epoch = first.claim("proof-gone");
      first.commit(CommitStream.batch("proof-gone", 0, epoch));
      armed.set(true);

      assertThatThrownBy(() -> first.commit(CommitStream.batch("proof-gone", 1, epoch)))
          .isInstanceOfSatisfying(OffsetConflictException.class,
              e -> assertThat(e.conflict()).isEqualTo(OffsetConflictException.Conflict.STALE_EPOCH));

      assertThat(armed).as("the fault fired").isFalse();
      CommittedOffsets stored = successor.read("proof-gone");
      assertThat(stored.lastBatchId()).hasValue(3);
      assertThat(stored.positions()).isEqualTo(CommitStream.positionsAfter(3));
    }
  }

  @Test
  void aDeleteWhoseAnswerIsLostLeavesAloneTheJobADriverCreatedAgainSince() {
    AtomicBoolean armed = new AtomicBoolean(false);
    AtomicLong againEpoch = new AtomicLong();
    try (HBaseOffsetStore driver = store(HBaseOffsetStore.Faults.NONE);
        HBaseOffsetStore operator = answerLostAfter(armed, () -> {
          againEpoch.set(driver.claim("deleted-again"));
          driver.commit(CommitStream.batch("deleted-again", 0, againEpoch.get()));
        })) {
      long epoch = driver.claim("deleted-again");
      for (long id = 0; id < 3; id++) {
        driver.commit(CommitStream.batch("deleted-again", id, epoch));
      }
      armed.set(true);

      assertThat(operator.delete("deleted-again")).isTrue();

      assertThat(armed).as("the fault fired").isFalse();
      assertThat(againEpoch.get()).as("the delete's epoch, then the new claim").isEqualTo(epoch + 2);
      CommittedOffsets stored = operator.read("deleted-again");
      assertThat(stored.epoch()).isEqualTo(epoch + 2);
      assertThat(stored.lastBatchId()).hasValue(0);
      assertThat(stored.positions()).isEqualTo(CommitStream.positionsAfter(0));
      assertThat(operator.history("deleted-again", 10)).hasSize(1);
      assertThat(historyRows("deleted-again")).as("the deleted job's rows are gone, the new job's kept").isEqualTo(1);
      assertThat(operator.listJobs()).contains("deleted-again");
      assertThat(driver.commit(CommitStream.batch("deleted-again", 1, epoch + 2))).isEqualTo(CommitResult.APPLIED);
    }
  }

  @Test
  void aRewindWhoseAnswerIsLostIsNotAppliedAgainWhenAnotherDriverWroteSince() {
    AtomicBoolean armed = new AtomicBoolean(false);
    try (HBaseOffsetStore driver = store(HBaseOffsetStore.Faults.NONE);
        HBaseOffsetStore operator = answerLostAfter(armed, () -> {
          // the rewind to batch 0 is applied; a driver restarts from it and commits batch 1 again
          long e = driver.claim("rewind-successor");
          driver.commit(CommitStream.batch("rewind-successor", 1, e));
        })) {
      long epoch = operator.claim("rewind-successor");
      for (long id = 0; id < 3; id++) {
        operator.commit(CommitStream.batch("rewind-successor", id, epoch));
      }
      armed.set(true);

      CommittedOffsets rewound = operator.rewind("rewind-successor", RewindTarget.toBatch(0));

      assertThat(armed).as("the fault fired").isFalse();
      assertThat(rewound.epoch()).isEqualTo(epoch + 1);
      assertThat(rewound.positions()).isEqualTo(CommitStream.positionsAfter(0));
      CommittedOffsets stored = driver.read("rewind-successor");
      assertThat(stored.epoch()).as("one rewind and one claim since epoch %d", epoch).isEqualTo(epoch + 2);
      assertThat(stored.lastBatchId()).hasValue(1);
      assertThat(stored.positions()).isEqualTo(CommitStream.positionsAfter(1));
      assertThat(driver.history("rewind-successor", 10)).filteredOn(e -> e instanceof HistoryEntry.Rewound)
          .hasSize(1);
    }
  }

  @Test
  void aDeleteWhoseTombstoneWasNeverAppliedIsWrittenAgainOverTheClaimsMadeMeanwhile() {
    AtomicBoolean armed = new AtomicBoolean(false);
    try (HBaseOffsetStore driver = store(HBaseOffsetStore.Faults.NONE);
        HBaseOffsetStore operator = store(new HBaseOffsetStore.Faults() {
          @Override
          public void beforeSend(Table table) throws IOException {
            if (armed.getAndSet(false)) {
              // the tombstone's request fails before it is applied; meanwhile two drivers start
              driver.claim("not-deleted-yet");
              driver.claim("not-deleted-yet");
              throw new IOException("test: the tombstone's request failed before it was applied");
            }
          }
        })) {
      long epoch = driver.claim("not-deleted-yet");
      for (long id = 0; id < 3; id++) {
        driver.commit(CommitStream.batch("not-deleted-yet", id, epoch));
      }
      armed.set(true);

      assertThat(operator.delete("not-deleted-yet")).isTrue();

      assertThat(armed).as("the fault fired").isFalse();
      CommittedOffsets stored = operator.read("not-deleted-yet");
      assertThat(stored.isEmpty()).as("deleted: %s", stored).isTrue();
      assertThat(stored.epoch()).as("two claims, then the delete's own epoch").isEqualTo(epoch + 3);
      assertThat(operator.listJobs()).doesNotContain("not-deleted-yet");
      assertThat(operator.history("not-deleted-yet", 10)).isEmpty();
      assertThat(historyRows("not-deleted-yet")).isZero();
      assertThatThrownBy(() -> driver.commit(CommitStream.batch("not-deleted-yet", 3, epoch + 2)))
          .isInstanceOfSatisfying(OffsetConflictException.class,
              e -> assertThat(e.conflict()).isEqualTo(OffsetConflictException.Conflict.STALE_EPOCH));
      assertThat(driver.claim("not-deleted-yet")).isEqualTo(epoch + 4);
    }
  }

  /** Deletes the history rows of entry {@code seq} of {@code job}. */
  private static void deleteHistoryRowsOf(String job, long seq) {
    byte[] prefix = Schema.historyRow(job, seq, "");
    try (Table table = hbase.connection().getTable(TABLE);
        ResultScanner rows = table.getScanner(new Scan().setStartStopRowForPrefixScan(prefix))) {
      for (Result r : rows) {
        table.delete(new Delete(r.getRow()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int historyRows(String job) {
    int rows = 0;
    try (Table table = hbase.connection().getTable(TABLE);
        ResultScanner scanner = table.getScanner(new Scan().setRowPrefixFilter(Bytes.toBytes(job + "/hist/")))) {
      for (Result ignored : scanner) {
        rows++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows;
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
