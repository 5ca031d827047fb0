package io.tidemark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.offsets.PartitionOffsets;
import io.tidemark.offsets.RewindTarget;
import io.tidemark.offsets.StartPositionResolver;
import io.tidemark.spark.internal.JobStart;
import io.tidemark.spark.sink.KafkaTransactionLostException;
import io.tidemark.spark.sink.KafkaTransactionalSink;
import io.tidemark.testkit.KafkaBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.streaming.kafka010.KafkaUtils;
import org.apache.spark.streaming.kafka010.LocationStrategies;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link KafkaTransactionalSink} under the commit protocol, against a real broker and
 * {@code local[2]} Spark: batches read from an input topic with Spark's Kafka RDD, committed by
 * {@link BatchCommitter} to a {@code file:} store, their records written to an output topic whose
 * partition is the input's, and checked record by record by a {@code read_committed} consumer.
 * The driver's death between steps is a work step that throws (the SIGKILLed driver is
 * {@code DriverCrashIT}'s); a zombie is a second committer of the same job.
 */
class KafkaTransactionalSinkIT {
  private static final int PARTITIONS = 4;
  private static final int PER_PARTITION = 120;
  private static final int PER_BATCH = 40;

  /** Aborts timed-out transactions every second (the broker's default is every 10 s). */
  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder()
      .brokerProperty("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000").build();

  private static JavaSparkContext spark;
  private static Path work;

  private String job;
  private String in;
  private String out;
  private OffsetStore store;
  private final List<BatchCommitter> drivers = new ArrayList<>();

  @BeforeAll
  static void sparkContext() throws Exception {
    work = SparkTestSupport.freshDirectory("kafka-sink-test");
    spark = new JavaSparkContext(SparkTestSupport.localConf("kafka-sink-it"));
    spark.setLogLevel("WARN");
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  @BeforeEach
  void topics(TestInfo test) {
    job = test.getTestMethod().orElseThrow().getName().substring(0, 20);
    in = job + "-in";
    out = job + "-out";
    broker.createTopic(in, PARTITIONS);
    broker.createTopic(out, PARTITIONS);
    SparkTestSupport.produce(broker, in, PARTITIONS, 0, PER_PARTITION);
    store = OffsetStores.open("file:" + work.resolve(job));
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  private KafkaTransactionalSink<JavaRDD<ConsumerRecord<String, byte[]>>> sink(Duration timeout) {
    String topic = out;
    return KafkaTransactionalSink.<JavaRDD<ConsumerRecord<String, byte[]>>>builder().job(job)
        .kafka(Map.of("bootstrap.servers", broker.bootstrapServers())).transactionTimeout(timeout)
        .records(rdd -> rdd.map(r -> new ProducerRecord<>(topic, r.partition(), (byte[]) null, r.value())))
        .build();
  }

  /** A driver of the job: claims it and recovers the sink, as the adapters do at start. */
  private BatchCommitter start(KafkaTransactionalSink<?> sink) {
    BatchCommitter committer;
    try (Admin admin = Admin.create(broker.clientProps(Map.of()))) {
      committer = BatchCommitter.claim(store, job, DeliveryGuarantee.EXACTLY_ONCE, stored -> StartPositionResolver
          .builder().build().resolve(stored, List.of(in), PartitionOffsets.of(admin)));
    }
    JobStart.recover(committer, sink);
    drivers.add(committer);
    return committer;
  }

  /** The next batch's ranges: up to {@link #PER_BATCH} records of each partition from where the driver stands. */
  private List<OffsetRange> nextRanges(BatchCommitter driver) {
    List<OffsetRange> ranges = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      long from = driver.nextStarts().getOrDefault(new TopicPartition(in, p), 0L);
      ranges.add(OffsetRange.of(new TopicPartition(in, p), from, Math.min(PER_PARTITION, from + PER_BATCH)));
    }
    return ranges;
  }

  private JavaRDD<ConsumerRecord<String, byte[]>> read(List<OffsetRange> ranges) {
    org.apache.spark.streaming.kafka010.OffsetRange[] sparkRanges = ranges.stream()
        .map(r -> org.apache.spark.streaming.kafka010.OffsetRange.create(r.topic(), r.partition(), r.fromOffset(),
            r.untilOffset()))
        .toArray(org.apache.spark.streaming.kafka010.OffsetRange[]::new);
    return KafkaUtils.createRDD(spark, SparkTestSupport.kafkaParams(broker, job), sparkRanges,
        LocationStrategies.PreferConsistent());
  }

  /** One batch through the sink: prepare, commit, publish. */
  private void runBatch(BatchCommitter driver, KafkaTransactionalSink<JavaRDD<ConsumerRecord<String, byte[]>>> sink) {
    List<OffsetRange> ranges = nextRanges(driver);
    driver.runBatch(ranges, Map.of(), JobStart.transactional(sink, read(ranges)));
  }

  private void runToTheEnd(BatchCommitter driver, KafkaTransactionalSink<JavaRDD<ConsumerRecord<String, byte[]>>> sink) {
    while (nextRanges(driver).stream().anyMatch(r -> r.count() > 0)) {
      runBatch(driver, sink);
    }
  }

  /** Each input record once, in order per partition, nothing left open: what a read_committed reader sees. */
  private void assertExactlyTheInput() {
    Map<Integer, List<Integer>> seq = SparkTestSupport.committedSequences(broker, out);
    List<Integer> expected = IntStream.range(0, PER_PARTITION).boxed().toList();
    assertThat(seq.keySet()).as("partitions of %s", out).containsExactly(0, 1, 2, 3);
    seq.forEach((p, ns) -> assertThat(ns).as("partition %d of %s, read_committed", p, out).isEqualTo(expected));
  }

  /** The open transactions of the job's transactional ids. */
  private List<String> openTransactions() throws Exception {
    return broker.admin().listTransactions(new ListTransactionsOptions().filterStates(List.of(TransactionState.ONGOING)))
        .all().get().stream().map(TransactionListing::transactionalId).filter(id -> id.startsWith("tidemark." + job))
        .sorted().toList();
  }

  /** The log end of each output partition, as a read_uncommitted reader sees it. */
  private Map<TopicPartition, Long> written() {
    return broker.endOffsets(out);
  }

  @Test
  void aBatchIsInvisibleUntilItsPublishThenThereOnceAndAPublishRepeatedLaterChangesNothing() throws Exception {
    KafkaTransactionalSink<JavaRDD<ConsumerRecord<String, byte[]>>> sink = sink(Duration.ofMinutes(5));
    BatchCommitter driver = start(sink);
    List<Map<String, String>> prepared = new ArrayList<>();
    List<OffsetRange> ranges = nextRanges(driver);
    JavaRDD<ConsumerRecord<String, byte[]>> batch = read(ranges);
    driver.runBatch(ranges, Map.of(), new BatchCommitter.BatchWork() {
      @Override
      public Map<String, String> output(long batchId) throws Exception {
        Map<String, String> p = sink.prepare(batch, batchId);
        prepared.add(p);
        return p;
      }

      @Override
      public void afterCommit(long batchId, Map<String, String> p) throws Exception {
        // committed in the store, not yet published: written to the log, invisible to read_committed
        assertThat(written().values()).as("records written by the prepare").allMatch(end -> end >= PER_BATCH);
        assertThat(openTransactions()).as("the batch's open transactions, one per task").hasSize(PARTITIONS);
        sink.publish(batchId, p);
      }
    });
    assertThat(openTransactions()).as("open transactions after the publish").isEmpty();
    runToTheEnd(driver, sink);
    assertExactlyTheInput();

    // batch 0 again: batch 2 took its transactional ids over since (slot 0), so the broker refuses
    // its old epoch, and its first record, visible to read_committed, proves it committed
    sink.publish(0, prepared.get(0));
    // and the last batch again, its ids untouched: the broker accepts the repeated commit
    sink.publish(driver.nextBatchId() - 1, BatchCommitter.lastPrepared(store, job));
    assertExactlyTheInput();
  }

  @Test
  void aDriverThatDiesBetweenCommitAndPublishIsPublishedByTheNextAfterABrokerRestart() {
    KafkaTransactionalSink<JavaRDD<ConsumerRecord<String, byte[]>>> sink = sink(Duration.ofMinutes(5));
    BatchCommitter first = start(sink);
    runBatch(first, sink);
    List<OffsetRange> ranges = nextRanges(first);
    JavaRDD<ConsumerRecord<String, byte[]>> batch = read(ranges);
    assertThatThrownBy(() -> first.runBatch(ranges, Map.of(), new BatchCommitter.BatchWork() {
      @Override
      public Map<String, String> output(long batchId) throws Exception {
        return sink.prepare(batch, batchId);
      }

      @Override
      public void afterCommit(long batchId, Map<String, String> prepared) {
        broker.restart(); // the broker goes down and comes back while the batch waits for its publish
        throw new IllegalStateException("the driver dies after committing batch " + batchId);
      }
    })).isInstanceOf(BatchFailedException.class).hasMessageContaining("It was committed");
    assertThat(store.read(job).lastBatchId()).hasValue(1);

    BatchCommitter second = start(sink); // publishes batch 1 at its start
    runToTheEnd(second, sink);
    assertExactlyTheInput();
  }

  @Test
  void aFencedDriversTransactionsNeverBecomeVisible() throws Exception {
    KafkaTransactionalSink<JavaRDD<ConsumerRecord<String, byte[]>>> sink = sink(Duration.ofMinutes(5));
    BatchCommitter zombie = start(sink);
    runBatch(zombie, sink);
    List<OffsetRange> ranges = nextRanges(zombie);
    JavaRDD<ConsumerRecord<String, byte[]>> batch = read(ranges);
    List<BatchCommitter> successor = new ArrayList<>();
    assertThatThrownBy(() -> zombie.runBatch(ranges, Map.of(), new BatchCommitter.BatchWork() {
      @Override
      public Map<String, String> output(long batchId) throws Exception {
        Map<String, String> prepared = sink.prepare(batch, batchId);
        // while the zombie's transactions are open, a new driver claims the job and aborts them
        successor.add(start(sink));
        return prepared;
      }
    })).isInstanceOf(DriverFencedException.class);
    assertThat(openTransactions()).as("open transactions once the successor started").isEmpty();

    // the zombie prepares once more (tasks still running after its fencing): open, never committed
    sink.prepare(read(nextRanges(successor.get(0))), 1);
    assertThat(openTransactions()).as("the zombie's late transactions").hasSize(PARTITIONS);
    // the successor's batch 1 takes the same transactional ids over: they are aborted
    runToTheEnd(successor.get(0), sink);
    assertExactlyTheInput();
  }

  @Test
  void aTransactionTheBrokerAbortedOnItsTimeoutIsReportedWithTheRewindThatWritesItAgain() throws Exception {
    Duration timeout = KafkaTransactionalSink.MINIMUM_TRANSACTION_TIMEOUT;
    KafkaTransactionalSink<JavaRDD<ConsumerRecord<String, byte[]>>> sink = sink(timeout);
    BatchCommitter first = start(sink);
    runBatch(first, sink);
    List<OffsetRange> ranges = nextRanges(first);
    JavaRDD<ConsumerRecord<String, byte[]>> batch = read(ranges);
    long[] prepareEnded = new long[1];
    assertThatThrownBy(() -> first.runBatch(ranges, Map.of(), new BatchCommitter.BatchWork() {
      @Override
      public Map<String, String> output(long batchId) throws Exception {
        Map<String, String> prepared = sink.prepare(batch, batchId);
        prepareEnded[0] = System.nanoTime();
        return prepared;
      }

      @Override
      public void afterCommit(long batchId, Map<String, String> prepared) {
        throw new IllegalStateException("the driver dies after committing batch " + batchId);
      }
    })).isInstanceOf(BatchFailedException.class);
    // the driver stays down longer than transaction.timeout.ms: the broker aborts the batch's transactions
    Awaitility.await("the broker aborting the transactions of batch 1 on their timeout (" + timeout + ")")
        .atMost(timeout.multipliedBy(3)).pollInterval(Duration.ofSeconds(1)).until(() -> openTransactions().isEmpty());
    long abortedAfterMs = (System.nanoTime() - prepareEnded[0]) / 1_000_000;

    assertThatThrownBy(() -> start(sink)).isInstanceOf(BatchFailedException.class)
        .hasCauseInstanceOf(KafkaTransactionLostException.class)
        .hasMessageContaining("transaction.timeout.ms")
        .hasMessageContaining("tidemark offsets rewind --store <the job's store> --job " + job + " --to-batch 0");
    assertThat(SparkTestSupport.committedSequences(broker, out).values()).as("batch 0 alone is visible")
        .allMatch(ns -> ns.size() == PER_BATCH);

    // what the message says: rewind to batch 0, start again
    store.rewind(job, RewindTarget.toBatch(0));
    BatchCommitter second = start(sink);
    runToTheEnd(second, sink);
    assertExactlyTheInput();
    org.slf4j.LoggerFactory.getLogger(KafkaTransactionalSinkIT.class).info(
        "transaction.timeout.ms {}: the broker aborted the batch's transactions {} ms after its prepare", timeout,
        abortedAfterMs);
  }

  @Test
  void theSinkRefusesWhatWouldBreakItsGuarantee() {
    var builder = KafkaTransactionalSink.<JavaRDD<String>>builder();
    assertThatThrownBy(() -> builder.transactionTimeout(Duration.ofSeconds(30)))
        .hasMessageContaining("shorter than PT1M");
    assertThatThrownBy(() -> builder.kafka(Map.of("transactional.id", "mine")))
        .hasMessageContaining("sets transactional.id itself");
    assertThatThrownBy(() -> builder.kafka(Map.of("transaction.timeout.ms", "10000")))
        .hasMessageContaining("use transactionTimeout()");
    assertThatThrownBy(builder::build).hasMessageContaining("job(...)").hasMessageContaining("records(...)")
        .hasMessageContaining("bootstrap.servers");

    String topic = out;
    KafkaTransactionalSink<JavaRDD<String>> sink = builder.job(job)
        .kafka(Map.of("bootstrap.servers", broker.bootstrapServers()))
        .records(rdd -> rdd.map(v -> new ProducerRecord<>(topic, (byte[]) null, v.getBytes()))).build();
    spark.sc().conf().set("spark.speculation", "true");
    try {
      assertThatThrownBy(() -> sink.prepare(spark.parallelize(List.of("0:0")), 0))
          .hasMessageContaining("spark.speculation=true");
    } finally {
      spark.sc().conf().set("spark.speculation", "false");
    }
  }
}
