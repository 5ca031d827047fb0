package io.tidemark.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.ConfigException;
import io.tidemark.offsets.ConsumerGroupMirror;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.offsets.RewindTarget;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
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
