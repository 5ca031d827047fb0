package io.tidemark.benchmarks;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.testkit.KafkaBroker;
import io.tidemark.testkit.ZooKeeperServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.zookeeper.client.FourLetterWordMain;

/**
 * End-to-end commit latency of the {@code zk:} store against a real ZooKeeper, with its anchor
 * measured in the same run: Kafka's {@code KafkaConsumer.commitSync} of the same offsets to a
 * real broker. For each partition count it commits the same sequence of batches both ways and
 * reports p50, p99 and mean latency and the round trips per commit:
 *
 * <ul>
 *   <li>ZooKeeper: requests the server received (its {@code srvr} counter) per commit;
 *   <li>Kafka: requests the consumer sent (its {@code request-total} metric) per commit.
 * </ul>
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.tidemark.benchmarks.ZooKeeperCommitRun
 * [partitions...]} (default 1 100 1000 10000). System properties: {@code commits} (measured
 * commits per size, default 1000), {@code warmup} (default 300), {@code kafka.linger.ms} (the
 * broker's {@code group.coordinator.append.linger.ms}; default: the broker's own default). The broker is the testkit's
 * (Kafka 4.1.1, KRaft, one node, in a child JVM); ZooKeeper is the testkit's in-process server.
 */
public final class ZooKeeperCommitRun {
  private static final Pattern RECEIVED = Pattern.compile("Received: (\\d+)");
  private static final String JOB = "bench-job";
  private static final int PARTITIONS_PER_STEP = 5_000;

  private ZooKeeperCommitRun() {}

  /** One measured series. */
  record Series(long[] nanos, double roundTripsPerCommit) {
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

  /**
   * Runs the measurement; see the class doc. A failure is printed here: the in-process ZooKeeper
   * server installs an uncaught-exception handler that would exit without a word.
   */
  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable e) {
      e.printStackTrace();
      System.exit(1);
    }
  }

  private static void run(String[] args) throws Exception {
    int measured = Integer.getInteger("commits", 1000);
    int warmup = Integer.getInteger("warmup", 300);
    int[] sizes = args.length == 0 ? new int[] {1, 100, 1000, 10000}
        : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    int widest = Arrays.stream(sizes).max().orElseThrow();
    KafkaBroker.Builder broker = KafkaBroker.builder().startTimeout(Duration.ofMinutes(3))
        // a full JIT and room for wide topics: the anchor must not be handicapped
        .jvmArg("-Xmx2g").jvmArg("-XX:TieredStopAtLevel=4");
    String linger = System.getProperty("kafka.linger.ms");
    if (linger != null) {
      broker.brokerProperty("group.coordinator.append.linger.ms", linger);
    }
    try (ZooKeeperServer zk = ZooKeeperServer.create().start(); KafkaBroker kafka = broker.build().start()) {
      createWideTopic(kafka, widest);
      System.out.printf(Locale.ROOT, "ZooKeeper %s, Kafka %s (group.coordinator.append.linger.ms=%s); %d warm-up"
          + " and %d measured commits per size%n", zk.connectString(), kafka.bootstrapServers(),
          linger == null ? "broker default" : linger, warmup, measured);
      System.out.println("| partitions | zk p50 µs | zk p99 µs | zk mean µs | zk round trips | kafka p50 µs"
          + " | kafka p99 µs | kafka mean µs | kafka round trips | p50 zk/kafka | p99 zk/kafka |");
      System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
      for (int partitions : sizes) {
        Series store = zooKeeper(zk, partitions, warmup, measured);
        Series anchor = kafka(kafka, partitions, warmup, measured);
        System.out.printf(Locale.ROOT, "| %,d | %,.0f | %,.0f | %,.0f | %.2f | %,.0f | %,.0f | %,.0f | %.2f | %.2f | %.2f |%n",
            partitions, store.percentileMicros(50), store.percentileMicros(99), store.meanMicros(),
            store.roundTripsPerCommit(), anchor.percentileMicros(50), anchor.percentileMicros(99),
            anchor.meanMicros(), anchor.roundTripsPerCommit(),
            store.percentileMicros(50) / anchor.percentileMicros(50),
            store.percentileMicros(99) / anchor.percentileMicros(99));
      }
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

  private static Series zooKeeper(ZooKeeperServer zk, int partitions, int warmup, int measured) {
    try (OffsetStore store = OffsetStores.open("zk://" + zk.connectString() + "/bench-" + partitions)) {
      Batches batches = new Batches(JOB, store.claim(JOB), partitions);
      for (int i = 0; i < warmup; i++) {
        require(store.commit(batches.next()), batches);
      }
      long[] nanos = new long[measured];
      long before = received(zk);
      for (int i = 0; i < measured; i++) {
        OffsetCommit batch = batches.next();
        long t0 = System.nanoTime();
        CommitResult r = store.commit(batch);
        nanos[i] = System.nanoTime() - t0;
        require(r, batches);
      }
      long requests = received(zk) - before;
      if (store.read(JOB).lastBatchId().orElse(-1) != batches.lastBatchId()) {
        throw new IllegalStateException("the zk: store did not keep batch " + batches.lastBatchId());
      }
      return new Series(nanos, (double) requests / measured);
    }
  }

  private static Series kafka(KafkaBroker kafka, int partitions, int warmup, int measured) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-" + partitions);
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
      double requests = requestTotal(consumer) - before;
      return new Series(nanos, requests / measured);
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

  /** The requests the ZooKeeper server has received, from its {@code srvr} command. */
  private static long received(ZooKeeperServer zk) {
    try {
      String srvr = FourLetterWordMain.send4LetterWord("127.0.0.1", zk.port(), "srvr", false, 5_000);
      Matcher m = RECEIVED.matcher(srvr);
      if (!m.find()) {
        throw new IllegalStateException("no 'Received:' in ZooKeeper's srvr answer: " + srvr);
      }
      return Long.parseLong(m.group(1));
    } catch (Exception e) {
      throw new IllegalStateException("cannot ask ZooKeeper for its request count: " + e, e);
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
}
