package io.tidemark.offsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Validation and behaviour of the value types. */
class ModelTest {

  private static final String JOB = "orders-job";
  private static final Instant T0 = Instant.parse("2026-02-01T08:00:00Z");
  private static final TopicPartition P0 = new TopicPartition("orders", 0);
  private static final TopicPartition P1 = new TopicPartition("orders", 1);

  // ---- OffsetRange

  static Stream<Arguments> badRanges() {
    return Stream.of(
        Arguments.of("orders", -1, 0L, 0L, "partition of orders must be >= 0, got -1"),
        Arguments.of("orders", 2, -1L, 5L, "fromOffset of orders-2 must be >= 0, got -1"),
        Arguments.of("orders", 2, 5L, 4L,
            "untilOffset 4 of orders-2 is below fromOffset 5 (a range is [fromOffset, untilOffset))"),
        Arguments.of("orders", 0, Long.MAX_VALUE, 0L,
            "untilOffset 0 of orders-0 is below fromOffset 9223372036854775807 (a range is [fromOffset, untilOffset))"),
        Arguments.of("", 0, 0L, 0L, "topic name must not be empty"),
        Arguments.of("orders!", 0, 0L, 0L, "topic name 'orders!' contains an illegal character; use only ASCII letters,"
            + " digits, '.', '_' and '-' (Kafka's legal topic characters)"));
  }

  @ParameterizedTest(name = "{0}-{1}[{2}, {3})")
  @MethodSource("badRanges")
  void offsetRangeNamesTheBadComponent(String topic, int partition, long from, long until, String message) {
    assertThatThrownBy(() -> new OffsetRange(topic, partition, from, until))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void offsetRangeIsHalfOpen() {
    OffsetRange r = OffsetRange.of(new TopicPartition("orders.v1", 3), 10, 25);

    assertThat(r).isEqualTo(new OffsetRange("orders.v1", 3, 10, 25));
    assertThat(r.count()).isEqualTo(15);
    assertThat(r.topicPartition()).isEqualTo(new TopicPartition("orders.v1", 3));
    assertThat(r).hasToString("orders.v1-3[10, 25)");
    assertThat(new OffsetRange("orders", 0, 7, 7).count()).isZero();
  }

  // ---- job ids and topic names

  private static final String ILLEGAL = " contains an illegal character; use only ASCII letters, digits, '.', '_' and"
      + " '-' (Kafka's legal topic characters)";

  static Stream<Arguments> badNames() {
    String tooLong = "x".repeat(250);
    return Stream.of(
        Arguments.of("orders job", "'orders job'" + ILLEGAL),
        Arguments.of("orders/2026", "'orders/2026'" + ILLEGAL),
        Arguments.of("orders:eu", "'orders:eu'" + ILLEGAL),
        Arguments.of("caf\u00e9", "'caf\u00e9'" + ILLEGAL),
        Arguments.of("orders\n", "'orders\n'" + ILLEGAL),
        Arguments.of(tooLong, "'xxxxxxxxxxxxxxxxxxxx...' is 250 characters long; the limit is 249"),
        Arguments.of(".", "'.' is not allowed: '.' and '..' are reserved"),
        Arguments.of("..", "'..' is not allowed: '.' and '..' are reserved"),
        Arguments.of("", "must not be empty"),
        Arguments.of(null, "must not be null"));
  }

  @ParameterizedTest(name = "[{index}] job id {0}")
  @MethodSource("badNames")
  void badJobIdsAreRefusedNamingTheValueAndTheRule(String job, String message) {
    assertThatThrownBy(() -> OffsetCommit.builder(job, 0, 1).build())
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("job id " + message);
    assertThatThrownBy(() -> CommittedOffsets.none(job, 0))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("job id " + message);
  }

  @ParameterizedTest(name = "[{index}] topic {0}")
  @MethodSource("badNames")
  void badTopicNamesAreRefusedNamingTheValueAndTheRule(String topic, String message) {
    assertThatThrownBy(() -> new OffsetRange(topic, 0, 0, 1))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("topic name " + message);
  }

  @ParameterizedTest
  @ValueSource(strings = {"orders", "orders.v1", "click-stream", "raw_events", "A-Z.a_z-0.9", "...", "x.", "-"})
  void legalNamesAreAccepted(String name) {
    assertThat(new OffsetRange(name, 0, 0, 1).topic()).isEqualTo(name);
    assertThat(CommittedOffsets.none(name, 0).job()).isEqualTo(name);
  }

  @Test
  void namesOf249CharactersAreAccepted() {
    String longest = "y".repeat(249);

    assertThat(new OffsetRange(longest, 0, 0, 1).topic()).hasSize(249);
    assertThat(OffsetCommit.builder(longest, 0, 1).build().job()).hasSize(249);
  }

  // ---- OffsetCommit

  @Test
  void commitRefusesTwoRangesOfOnePartition() {
    OffsetCommit.Builder b = OffsetCommit.builder(JOB, 3, 1).range("orders", 0, 0, 5).range("orders", 1, 0, 5)
        .range("orders", 0, 5, 10);

    assertThatThrownBy(b::build)
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("batch 3 of job orders-job has two ranges for orders-0: orders-0[0, 5) and orders-0[5, 10)");
  }

  @Test
  void commitRefusesAResetWithoutARange() {
    OffsetCommit.Builder b = OffsetCommit.builder(JOB, 3, 1).range("orders", 0, 10, 20)
        .resets(List.of(new PositionReset(P1, 4, 10, PositionReset.Reason.OFFSETS_DELETED)));

    assertThatThrownBy(b::build)
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("batch 3 of job orders-job resets orders-1 but has no range for it");
  }

  @Test
  void commitRefusesAResetWhoseNewPositionIsNotTheRangeStart() {
    OffsetCommit.Builder b = OffsetCommit.builder(JOB, 3, 1).range("orders", 0, 40, 60)
        .resets(List.of(new PositionReset(P0, 4, 50, PositionReset.Reason.OFFSETS_DELETED)));

    assertThatThrownBy(b::build)
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("batch 3 of job orders-job resets orders-0 to 50 but its range orders-0[40, 60) starts elsewhere");
  }

  /** Like two ranges of one partition, two resets of one partition are conflicting options. */
  @Test
  void commitRefusesTwoResetsOfOnePartition() {
    OffsetCommit.Builder b = OffsetCommit.builder(JOB, 3, 1).range("orders", 0, 10, 20)
        .resets(List.of(new PositionReset(P0, 3, 10, PositionReset.Reason.OFFSETS_DELETED),
            new PositionReset(P0, 999, 10, PositionReset.Reason.LOG_END_BELOW_POSITION)));

    assertThatThrownBy(b::build)
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("batch 3 of job orders-job ")
        .hasMessageContaining("orders-0");
  }

  @ParameterizedTest
  @ValueSource(longs = {0, -1, Long.MIN_VALUE})
  void commitRefusesAnEpochBelowOne(long epoch) {
    assertThatThrownBy(() -> OffsetCommit.builder(JOB, 3, epoch).range("orders", 0, 0, 1).build())
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("writer epoch of job orders-job must be >= 1 (the value claim(job) returned), got " + epoch);
  }

  @Test
  void commitRefusesANegativeBatchId() {
    assertThatThrownBy(() -> OffsetCommit.builder(JOB, -1, 1).build())
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("batch id of job orders-job must be >= 0, got -1");
  }

  @Test
  void commitRefusesNullMetadata() {
    assertThatThrownBy(() -> OffsetCommit.builder(JOB, 0, 1).metadata("schema", null))
        .isExactlyInstanceOf(NullPointerException.class)
        .hasMessage("metadata value of schema");
  }

  @Test
  void commitSortsRangesAndResetsAndStampsTheClockTime() {
    Clock clock = Clock.fixed(T0, ZoneOffset.UTC);
    OffsetCommit c = OffsetCommit.builder(JOB, 9, 2).clock(clock)
        .range("orders", 10, 0, 4).range("clicks", 0, 5, 6).range("orders", 2, 30, 40).range("orders", 1, 7, 9)
        .resets(List.of(new PositionReset(P1, 3, 7, PositionReset.Reason.OFFSETS_DELETED),
            new PositionReset(new TopicPartition("clicks", 0), 9, 5, PositionReset.Reason.LOG_END_BELOW_POSITION)))
        .metadata("z", "last").metadata(Map.of("a", "first"))
        .build();

    assertThat(c.ranges()).extracting(OffsetRange::toString)
        .containsExactly("clicks-0[5, 6)", "orders-1[7, 9)", "orders-2[30, 40)", "orders-10[0, 4)");
    assertThat(c.resets()).extracting(PositionReset::partition)
        .containsExactly(new TopicPartition("clicks", 0), P1);
    assertThat(c.commitTime()).isEqualTo(T0);
    assertThat(c.metadata().keySet()).containsExactly("a", "z");
    assertThat(c.offsetCount()).isEqualTo(4 + 1 + 10 + 2);
    assertThat(c.range(P1)).contains(new OffsetRange("orders", 1, 7, 9));
    assertThat(c.range(P0)).isEmpty();
    assertThat(c).hasToString("OffsetCommit{job=orders-job, batch=9, epoch=2, ranges=[clicks-0[5, 6), orders-1[7, 9),"
        + " orders-2[30, 40), orders-10[0, 4)], resets=[PositionReset[partition=clicks-0, replacedPosition=9,"
        + " newPosition=5, reason=LOG_END_BELOW_POSITION], PositionReset[partition=orders-1, replacedPosition=3,"
        + " newPosition=7, reason=OFFSETS_DELETED]], time=2026-02-01T08:00:00Z}");
  }

  @Test
  void commitToStringShortensManyRanges() {
    OffsetCommit.Builder b = OffsetCommit.builder(JOB, 0, 1).commitTime(T0);
    for (int p = 0; p < 7; p++) {
      b.range("orders", p, 0, 1);
    }

    assertThat(b.build()).hasToString("OffsetCommit{job=orders-job, batch=0, epoch=1, ranges=[orders-0[0, 1),"
        + " orders-1[0, 1), orders-2[0, 1), orders-3[0, 1), orders-4[0, 1), ... 2 more], time=2026-02-01T08:00:00Z}");
  }

  @Test
  void sameBatchIgnoresEpochTimeAndMetadataButNotRangesOrResets() {
    OffsetCommit a = OffsetCommit.builder(JOB, 4, 1).range("orders", 0, 0, 5).commitTime(T0).build();
    OffsetCommit retry = OffsetCommit.builder(JOB, 4, 2).range("orders", 0, 0, 5).commitTime(T0.plusSeconds(5))
        .metadata("attempt", "2").build();
    OffsetCommit otherRange = OffsetCommit.builder(JOB, 4, 1).range("orders", 0, 0, 6).commitTime(T0).build();
    OffsetCommit otherBatch = OffsetCommit.builder(JOB, 5, 1).range("orders", 0, 0, 5).commitTime(T0).build();
    OffsetCommit withReset = OffsetCommit.builder(JOB, 4, 1).range("orders", 0, 0, 5).commitTime(T0)
        .resets(List.of(new PositionReset(P0, 9, 0, PositionReset.Reason.LOG_END_BELOW_POSITION))).build();

    assertThat(a.sameBatchAs(retry)).isTrue();
    assertThat(a).isNotEqualTo(retry);
    assertThat(a.sameBatchAs(otherRange)).isFalse();
    assertThat(a.sameBatchAs(otherBatch)).isFalse();
    assertThat(a.sameBatchAs(withReset)).isFalse();
    assertThat(a).isEqualTo(OffsetCommit.builder(JOB, 4, 1).range("orders", 0, 0, 5).commitTime(T0).build())
        .hasSameHashCodeAs(OffsetCommit.builder(JOB, 4, 1).range("orders", 0, 0, 5).commitTime(T0).build());
  }

  @Test
  void positionResetValidatesItsComponents() {
    assertThatThrownBy(() -> new PositionReset(P0, -1, 0, PositionReset.Reason.OFFSETS_DELETED))
        .hasMessage("replacedPosition of orders-0 must be >= 0, got -1");
    assertThatThrownBy(() -> new PositionReset(P0, 0, -2, PositionReset.Reason.OFFSETS_DELETED))
        .hasMessage("newPosition of orders-0 must be >= 0, got -2");
    assertThatThrownBy(() -> new PositionReset(P0, 0, 1, null))
        .isExactlyInstanceOf(NullPointerException.class).hasMessage("reason");
  }

  // ---- CommittedOffsets

  @Test
  void committedOffsetsIterateInTopicThenNumericPartitionOrder() {
    Map<TopicPartition, Long> positions = new LinkedHashMap<>();
    positions.put(new TopicPartition("orders", 10), 1L);
    positions.put(new TopicPartition("clicks", 0), 2L);
    positions.put(new TopicPartition("orders", 2), 3L);
    positions.put(new TopicPartition("orders", 0), 4L);

    CommittedOffsets c = CommittedOffsets.of(JOB, positions, OptionalLong.of(12), 3, Optional.of(T0));

    assertThat(c.positions().keySet()).containsExactly(new TopicPartition("clicks", 0), new TopicPartition("orders", 0),
        new TopicPartition("orders", 2), new TopicPartition("orders", 10));
    assertThat(c.position(new TopicPartition("orders", 2))).hasValue(3);
    assertThat(c.position(new TopicPartition("orders", 1))).isEmpty();
    assertThat(c.isEmpty()).isFalse();
    assertThat(c.lastBatchId()).hasValue(12);
    assertThat(c.nextBatchId()).hasValue(13);
    assertThat(c).hasToString("CommittedOffsets{job=orders-job, batch=12, epoch=3, positions={clicks-0=2, orders-0=4,"
        + " orders-2=3, orders-10=1}}");
    assertThatThrownBy(() -> c.positions().put(P1, 5L)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void aJobThatNeverCommittedIsEmptyAndHasNoNextBatchId() {
    CommittedOffsets none = CommittedOffsets.none(JOB, 2);

    assertThat(none.isEmpty()).isTrue();
    assertThat(none.positions()).isEmpty();
    assertThat(none.lastBatchId()).isEmpty();
    assertThat(none.nextBatchId()).isEmpty();
    assertThat(none.lastCommitTime()).isEmpty();
    assertThat(none.epoch()).isEqualTo(2);
    assertThat(none).hasToString("CommittedOffsets{job=orders-job, batch=none, epoch=2, positions={}}");
  }

  @Test
  void positionsWithoutABatchOrABatchWithoutPositionsAreNotEmpty() {
    CommittedOffsets positionsOnly = CommittedOffsets.of(JOB, Map.of(P0, 5L), OptionalLong.empty(), 1, Optional.empty());
    CommittedOffsets batchOnly = CommittedOffsets.of(JOB, Map.of(), OptionalLong.of(0), 1, Optional.of(T0));

    assertThat(positionsOnly.isEmpty()).isFalse();
    assertThat(positionsOnly.nextBatchId()).isEmpty();
    assertThat(batchOnly.isEmpty()).isFalse();
    assertThat(batchOnly.nextBatchId()).hasValue(1);
  }

  @Test
  void withEpochChangesOnlyTheEpoch() {
    CommittedOffsets c = CommittedOffsets.of(JOB, Map.of(P0, 5L), OptionalLong.of(1), 1, Optional.of(T0));

    CommittedOffsets next = c.withEpoch(7);

    assertThat(next.epoch()).isEqualTo(7);
    assertThat(next.positions()).isEqualTo(c.positions());
    assertThat(next.lastBatchId()).isEqualTo(c.lastBatchId());
    assertThat(next.lastCommitTime()).isEqualTo(c.lastCommitTime());
    assertThat(next).isNotEqualTo(c).isEqualTo(c.withEpoch(7));
  }

  @Test
  void committedOffsetsRefuseNegativeValues() {
    assertThatThrownBy(() -> CommittedOffsets.of(JOB, Map.of(P0, -1L), OptionalLong.empty(), 0, Optional.empty()))
        .hasMessage("position of orders-0 must be >= 0, got -1");
    assertThatThrownBy(() -> CommittedOffsets.none(JOB, -1))
        .hasMessage("epoch of job orders-job must be >= 0, got -1");
    assertThatThrownBy(() -> CommittedOffsets.of(JOB, Map.of(new TopicPartition("a b", 0), 1L), OptionalLong.empty(), 0,
        Optional.empty())).hasMessageStartingWith("topic name 'a b' contains an illegal character");
  }

  @Test
  void rewoundHistoryEntriesSortAndCopyTheirPositions() {
    Map<TopicPartition, Long> before = new LinkedHashMap<>();
    before.put(P1, 20L);
    before.put(P0, 10L);

    HistoryEntry.Rewound r = new HistoryEntry.Rewound(4, T0, OptionalLong.of(1), OptionalLong.of(3), before,
        OptionalLong.of(1), Map.of(P0, 5L));
    before.put(P0, 99L);

    assertThat(r.positionsBefore()).containsExactly(Map.entry(P0, 10L), Map.entry(P1, 20L));
    assertThat(r.epoch()).isEqualTo(4);
    assertThat(r.time()).isEqualTo(T0);
    OffsetCommit c = OffsetCommit.builder(JOB, 0, 6).commitTime(T0).build();
    assertThat(new HistoryEntry.Committed(c).epoch()).isEqualTo(6);
    assertThat(new HistoryEntry.Committed(c).time()).isEqualTo(T0);
  }

  // ---- DataLossEvent

  @Test
  void dataLossPastDeletedOffsetsToTheLogStart() {
    DataLossEvent e = new DataLossEvent(JOB, P0, 100, 150, 150, 400, PositionReset.Reason.OFFSETS_DELETED, T0);

    assertThat(e.lostRange()).isEqualTo(new OffsetRange("orders", 0, 100, 150));
    assertThat(e.skippedRange()).isEqualTo(new OffsetRange("orders", 0, 100, 150));
    assertThat(e.reset()).isEqualTo(new PositionReset(P0, 100, 150, PositionReset.Reason.OFFSETS_DELETED));
    assertThat(e.describe()).isEqualTo("job orders-job skips orders-0[100, 150): offsets orders-0[100, 150) were deleted"
        + " by retention before the job read them");
  }

  @Test
  void dataLossPastDeletedOffsetsToTheLogEnd() {
    DataLossEvent e = new DataLossEvent(JOB, P0, 100, 400, 150, 400, PositionReset.Reason.OFFSETS_DELETED, T0);

    assertThat(e.lostRange()).isEqualTo(new OffsetRange("orders", 0, 100, 150));
    assertThat(e.skippedRange()).isEqualTo(new OffsetRange("orders", 0, 100, 400));
    assertThat(e.describe()).isEqualTo("job orders-job skips orders-0[100, 400): offsets orders-0[100, 150) were deleted"
        + " by retention before the job read them");
  }

  @Test
  void dataLossBelowTheStoredPositionBackToTheLogStart() {
    DataLossEvent e = new DataLossEvent(JOB, P1, 500, 0, 0, 300, PositionReset.Reason.LOG_END_BELOW_POSITION, T0);

    assertThat(e.lostRange()).isEqualTo(new OffsetRange("orders", 1, 300, 500));
    assertThat(e.skippedRange()).isEqualTo(new OffsetRange("orders", 1, 500, 500));
    assertThat(e.skippedRange().count()).isZero();
    assertThat(e.reset()).isEqualTo(new PositionReset(P1, 500, 0, PositionReset.Reason.LOG_END_BELOW_POSITION));
    assertThat(e.describe()).isEqualTo("job orders-job moves orders-1 from 500 to 0: the log ends at 300, below the"
        + " stored position (topic recreated or truncated)");
  }

  @Test
  void dataLossBelowTheStoredPositionToTheLogEnd() {
    DataLossEvent e = new DataLossEvent(JOB, P1, 500, 300, 20, 300, PositionReset.Reason.LOG_END_BELOW_POSITION, T0);

    assertThat(e.lostRange()).isEqualTo(new OffsetRange("orders", 1, 300, 500));
    assertThat(e.skippedRange()).isEqualTo(new OffsetRange("orders", 1, 500, 500));
    assertThat(e.describe()).isEqualTo("job orders-job moves orders-1 from 500 to 300: the log ends at 300, below the"
        + " stored position (topic recreated or truncated)");
  }

  // ---- ResolvedStart

  @Test
  void startingOffsetsJsonGroupsByTopicInNumericPartitionOrder() {
    FakePartitionOffsets cluster = new FakePartitionOffsets().topic("orders", 11).topic("clicks.v2", 1);
    for (int p = 0; p < 11; p++) {
      cluster.log("orders", p, 10L * p, 1000);
    }
    cluster.log("clicks.v2", 0, 7, 9);

    ResolvedStart start = StartPositionResolver.builder().build()
        .resolve(CommittedOffsets.none(JOB, 1), List.of("orders", "clicks.v2"), cluster);

    assertThat(start.startingOffsetsJson()).isEqualTo("{\"clicks.v2\":{\"0\":7},\"orders\":{\"0\":0,\"1\":10,\"2\":20,"
        + "\"3\":30,\"4\":40,\"5\":50,\"6\":60,\"7\":70,\"8\":80,\"9\":90,\"10\":100}}");
    assertThat(start.positions().keySet()).first().isEqualTo(new TopicPartition("clicks.v2", 0));
    assertThat(start).hasToString("ResolvedStart{positions=12 partitions, events=0, dropped=[]}");
  }

  @Test
  void startingOffsetsJsonOfNothingIsAnEmptyObject() {
    ResolvedStart start = StartPositionResolver.builder().onMissingTopic(MissingTopicPolicy.DROP).build()
        .resolve(CommittedOffsets.none(JOB, 1), List.of("gone"), new FakePartitionOffsets());

    assertThat(start.startingOffsetsJson()).isEqualTo("{}");
    assertThat(start.droppedTopics()).containsExactly("gone");
  }

  // ---- exceptions

  @Test
  void configExceptionNamesTheSettingAndTheValue() {
    ConfigException e = new ConfigException("file.fsync", "maybe", "expected true or false");
    ConfigException general = new ConfigException("no scheme");

    assertThat(e).hasMessage("invalid value 'maybe' for setting 'file.fsync': expected true or false");
    assertThat(e.name()).contains("file.fsync");
    assertThat(new ConfigException("x", null, "required")).hasMessage("invalid value null for setting 'x': required");
    assertThat(general).hasMessage("no scheme");
    assertThat(general.name()).isEmpty();
  }

  @Test
  void startPositionsValidateTheirArguments() {
    assertThatThrownBy(() -> StartPosition.offsets(Map.of(P0, -5L)))
        .hasMessage("start offset of orders-0 must be >= 0, got -5");
    assertThatThrownBy(() -> StartPosition.timestamp(null)).isExactlyInstanceOf(NullPointerException.class);
    assertThat(StartPosition.earliest()).hasToString("earliest");
    assertThat(StartPosition.latest()).hasToString("latest");
    assertThatCode(() -> StartPosition.offsets(Map.of())).doesNotThrowAnyException();
  }
}
