package io.tidemark.spark;

import io.tidemark.testkit.KafkaBroker;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.spark.SparkConf;

/** Shared set-up of the Spark tests: local Spark on loopback, and records whose value names their place. */
final class SparkTestSupport {
  private SparkTestSupport() {}

  /** {@code local[2]} on 127.0.0.1 without a UI. */
  static SparkConf localConf(String app) {
    return new SparkConf().setMaster("local[2]").setAppName(app)
        .set("spark.driver.host", "127.0.0.1")
        .set("spark.ui.enabled", "false")
        .set("spark.sql.shuffle.partitions", "2")
        .set("spark.streaming.stopGracefullyOnShutdown", "false");
  }

  /** Consumer parameters for the stream: string keys, byte values, the group only for its name. */
  static Map<String, Object> kafkaParams(KafkaBroker broker, String group) {
    return Map.of("bootstrap.servers", broker.bootstrapServers(), "group.id", group,
        "key.deserializer", StringDeserializer.class, "value.deserializer", ByteArrayDeserializer.class,
        "auto.offset.reset", "earliest", "enable.auto.commit", false);
  }

  /** The lines of every published batch directory under {@code out} ({@code batch-*}), in batch and part order. */
  static List<String> publishedLines(java.nio.file.Path out) throws java.io.IOException {
    List<String> lines = new ArrayList<>();
    try (java.util.stream.Stream<java.nio.file.Path> batches = java.nio.file.Files.list(out)) {
      for (java.nio.file.Path b : batches.filter(p -> p.getFileName().toString()
          .startsWith(io.tidemark.spark.sink.FileBatchSink.BATCH_PREFIX)).sorted().toList()) {
        try (java.util.stream.Stream<java.nio.file.Path> parts = java.nio.file.Files.list(b)) {
          for (java.nio.file.Path part : parts.filter(p -> p.getFileName().toString().startsWith("part-")).sorted()
              .toList()) {
            lines.addAll(java.nio.file.Files.readAllLines(part, StandardCharsets.UTF_8));
          }
        }
      }
    }
    return lines;
  }

  /**
   * {@code name} under the working directory (the failsafe one, under {@code target/}), emptied of
   * an earlier run's files: tests keep their drivers' logs and outputs there, to read after the run.
   */
  static java.nio.file.Path freshDirectory(String name) throws java.io.IOException {
    java.nio.file.Path dir = java.nio.file.Path.of(name).toAbsolutePath();
    deleteRecursively(dir);
    return java.nio.file.Files.createDirectories(dir);
  }

  /** Deletes {@code dir} and everything in it, if it exists. */
  static void deleteRecursively(java.nio.file.Path dir) throws java.io.IOException {
    if (java.nio.file.Files.exists(dir)) {
      try (java.util.stream.Stream<java.nio.file.Path> old = java.nio.file.Files.walk(dir)) {
        old.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /**
   * Produces {@code perPartition} records to each of {@code partitions} partitions; value
   * {@code <partition>:<n>} with n counting from {@code firstN}, so a consumer can check each is seen
   * once and in order.
   */
  static void produce(KafkaBroker broker, String topic, int partitions, int firstN, int perPartition) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int n = firstN; n < firstN + perPartition; n++) {
      for (int p = 0; p < partitions; p++) {
        records.add(new ProducerRecord<>(topic, p, null, (p + ":" + n).getBytes(StandardCharsets.UTF_8)));
      }
    }
    broker.produce(records);
  }

  /**
   * What a {@code read_committed} consumer of {@code topic} reads, per partition in offset order,
   * as values {@code <partition>:<n>} split into partition and n; read to the last stable offset,
   * which must equal the log end: a transaction left open fails this (it would hide what follows
   * it from every {@code read_committed} reader).
   */
  static Map<Integer, List<Integer>> committedSequences(KafkaBroker broker, String topic) {
    Map<Integer, List<Integer>> seq = new java.util.TreeMap<>();
    Map<String, Object> committed = Map.of("isolation.level", "read_committed", "enable.auto.commit", "false");
    Map<String, Object> uncommitted = Map.of("isolation.level", "read_uncommitted", "enable.auto.commit", "false");
    try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(broker.clientProps(committed),
            new ByteArrayDeserializer(), new ByteArrayDeserializer());
        var raw = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(broker.clientProps(uncommitted),
            new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<org.apache.kafka.common.TopicPartition> partitions = new ArrayList<>();
      for (int p = 0; p < broker.partitionCount(topic); p++) {
        partitions.add(new org.apache.kafka.common.TopicPartition(topic, p));
      }
      Map<org.apache.kafka.common.TopicPartition, Long> stable = consumer.endOffsets(partitions);
      org.assertj.core.api.Assertions.assertThat(stable).as("the last stable offsets of %s (an open transaction holds"
          + " them below the log end)", topic).isEqualTo(raw.endOffsets(partitions));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + java.time.Duration.ofMinutes(2).toNanos();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < stable.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("read_committed: " + topic + " not read to " + stable + " within 2 minutes; read "
              + seq.values().stream().mapToInt(List::size).sum() + " records");
        }
        for (var r : consumer.poll(java.time.Duration.ofMillis(200))) {
          String v = new String(r.value(), StandardCharsets.UTF_8);
          int colon = v.indexOf(':');
          seq.computeIfAbsent(Integer.parseInt(v.substring(0, colon)), k -> new ArrayList<>())
              .add(Integer.parseInt(v.substring(colon + 1)));
        }
      }
    }
    return seq;
  }
}
