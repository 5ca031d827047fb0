package io.tidemark.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KafkaBrokerIT {

  @RegisterExtension
  static final KafkaBroker kafka = KafkaBroker.builder().build();

  private static List<String> values(String prefix, int n) {
    return IntStream.range(0, n).mapToObj(i -> prefix + i).collect(Collectors.toList());
  }

  @Test
  void producesAndConsumesAcrossPartitions() {
    kafka.createTopic("orders.v1", 3);
    assertThat(kafka.partitionCount("orders.v1")).isEqualTo(3);
    assertThat(kafka.bootstrapServers()).startsWith("127.0.0.1:");

    List<RecordMetadata> acks = kafka.produceStrings("orders.v1", values("order-", 30));

    assertThat(acks).hasSize(30);
    assertThat(kafka.consumeStrings("orders.v1", 30, Duration.ofSeconds(30)))
        .containsExactlyInAnyOrderElementsOf(values("order-", 30));
    long total = kafka.endOffsets("orders.v1").values().stream().mapToLong(Long::longValue).sum();
    assertThat(total).isEqualTo(30);
  }

  @Test
  void stopAndKillKeepTheDataForRestart() {
    kafka.createTopic("restart_topic", 2);
    kafka.produceStrings("restart_topic", values("a", 10));

    kafka.stop();
    assertThat(kafka.isRunning()).isFalse();
    kafka.restart();
    kafka.produceStrings("restart_topic", values("b", 5));
    kafka.kill();
    kafka.restart();

    assertThat(kafka.consumeStrings("restart_topic", 15, Duration.ofSeconds(30)))
        .containsExactlyInAnyOrderElementsOf(concat(values("a", 10), values("b", 5)));
  }

  @Test
  void shortRetentionMovesTheLogStartAboveAStoredOffset() {
    TopicPartition p0 = new TopicPartition("short-retention", 0);
    kafka.createTopicWithShortRetention(p0.topic(), 1, Duration.ofMillis(300));
    kafka.produceStrings(p0.topic(), values("old", 5));
    assertThat(kafka.logStartOffsets(p0.topic())).containsEntry(p0, 0L);

    long start = kafka.awaitLogStartOffset(p0, 5, Duration.ofMillis(200), Duration.ofSeconds(60));

    assertThat(start).isGreaterThanOrEqualTo(5);
    assertThat(kafka.endOffsets(p0.topic()).get(p0)).isGreaterThan(start);
  }

  @Test
  void deleteRecordsMovesTheLogStartExactly() {
    TopicPartition p1 = new TopicPartition("trimmed", 1);
    kafka.createTopic(p1.topic(), 2);
    kafka.produce(IntStream.range(0, 8)
        .mapToObj(i -> new org.apache.kafka.clients.producer.ProducerRecord<byte[], byte[]>(p1.topic(), 1, null, new byte[] {(byte) i}))
        .collect(Collectors.toList()));

    kafka.deleteRecordsBefore(p1, 6);

    assertThat(kafka.logStartOffsets(p1.topic())).isEqualTo(Map.of(new TopicPartition("trimmed", 0), 0L, p1, 6L));
  }

  @Test
  void consumeFailsWithACountWhenTooFewRecordsArrive() {
    kafka.createTopic("sparse", 1);
    kafka.produceStrings("sparse", List.of("only"));

    assertThatThrownBy(() -> kafka.consumeStrings("sparse", 2, Duration.ofSeconds(2)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("expected 2 records from sparse")
        .hasMessageContaining("but got 1");
  }

  private static List<String> concat(List<String> a, List<String> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).collect(Collectors.toList());
  }
}
