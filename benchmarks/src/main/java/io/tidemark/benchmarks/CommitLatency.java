package io.tidemark.benchmarks;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.testkit.KafkaBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The measurement the end-to-end commit runs share: a store's commit latency (p50, p99, mean)
 * and requests per commit at several widths, against Kafka's {@code KafkaConsumer.commitSync} of
 * the same offsets to a real broker, measured in the same run. Each width gets {@code warmup}
 * commits, then {@code measured} ones timed one by one; the batch is built before its timed call.
 */
final class CommitLatency {
  private static final String JOB = "bench-job";
  private static final int PARTITIONS_PER_STEP = 5_000;

  /** One measured series. */
  record Series(long[] nanos, double requestsPerCommit) {
    double percentileMicros(double p) {
      long[] sorted = nanos.clone();
      Arrays.sort(sorted);
      int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1_000.0;
    }

    double meanMicros() {
      return Arrays.stream(nanos).average().orElse(Double.NaN) / 1_000.0;
    }
  }

  private final int warmup = Integer.getInteger("warmup", 300);
  private final int measured = Integer.getInteger("commits", 1000);
  private final int[] widths;

  /** The widths in {@code args} (default 1 100 1000 10000); counts from -Dwarmup and -Dcommits. */
  CommitLatency(String[] args) {
    this.widths = args.length == 0 ? new int[] {1, 100, 1000, 10000}
        : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
  }

  /**
   * The testkit's Kafka broker with a full JIT and room for wide topics, so that the anchor is
   * not handicapped; {@code -Dkafka.linger.ms} sets its {@code group.coordinator.append.linger.ms}.
   */
  static KafkaBroker.Builder broker() {
    KafkaBroker.Builder broker = KafkaBroker.builder().startTimeout(Duration.ofMinutes(3))
        .jvmArg("-Xmx2g").jvmArg("-XX:TieredStopAtLevel=4");
    String linger = System.getProperty("kafka.linger.ms");
    if (linger != null) {
      broker.brokerProperty("group.coordinator.append.linger.ms", linger);
    }
    return broker;
  }

  /**
   * Measures every width and prints a Markdown table.
   *
   * @param name the store's short name in the table's headings
   * @param open opens the store for a width (each width gets its own job)
   * @param requests the requests the store's server has received (or its client has sent) so far
   */
  void run(String name, KafkaBroker kafka, IntFunction<OffsetStore> open, LongSupplier requests) throws Exception {
    createWideTopic(kafka, Arrays.stream(widths).max().orElseThrow());
    String linger = System.getProperty("kafka.linger.ms");
    System.out.printf(Locale.ROOT, "Kafka %s (group.coordinator.append.linger.ms=%s); %d warm-up and %d measured"
        + " commits per width%n", kafka.bootstrapServers(), linger == null ? "broker default" : linger, warmup,
        measured);
    System.out.printf(Locale.ROOT, "| partitions | %1$s p50 µs | %1$s p99 µs | %1$s mean µs | %1$s requests | kafka p50 µs"
        + " | kafka p99 µs | kafka mean µs | kafka requests | p50 %1$s/kafka | p99 %1$s/kafka |%n", name);
    System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (int partitions : widths) {
      Series store;
      try (OffsetStore s = open.apply(partitions)) {
        store = store(s, partitions, requests);
      }
      Series anchor = kafka(kafka, partitions);
      System.out.printf(Locale.ROOT, "| %,d | %,.0f | %,.0f | %,.0f | %.2f | %,.0f | %,.0f | %,.0f | %.2f | %.2f | %.2f |%n",
          partitions, store.percentileMicros(50), store.percentileMicros(99), store.meanMicros(),
          store.requestsPerCommit(), anchor.percentileMicros(50), anchor.percentileMicros(99),
          anchor.meanMicros(), anchor.requestsPerCommit(),
          store.percentileMicros(50) / anchor.percentileMicros(50),
          store.percentileMicros(99) / anchor.percentileMicros(99));
    }
  }

  private Series store(OffsetStore store, int partitions, LongSupplier requests) {
    Batches batches = new Batches(JOB, store.claim(JOB), partitions);
    for (int i = 0; i < warmup; i++) {
      require(store.commit(batches.next()), batches);
    }
    long[] nanos = new long[measured];
    long before = requests.getAsLong();
    for (int i = 0; i < measured; i++) {
      OffsetCommit batch = batches.next();
      long t0 = System.nanoTime();
      CommitResult r = store.commit(batch);
      nanos[i] = System.nanoTime() - t0;
      require(r, batches);
    }
    long sent = requests.getAsLong() - before;
    if (store.read(JOB).lastBatchId().orElse(-1) != batches.lastBatchId()) {
      throw new IllegalStateException(store.description() + " did not keep batch " + batches.lastBatchId());
    }
    return new Series(nanos, (double) sent / measured);
  }

  private Series kafka(KafkaBroker kafka, int partitions) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-" + partitions + "-" + System.nanoTime());
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka.clientProps(config))) {
      Batches batches = new Batches(JOB, 1, partitions);
      List<TopicPartition> assigned = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        assigned.add(new TopicPartition(Batches.TOPIC, p));
      }
      consumer.assign(assigned);
      for (int i = 0; i < warmup; i++) {
        consumer.commitSync(offsets(batches.next()));
      }
      long[] nanos = new long[measured];
      double before = requestTotal(consumer);
      for (int i = 0; i < measured; i++) {
        Map<TopicPartition, OffsetAndMetadata> offsets = offsets(batches.next());
        long t0 = System.nanoTime();
        consumer.commitSync(offsets);
        nanos[i] = System.nanoTime() - t0;
      }
      return new Series(nanos, (requestTotal(consumer) - before) / measured);
    }
  }

  /**
   * Creates {@link Batches#TOPIC} with {@code partitions} partitions, {@value #PARTITIONS_PER_STEP}
   * at a time: KRaft refuses one metadata operation of more than 10,000 records.
   */
  private static void createWideTopic(KafkaBroker kafka, int partitions) throws Exception {
    kafka.createTopic(Batches.TOPIC, Math.min(partitions, PARTITIONS_PER_STEP));
    for (int count = PARTITIONS_PER_STEP; count < partitions; count += PARTITIONS_PER_STEP) {
      int target = Math.min(partitions, count + PARTITIONS_PER_STEP);
      kafka.admin().createPartitions(Map.of(Batches.TOPIC, NewPartitions.increaseTo(target))).all()
          .get(5, TimeUnit.MINUTES);
    }
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (kafka.partitionCount(Batches.TOPIC) < partitions) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("topic " + Batches.TOPIC + " did not reach " + partitions + " partitions");
      }
      Thread.sleep(200); // polling the broker's metadata; nothing to wait on in-process
    }
  }

  private static Map<TopicPartition, OffsetAndMetadata> offsets(OffsetCommit batch) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(batch.ranges().size() * 2);
    for (OffsetRange r : batch.ranges()) {
      offsets.put(r.topicPartition(), new OffsetAndMetadata(r.untilOffset()));
    }
    return offsets;
  }

  private static void require(CommitResult r, Batches batches) {
    if (r != CommitResult.APPLIED) {
      throw new IllegalStateException("batch " + batches.lastBatchId() + " was " + r + ", not APPLIED");
    }
  }

  private static double requestTotal(KafkaConsumer<?, ?> consumer) {
    for (Map.Entry<MetricName, ? extends Metric> e : consumer.metrics().entrySet()) {
      if (e.getKey().name().equals("request-total") && e.getKey().group().equals("consumer-metrics")) {
        return ((Number) e.getValue().metricValue()).doubleValue();
      }
    }
    throw new IllegalStateException("the consumer has no consumer-metrics/request-total metric");
  }

  /** Runs {@code body}, printing any failure before exiting with status 1 (in-process servers may swallow it). */
  static void main(ThrowingRunnable body) {
    try {
      body.run();
    } catch (Throwable e) {
      e.printStackTrace();
      System.exit(1);
    }
  }

  /** A body that may throw. */
  interface ThrowingRunnable {
    void run() throws Exception;
  }
}
