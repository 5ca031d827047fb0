package io.tidemark.offsets.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.CommitTooLargeException;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.ConfigException;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetConflictException;
import io.tidemark.offsets.OffsetConflictException.Conflict;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStoreException;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.offsets.RewindTarget;
import io.tidemark.offsets.StoreUnavailableException;
import io.tidemark.testkit.KafkaBroker;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.ConsumerGroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the {@code kafka:} store does beyond the shared contract, and exactly where it stops:
 * the group as Kafka's tools see it, taking over a group Spark committed to, history of one
 * batch, partitions Kafka does not have, a group with running members, an unreachable broker,
 * fencing across store instances, and a claim that only its own instance knows.
 */
class KafkaOffsetStoreIT {
  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().build();

  private static final String PREFIX = "it.";
  private static final TopicPartition P0 = new TopicPartition("events", 0);
  private static final TopicPartition P1 = new TopicPartition("events", 1);

  @BeforeAll
  static void topics() {
    broker.createTopic("events", 2);
  }

  private static OffsetStore open() {
    return OffsetStores.open("kafka://" + broker.bootstrapServers() + "?kafka.group.prefix=" + PREFIX);
  }

  private static String job(TestInfo info) {
    return info.getTestMethod().orElseThrow().getName() + "-" + Long.toHexString(System.nanoTime());
  }

  private static Map<TopicPartition, OffsetAndMetadata> group(String job) throws Exception {
    return broker.admin().listConsumerGroupOffsets(PREFIX + job).partitionsToOffsetAndMetadata().get();
  }

  private static OffsetCommit batch(String job, long batch, long epoch, long from, long until) {
    OffsetCommit.Builder b = OffsetCommit.builder(job, batch, epoch).range("events", 0, from, until)
        .range("events", 1, from, until);
    return (batch == 0 ? b.starts(Map.of(P0, from, P1, from)) : b).build();
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String group) {
    return new KafkaConsumer<>(broker.clientProps(Map.of(ConsumerConfig.GROUP_ID_CONFIG, group,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false")), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @Test
  void theJobIsAConsumerGroupThatKafkasOwnToolsRead(TestInfo info) throws Exception {
    String job = job(info);
    try (OffsetStore store = open()) {
      long epoch = store.claim(job);
      store.commit(batch(job, 0, epoch, 0, 10));
      store.commit(OffsetCommit.builder(job, 1, epoch).range("events", 0, 10, 25).range("events", 1, 10, 25)
          .metadata("sink.part", "out/b1;v=2&x").build());

      assertThat(group(job).entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset())))
          .isEqualTo(Map.of(P0, 25L, P1, 25L));
      assertThat(group(job).get(P0).metadata()).as("the lead").startsWith("tm1;e=1;b=1;f=10;l;c=1;t=")
          .endsWith(";m=sink.part=out%2Fb1%3Bv%3D2%26x");
      assertThat(group(job).get(P1).metadata()).as("the last partition leads too").isEqualTo(group(job).get(P0).metadata());
      ConsumerGroupDescription described = broker.admin().describeConsumerGroups(List.of(PREFIX + job))
          .describedGroups().get(PREFIX + job).get();
      assertThat(described.state()).isEqualTo(ConsumerGroupState.EMPTY);
      assertThat(store.listJobs()).contains(job);
      assertThat(store.description()).contains("consumer groups it.<job>");
      assertThat(((HistoryEntry.Committed) store.history(job, 1).get(0)).commit().metadata())
          .as("what a FileBatchSink recovers from").containsExactly(Map.entry("sink.part", "out/b1;v=2&x"));

      OffsetCommit tooLarge = OffsetCommit.builder(job, 2, epoch).range("events", 0, 25, 26)
          .metadata("sink.part", "x".repeat(5000)).build();
      assertThatThrownBy(() -> store.commit(tooLarge)).isInstanceOf(CommitTooLargeException.class)
          .hasMessageContaining("Kafka keeps at most 4096 by default (offset.metadata.max.bytes");
      assertThat(store.read(job).lastBatchId()).hasValue(1);
    }
  }

  @Test
  void aGroupThatSparkCommittedToIsTakenOverFromItsPositions(TestInfo info) throws Exception {
    String job = job(info);
    try (KafkaConsumer<byte[], byte[]> spark = consumer(PREFIX + job)) {
      spark.assign(List.of(P0, P1));
      spark.commitSync(Map.of(P0, new OffsetAndMetadata(40), P1, new OffsetAndMetadata(7)));
    }
    try (OffsetStore store = open()) {
      CommittedOffsets adopted = store.read(job);
      assertThat(adopted.positions()).isEqualTo(Map.of(P0, 40L, P1, 7L));
      assertThat(adopted.lastBatchId()).isEmpty();
      assertThat(adopted.epoch()).isZero();
      assertThat(store.listJobs()).as("not written by Tidemark yet").doesNotContain(job);

      long epoch = store.claim(job);
      assertThatThrownBy(() -> store.commit(OffsetCommit.builder(job, 0, epoch).range("events", 0, 0, 50).build()))
          .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.OVERLAP));
      assertThat(store.commit(OffsetCommit.builder(job, 0, epoch).range("events", 0, 40, 50).range("events", 1, 7, 9)
          .build())).isEqualTo(CommitResult.APPLIED);
      assertThat(store.read(job).positions()).isEqualTo(Map.of(P0, 50L, P1, 9L));
      assertThat(store.listJobs()).contains(job);
    }
  }

  @Test
  void historyIsTheLastBatchSoARewindReachesOnlyItsPredecessor(TestInfo info) {
    String job = job(info);
    try (OffsetStore store = open()) {
      long epoch = store.claim(job);
      for (int b = 0; b < 4; b++) {
        store.commit(batch(job, b, epoch, b * 10L, b * 10L + 10));
      }
      assertThat(store.history(job, 10)).singleElement().isInstanceOfSatisfying(HistoryEntry.Committed.class,
          c -> assertThat(c.commit().batchId()).isEqualTo(3));

      assertThatThrownBy(() -> store.rewind(job, RewindTarget.toBatch(1)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batch 1");
      CommittedOffsets rewound = store.rewind(job, RewindTarget.toBatch(2));

      assertThat(rewound.positions()).isEqualTo(Map.of(P0, 30L, P1, 30L));
      assertThat(rewound.lastBatchId()).hasValue(2);
      assertThat(rewound.epoch()).isEqualTo(epoch + 1);
      assertThat(store.history(job, 10)).as("a rewind is not kept").isEmpty();
      assertThat(store.commit(batch(job, 3, epoch + 1, 30, 31))).isEqualTo(CommitResult.APPLIED);
    }
  }

  @Test
  void aPartitionKafkaDoesNotHaveIsRefusedBeforeAnythingIsWritten(TestInfo info) throws Exception {
    String job = job(info);
    try (OffsetStore store = open()) {
      long epoch = store.claim(job);
      store.commit(batch(job, 0, epoch, 0, 10));
      OffsetCommit wider = OffsetCommit.builder(job, 1, epoch).range("events", 0, 10, 20).range("events", 7, 0, 5)
          .range("gone", 0, 0, 5).starts(Map.of(new TopicPartition("events", 7), 0L, new TopicPartition("gone", 0), 0L))
          .build();

      assertThatThrownBy(() -> store.commit(wider)).isInstanceOf(OffsetStoreException.class)
          .hasMessageContaining("events-7 (events has 2 partitions), gone (no such topic)")
          .hasMessageContaining("Nothing was written");
      assertThat(group(job).get(P0).offset()).isEqualTo(10);
      assertThat(store.read(job).lastBatchId()).hasValue(0);
    }
  }

  @Test
  void aGroupWithRunningMembersIsRefusedWithWhatToDo(TestInfo info) throws Exception {
    String job = job(info);
    try (OffsetStore store = open(); KafkaConsumer<byte[], byte[]> member = consumer(PREFIX + job)) {
      long epoch = store.claim(job);
      member.subscribe(List.of("events"));
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
        member.poll(Duration.ofMillis(100));
        return !member.assignment().isEmpty();
      });

      assertThatThrownBy(() -> store.commit(batch(job, 0, epoch, 0, 10))).isInstanceOf(OffsetStoreException.class)
          .hasMessageContaining("consumer group it." + job + " has running members")
          .hasMessageContaining("give the job's Kafka consumers another group.id");
      assertThat(group(job)).isEmpty();
    }
  }

  @Test
  void aBrokerOutOfReachIsStoreUnavailableWithinTheTimeout(TestInfo info) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (OffsetStore store = OffsetStores.open(URI.create("kafka://127.0.0.1:" + port),
        Map.of("kafka.request.timeout", "2s"))) {
      long started = System.nanoTime();
      assertThatThrownBy(() -> store.read(job(info))).isInstanceOf(StoreUnavailableException.class)
          .hasMessageContaining("Kafka at 127.0.0.1:" + port + " did not read the offsets of consumer group")
          .hasMessageContaining("within PT2S (kafka.request.timeout)");
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
    }
  }

  @Test
  void aDriverInAnotherProcessIsFencedAtItsNextCommitAfterTheClaim(TestInfo info) {
    String job = job(info);
    try (OffsetStore zombie = open(); OffsetStore successor = open()) {
      long old = zombie.claim(job);
      zombie.commit(batch(job, 0, old, 0, 10));
      long next = successor.claim(job);

      assertThat(next).isEqualTo(old + 1);
      assertThatThrownBy(() -> zombie.commit(batch(job, 1, old, 10, 20)))
          .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.STALE_EPOCH));
      assertThat(successor.commit(batch(job, 1, next, 10, 20))).isEqualTo(CommitResult.APPLIED);
    }
  }

  @Test
  void anEpochClaimedBeforeTheFirstCommitIsKnownOnlyToItsInstance(TestInfo info) {
    String job = job(info);
    try (OffsetStore first = open(); OffsetStore second = open()) {
      assertThat(first.claim(job)).isEqualTo(1);
      assertThat(second.claim(job)).as("Kafka keeps nothing for a group without offsets").isEqualTo(1);

      first.commit(batch(job, 0, 1, 0, 10));

      assertThat(second.claim(job)).as("from the first commit on, the epoch is in the group").isEqualTo(2);
    }
  }

  @Test
  void aDeletedJobLeavesOneTombstoneOffsetThatKeepsItsEpoch(TestInfo info) throws Exception {
    String job = job(info);
    try (OffsetStore driver = open(); OffsetStore operator = open()) {
      long epoch = driver.claim(job);
      driver.commit(batch(job, 0, epoch, 0, 10));

      assertThat(operator.delete(job)).isTrue();

      // what Kafka's tools show: one offset, at its position, whose metadata is the tombstone
      Map<TopicPartition, OffsetAndMetadata> left = group(job);
      assertThat(left).containsOnlyKeys(P0);
      assertThat(left.get(P0).offset()).isEqualTo(10);
      assertThat(left.get(P0).metadata()).isEqualTo("tm1;e=" + (epoch + 1) + ";x");
      assertThat(operator.listJobs()).doesNotContain(job);
      assertThat(operator.read(job).positions()).isEmpty();
      assertThat(operator.delete(job)).as("deleting a deleted job").isFalse();
      assertThatThrownBy(() -> driver.commit(batch(job, 1, epoch, 10, 20)))
          .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.STALE_EPOCH));

      // a new driver, in a third instance, goes on above the tombstone, which keeps its claim for every instance
      try (OffsetStore next = open(); OffsetStore later = open()) {
        long again = next.claim(job);
        assertThat(again).isEqualTo(epoch + 2);
        assertThat(group(job).get(P0).metadata()).isEqualTo("tm1;e=" + again + ";x;k");
        assertThat(operator.listJobs()).as("a claimed job").contains(job);
        long latest = later.claim(job);
        assertThat(latest).as("a claim in a fourth instance").isEqualTo(again + 1);
        assertThatThrownBy(() -> next.commit(batch(job, 0, again, 0, 5)))
            .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.STALE_EPOCH));

        // its first commit leaves the job's own offsets
        later.commit(batch(job, 0, latest, 0, 5));
        assertThat(later.read(job).positions()).isEqualTo(Map.of(P0, 5L, P1, 5L));
        assertThat(group(job).get(P0).metadata()).startsWith("tm1;e=" + latest + ";b=0");
        assertThat(later.listJobs()).contains(job);
      }
    }
  }

  @Test
  void theLocksOfTheJobsAnInstanceTouchedAreBounded(TestInfo info) {
    String base = job(info);
    try (OffsetStore store = open()) {
      KafkaOffsetStore kafka = (KafkaOffsetStore) store;
      for (int i = 0; i < 300; i++) {
        String job = base + "-" + i;
        kafka.claim(job);
        kafka.delete(job);
      }
      assertThat(kafka.lockCount()).as("lock objects held after 300 jobs were claimed and deleted")
          .isLessThanOrEqualTo(64);
    }
  }

  @Test
  void aStoreUriWithAPathOrCredentialsIsRefused() {
    assertThatThrownBy(() -> OffsetStores.open("kafka://" + broker.bootstrapServers() + "/offsets"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("kafka.group.prefix");
    assertThatThrownBy(() -> OffsetStores.open("kafka://user:secret@" + broker.bootstrapServers()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("carries credentials").hasMessageNotContaining("secret");
  }

  @Test
  void aWideCommitKeepsItsMetadataOnceAndAnOversizedOneIsRefusedBeforeItIsSent(TestInfo info) throws Exception {
    broker.createTopic("wide-events", 1000);
    String job = job(info);
    String sinkState = "s".repeat(3000);
    try (OffsetStore store = open()) {
      long epoch = store.claim(job);
      OffsetCommit.Builder wide = OffsetCommit.builder(job, 0, epoch).metadata("sink.state", sinkState);
      Map<TopicPartition, Long> starts = new java.util.HashMap<>();
      for (int p = 0; p < 1000; p++) {
        wide.range("wide-events", p, 0, 0);
        starts.put(new TopicPartition("wide-events", p), 0L);
      }

      assertThat(store.commit(wide.starts(starts).build())).isEqualTo(CommitResult.APPLIED);

      assertThat(((HistoryEntry.Committed) store.history(job, 1).get(0)).commit().metadata())
          .containsEntry("sink.state", sinkState);
      assertThat(group(job).values().stream().filter(o -> o.metadata().contains(sinkState)).count())
          .as("the metadata is in the two lead offsets only").isEqualTo(2);
      assertThat(group(job).get(new TopicPartition("wide-events", 500)).metadata()).isEqualTo("tm1;e=1;b=0;f=0");
      assertThat(store.read(job).positions()).hasSize(1000);
    }
  }

  @Test
  void clientSettingsTheStoreOwnsAreRefused() throws Exception {
    java.nio.file.Path file = java.nio.file.Files.createTempFile("kafka-client", ".properties");
    try {
      java.nio.file.Files.writeString(file, "bootstrap.servers=elsewhere:9092\n");
      assertThatThrownBy(() -> OffsetStores.open(URI.create("kafka://" + broker.bootstrapServers()),
          Map.of("kafka.client.config", file.toString())))
          .isInstanceOf(ConfigException.class).hasMessageContaining("it sets bootstrap.servers, which the store sets itself");
      java.nio.file.Files.writeString(file, "request.timeout.ms=120000\n");
      assertThatThrownBy(() -> OffsetStores.open(URI.create("kafka://" + broker.bootstrapServers()),
          Map.of("kafka.client.config", file.toString(), "kafka.request.timeout", "30s")))
          .isInstanceOf(ConfigException.class).hasMessageContaining("above kafka.request.timeout");
    } finally {
      java.nio.file.Files.delete(file);
    }
  }
}
