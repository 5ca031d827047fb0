package io.tidemark.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.DataLossEvent;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.JobLag;
import io.tidemark.offsets.LostOffsetsPolicy;
import io.tidemark.offsets.MissingTopicPolicy;
import io.tidemark.offsets.NewPartitionPolicy;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.offsets.OffsetsAheadPolicy;
import io.tidemark.offsets.PartitionOffsets;
import io.tidemark.offsets.PositionReset;
import io.tidemark.offsets.ResolvedStart;
import io.tidemark.offsets.StartPosition;
import io.tidemark.offsets.StartPositionException;
import io.tidemark.offsets.StartPositionResolver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Start positions and lag resolved against a real broker, with real retention. */
class StartPositionResolverIT {

  @RegisterExtension
  static final KafkaBroker kafka = KafkaBroker.builder().build();

  @TempDir
  Path dir;

  private OffsetStore store;
  private PartitionOffsets offsets;

  @BeforeEach
  void open() {
    store = OffsetStores.open(dir.toUri().toString());
    offsets = PartitionOffsets.of(kafka.admin());
  }

  @AfterEach
  void close() {
    store.close();
  }

  private static TopicPartition tp(String topic, int p) {
    return new TopicPartition(topic, p);
  }

  private void produce(String topic, int partition, int count, long timestamp) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      records.add(new ProducerRecord<>(topic, partition, timestamp, null, ("r" + i).getBytes(StandardCharsets.UTF_8)));
    }
    kafka.produce(records);
  }

  /** Commits one batch moving the job from its resolved start to the log end of each partition. */
  private CommitResult commitUpToEnd(String job, long epoch, long batch, ResolvedStart start) {
    Map<TopicPartition, Long> ends = offsets.latest(start.positions().keySet());
    OffsetCommit.Builder b = OffsetCommit.builder(job, batch, epoch).starts(start.positions()).resets(start.resets())
        .metadata(start.commitMetadata());
    start.positions().forEach((p, from) -> b.range(OffsetRange.of(p, from, Math.max(from, ends.get(p)))));
    return store.commit(b.build());
  }

  @Test
  void aFreshJobStartsAtEarliestLatestATimestampOrExplicitOffsets() {
    String topic = "fresh.orders";
    kafka.createTopic(topic, 2);
    // recent timestamps: records older than the topic's retention (7 days) would be deleted at once
    long t0 = System.currentTimeMillis() - Duration.ofMinutes(10).toMillis();
    produce(topic, 0, 5, t0);
    produce(topic, 0, 5, t0 + 60_000);
    produce(topic, 1, 3, t0);
    CommittedOffsets none = store.read("fresh-job");

    ResolvedStart earliest = StartPositionResolver.builder().build().resolve(none, List.of(topic), offsets);
    ResolvedStart latest = StartPositionResolver.builder().whenNoStoredPosition(StartPosition.latest()).build()
        .resolve(none, List.of(topic), offsets);
    ResolvedStart byTime = StartPositionResolver.builder()
        .whenNoStoredPosition(StartPosition.timestamp(Instant.ofEpochMilli(t0 + 30_000))).build()
        .resolve(none, List.of(topic), offsets);
    ResolvedStart explicit = StartPositionResolver.builder()
        .whenNoStoredPosition(StartPosition.offsets(Map.of(tp(topic, 0), 7L))).onNewPartition(NewPartitionPolicy.LATEST)
        .build().resolve(none, List.of(topic), offsets);

    assertThat(earliest.positions()).containsExactly(Map.entry(tp(topic, 0), 0L), Map.entry(tp(topic, 1), 0L));
    assertThat(latest.positions()).containsExactly(Map.entry(tp(topic, 0), 10L), Map.entry(tp(topic, 1), 3L));
    assertThat(byTime.positions()).containsExactly(Map.entry(tp(topic, 0), 5L), Map.entry(tp(topic, 1), 3L));
    assertThat(explicit.positions()).containsExactly(Map.entry(tp(topic, 0), 7L), Map.entry(tp(topic, 1), 3L));
    assertThat(earliest.startingOffsetsJson()).isEqualTo("{\"fresh.orders\":{\"0\":0,\"1\":0}}");
    assertThat(earliest.dataLossEvents()).isEmpty();
  }

  @Test
  void offsetsDeletedByRetentionFailByDefaultAndContinueAsRecordedDataLoss() throws Exception {
    String topic = "retained";
    TopicPartition p0 = tp(topic, 0);
    kafka.createTopicWithShortRetention(topic, 1, Duration.ofMillis(300));
    produce(topic, 0, 5, System.currentTimeMillis());
    String job = "retention-job";
    long epoch = store.claim(job);
    ResolvedStart first = StartPositionResolver.builder().build().resolve(store.read(job), List.of(topic), offsets);
    assertThat(first.positions()).containsEntry(p0, 0L);
    store.commit(OffsetCommit.builder(job, 0, epoch).range(OffsetRange.of(p0, 0, 2)).starts(first.positions()).build());

    long logStart = kafka.awaitLogStartOffset(p0, 5, Duration.ofMillis(200), Duration.ofSeconds(60));
    long logEnd = offsets.latest(List.of(p0)).get(p0);

    assertThatThrownBy(() -> StartPositionResolver.builder().build().resolve(store.read(job), List.of(topic), offsets))
        .isInstanceOf(StartPositionException.class)
        .hasMessageContaining("offsets [2, ").hasMessageContaining(") of retained-0 were deleted by retention")
        .hasMessageContaining("Set LostOffsetsPolicy.EARLIEST");

    List<DataLossEvent> heard = new CopyOnWriteArrayList<>();
    ResolvedStart resumed = StartPositionResolver.builder().onLostOffsets(LostOffsetsPolicy.EARLIEST)
        .dataLossListener(heard::add).build().resolve(store.read(job), List.of(topic), offsets);

    // retention may delete more between the two reads of the log start: judge by where the job resumed
    long resumedAt = resumed.positions().get(p0);
    assertThat(resumedAt).isGreaterThanOrEqualTo(logStart);
    logStart = resumedAt;
    assertThat(heard).hasSize(1);
    DataLossEvent event = heard.get(0);
    assertThat(event.lostRange()).isEqualTo(OffsetRange.of(p0, 2, logStart));
    assertThat(event.logEndOffset()).isGreaterThanOrEqualTo(logEnd);
    assertThat(resumed.resets()).containsExactly(new PositionReset(p0, 2, logStart, PositionReset.Reason.OFFSETS_DELETED));
    assertThat(resumed.commitMetadata().get(ResolvedStart.DATA_LOSS_METADATA_KEY))
        .contains("offsets retained-0[2, " + logStart + ") were deleted by retention");

    assertThat(commitUpToEnd(job, epoch, 1, resumed)).isEqualTo(CommitResult.APPLIED);
    OffsetCommit stored = ((HistoryEntry.Committed) store.history(job, 1).get(0)).commit();
    assertThat(stored.resets()).hasSize(1);
    assertThat(stored.metadata()).containsKey(ResolvedStart.DATA_LOSS_METADATA_KEY);
  }

  @Test
  void newPartitionsFollowTheirPolicy() throws Exception {
    String topic = "growing";
    kafka.createTopic(topic, 1);
    produce(topic, 0, 4, System.currentTimeMillis());
    String job = "growing-job";
    long epoch = store.claim(job);
    store.commit(OffsetCommit.builder(job, 0, epoch).range(topic, 0, 0, 4).starts(Map.of(tp(topic, 0), 0L)).build());
    kafka.admin().createPartitions(Map.of(topic, NewPartitions.increaseTo(3))).all().get(30, TimeUnit.SECONDS);
    produce(topic, 2, 6, System.currentTimeMillis());

    ResolvedStart earliest = StartPositionResolver.builder().build().resolve(store.read(job), List.of(topic), offsets);
    ResolvedStart latest = StartPositionResolver.builder().onNewPartition(NewPartitionPolicy.LATEST).build()
        .resolve(store.read(job), List.of(topic), offsets);

    assertThat(earliest.positions()).containsExactly(Map.entry(tp(topic, 0), 4L), Map.entry(tp(topic, 1), 0L),
        Map.entry(tp(topic, 2), 0L));
    assertThat(latest.positions()).containsEntry(tp(topic, 2), 6L);
    assertThatThrownBy(() -> StartPositionResolver.builder().onNewPartition(NewPartitionPolicy.FAIL).build()
        .resolve(store.read(job), List.of(topic), offsets))
        .isInstanceOf(StartPositionException.class)
        .hasMessageContaining("partition growing-1 has no position for job growing-job");
    assertThat(commitUpToEnd(job, epoch, 1, earliest)).isEqualTo(CommitResult.APPLIED);
  }

  @Test
  void aRecreatedTopicLeavesThePositionAboveTheLogEnd() {
    String topic = "recreated";
    kafka.createTopic(topic, 1);
    produce(topic, 0, 20, System.currentTimeMillis());
    String job = "recreated-job";
    long epoch = store.claim(job);
    store.commit(OffsetCommit.builder(job, 0, epoch).range(topic, 0, 0, 20).starts(Map.of(tp(topic, 0), 0L)).build());
    kafka.deleteTopic(topic);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
      kafka.createTopic(topic, 1);
    });
    produce(topic, 0, 3, System.currentTimeMillis());

    assertThatThrownBy(() -> StartPositionResolver.builder().build().resolve(store.read(job), List.of(topic), offsets))
        .isInstanceOf(StartPositionException.class)
        .hasMessageContaining("position 20 of recreated-0 is above the log end 3");

    ResolvedStart again = StartPositionResolver.builder().onOffsetsAhead(OffsetsAheadPolicy.EARLIEST).build()
        .resolve(store.read(job), List.of(topic), offsets);
    assertThat(again.positions()).containsEntry(tp(topic, 0), 0L);
    assertThat(again.dataLossEvents()).singleElement()
        .satisfies(e -> assertThat(e.reason()).isEqualTo(PositionReset.Reason.LOG_END_BELOW_POSITION));
    assertThat(commitUpToEnd(job, epoch, 1, again)).isEqualTo(CommitResult.APPLIED);
    assertThat(store.read(job).positions()).containsEntry(tp(topic, 0), 3L);
  }

  @Test
  void aMissingTopicFailsOrIsDropped() {
    kafka.createTopic("present", 1);

    assertThatThrownBy(() -> StartPositionResolver.builder().build()
        .resolve(store.read("missing-job"), List.of("present", "absent"), offsets))
        .isInstanceOf(StartPositionException.class)
        .hasMessageContaining("topic absent does not exist")
        .hasMessageContaining("MissingTopicPolicy.DROP");
    ResolvedStart dropped = StartPositionResolver.builder().onMissingTopic(MissingTopicPolicy.DROP).build()
        .resolve(store.read("missing-job"), List.of("present", "absent"), offsets);
    assertThat(dropped.droppedTopics()).containsExactly("absent");
    assertThat(dropped.positions()).containsOnlyKeys(tp("present", 0));
  }

  @Test
  void aStoredTopicThatWasDeletedFailsOrIsDroppedWithItsPositionsKept() {
    String topic = "doomed";
    kafka.createTopic(topic, 2);
    kafka.createTopic("survivor", 1);
    String job = "doomed-job";
    long epoch = store.claim(job);
    store.commit(OffsetCommit.builder(job, 0, epoch).range(topic, 0, 0, 0).range(topic, 1, 0, 0).range("survivor", 0, 0, 0)
        .starts(Map.of(tp(topic, 0), 0L, tp(topic, 1), 0L, tp("survivor", 0), 0L)).build());
    kafka.deleteTopic(topic);

    assertThatThrownBy(() -> StartPositionResolver.builder().build().resolve(store.read(job), List.of(topic, "survivor"), offsets))
        .isInstanceOf(StartPositionException.class)
        .hasMessageContaining("topic doomed does not exist but job doomed-job has committed positions in it (was it deleted?)");
    ResolvedStart dropped = StartPositionResolver.builder().onMissingTopic(MissingTopicPolicy.DROP).build()
        .resolve(store.read(job), List.of(topic, "survivor"), offsets);

    assertThat(dropped.droppedTopics()).containsExactly(topic);
    assertThat(dropped.positions()).containsOnlyKeys(tp("survivor", 0));
    assertThat(commitUpToEnd(job, epoch, 1, dropped)).isEqualTo(CommitResult.APPLIED);
    // the dropped topic's positions stay in the store (a rewind or a recreated topic may need them)
    assertThat(store.read(job).positions()).containsKeys(tp(topic, 0), tp(topic, 1));
    assertThat(JobLag.of(store.read(job), offsets).missingPartitions()).containsExactly(tp(topic, 0), tp(topic, 1));
  }

  @Test
  void lagIsTheLogEndMinusTheCommittedPosition() {
    String topic = "lagging";
    kafka.createTopic(topic, 3);
    for (int p = 0; p < 3; p++) {
      produce(topic, p, 10 * (p + 1), System.currentTimeMillis());
    }
    String job = "lag-job";
    long epoch = store.claim(job);
    List<OffsetRange> ranges = IntStream.range(0, 3).mapToObj(p -> new OffsetRange(topic, p, 0, 5)).collect(Collectors.toList());
    store.commit(OffsetCommit.builder(job, 0, epoch).ranges(ranges)
        .starts(ranges.stream().collect(Collectors.toMap(OffsetRange::topicPartition, OffsetRange::fromOffset))).build());

    JobLag lag = JobLag.of(store.read(job), offsets);

    assertThat(lag.partitions()).extracting(JobLag.PartitionLag::lag).containsExactly(5L, 15L, 25L);
    assertThat(lag.totalLag()).isEqualTo(45);
    assertThat(lag.maxLag()).isEqualTo(25);
    assertThat(lag.missingPartitions()).isEmpty();
  }
}
