package io.tidemark.offsets.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetConflictException;
import io.tidemark.offsets.OffsetConflictException.Conflict;
import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.PositionReset;
import io.tidemark.offsets.RewindTarget;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The commit and rewind rules as pure functions: every conflict, every accepted shape, every rewind. */
class CommitRulesTest {

  private static final String JOB = "orders-job";
  private static final Instant T0 = Instant.parse("2026-01-05T10:00:00Z");
  private static final Instant T1 = Instant.parse("2026-01-05T10:01:00Z");
  private static final TopicPartition P0 = new TopicPartition("orders", 0);
  private static final TopicPartition P1 = new TopicPartition("orders", 1);
  private static final TopicPartition P2 = new TopicPartition("orders", 2);

  /** The stored state most cases start from: epoch 3, batch 7 committed, orders-0 at 100, orders-1 at 200. */
  private static final CommittedOffsets STORED = CommittedOffsets.of(JOB, Map.of(P0, 100L, P1, 200L),
      OptionalLong.of(7), 3, Optional.of(T0));

  /** Batch 7 as stored: the commit that produced {@link #STORED}. */
  private static final OffsetCommit BATCH_7 = OffsetCommit.builder(JOB, 7, 3)
      .range("orders", 0, 90, 100).range("orders", 1, 150, 200).commitTime(T0).build();

  private static OffsetCommit.Builder batch(long batchId, long epoch) {
    return OffsetCommit.builder(JOB, batchId, epoch).commitTime(T1);
  }

  private static PositionReset reset(TopicPartition tp, long replaced, long next, PositionReset.Reason reason) {
    return new PositionReset(tp, replaced, next, reason);
  }

  // ---- refusals

  static Stream<Arguments> conflicts() {
    return Stream.of(
        Arguments.of("a new partition without a declared start",
            batch(8, 3).range("orders", 0, 100, 110).range("orders", 2, 0, 10).build(),
            Conflict.START_MISMATCH, P2, "a declared start (the partition has no stored position)",
            "orders-2[0, 10) with no declared start",
            "START_MISMATCH: job orders-job batch 8 partition orders-2: expected a declared start (the partition has no"
                + " stored position) but found orders-2[0, 10) with no declared start. Resolve the start with"
                + " StartPositionResolver and declare it with OffsetCommit.Builder.starts(resolved.positions())."),
        Arguments.of("a new partition away from its declared start",
            batch(8, 3).range("orders", 0, 100, 110).range("orders", 2, 5, 10).starts(Map.of(P2, 0L)).build(),
            Conflict.START_MISMATCH, P2, "range starting at the declared start 0", "orders-2[5, 10)",
            "START_MISMATCH: job orders-job batch 8 partition orders-2: expected range starting at the declared start 0"
                + " but found orders-2[5, 10). Resolve the start with StartPositionResolver and declare it with"
                + " OffsetCommit.Builder.starts(resolved.positions())."),
        Arguments.of("range starts after the stored position",
            batch(8, 3).range("orders", 0, 105, 110).range("orders", 1, 200, 210).build(),
            Conflict.GAP, P0, "range starting at 100",
            "orders-0[105, 110) (offsets [100, 105) would never be processed)",
            "GAP: job orders-job batch 8 partition orders-0: expected range starting at 100 but found orders-0[105, 110)"
                + " (offsets [100, 105) would never be processed). Restart the job from the store's position, or"
                + " declare the skip with a PositionReset."),
        Arguments.of("range starts before the stored position",
            batch(8, 3).range("orders", 0, 100, 110).range("orders", 1, 195, 210).build(),
            Conflict.OVERLAP, P1, "range starting at 200",
            "orders-1[195, 210) (offsets [195, 200) were already committed)",
            "OVERLAP: job orders-job batch 8 partition orders-1: expected range starting at 200 but found"
                + " orders-1[195, 210) (offsets [195, 200) were already committed). Restart the job from the store's"
                + " position."),
        Arguments.of("the first conflicting partition in topic/partition order is reported",
            batch(8, 3).range("orders", 1, 190, 210).range("orders", 0, 120, 130).build(),
            Conflict.GAP, P0, "range starting at 100",
            "orders-0[120, 130) (offsets [100, 120) would never be processed)",
            "GAP: job orders-job batch 8 partition orders-0: expected range starting at 100 but found orders-0[120, 130)"
                + " (offsets [100, 120) would never be processed). Restart the job from the store's position, or"
                + " declare the skip with a PositionReset."),
        Arguments.of("batch id below the last committed one",
            batch(6, 3).range("orders", 0, 100, 110).build(),
            Conflict.STALE_BATCH, null, "batch 8", "batch 6",
            "STALE_BATCH: job orders-job batch 6: expected batch 8 but found batch 6. Batch 6 is already committed;"
                + " restart the job from the store's position."),
        Arguments.of("last batch id again with other ranges",
            batch(7, 3).range("orders", 0, 90, 101).range("orders", 1, 150, 200).build(),
            Conflict.STALE_BATCH, null, "batch 8", "batch 7 with other ranges than the stored batch 7",
            "STALE_BATCH: job orders-job batch 7: expected batch 8 but found batch 7 with other ranges than the stored"
                + " batch 7. Batch 7 is already committed; restart the job from the store's position."),
        Arguments.of("batch id skips ahead",
            batch(10, 3).range("orders", 0, 100, 110).build(),
            Conflict.BATCH_ID_GAP, null, "batch 8", "batch 10",
            "BATCH_ID_GAP: job orders-job batch 10: expected batch 8 but found batch 10. Batch ids must follow each"
                + " other; commit batch 8 next."),
        Arguments.of("epoch older than the stored one: a zombie",
            batch(8, 2).range("orders", 0, 100, 110).build(),
            Conflict.STALE_EPOCH, null, "writer epoch 3", "epoch 2",
            "STALE_EPOCH: job orders-job batch 8: expected writer epoch 3 but found epoch 2. Another driver claimed the"
                + " job after this one: this driver is a zombie and must stop."),
        Arguments.of("epoch the store never issued",
            batch(8, 4).range("orders", 0, 100, 110).build(),
            Conflict.STALE_EPOCH, null, "writer epoch 3", "epoch 4",
            "STALE_EPOCH: job orders-job batch 8: expected writer epoch 3 but found epoch 4. This epoch was never"
                + " issued by the store: call claim(job) and commit under the epoch it returns."),
        Arguments.of("the epoch is checked before the batch id",
            batch(5, 2).range("orders", 0, 100, 110).build(),
            Conflict.STALE_EPOCH, null, "writer epoch 3", "epoch 2",
            "STALE_EPOCH: job orders-job batch 5: expected writer epoch 3 but found epoch 2. Another driver claimed the"
                + " job after this one: this driver is a zombie and must stop."),
        Arguments.of("the batch id is checked before the ranges",
            batch(9, 3).range("orders", 0, 150, 160).build(),
            Conflict.BATCH_ID_GAP, null, "batch 8", "batch 9",
            "BATCH_ID_GAP: job orders-job batch 9: expected batch 8 but found batch 9. Batch ids must follow each"
                + " other; commit batch 8 next."),
        Arguments.of("reset replacing another position than the stored one",
            batch(8, 3).range("orders", 0, 120, 130)
                .resets(List.of(reset(P0, 90, 120, PositionReset.Reason.OFFSETS_DELETED))).build(),
            Conflict.RESET_MISMATCH, P0, "stored position 100", "a reset replacing position 90",
            "RESET_MISMATCH: job orders-job batch 8 partition orders-0: expected stored position 100 but found a reset"
                + " replacing position 90. Resolve the start position again from the store and rebuild the batch."),
        Arguments.of("reset of a partition without a stored position",
            batch(8, 3).range("orders", 2, 10, 20)
                .resets(List.of(reset(P2, 5, 10, PositionReset.Reason.OFFSETS_DELETED))).build(),
            Conflict.RESET_MISMATCH, P2, "no stored position", "a reset replacing position 5",
            "RESET_MISMATCH: job orders-job batch 8 partition orders-2: expected no stored position but found a reset"
                + " replacing position 5. Resolve the start position again from the store and rebuild the batch."));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("conflicts")
  void refusesWithTheRuleAndAnExactMessage(String description, OffsetCommit commit, Conflict conflict,
      TopicPartition partition, String expected, String found, String message) {
    assertThatThrownBy(() -> CommitRules.check(STORED, Optional.of(BATCH_7), commit))
        .isInstanceOfSatisfying(OffsetConflictException.class, e -> {
          assertThat(e.conflict()).isEqualTo(conflict);
          assertThat(e.job()).isEqualTo(JOB);
          assertThat(e.batchId()).isEqualTo(commit.batchId());
          assertThat(e.partition()).isEqualTo(Optional.ofNullable(partition));
          assertThat(e.expected()).isEqualTo(expected);
          assertThat(e.found()).isEqualTo(found);
        })
        .hasMessage(message);
  }

  @Test
  void everyConflictValueHasARefusalCase() {
    assertThat(conflicts().map(a -> (Conflict) a.get()[2]).distinct())
        .containsExactlyInAnyOrder(Conflict.values());
  }

  @Test
  void aCommitOfAnEpochNeverClaimedIsRefused() {
    CommittedOffsets unclaimed = CommittedOffsets.none(JOB, 0);

    assertThatThrownBy(() -> CommitRules.check(unclaimed, Optional.empty(), batch(0, 1).range("orders", 0, 0, 5).build()))
        .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.STALE_EPOCH))
        .hasMessageContaining("expected writer epoch 0 but found epoch 1. This epoch was never issued by the store");
  }

  @Test
  void aStateOfAnotherJobIsAProgrammingError() {
    OffsetCommit other = OffsetCommit.builder("other-job", 8, 3).range("orders", 0, 100, 110).build();

    assertThatThrownBy(() -> CommitRules.check(STORED, Optional.of(BATCH_7), other))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("state of job orders-job checked against a commit of other-job");
  }

  // ---- accepted commits

  static Stream<Arguments> accepted() {
    return Stream.of(
        Arguments.of("every range starts at its stored position",
            STORED, batch(8, 3).range("orders", 0, 100, 110).range("orders", 1, 200, 230).build(),
            Map.of(P0, 110L, P1, 230L), 8L),
        Arguments.of("an empty range keeps the position",
            STORED, batch(8, 3).range("orders", 0, 100, 100).range("orders", 1, 200, 201).build(),
            Map.of(P0, 100L, P1, 201L), 8L),
        Arguments.of("partitions the batch did not read keep their positions",
            STORED, batch(8, 3).range("orders", 1, 200, 250).build(),
            Map.of(P0, 100L, P1, 250L), 8L),
        Arguments.of("a new partition starts at its declared start",
            STORED, batch(8, 3).range("orders", 0, 100, 101).range("orders", 2, 5000, 5010)
                .starts(Map.of(P2, 5000L, P0, 1L)).build(),
            Map.of(P0, 101L, P1, 200L, P2, 5010L), 8L),
        Arguments.of("a new topic starts at its declared start",
            STORED, batch(8, 3).range("clicks.v2", 0, 77, 78).starts(Map.of(new TopicPartition("clicks.v2", 0), 77L)).build(),
            Map.of(P0, 100L, P1, 200L, new TopicPartition("clicks.v2", 0), 78L), 8L),
        Arguments.of("the first commit may carry batch id 0",
            CommittedOffsets.none(JOB, 1), batch(0, 1).range("orders", 0, 40, 50).starts(Map.of(P0, 40L)).build(),
            Map.of(P0, 50L), 0L),
        Arguments.of("the first commit may carry any batch id",
            CommittedOffsets.none(JOB, 1), batch(41, 1).range("orders", 0, 40, 50).range("orders", 1, 0, 3)
                .starts(Map.of(P0, 40L, P1, 0L)).build(),
            Map.of(P0, 50L, P1, 3L), 41L),
        Arguments.of("the first commit may carry a huge batch id",
            CommittedOffsets.none(JOB, 5), batch(1_700_000_000_000L, 5).range("orders", 0, 7, 9).starts(Map.of(P0, 7L)).build(),
            Map.of(P0, 9L), 1_700_000_000_000L),
        Arguments.of("a reset forward past deleted offsets",
            STORED, batch(8, 3).range("orders", 0, 150, 160)
                .resets(List.of(reset(P0, 100, 150, PositionReset.Reason.OFFSETS_DELETED))).build(),
            Map.of(P0, 160L, P1, 200L), 8L),
        Arguments.of("a reset backwards to a recreated topic's start",
            STORED, batch(8, 3).range("orders", 1, 0, 30).range("orders", 0, 100, 105)
                .resets(List.of(reset(P1, 200, 0, PositionReset.Reason.LOG_END_BELOW_POSITION))).build(),
            Map.of(P0, 105L, P1, 30L), 8L));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void acceptsAndReturnsTheNextState(String description, CommittedOffsets current, OffsetCommit commit,
      Map<TopicPartition, Long> positions, long lastBatch) {
    CommitRules.Decision decision = CommitRules.check(current, Optional.empty(), commit);

    assertThat(decision).isInstanceOf(CommitRules.Apply.class);
    CommittedOffsets next = ((CommitRules.Apply) decision).next();
    assertThat(next.job()).isEqualTo(JOB);
    assertThat(next.positions()).isEqualTo(positions);
    assertThat(next.lastBatchId()).hasValue(lastBatch);
    assertThat(next.nextBatchId()).hasValue(lastBatch + 1);
    assertThat(next.epoch()).isEqualTo(current.epoch());
    assertThat(next.lastCommitTime()).contains(T1);
  }

  @Test
  void anIdenticalRetryIsAlreadyApplied() {
    OffsetCommit retry = OffsetCommit.builder(JOB, 7, 3).range("orders", 1, 150, 200).range("orders", 0, 90, 100)
        .commitTime(T1).metadata("attempt", "2").build();

    assertThat(CommitRules.check(STORED, Optional.of(BATCH_7), retry)).isEqualTo(new CommitRules.AlreadyApplied());
  }

  @Test
  void anIdenticalRetryUnderAnOlderEpochIsStillAlreadyApplied() {
    // batch 7 was written under epoch 2; then another driver claimed the job (epoch 3) and the old one retries
    OffsetCommit storedUnderEpoch2 = OffsetCommit.builder(JOB, 7, 2).range("orders", 0, 90, 100)
        .range("orders", 1, 150, 200).commitTime(T0).build();
    OffsetCommit retry = OffsetCommit.builder(JOB, 7, 2).range("orders", 0, 90, 100).range("orders", 1, 150, 200)
        .commitTime(T1).build();

    assertThat(CommitRules.check(STORED, Optional.of(storedUnderEpoch2), retry))
        .isInstanceOf(CommitRules.AlreadyApplied.class);
  }

  @Test
  void theSameRangesUnderAnotherEpochAreAFencedDriverNotARetry() {
    // a fenced driver (epoch 2) ran batch 7 over exactly the ranges its successor (epoch 3) committed
    OffsetCommit zombie = OffsetCommit.builder(JOB, 7, 2).range("orders", 0, 90, 100).range("orders", 1, 150, 200)
        .commitTime(T1).build();

    assertThatThrownBy(() -> CommitRules.check(STORED, Optional.of(BATCH_7), zombie))
        .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.STALE_EPOCH))
        .hasMessageContaining("expected writer epoch 3")
        .hasMessageContaining("this driver is a zombie and must stop");
  }

  @Test
  void aRetryWithADifferentResetIsNotTheSameBatch() {
    OffsetCommit stored = batch(8, 3).range("orders", 0, 150, 160)
        .resets(List.of(reset(P0, 100, 150, PositionReset.Reason.OFFSETS_DELETED))).build();
    CommittedOffsets after = ((CommitRules.Apply) CommitRules.check(STORED, Optional.of(BATCH_7), stored)).next();
    OffsetCommit withoutReset = batch(8, 3).range("orders", 0, 150, 160).build();

    assertThatThrownBy(() -> CommitRules.check(after, Optional.of(stored), withoutReset))
        .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.STALE_BATCH));
  }

  @Test
  void theLastBatchIsNotRecognisedWithoutTheStoredCommit() {
    OffsetCommit retry = OffsetCommit.builder(JOB, 7, 3).range("orders", 0, 90, 100).range("orders", 1, 150, 200)
        .commitTime(T0).build();

    assertThatThrownBy(() -> CommitRules.check(STORED, Optional.empty(), retry))
        .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.STALE_BATCH));
  }

  // ---- rewinds

  /** A job's state and history (newest first), driven through the pure rules as a store would. */
  private static final class Ledger {
    CommittedOffsets state = CommittedOffsets.none(JOB, 0);
    final List<HistoryEntry> history = new ArrayList<>();
    private int minute;

    long claim() {
      state = state.withEpoch(state.epoch() + 1);
      return state.epoch();
    }

    Ledger commit(long batchId, long from0, long until0, long from1, long until1) {
      OffsetCommit c = OffsetCommit.builder(JOB, batchId, state.epoch()).range("orders", 0, from0, until0)
          .range("orders", 1, from1, until1).starts(Map.of(P0, from0, P1, from1))
          .commitTime(T0.plusSeconds(60L * minute++)).build();
      return commit(c);
    }

    Ledger commit(OffsetCommit c) {
      CommitRules.Decision d = CommitRules.check(state, lastCommit(), c);
      assertThat(d).as("commit of batch %s", c.batchId()).isInstanceOf(CommitRules.Apply.class);
      state = ((CommitRules.Apply) d).next();
      history.add(0, new HistoryEntry.Committed(c));
      return this;
    }

    Optional<OffsetCommit> lastCommit() {
      return !history.isEmpty() && history.get(0) instanceof HistoryEntry.Committed c
          ? Optional.of(c.commit()) : Optional.empty();
    }

    CommitRules.Rewind rewind(RewindTarget target) {
      return CommitRules.rewind(state, target, List.copyOf(history), T1);
    }

    Ledger apply(CommitRules.Rewind r) {
      state = r.next();
      history.add(0, r.entry());
      return this;
    }

    /** Batches 0..5: orders-0 reads [10i, 10i+10), orders-1 reads [5i, 5i+5). */
    static Ledger sixBatches() {
      Ledger l = new Ledger();
      l.claim();
      for (int i = 0; i <= 5; i++) {
        l.commit(i, 10L * i, 10L * i + 10, 5L * i, 5L * i + 5);
      }
      return l;
    }

    /** {@link #sixBatches()}, rewound to batch 3, then batches 4' and 5' read other ranges. */
    static Ledger replayedAfterRewindTo3() {
      Ledger l = sixBatches();
      l.apply(l.rewind(RewindTarget.toBatch(3)));
      l.claim();
      l.commit(4, 40, 47, 20, 22);
      l.commit(5, 47, 55, 22, 29);
      return l;
    }
  }

  @Nested
  class Rewind {

    /** Reads {@code retained} as a store reads its history, recording each limit asked for. */
    private CommitRules.HistoryReader<RuntimeException> reader(List<HistoryEntry> retained, List<Integer> asked) {
      return limit -> {
        asked.add(limit);
        return retained.subList(0, Math.min(limit, retained.size()));
      };
    }

    @Test
    void readsNoHistoryForExplicitOffsetsAndOnlyTheEntriesSinceTheBatchForABatch() {
      Ledger l = Ledger.sixBatches();
      List<Integer> asked = new ArrayList<>();

      CommitRules.rewind(l.state, RewindTarget.toOffsets(Map.of(P0, 5L)), reader(l.history, asked), T1);
      assertThat(asked).as("history read for explicit offsets").isEmpty();

      CommitRules.Rewind r = CommitRules.rewind(l.state, RewindTarget.toBatch(3), reader(l.history, asked), T1);
      assertThat(r).isEqualTo(l.rewind(RewindTarget.toBatch(3)));
      assertThat(asked).as("the limits asked for to rewind batches 0..5 to batch 3").containsExactly(4);
    }

    @Test
    void readsMoreOnlyWhenRewindsInBetweenUsedUpTheFirstRead() {
      Ledger l = Ledger.replayedAfterRewindTo3(); // newest first: 5', 4', the rewind, 5, 4, 3, 2, 1, 0
      List<Integer> asked = new ArrayList<>();

      CommitRules.Rewind r = CommitRules.rewind(l.state, RewindTarget.toBatch(1), reader(l.history, asked), T1);

      assertThat(r).isEqualTo(l.rewind(RewindTarget.toBatch(1)));
      assertThat(asked).containsExactly(6, 24);
    }

    @Test
    void aBatchOlderThanTheRetainedHistoryIsRefusedOnceAllOfItWasRead() {
      Ledger l = Ledger.sixBatches();
      List<Integer> asked = new ArrayList<>();
      List<HistoryEntry> retained = l.history.subList(0, 3); // batches 5, 4 and 3

      assertThatThrownBy(() -> CommitRules.rewind(l.state, RewindTarget.toBatch(1), reader(retained, asked), T1))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("older than the retained history");
      assertThat(asked).containsExactly(6);
    }

    @Test
    void toABatchRestoresThePositionsRightAfterIt() {
      Ledger l = Ledger.sixBatches();
      long epoch = l.state.epoch();

      CommitRules.Rewind r = l.rewind(RewindTarget.toBatch(3));

      assertThat(r.next().positions()).containsExactly(Map.entry(P0, 40L), Map.entry(P1, 20L));
      assertThat(r.next().lastBatchId()).hasValue(3);
      assertThat(r.next().nextBatchId()).hasValue(4);
      assertThat(r.next().epoch()).isEqualTo(epoch + 1);
      assertThat(r.next().lastCommitTime()).isEqualTo(l.state.lastCommitTime());
      assertThat(r.entry()).isEqualTo(new HistoryEntry.Rewound(epoch + 1, T1, OptionalLong.of(3), OptionalLong.of(5),
          Map.of(P0, 60L, P1, 30L), OptionalLong.of(3), Map.of(P0, 40L, P1, 20L)));
    }

    @Test
    void toTheLastBatchKeepsThePositionsAndFencesTheWriter() {
      Ledger l = Ledger.sixBatches();

      CommitRules.Rewind r = l.rewind(RewindTarget.toBatch(5));

      assertThat(r.next().positions()).isEqualTo(Map.of(P0, 60L, P1, 30L));
      assertThat(r.next().lastBatchId()).hasValue(5);
      assertThat(r.next().epoch()).isEqualTo(2);
    }

    @Test
    void toBatchZeroRestoresTheEndOfTheFirstBatch() {
      Ledger l = Ledger.sixBatches();

      CommitRules.Rewind r = l.rewind(RewindTarget.toBatch(0));

      assertThat(r.next().positions()).isEqualTo(Map.of(P0, 10L, P1, 5L));
      assertThat(r.next().lastBatchId()).hasValue(0);
    }

    @Test
    void acrossAnEarlierRewindToAnOriginalBatch() {
      Ledger l = Ledger.replayedAfterRewindTo3();
      assertThat(l.state.positions()).isEqualTo(Map.of(P0, 55L, P1, 29L));
      long epoch = l.state.epoch();

      CommitRules.Rewind r = l.rewind(RewindTarget.toBatch(1));

      assertThat(r.next().positions()).isEqualTo(Map.of(P0, 20L, P1, 10L));
      assertThat(r.next().lastBatchId()).hasValue(1);
      assertThat(r.next().epoch()).isEqualTo(epoch + 1);
      assertThat(r.entry()).isEqualTo(new HistoryEntry.Rewound(epoch + 1, T1, OptionalLong.of(1), OptionalLong.of(5),
          Map.of(P0, 55L, P1, 29L), OptionalLong.of(1), Map.of(P0, 20L, P1, 10L)));
    }

    @Test
    void toAReplayedBatchUsesTheReplayNotTheOriginal() {
      Ledger l = Ledger.replayedAfterRewindTo3();

      CommitRules.Rewind r = l.rewind(RewindTarget.toBatch(4));

      // batch 4' ended at (47, 22); the original batch 4 ended at (50, 25)
      assertThat(r.next().positions()).isEqualTo(Map.of(P0, 47L, P1, 22L));
      assertThat(r.next().lastBatchId()).hasValue(4);
    }

    @Test
    void toTheBatchAnEarlierRewindWentTo() {
      Ledger l = Ledger.replayedAfterRewindTo3();

      CommitRules.Rewind r = l.rewind(RewindTarget.toBatch(3));

      assertThat(r.next().positions()).isEqualTo(Map.of(P0, 40L, P1, 20L));
      assertThat(r.next().lastBatchId()).hasValue(3);
    }

    @Test
    void aRewoundJobAcceptsOnlyTheReplayFromTheRestoredPositions() {
      Ledger l = Ledger.replayedAfterRewindTo3();
      l.apply(l.rewind(RewindTarget.toBatch(1)));
      long epoch = l.claim();

      OffsetCommit wrongStart = OffsetCommit.builder(JOB, 2, epoch).range("orders", 0, 15, 30).build();
      assertThatThrownBy(() -> CommitRules.check(l.state, l.lastCommit(), wrongStart))
          .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.OVERLAP))
          .hasMessageContaining("expected range starting at 20");
      OffsetCommit skipsBatch = OffsetCommit.builder(JOB, 6, epoch).range("orders", 0, 20, 30).build();
      assertThatThrownBy(() -> CommitRules.check(l.state, l.lastCommit(), skipsBatch))
          .hasMessageContaining("BATCH_ID_GAP: job orders-job batch 6: expected batch 2 but found batch 6");

      l.commit(2, 20, 30, 10, 15);
      assertThat(l.state.positions()).isEqualTo(Map.of(P0, 30L, P1, 15L));
      assertThat(l.state.lastBatchId()).hasValue(2);
    }

    @Test
    void toABatchAcrossARewindToExplicitOffsets() {
      Ledger l = Ledger.sixBatches();
      l.apply(l.rewind(RewindTarget.toOffsets(Map.of(P0, 0L))));
      l.claim();
      l.commit(6, 0, 10, 30, 31);

      CommitRules.Rewind r = l.rewind(RewindTarget.toBatch(4));

      assertThat(r.next().positions()).isEqualTo(Map.of(P0, 50L, P1, 25L));
      assertThat(r.next().lastBatchId()).hasValue(4);
    }

    /** "Back to the state right after batch k" holds for the last batch too, after a rewind to explicit offsets. */
    @Test
    void toTheLastBatchAfterARewindToExplicitOffsetsRestoresThatBatchsEnd() {
      Ledger l = Ledger.sixBatches();
      l.apply(l.rewind(RewindTarget.toOffsets(Map.of(P0, 0L))));
      assertThat(l.state.positions()).isEqualTo(Map.of(P0, 0L, P1, 30L));

      CommitRules.Rewind r = l.rewind(RewindTarget.toBatch(5));

      assertThat(r.next().positions()).isEqualTo(Map.of(P0, 60L, P1, 30L));
      assertThat(r.next().lastBatchId()).hasValue(5);
    }

    @Test
    void toABatchBeforeAResetRestoresTheReplacedPosition() {
      Ledger l = Ledger.sixBatches();
      l.commit(OffsetCommit.builder(JOB, 6, l.state.epoch()).range("orders", 0, 80, 90).range("orders", 1, 30, 31)
          .resets(List.of(reset(P0, 60, 80, PositionReset.Reason.OFFSETS_DELETED))).build());

      CommitRules.Rewind r = l.rewind(RewindTarget.toBatch(5));

      assertThat(r.next().positions()).isEqualTo(Map.of(P0, 60L, P1, 30L));
    }

    @Test
    void toExplicitOffsetsReplacesListedPartitionsAndKeepsTheBatchSequence() {
      Ledger l = Ledger.sixBatches();
      TopicPartition clicks = new TopicPartition("clicks", 0);

      CommitRules.Rewind r = l.rewind(RewindTarget.toOffsets(Map.of(P1, 12L, clicks, 7L)));

      assertThat(r.next().positions()).containsExactly(Map.entry(clicks, 7L), Map.entry(P0, 60L), Map.entry(P1, 12L));
      assertThat(r.next().lastBatchId()).hasValue(5);
      assertThat(r.next().nextBatchId()).hasValue(6);
      assertThat(r.next().epoch()).isEqualTo(2);
      assertThat(r.entry()).isEqualTo(new HistoryEntry.Rewound(2, T1, OptionalLong.empty(), OptionalLong.of(5),
          Map.of(P0, 60L, P1, 30L), OptionalLong.of(5), Map.of(clicks, 7L, P0, 60L, P1, 12L)));
    }

    @Test
    void toExplicitOffsetsOfAJobThatNeverCommitted() {
      CommitRules.Rewind r = CommitRules.rewind(CommittedOffsets.none(JOB, 4), RewindTarget.toOffsets(Map.of(P0, 9L)),
          List.of(), T1);

      assertThat(r.next().positions()).isEqualTo(Map.of(P0, 9L));
      assertThat(r.next().lastBatchId()).isEmpty();
      assertThat(r.next().epoch()).isEqualTo(5);
      assertThat(r.next().isEmpty()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(longs = {6, 7, 1000})
    void forwardIsRefused(long target) {
      Ledger l = Ledger.sixBatches();

      assertThatThrownBy(() -> l.rewind(RewindTarget.toBatch(target)))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessage("job orders-job has committed up to batch 5; it cannot be rewound forward to batch " + target);
    }

    @Test
    void toABatchOfAJobWithoutBatchesIsRefused() {
      assertThatThrownBy(() -> CommitRules.rewind(CommittedOffsets.none(JOB, 1), RewindTarget.toBatch(0), List.of(), T1))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessage("job orders-job has committed no batch; it cannot be rewound forward to batch 0");
    }

    @Test
    void toABatchOlderThanTheRetainedHistoryIsRefused() {
      Ledger l = new Ledger();
      l.claim();
      for (int i = 0; i <= 9; i++) {
        l.commit(i, 10L * i, 10L * i + 10, 5L * i, 5L * i + 5);
      }
      List<HistoryEntry> retained = List.copyOf(l.history.subList(0, 5)); // batches 9..5

      CommitRules.Rewind toFour = CommitRules.rewind(l.state, RewindTarget.toBatch(4), retained, T1);
      assertThat(toFour.next().positions()).isEqualTo(Map.of(P0, 50L, P1, 25L));
      assertThat(toFour.next().lastBatchId()).hasValue(4);

      assertThatThrownBy(() -> CommitRules.rewind(l.state, RewindTarget.toBatch(3), retained, T1))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessage("batch 3 of job orders-job is older than the retained history (5 entries); rewind to explicit"
              + " offsets instead");
    }

    @Test
    void anInconsistentHistoryIsReported() {
      Ledger l = Ledger.sixBatches();
      List<HistoryEntry> gapped = new ArrayList<>(l.history);
      gapped.remove(1); // drop batch 4

      assertThatThrownBy(() -> CommitRules.rewind(l.state, RewindTarget.toBatch(2), gapped, T1))
          .isExactlyInstanceOf(IllegalStateException.class)
          .hasMessage("history of job orders-job is inconsistent: batch 3 found where batch 4 was expected");
    }

    @Test
    void targetsValidateTheirArguments() {
      assertThatThrownBy(() -> RewindTarget.toBatch(-1))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessage("batch id to rewind to must be >= 0, got -1");
      assertThatThrownBy(() -> RewindTarget.toOffsets(Map.of()))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessage("a rewind to explicit offsets needs at least one position");
      assertThatThrownBy(() -> RewindTarget.toOffsets(Map.of(P0, -3L)))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessage("offset of orders-0 must be >= 0, got -3");
      assertThatThrownBy(() -> RewindTarget.toOffsets(Map.of(new TopicPartition("bad topic", 0), 3L)))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("topic name 'bad topic' contains an illegal character");
    }
  }
}
