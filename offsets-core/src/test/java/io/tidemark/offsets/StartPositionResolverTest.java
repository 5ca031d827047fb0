package io.tidemark.offsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.OffsetConflictException.Conflict;
import io.tidemark.offsets.spi.CommitRules;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Every start-position policy against a hand-written cluster view; and lag. */
class StartPositionResolverTest {

  private static final String JOB = "orders-job";
  private static final Instant NOW = Instant.parse("2026-04-01T09:30:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final TopicPartition P0 = new TopicPartition("orders", 0);
  private static final TopicPartition P1 = new TopicPartition("orders", 1);
  private static final TopicPartition P2 = new TopicPartition("orders", 2);

  /** orders: partition 0 holds [10, 40), partition 1 holds [0, 30), partition 2 holds [5, 5) (empty). */
  private static FakePartitionOffsets cluster() {
    return new FakePartitionOffsets().topic("orders", 3).log("orders", 0, 10, 40).log("orders", 1, 0, 30)
        .log("orders", 2, 5, 5);
  }

  private static StartPositionResolver.Builder resolver() {
    return StartPositionResolver.builder().clock(CLOCK);
  }

  private static CommittedOffsets stored(Map<TopicPartition, Long> positions) {
    return CommittedOffsets.of(JOB, positions, OptionalLong.of(7), 2, Optional.of(NOW.minusSeconds(3600)));
  }

  private static final CommittedOffsets FRESH = CommittedOffsets.none(JOB, 1);

  private static void assertNoLoss(ResolvedStart start) {
    assertThat(start.dataLossEvents()).isEmpty();
    assertThat(start.resets()).isEmpty();
    assertThat(start.commitMetadata()).isEmpty();
    assertThat(start.droppedTopics()).isEmpty();
  }

  @Nested
  class FreshJob {

    @Test
    void earliestByDefault() {
      ResolvedStart start = resolver().build().resolve(FRESH, List.of("orders"), cluster());

      assertThat(start.positions()).containsExactly(Map.entry(P0, 10L), Map.entry(P1, 0L), Map.entry(P2, 5L));
      assertNoLoss(start);
    }

    @Test
    void latest() {
      ResolvedStart start = resolver().whenNoStoredPosition(StartPosition.latest()).build()
          .resolve(FRESH, List.of("orders"), cluster());

      assertThat(start.positions()).containsExactly(Map.entry(P0, 40L), Map.entry(P1, 30L), Map.entry(P2, 5L));
      assertNoLoss(start);
    }

    @Test
    void timestampWithAndWithoutAMatchingRecord() {
      Instant t = Instant.parse("2026-03-31T00:00:00Z");
      FakePartitionOffsets cluster = cluster()
          .record("orders", 0, t.minusSeconds(60), 12).record("orders", 0, t, 20).record("orders", 0, t.plusSeconds(60), 25)
          .record("orders", 1, t.minusSeconds(1), 29);

      ResolvedStart start = resolver().whenNoStoredPosition(StartPosition.timestamp(t)).build()
          .resolve(FRESH, List.of("orders"), cluster);

      // orders-0: first record at or after t; orders-1 and orders-2: no such record, so the log end
      assertThat(start.positions()).containsExactly(Map.entry(P0, 20L), Map.entry(P1, 30L), Map.entry(P2, 5L));
      assertNoLoss(start);
      assertThat(cluster.calls).contains("forTimestamp [orders-0, orders-1, orders-2] " + t);
    }

    @Test
    void theTimestampIsNotAskedForWhenTheJobHasCommitted() {
      FakePartitionOffsets cluster = cluster();

      ResolvedStart start = resolver().whenNoStoredPosition(StartPosition.timestamp(NOW)).build()
          .resolve(stored(Map.of(P0, 15L, P1, 3L, P2, 5L)), List.of("orders"), cluster);

      assertThat(start.positions()).containsExactly(Map.entry(P0, 15L), Map.entry(P1, 3L), Map.entry(P2, 5L));
      assertThat(cluster.calls).noneMatch(c -> c.startsWith("forTimestamp"));
    }

    @Test
    void explicitOffsetsForListedPartitionsAndTheNewPartitionPolicyForOthers() {
      StartPosition explicit = StartPosition.offsets(Map.of(P0, 12L, P2, 5L));

      ResolvedStart earliest = resolver().whenNoStoredPosition(explicit).build()
          .resolve(FRESH, List.of("orders"), cluster());
      ResolvedStart latest = resolver().whenNoStoredPosition(explicit).onNewPartition(NewPartitionPolicy.LATEST).build()
          .resolve(FRESH, List.of("orders"), cluster());

      assertThat(earliest.positions()).containsExactly(Map.entry(P0, 12L), Map.entry(P1, 0L), Map.entry(P2, 5L));
      assertThat(latest.positions()).containsExactly(Map.entry(P0, 12L), Map.entry(P1, 30L), Map.entry(P2, 5L));
      assertNoLoss(earliest);
    }

    @Test
    void explicitOffsetsWithAnUnlistedPartitionUnderFail() {
      StartPositionResolver r = resolver().whenNoStoredPosition(StartPosition.offsets(Map.of(P0, 12L, P2, 5L)))
          .onNewPartition(NewPartitionPolicy.FAIL).build();

      assertThatThrownBy(() -> r.resolve(FRESH, List.of("orders"), cluster()))
          .isExactlyInstanceOf(StartPositionException.class)
          .hasMessage("partition orders-1 has no position for job orders-job (log start 0, end 30). Set"
              + " NewPartitionPolicy.EARLIEST or LATEST to read it, or rewind the job to explicit offsets that include it.");
    }

    @Test
    void explicitOffsetsOutsideTheLogFollowTheLossPoliciesWithoutResets() {
      StartPosition explicit = StartPosition.offsets(Map.of(P0, 2L, P1, 99L, P2, 5L));

      ResolvedStart start = resolver().whenNoStoredPosition(explicit).onLostOffsets(LostOffsetsPolicy.EARLIEST)
          .onOffsetsAhead(OffsetsAheadPolicy.LATEST).build()
          .resolve(FRESH, List.of("orders"), cluster());

      assertThat(start.positions()).containsExactly(Map.entry(P0, 10L), Map.entry(P1, 30L), Map.entry(P2, 5L));
      assertThat(start.dataLossEvents()).containsExactly(
          new DataLossEvent(JOB, P0, 2, 10, 10, 40, PositionReset.Reason.OFFSETS_DELETED, NOW),
          new DataLossEvent(JOB, P1, 99, 30, 0, 30, PositionReset.Reason.LOG_END_BELOW_POSITION, NOW));
      // nothing was stored, so no commit has a position to replace
      assertThat(start.resets()).isEmpty();
    }
  }

  @Nested
  class NewPartition {

    private final CommittedOffsets before = stored(Map.of(P0, 15L, P1, 3L));

    @Test
    void earliestByDefault() {
      ResolvedStart start = resolver().build().resolve(before, List.of("orders"), cluster());

      assertThat(start.positions()).containsExactly(Map.entry(P0, 15L), Map.entry(P1, 3L), Map.entry(P2, 5L));
      assertNoLoss(start);
    }

    @Test
    void latest() {
      FakePartitionOffsets cluster = cluster().log("orders", 2, 5, 17);

      ResolvedStart start = resolver().onNewPartition(NewPartitionPolicy.LATEST).build()
          .resolve(before, List.of("orders"), cluster);

      assertThat(start.positions()).containsExactly(Map.entry(P0, 15L), Map.entry(P1, 3L), Map.entry(P2, 17L));
      assertNoLoss(start);
    }

    @Test
    void failNamesThePartitionAndItsLog() {
      FakePartitionOffsets cluster = cluster().log("orders", 2, 5, 17);
      StartPositionResolver r = resolver().onNewPartition(NewPartitionPolicy.FAIL).build();

      assertThatThrownBy(() -> r.resolve(before, List.of("orders"), cluster))
          .isExactlyInstanceOf(StartPositionException.class)
          .hasMessage("partition orders-2 has no position for job orders-job (log start 5, end 17). Set"
              + " NewPartitionPolicy.EARLIEST or LATEST to read it, or rewind the job to explicit offsets that include it.");
    }

    @Test
    void aNewTopicOfAJobThatHasCommittedIsANewPartition() {
      FakePartitionOffsets cluster = cluster().topic("clicks", 1).log("clicks", 0, 100, 150);

      ResolvedStart start = resolver().whenNoStoredPosition(StartPosition.latest()).build()
          .resolve(stored(Map.of(P0, 15L, P1, 3L, P2, 5L)), List.of("orders", "clicks"), cluster);

      // the job has committed: StartPosition.latest() no longer applies, the new-partition policy (EARLIEST) does
      assertThat(start.positions()).containsEntry(new TopicPartition("clicks", 0), 100L).hasSize(4);
    }
  }

  @Nested
  class LostOffsets {

    /** orders-0 is stored at 3, but the log starts at 10: [3, 10) were deleted. */
    private final CommittedOffsets behind = stored(Map.of(P0, 3L, P1, 25L, P2, 5L));

    @Test
    void failByDefaultNamingTheExactRangeAndThePolicy() {
      List<DataLossEvent> heard = new ArrayList<>();
      StartPositionResolver r = resolver().dataLossListener(heard::add).build();

      assertThatThrownBy(() -> r.resolve(behind, List.of("orders"), cluster()))
          .isExactlyInstanceOf(StartPositionException.class)
          .hasMessage("job orders-job: offsets [3, 10) of orders-0 were deleted by retention before the job read them"
              + " (position 3, log start 10). Set LostOffsetsPolicy.EARLIEST to continue at 10 (recorded as data loss),"
              + " or LATEST to continue at 40.");
      assertThat(heard).isEmpty();
    }

    @Test
    void earliestContinuesAtTheLogStartAndRecordsTheLoss() {
      ResolvedStart start = resolver().onLostOffsets(LostOffsetsPolicy.EARLIEST).build()
          .resolve(behind, List.of("orders"), cluster());

      assertThat(start.positions()).containsExactly(Map.entry(P0, 10L), Map.entry(P1, 25L), Map.entry(P2, 5L));
      DataLossEvent event = new DataLossEvent(JOB, P0, 3, 10, 10, 40, PositionReset.Reason.OFFSETS_DELETED, NOW);
      assertThat(start.dataLossEvents()).containsExactly(event);
      assertThat(event.lostRange()).isEqualTo(new OffsetRange("orders", 0, 3, 10));
      assertThat(start.resets()).containsExactly(new PositionReset(P0, 3, 10, PositionReset.Reason.OFFSETS_DELETED));
      assertThat(start.commitMetadata()).isEqualTo(Map.of(ResolvedStart.DATA_LOSS_METADATA_KEY,
          "job orders-job skips orders-0[3, 10): offsets orders-0[3, 10) were deleted by retention before the job read"
              + " them"));
      assertThat(ResolvedStart.DATA_LOSS_METADATA_KEY).isEqualTo("tidemark.data-loss");
    }

    @Test
    void latestContinuesAtTheLogEndAndRecordsTheSkip() {
      ResolvedStart start = resolver().onLostOffsets(LostOffsetsPolicy.LATEST).build()
          .resolve(behind, List.of("orders"), cluster());

      assertThat(start.positions()).containsExactly(Map.entry(P0, 40L), Map.entry(P1, 25L), Map.entry(P2, 5L));
      assertThat(start.dataLossEvents()).containsExactly(
          new DataLossEvent(JOB, P0, 3, 40, 10, 40, PositionReset.Reason.OFFSETS_DELETED, NOW));
      assertThat(start.resets()).containsExactly(new PositionReset(P0, 3, 40, PositionReset.Reason.OFFSETS_DELETED));
      assertThat(start.commitMetadata()).isEqualTo(Map.of("tidemark.data-loss",
          "job orders-job skips orders-0[3, 40): offsets orders-0[3, 10) were deleted by retention before the job read"
              + " them"));
    }

    @Test
    void aPositionAtTheLogStartLostNothing() {
      ResolvedStart start = resolver().build().resolve(stored(Map.of(P0, 10L, P1, 0L, P2, 5L)), List.of("orders"),
          cluster());

      assertThat(start.positions()).containsExactly(Map.entry(P0, 10L), Map.entry(P1, 0L), Map.entry(P2, 5L));
      assertNoLoss(start);
    }
  }

  @Nested
  class OffsetsAhead {

    /** orders-1 is stored at 90, but its log ends at 30: the topic was recreated. */
    private final CommittedOffsets ahead = stored(Map.of(P0, 40L, P1, 90L, P2, 5L));

    @Test
    void failByDefaultNamingThePositionTheLogEndAndThePolicy() {
      StartPositionResolver r = resolver().build();

      assertThatThrownBy(() -> r.resolve(ahead, List.of("orders"), cluster()))
          .isExactlyInstanceOf(StartPositionException.class)
          .hasMessage("job orders-job: position 90 of orders-1 is above the log end 30 (the topic was recreated or"
              + " truncated). Set OffsetsAheadPolicy.EARLIEST to read the partition again from 0, or LATEST to continue"
              + " at 30.");
    }

    @Test
    void earliestReadsThePartitionAgain() {
      ResolvedStart start = resolver().onOffsetsAhead(OffsetsAheadPolicy.EARLIEST).build()
          .resolve(ahead, List.of("orders"), cluster());

      assertThat(start.positions()).containsExactly(Map.entry(P0, 40L), Map.entry(P1, 0L), Map.entry(P2, 5L));
      assertThat(start.dataLossEvents()).containsExactly(
          new DataLossEvent(JOB, P1, 90, 0, 0, 30, PositionReset.Reason.LOG_END_BELOW_POSITION, NOW));
      assertThat(start.resets()).containsExactly(
          new PositionReset(P1, 90, 0, PositionReset.Reason.LOG_END_BELOW_POSITION));
      assertThat(start.commitMetadata()).isEqualTo(Map.of("tidemark.data-loss",
          "job orders-job moves orders-1 from 90 to 0: the log ends at 30, below the stored position (topic recreated"
              + " or truncated)"));
    }

    @Test
    void latestContinuesAtTheLogEnd() {
      ResolvedStart start = resolver().onOffsetsAhead(OffsetsAheadPolicy.LATEST).build()
          .resolve(ahead, List.of("orders"), cluster());

      assertThat(start.positions()).containsExactly(Map.entry(P0, 40L), Map.entry(P1, 30L), Map.entry(P2, 5L));
      assertThat(start.resets()).containsExactly(
          new PositionReset(P1, 90, 30, PositionReset.Reason.LOG_END_BELOW_POSITION));
      assertThat(start.dataLossEvents()).singleElement()
          .satisfies(e -> assertThat(e.lostRange()).isEqualTo(new OffsetRange("orders", 1, 30, 90)));
    }

    @Test
    void theLossPoliciesDoNotTouchOtherPartitions() {
      ResolvedStart start = resolver().onLostOffsets(LostOffsetsPolicy.LATEST).onOffsetsAhead(OffsetsAheadPolicy.LATEST)
          .build().resolve(stored(Map.of(P0, 40L, P1, 30L, P2, 5L)), List.of("orders"), cluster());

      assertThat(start.positions()).containsExactly(Map.entry(P0, 40L), Map.entry(P1, 30L), Map.entry(P2, 5L));
      assertNoLoss(start);
    }
  }

  @Nested
  class MissingTopic {

    @Test
    void failByDefault() {
      StartPositionResolver r = resolver().build();

      assertThatThrownBy(() -> r.resolve(FRESH, List.of("orders", "gone"), cluster()))
          .isExactlyInstanceOf(StartPositionException.class)
          .hasMessage("topic gone does not exist. Create it, remove it from the job's topics, or set"
              + " MissingTopicPolicy.DROP to go on without it.");
    }

    @Test
    void failSaysWhenTheJobHadPositionsInIt() {
      StartPositionResolver r = resolver().build();
      CommittedOffsets withGone = stored(Map.of(P0, 15L, new TopicPartition("gone", 0), 4L));

      assertThatThrownBy(() -> r.resolve(withGone, List.of("orders", "gone"), cluster()))
          .isExactlyInstanceOf(StartPositionException.class)
          .hasMessage("topic gone does not exist but job orders-job has committed positions in it (was it deleted?)."
              + " Create it, remove it from the job's topics, or set MissingTopicPolicy.DROP to go on without it.");
    }

    @Test
    void dropGoesOnWithoutIt() {
      CommittedOffsets withGone = stored(Map.of(P0, 15L, P1, 3L, P2, 5L, new TopicPartition("gone", 0), 4L));

      ResolvedStart start = resolver().onMissingTopic(MissingTopicPolicy.DROP).build()
          .resolve(withGone, List.of("gone", "orders", "also-gone"), cluster());

      assertThat(start.droppedTopics()).containsExactly("also-gone", "gone");
      assertThat(start.positions()).containsExactly(Map.entry(P0, 15L), Map.entry(P1, 3L), Map.entry(P2, 5L));
      assertThat(start.dataLossEvents()).isEmpty();
      assertThat(start).hasToString("ResolvedStart{positions={orders-0=15, orders-1=3, orders-2=5}, events=0,"
          + " dropped=[also-gone, gone]}");
    }
  }

  @Nested
  class Listener {

    @Test
    void receivesEveryEventThatTheResultRecords() {
      FakePartitionOffsets cluster = cluster().topic("clicks", 2).log("clicks", 0, 50, 60).log("clicks", 1, 0, 8);
      CommittedOffsets stored = stored(Map.of(P0, 3L, P1, 90L, P2, 1L, new TopicPartition("clicks", 0), 49L,
          new TopicPartition("clicks", 1), 8L));
      List<DataLossEvent> heard = new ArrayList<>();

      ResolvedStart start = resolver().onLostOffsets(LostOffsetsPolicy.EARLIEST).onOffsetsAhead(OffsetsAheadPolicy.EARLIEST)
          .dataLossListener(heard::add).build()
          .resolve(stored, List.of("orders", "clicks"), cluster);

      // in partition order (topic, then number), whatever order the topics were given in
      assertThat(heard).containsExactly(
          new DataLossEvent(JOB, new TopicPartition("clicks", 0), 49, 50, 50, 60, PositionReset.Reason.OFFSETS_DELETED,
              NOW),
          new DataLossEvent(JOB, P0, 3, 10, 10, 40, PositionReset.Reason.OFFSETS_DELETED, NOW),
          new DataLossEvent(JOB, P1, 90, 0, 0, 30, PositionReset.Reason.LOG_END_BELOW_POSITION, NOW),
          new DataLossEvent(JOB, P2, 1, 5, 5, 5, PositionReset.Reason.OFFSETS_DELETED, NOW));
      assertThat(start.dataLossEvents()).isEqualTo(heard);
      assertThat(start.resets()).extracting(PositionReset::partition)
          .containsExactly(new TopicPartition("clicks", 0), P0, P1, P2);
      assertThat(start.commitMetadata().get("tidemark.data-loss").split("\n"))
          .containsExactly(heard.stream().map(DataLossEvent::describe).toArray(String[]::new));
    }

    @Test
    void aThrowingListenerFailsTheResolution() {
      StartPositionResolver r = resolver().onLostOffsets(LostOffsetsPolicy.EARLIEST)
          .dataLossListener(e -> {
            throw new IllegalStateException("alerting is down: " + e.partition());
          }).build();

      assertThatThrownBy(() -> r.resolve(stored(Map.of(P0, 3L)), List.of("orders"), cluster()))
          .isExactlyInstanceOf(IllegalStateException.class)
          .hasMessage("alerting is down: orders-0");
    }
  }

  @Nested
  class CommitAfterDataLoss {

    private final CommittedOffsets stored = stored(Map.of(P0, 3L, P1, 90L, P2, 5L));

    private ResolvedStart start() {
      return resolver().onLostOffsets(LostOffsetsPolicy.EARLIEST).onOffsetsAhead(OffsetsAheadPolicy.LATEST).build()
          .resolve(stored, List.of("orders"), cluster());
    }

    private OffsetCommit.Builder batchFrom(ResolvedStart start) {
      OffsetCommit.Builder b = OffsetCommit.builder(JOB, stored.nextBatchId().getAsLong(), stored.epoch())
          .commitTime(NOW);
      start.positions().forEach((tp, from) -> b.range(OffsetRange.of(tp, from, from + 2)));
      return b;
    }

    @Test
    void aCommitDeclaringTheResolvedResetsIsAccepted() {
      ResolvedStart start = start();
      OffsetCommit commit = batchFrom(start).resets(start.resets()).metadata(start.commitMetadata()).build();

      CommitRules.Decision d = CommitRules.check(stored, Optional.empty(), commit);

      assertThat(d).isInstanceOf(CommitRules.Apply.class);
      assertThat(((CommitRules.Apply) d).next().positions())
          .containsExactly(Map.entry(P0, 12L), Map.entry(P1, 32L), Map.entry(P2, 7L));
      assertThat(commit.metadata()).containsKey("tidemark.data-loss");
    }

    @Test
    void theSameCommitWithoutTheResetsIsRefused() {
      OffsetCommit commit = batchFrom(start()).build();

      assertThatThrownBy(() -> CommitRules.check(stored, Optional.empty(), commit))
          .isInstanceOfSatisfying(OffsetConflictException.class, e -> {
            assertThat(e.conflict()).isEqualTo(Conflict.GAP);
            assertThat(e.partition()).contains(P0);
          })
          .hasMessageContaining("(offsets [3, 10) would never be processed)");
    }

    @Test
    void aMemoryStoreAcceptsItAndRecordsWhy() {
      try (OffsetStore store = OffsetStores.open("memory:after-loss")) {
        long epoch = store.claim(JOB);
        store.commit(OffsetCommit.builder(JOB, 0, epoch).range("orders", 0, 0, 3).range("orders", 1, 0, 90)
            .range("orders", 2, 0, 5).starts(Map.of(P0, 0L, P1, 0L, P2, 0L)).build());
        CommittedOffsets before = store.read(JOB);
        ResolvedStart start = resolver().onLostOffsets(LostOffsetsPolicy.EARLIEST)
            .onOffsetsAhead(OffsetsAheadPolicy.LATEST).build().resolve(before, List.of("orders"), cluster());
        OffsetCommit.Builder b = OffsetCommit.builder(JOB, 1, epoch).resets(start.resets())
            .metadata(start.commitMetadata());
        start.positions().forEach((tp, from) -> b.range(OffsetRange.of(tp, from, from + 1)));

        assertThat(store.commit(b.build())).isEqualTo(CommitResult.APPLIED);
        assertThat(store.read(JOB).positions()).containsExactly(Map.entry(P0, 11L), Map.entry(P1, 31L),
            Map.entry(P2, 6L));
        HistoryEntry.Committed newest = (HistoryEntry.Committed) store.history(JOB, 1).get(0);
        assertThat(newest.commit().metadata().get("tidemark.data-loss")).isEqualTo(
            "job orders-job skips orders-0[3, 10): offsets orders-0[3, 10) were deleted by retention before the job"
                + " read them\njob orders-job moves orders-1 from 90 to 30: the log ends at 30, below the stored"
                + " position (topic recreated or truncated)");
      }
    }
  }

  @Test
  void aJobMustReadATopic() {
    assertThatThrownBy(() -> resolver().build().resolve(FRESH, List.of(), cluster()))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("job orders-job reads no topic");
    assertThatThrownBy(() -> resolver().build().resolve(FRESH, List.of("orders", "bad topic"), cluster()))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("topic name 'bad topic' contains an illegal character");
  }

  // ---- lag

  @Nested
  class Lag {

    @Test
    void perPartitionLagTotalsAndMissingPartitions() {
      FakePartitionOffsets cluster = new FakePartitionOffsets().topic("orders", 2).log("orders", 0, 0, 40)
          .log("orders", 1, 0, 45).topic("clicks", 1).log("clicks", 0, 0, 1000);
      CommittedOffsets committed = stored(Map.of(P0, 10L, P1, 50L, P2, 5L, new TopicPartition("gone", 0), 7L,
          new TopicPartition("clicks", 0), 400L));

      JobLag lag = JobLag.of(committed, cluster);

      assertThat(lag.job()).isEqualTo(JOB);
      assertThat(lag.partitions()).containsExactly(
          new JobLag.PartitionLag(new TopicPartition("clicks", 0), 400, 1000),
          new JobLag.PartitionLag(P0, 10, 40),
          new JobLag.PartitionLag(P1, 50, 45));
      assertThat(lag.partitions()).extracting(JobLag.PartitionLag::lag).containsExactly(600L, 30L, 0L);
      assertThat(lag.totalLag()).isEqualTo(630);
      assertThat(lag.maxLag()).isEqualTo(600);
      assertThat(lag.missingPartitions()).containsExactly(new TopicPartition("gone", 0), P2);
    }

    @Test
    void aJobWithoutPositionsHasNoLag() {
      JobLag lag = JobLag.of(FRESH, new FakePartitionOffsets());

      assertThat(lag.partitions()).isEmpty();
      assertThat(lag.missingPartitions()).isEmpty();
      assertThat(lag.totalLag()).isZero();
      assertThat(lag.maxLag()).isZero();
    }

    @Test
    void aJobThatCaughtUpHasZeroLag() {
      JobLag lag = JobLag.of(stored(Map.of(P0, 40L, P1, 30L, P2, 5L)), cluster());

      assertThat(lag.partitions()).extracting(JobLag.PartitionLag::lag).containsExactly(0L, 0L, 0L);
      assertThat(lag.totalLag()).isZero();
    }
  }
}
