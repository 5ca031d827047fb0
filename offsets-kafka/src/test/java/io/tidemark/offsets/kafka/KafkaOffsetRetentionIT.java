package io.tidemark.offsets.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.testkit.KafkaBroker;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Kafka's offset retention against a job that runs but reads nothing: on a broker that keeps
 * offsets one minute, the group of a job whose store instance is still open is renewed and keeps
 * its positions, and so is the tombstone that holds a claim made after a delete; the group of a
 * job whose store was closed expires, as the docs say it does.
 */
class KafkaOffsetRetentionIT {
  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().brokerProperty("offsets.retention.minutes", "1")
      .brokerProperty("offsets.retention.check.interval.ms", "1000").build();

  private static final TopicPartition P0 = new TopicPartition("quiet", 0);

  private static OffsetStore open(String refresh) {
    return OffsetStores.open(URI.create("kafka://" + broker.bootstrapServers()), Map.of("kafka.refresh.interval", refresh));
  }

  private static void commitOnce(OffsetStore store, String job) {
    long epoch = store.claim(job);
    store.commit(OffsetCommit.builder(job, 0, epoch).range("quiet", 0, 0, 3).starts(Map.of(P0, 0L)).build());
  }

  @Test
  void aRunningJobsGroupIsRenewedAndAStoppedOnesExpires() {
    broker.createTopic("quiet", 1);
    try (OffsetStore running = open("15s"); OffsetStore checker = open("0s")) {
      commitOnce(running, "still-running");
      // deleted, then claimed again by a driver that has read nothing since: its tombstone holds the claim
      commitOnce(running, "claimed-after-delete");
      running.delete("claimed-after-delete");
      long reclaimed = running.claim("claimed-after-delete");
      try (OffsetStore stopped = open("15s")) {
        commitOnce(stopped, "long-stopped");
      }

      Awaitility.await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
          .until(() -> checker.read("long-stopped").isEmpty());

      CommittedOffsets kept = checker.read("still-running");
      assertThat(kept.positions()).isEqualTo(Map.of(P0, 3L));
      assertThat(kept.lastBatchId()).hasValue(0);
      assertThat(kept.epoch()).isEqualTo(1);
      assertThat(checker.read("claimed-after-delete").epoch()).as("the claim after the delete, renewed")
          .isEqualTo(reclaimed);
      assertThat(checker.listJobs()).contains("claimed-after-delete");
    }
  }
}
