package io.tidemark.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.ConfigException;
import io.tidemark.offsets.ConsumerGroupMirror;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.offsets.RewindTarget;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Consumer-group mirroring ({@code mirror.*}, any store): after commits and a rewind, the job's
 * group in Kafka holds exactly the store's positions, as Kafka's own tools read them; a broker
 * out of reach is counted and never fails a commit.
 */
class ConsumerGroupMirrorIT {
  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().build();

  @TempDir
  Path dir;

  private static final TopicPartition P0 = new TopicPartition("mirrored", 0);
  private static final TopicPartition P1 = new TopicPartition("mirrored", 1);

  private static Map<TopicPartition, Long> groupOffsets(String group) throws Exception {
    Admin admin = broker.admin(); // the broker's own client: not ours to close
    return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
  }

  private static void commit(OffsetStore s, String job, long epoch, long batch, long from, long until) {
    OffsetCommit.Builder b = OffsetCommit.builder(job, batch, epoch).range(P0.topic(), 0, from, until)
        .range(P1.topic(), 1, from == 0 ? 0 : from + 5, until + 5);
    if (batch == 0) {
      b.starts(Map.of(P0, from, P1, from));
    }
    assertThat(s.commit(b.build())).isEqualTo(CommitResult.APPLIED);
  }

  @Test
  void theJobsGroupFollowsItsCommitsAndRewinds() throws Exception {
    broker.createTopic("mirrored", 2);
    try (OffsetStore s = OffsetStores.open(URI.create("file:" + dir.resolve("offsets")),
        Map.of("mirror.bootstrap.servers", broker.bootstrapServers(), "mirror.group.prefix", "tidemark.",
            "mirror.kafka.client.id", "mirror-it"))) {
      ConsumerGroupMirror mirror = ConsumerGroupMirror.of(s).orElseThrow();
      assertThat(mirror.groupOf("orders-job")).isEqualTo("tidemark.orders-job");
      long epoch = s.claim("orders-job");
      commit(s, "orders-job", epoch, 0, 0, 10);
      commit(s, "orders-job", epoch, 1, 10, 25);
      assertThat(mirror.awaitMirrored(Duration.ofSeconds(30))).isTrue();
      assertThat(groupOffsets("tidemark.orders-job")).isEqualTo(s.read("orders-job").positions())
          .containsEntry(P0, 25L).containsEntry(P1, 30L);

      s.rewind("orders-job", RewindTarget.toBatch(0));
      assertThat(mirror.awaitMirrored(Duration.ofSeconds(30))).isTrue();
      assertThat(groupOffsets("tidemark.orders-job")).containsEntry(P0, 10L).containsEntry(P1, 15L);
      assertThat(mirror.failures()).isZero();
      assertThat(mirror.mirrored()).isGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void aBrokerOutOfReachIsCountedAndNeverFailsACommit() throws Exception {
    try (OffsetStore s = OffsetStores.open(URI.create("memory:mirror-down"), Map.of("mirror.bootstrap.servers",
        "127.0.0.1:1", "mirror.timeout", "500ms", "mirror.kafka.reconnect.backoff.max.ms", "100"))) {
      ConsumerGroupMirror mirror = ConsumerGroupMirror.of(s).orElseThrow();
      long epoch = s.claim("job");
      commit(s, "job", epoch, 0, 0, 10);
      assertThat(s.read("job").positions()).containsEntry(P0, 10L);
      assertThat(mirror.awaitMirrored(Duration.ofSeconds(30))).isTrue();
      assertThat(mirror.failures()).isEqualTo(1);
      assertThat(mirror.mirrored()).isZero();
    }
  }

  /** A store whose commits, once applied, wait for {@code release} before they return. */
  private static OffsetStore pausingAfterCommit(OffsetStore store, CountDownLatch applied, CountDownLatch release) {
    return new OffsetStore() {
      @Override
      public CommitResult commit(OffsetCommit commit) {
        CommitResult result = store.commit(commit);
        applied.countDown();
        try {
          if (!release.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the commit was never released");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
        return result;
      }

      @Override
      public CommittedOffsets read(String job) {
        return store.read(job);
      }

      @Override
      public long claim(String job) {
        return store.claim(job);
      }

      @Override
      public List<HistoryEntry> history(String job, int limit) {
        return store.history(job, limit);
      }

      @Override
      public CommittedOffsets rewind(String job, RewindTarget target) {
        return store.rewind(job, target);
      }

      @Override
      public Set<String> listJobs() {
        return store.listJobs();
      }

      @Override
      public boolean delete(String job) {
        return store.delete(job);
      }

      @Override
      public String description() {
        return store.description();
      }

      @Override
      public void close() {
        store.close();
      }
    };
  }

  @Test
  void aCloseThatComesBetweenACommitAndItsMirrorNeverFailsTheCommit() throws Exception {
    broker.createTopic("mirror-race", 1);
    CountDownLatch applied = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    OffsetStore inner = pausingAfterCommit(OffsetStores.open("file:" + dir.resolve("race")), applied, release);
    ConsumerGroupMirror mirror = new ConsumerGroupMirror(inner, Admin.create(broker.clientProps(Map.of())), "race.",
        Duration.ofSeconds(10));
    long epoch = mirror.claim("race-job");
    ExecutorService driver = Executors.newSingleThreadExecutor();
    try {
      Future<CommitResult> commit = driver.submit(() -> mirror.commit(OffsetCommit.builder("race-job", 0, epoch)
          .range("mirror-race", 0, 0, 10).starts(Map.of(new TopicPartition("mirror-race", 0), 0L)).build()));
      assertThat(applied.await(30, TimeUnit.SECONDS)).as("the store applied the commit").isTrue();
      mirror.close(); // between the store's answer and the mirror's turn
      release.countDown();
      assertThat(commit.get(30, TimeUnit.SECONDS)).as("the commit's answer").isEqualTo(CommitResult.APPLIED);
    } finally {
      release.countDown();
      driver.shutdownNow();
    }
    try (OffsetStore reopened = OffsetStores.open("file:" + dir.resolve("race"))) {
      assertThat(reopened.read("race-job").positions()).containsEntry(new TopicPartition("mirror-race", 0), 10L);
    }
  }

  @Test
  void mirroringIsOffUnlessAskedForAndItsSettingsAreChecked() {
    try (OffsetStore s = OffsetStores.open("memory:plain")) {
      assertThat(ConsumerGroupMirror.of(s)).isEmpty();
    }
    assertThatThrownBy(() -> OffsetStores.open(URI.create("memory:x"), Map.of("mirror.bootstraps", "h:1")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("unknown setting 'mirror.bootstraps'")
        .hasMessageContaining("mirror.bootstrap.servers");
  }
}
