package io.tidemark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.MissingTopicPolicy;
import io.tidemark.offsets.NewPartitionPolicy;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.offsets.RewindTarget;
import io.tidemark.offsets.StartPositionResolver;
import io.tidemark.spark.sink.FileBatchSink;
import io.tidemark.spark.structured.CheckpointAheadPolicy;
import io.tidemark.spark.structured.ProgressMirror;
import io.tidemark.spark.structured.TidemarkStructuredStream;
import io.tidemark.testkit.KafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The Structured Streaming adapter: real broker, real Spark ({@code local[2]}), the file store. */
class StructuredStreamIT {

  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().build();

  private static SparkSession spark;

  @TempDir
  Path dir;

  private OffsetStore store;
  private static final List<String> SEEN = Collections.synchronizedList(new ArrayList<>());

  @BeforeAll
  static void startSpark() {
    spark = SparkSession.builder().config(SparkTestSupport.localConf("structured-it")).getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  @BeforeEach
  void open() {
    SEEN.clear();
    store = OffsetStores.open("file:" + dir.resolve("store"));
  }

  @AfterEach
  void close() {
    store.close();
  }

  private TidemarkStructuredStream tidemark(String topic, DeliveryGuarantee guarantee) {
    return TidemarkStructuredStream.builder(spark).job("job-" + topic).topics(List.of(topic))
        .kafkaOption("kafka.bootstrap.servers", broker.bootstrapServers()).store(store).guarantee(guarantee).build();
  }

  private static Dataset<String> values(Dataset<Row> batch) {
    return batch.selectExpr("CAST(value AS STRING)").as(Encoders.STRING());
  }

  /** Runs one query over everything available now with a new checkpoint, collecting the values. */
  private void runAvailableNow(TidemarkStructuredStream t) throws Exception {
    runAvailableNow(t, dir.resolve("checkpoint-" + System.nanoTime()));
  }

  @Test
  void startsFromTheStoreAndCommitsEveryBatchAcrossQueries() throws Exception {
    String topic = "structured-all";
    broker.createTopic(topic, 4);
    SparkTestSupport.produce(broker, topic, 4, 0, 100);
    TidemarkStructuredStream first = tidemark(topic, DeliveryGuarantee.AT_LEAST_ONCE);
    runAvailableNow(first);
    assertThat(store.read("job-" + topic).positions()).isEqualTo(broker.endOffsets(topic));
    long lastBatch = store.read("job-" + topic).lastBatchId().orElseThrow();

    SparkTestSupport.produce(broker, topic, 4, 100, 50);
    TidemarkStructuredStream second = tidemark(topic, DeliveryGuarantee.AT_LEAST_ONCE);
    assertThat(second.start().startingOffsetsJson()).contains("\"0\":100");
    runAvailableNow(second); // a new checkpoint: the start comes from the store only
    assertThat(SEEN).hasSize(600).doesNotHaveDuplicates();
    assertThat(store.read("job-" + topic).positions()).isEqualTo(broker.endOffsets(topic));
    HistoryEntry.Committed last = (HistoryEntry.Committed) store.history("job-" + topic, 1).get(0);
    assertThat(last.commit().batchId()).as("store batch ids continue across queries").isGreaterThan(lastBatch);
    assertThat(last.commit().metadata()).containsKey(TidemarkStructuredStream.SPARK_BATCH_ID_KEY);
    assertThat(first.metrics().registry().getNames()).as("a second stream of the job replaces the first's metrics")
        .isEmpty();
    assertThat(second.metrics().registry().counter("commits.applied").getCount())
        .as("the job's metrics count the second query's commits").isPositive();
    assertThat(second.metrics().registry().timer("commit.latency").getCount())
        .isEqualTo(second.metrics().registry().counter("commits.applied").getCount());
  }

  @Test
  void exactlyOnceThroughTheFileSink() throws Exception {
    String topic = "structured-files";
    broker.createTopic(topic, 2);
    SparkTestSupport.produce(broker, topic, 2, 0, 200);
    Path out = dir.resolve("out");
    TidemarkStructuredStream t = tidemark(topic, DeliveryGuarantee.EXACTLY_ONCE);
    FileBatchSink<Dataset<Row>> sink = FileBatchSink.of(out.toString(), batch -> values(batch).javaRDD());
    t.readStream().writeStream().foreachBatch(t.foreachBatch(sink))
        .option("checkpointLocation", dir.resolve("checkpoint").toString())
        .trigger(Trigger.AvailableNow()).start().awaitTermination();

    List<String> lines = SparkTestSupport.publishedLines(out);
    assertThat(lines).hasSize(400).doesNotHaveDuplicates();
    try (Stream<Path> pending = Files.list(out.resolve(FileBatchSink.PENDING))) {
      assertThat(pending).as("nothing left unpublished").isEmpty();
    }
  }

  @Test
  void aProgressMirrorShowsAQueryThatKeepsItsOwnCheckpoint() throws Exception {
    String topic = "structured-mirror";
    broker.createTopic(topic, 3);
    SparkTestSupport.produce(broker, topic, 3, 0, 50);
    ProgressMirror mirror = ProgressMirror.claim(store, "mirror-" + topic);
    spark.streams().addListener(mirror);
    try {
      spark.readStream().format("kafka").option("kafka.bootstrap.servers", broker.bootstrapServers())
          .option("subscribe", topic).option("startingOffsets", "earliest").load()
          .writeStream().format("noop").option("checkpointLocation", dir.resolve("mirror-checkpoint").toString())
          .trigger(Trigger.AvailableNow()).start().awaitTermination();
      // listener events arrive on Spark's bus, after the batch
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
          .until(() -> store.read("mirror-" + topic).positions().equals(broker.endOffsets(topic)));
      assertThat(mirror.failures()).isZero();
      HistoryEntry.Committed last = (HistoryEntry.Committed) store.history("mirror-" + topic, 1).get(0);
      assertThat(last.commit().metadata()).containsKeys(TidemarkStructuredStream.SPARK_BATCH_ID_KEY, "spark.query-id");
    } finally {
      spark.streams().removeListener(mirror);
    }
  }

  @Test
  void aCheckpointBehindTheStoreFailsItsBatchInsteadOfWritingTwice() throws Exception {
    String topic = "structured-stale";
    broker.createTopic(topic, 1);
    SparkTestSupport.produce(broker, topic, 1, 0, 100);
    Path stale = dir.resolve("stale-checkpoint");
    runAvailableNow(tidemark(topic, DeliveryGuarantee.AT_LEAST_ONCE), stale);
    SparkTestSupport.produce(broker, topic, 1, 100, 50);
    runAvailableNow(tidemark(topic, DeliveryGuarantee.AT_LEAST_ONCE)); // another checkpoint moves the store on
    assertThat(SEEN).hasSize(150);

    SparkTestSupport.produce(broker, topic, 1, 150, 50);
    TidemarkStructuredStream third = tidemark(topic, DeliveryGuarantee.AT_LEAST_ONCE);
    assertThatThrownBy(() -> runAvailableNow(third, stale)).hasStackTraceContaining("below where the job stands (150)");
    assertThat(third.failure()).isPresent();
    assertThat(third.metrics().registry().counter("batches.failed").getCount()).as("a refusal by the adapter counts")
        .isEqualTo(1);
    assertThat(SEEN).as("nothing written twice").hasSize(150);
    assertThat(store.read("job-" + topic).positions().values()).containsExactly(150L);
  }

  /** The values {@code <partition>:<n>} that {@link SparkTestSupport#produce} wrote for n in [firstN, firstN + count). */
  private static List<String> produced(int partitions, int firstN, int count) {
    List<String> values = new ArrayList<>();
    for (int n = firstN; n < firstN + count; n++) {
      for (int p = 0; p < partitions; p++) {
        values.add(p + ":" + n);
      }
    }
    return values;
  }

  private TidemarkStructuredStream tidemark(String job, List<String> topics, StartPositionResolver policies) {
    return TidemarkStructuredStream.builder(spark).job(job).topics(topics).startPolicies(policies)
        .kafkaOption("kafka.bootstrap.servers", broker.bootstrapServers()).store(store)
        .guarantee(DeliveryGuarantee.AT_LEAST_ONCE).build();
  }

  private static Map<TopicPartition, Long> union(Map<TopicPartition, Long> a, Map<TopicPartition, Long> b) {
    Map<TopicPartition, Long> all = new HashMap<>(a);
    all.putAll(b);
    return all;
  }

  @Test
  void aJobRestartedWithFewerTopicsReadsTheOthersFromTheirStoredPositions() throws Exception {
    String a = "structured-shrink-a";
    String b = "structured-shrink-b";
    broker.createTopic(a, 2);
    broker.createTopic(b, 1);
    SparkTestSupport.produce(broker, a, 2, 0, 50);
    SparkTestSupport.produce(broker, b, 1, 1000, 30);
    runAvailableNow(tidemark("job-shrink", List.of(a, b), StartPositionResolver.builder().build()));
    assertThat(SEEN).hasSize(130);
    Map<TopicPartition, Long> bStored = broker.endOffsets(b);
    assertThat(store.read("job-shrink").positions()).isEqualTo(union(broker.endOffsets(a), bStored));

    SEEN.clear();
    SparkTestSupport.produce(broker, a, 2, 50, 30);
    SparkTestSupport.produce(broker, b, 1, 1030, 10); // no longer read
    TidemarkStructuredStream onlyA = tidemark("job-shrink", List.of(a), StartPositionResolver.builder().build());
    runAvailableNow(onlyA);
    assertThat(SEEN).as("topic %s from its stored position, and nothing of %s", a, b)
        .containsExactlyInAnyOrderElementsOf(produced(2, 50, 30));
    assertThat(store.read("job-shrink").positions()).as("%s's stored positions are kept as they were", b)
        .isEqualTo(union(broker.endOffsets(a), bStored));
  }

  @Test
  void aDeletedTopicIsDroppedUnderTheDropPolicyAndTheJobGoesOn() throws Exception {
    String a = "structured-drop-a";
    String b = "structured-drop-b";
    broker.createTopic(a, 2);
    broker.createTopic(b, 2);
    SparkTestSupport.produce(broker, a, 2, 0, 40);
    SparkTestSupport.produce(broker, b, 2, 1000, 20);
    StartPositionResolver drop = StartPositionResolver.builder().onMissingTopic(MissingTopicPolicy.DROP).build();
    runAvailableNow(tidemark("job-drop", List.of(a, b), drop));
    assertThat(SEEN).hasSize(120);
    Map<TopicPartition, Long> bStored = broker.endOffsets(b);

    broker.deleteTopic(b);
    SEEN.clear();
    SparkTestSupport.produce(broker, a, 2, 40, 25);
    TidemarkStructuredStream restarted = tidemark("job-drop", List.of(a, b), drop);
    assertThat(restarted.start().droppedTopics()).containsExactly(b);
    runAvailableNow(restarted);
    assertThat(SEEN).containsExactlyInAnyOrderElementsOf(produced(2, 40, 25));
    assertThat(store.read("job-drop").positions())
        .as("the deleted topic's positions stay in the store, unchanged, until the job is rewound or deleted")
        .isEqualTo(union(broker.endOffsets(a), bStored));

    SEEN.clear();
    SparkTestSupport.produce(broker, a, 2, 65, 5);
    runAvailableNow(tidemark("job-drop", List.of(a, b), drop)); // and again
    assertThat(SEEN).containsExactlyInAnyOrderElementsOf(produced(2, 65, 5));
  }

  /** A query over {@code topic} at a 200 ms trigger, collecting the values, with its checkpoint in {@code dir}. */
  private StreamingQuery runContinuously(TidemarkStructuredStream t, String checkpoint) throws Exception {
    return t.readStream().writeStream()
        .foreachBatch(t.foreachBatch((batch, batchId) -> SEEN.addAll(values(batch).collectAsList())))
        .option("checkpointLocation", dir.resolve(checkpoint).toString())
        .trigger(Trigger.ProcessingTime(200)).start();
  }

  /** Sends {@code values} to one partition in a single request, so one batch of the query reads all or none of them. */
  private static void produceAtOnce(String topic, int partition, List<String> values) {
    try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of("linger.ms", 60_000, "batch.size", 1 << 20))) {
      for (String v : values) {
        producer.send(new ProducerRecord<>(topic, partition, null, v.getBytes(StandardCharsets.UTF_8)));
      }
      producer.flush();
    }
  }

  private static List<String> valuesOf(int partition, int firstN, int count) {
    return java.util.stream.IntStream.range(firstN, firstN + count).mapToObj(n -> partition + ":" + n).toList();
  }

  /**
   * A partition added to a topic while the query runs starts where the job's
   * {@link NewPartitionPolicy} says, as it would at start: EARLIEST reads it whole, LATEST skips
   * what it held when the query found it and reads what comes after, FAIL stops the query before
   * any of it is output or committed.
   */
  @ParameterizedTest
  @EnumSource(NewPartitionPolicy.class)
  void aPartitionAddedWhileTheQueryRunsFollowsTheNewPartitionPolicy(NewPartitionPolicy policy) throws Exception {
    String topic = "structured-grow-" + policy.name().toLowerCase(java.util.Locale.ROOT);
    String job = "job-" + topic;
    TopicPartition added = new TopicPartition(topic, 1);
    broker.createTopic(topic, 1);
    SparkTestSupport.produce(broker, topic, 1, 0, 20);
    TidemarkStructuredStream t = tidemark(job, List.of(topic), StartPositionResolver.builder().onNewPartition(policy)
        .build());
    StreamingQuery query = runContinuously(t, "grow-checkpoint-" + policy);
    try {
      Awaitility.await("the first 20 records committed").atMost(Duration.ofMinutes(2))
          .until(() -> store.read(job).positions(), p -> p.equals(broker.endOffsets(topic)));
      broker.admin().createPartitions(Map.of(topic, NewPartitions.increaseTo(2))).all().get();
      produceAtOnce(topic, 1, valuesOf(1, 0, 10));
      switch (policy) {
        case EARLIEST -> {
          Awaitility.await("the added partition committed").atMost(Duration.ofMinutes(2))
              .until(() -> store.read(job).positions().get(added), p -> p != null && p == 10L);
          assertThat(SEEN).containsExactlyInAnyOrderElementsOf(union(valuesOf(0, 0, 20), valuesOf(1, 0, 10)));
        }
        case LATEST -> {
          // records to the first partition after them: the batch that commits those comes no earlier than the
          // one that found the added partition, and declares where that one starts
          SparkTestSupport.produce(broker, topic, 1, 20, 5);
          TopicPartition first = new TopicPartition(topic, 0);
          Awaitility.await("the added partition committed past what it held").atMost(Duration.ofMinutes(2))
              .until(() -> store.read(job).positions(), p -> Long.valueOf(25).equals(p.get(first))
                  && Long.valueOf(10).equals(p.get(added)));
          produceAtOnce(topic, 1, valuesOf(1, 10, 5));
          Awaitility.await("what came after").atMost(Duration.ofMinutes(2))
              .until(() -> store.read(job).positions().get(added), p -> p != null && p == 15L);
          assertThat(SEEN).as("what the partition held when the query found it is skipped, nothing after it")
              .containsExactlyInAnyOrderElementsOf(union(valuesOf(0, 0, 25), valuesOf(1, 10, 5)));
        }
        case FAIL -> {
          Awaitility.await("the query stopped").atMost(Duration.ofMinutes(2)).until(() -> !query.isActive());
          assertThat(query.exception().isDefined()).as("the query failed").isTrue();
          assertThat(query.exception().get()).hasStackTraceContaining("reads " + added
              + ", a partition that appeared while the query ran, and the job's NewPartitionPolicy is FAIL");
          assertThat(store.read(job).positions()).as("nothing of the added partition committed")
              .doesNotContainKey(added);
          assertThat(SEEN).containsExactlyInAnyOrderElementsOf(valuesOf(0, 0, 20));
        }
        default -> throw new AssertionError(policy);
      }
    } finally {
      query.stop();
    }
  }

  private static List<String> union(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /**
   * Runs {@code topic}'s job over its 100 records with the checkpoint {@code checkpoint}, rewinds
   * the store to offset 40 as an operator would, and adds 50 records: the checkpoint is then ahead
   * of the store by records 40 to 99.
   */
  private TopicPartition aCheckpointAheadOfTheStore(String topic, Path checkpoint) throws Exception {
    broker.createTopic(topic, 1);
    SparkTestSupport.produce(broker, topic, 1, 0, 100);
    runAvailableNow(tidemark(topic, DeliveryGuarantee.EXACTLY_ONCE), checkpoint);
    assertThat(SEEN).hasSize(100);
    TopicPartition tp = new TopicPartition(topic, 0);
    store.rewind("job-" + topic, RewindTarget.toOffsets(Map.of(tp, 40L)));
    SparkTestSupport.produce(broker, topic, 1, 100, 50);
    SEEN.clear();
    return tp;
  }

  private TidemarkStructuredStream tidemark(String topic, CheckpointAheadPolicy policy) {
    return TidemarkStructuredStream.builder(spark).job("job-" + topic).topics(List.of(topic))
        .kafkaOption("kafka.bootstrap.servers", broker.bootstrapServers()).store(store)
        .guarantee(DeliveryGuarantee.EXACTLY_ONCE).onCheckpointAhead(policy).build();
  }

  /** Runs one query over everything available now with the checkpoint {@code checkpoint}, collecting the values. */
  private static void runAvailableNow(TidemarkStructuredStream t, Path checkpoint) throws Exception {
    t.readStream().writeStream().foreachBatch(t.foreachBatch((batch, id) -> SEEN.addAll(values(batch).collectAsList())))
        .option("checkpointLocation", checkpoint.toString()).trigger(Trigger.AvailableNow()).start().awaitTermination();
  }

  @Test
  void aCheckpointAheadOfTheStoreFailsItsFirstBatchSayingWhatToRun() throws Exception {
    String topic = "structured-ahead-fail";
    Path checkpoint = dir.resolve("ahead-checkpoint");
    TopicPartition tp = aCheckpointAheadOfTheStore(topic, checkpoint);

    TidemarkStructuredStream t = tidemark(topic, CheckpointAheadPolicy.FAIL);
    assertThatThrownBy(() -> runAvailableNow(t, checkpoint))
        .hasStackTraceContaining("the query's checkpoint is ahead of the store")
        .hasStackTraceContaining(tp + ": the store at 40, the checkpoint at 100 (first record in between at 40)")
        .hasStackTraceContaining("delete its checkpoint directory")
        .hasStackTraceContaining("--from-file <a CSV of: " + topic + ",0,100> --execute");
    assertThat(SEEN).as("nothing output").isEmpty();
    assertThat(store.read("job-" + topic).positions()).as("nothing committed").containsEntry(tp, 40L);
  }

  @Test
  void underReplayFromStoreACheckpointAheadOfTheStoreReplaysTheRecordsInBetweenOnce() throws Exception {
    String topic = "structured-ahead-replay";
    Path checkpoint = dir.resolve("ahead-checkpoint");
    TopicPartition tp = aCheckpointAheadOfTheStore(topic, checkpoint);

    runAvailableNow(tidemark(topic, CheckpointAheadPolicy.REPLAY_FROM_STORE), checkpoint);
    assertThat(SEEN).as("from the store's position on, each record once").containsExactlyInAnyOrderElementsOf(
        valuesOf(0, 40, 110));
    assertThat(store.read("job-" + topic).positions()).containsEntry(tp, 150L);
  }

  @Test
  void replayFromStoreRefusesABatchThatIsNotTheSourcesRows() throws Exception {
    String topic = "structured-ahead-projected";
    Path checkpoint = dir.resolve("ahead-checkpoint");
    TopicPartition tp = aCheckpointAheadOfTheStore(topic, checkpoint);

    TidemarkStructuredStream t = tidemark(topic, CheckpointAheadPolicy.REPLAY_FROM_STORE);
    assertThatThrownBy(() -> t.readStream().select("topic", "partition", "offset", "value").writeStream()
        .foreachBatch(t.foreachBatch((batch, id) -> SEEN.addAll(values(batch).collectAsList())))
        .option("checkpointLocation", checkpoint.toString()).trigger(Trigger.AvailableNow()).start().awaitTermination())
        .hasStackTraceContaining("the query's checkpoint is ahead of the store")
        .hasStackTraceContaining("REPLAY_FROM_STORE cannot replay them: the batch is not the Kafka source's rows");
    assertThat(SEEN).as("nothing output").isEmpty();
    assertThat(store.read("job-" + topic).positions()).as("nothing committed").containsEntry(tp, 40L);
  }

  @Test
  void transactionMarkersBetweenTheStoreAndTheCheckpointAreNoGap() throws Exception {
    String topic = "structured-ahead-markers";
    broker.createTopic(topic, 1);
    Path checkpoint = dir.resolve("markers-checkpoint");
    TopicPartition tp = new TopicPartition(topic, 0);
    try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of("transactional.id", "tx-" + topic))) {
      producer.initTransactions();
      for (int txn = 0; txn < 2; txn++) {
        producer.beginTransaction();
        for (String v : valuesOf(0, txn * 10, 10)) {
          producer.send(new ProducerRecord<>(topic, 0, null, v.getBytes(StandardCharsets.UTF_8)));
        }
        producer.commitTransaction();
        // the store ends one past the last record (10, then 21); Spark's checkpoint past the marker (11, 22)
        runAvailableNow(tidemark(topic, CheckpointAheadPolicy.FAIL), checkpoint);
      }
    }
    assertThat(SEEN).containsExactlyInAnyOrderElementsOf(valuesOf(0, 0, 20));
    assertThat(store.read("job-" + topic).positions()).containsEntry(tp, 21L);
  }

  @Test
  void buildRefusesOptionsTheStoreOwns() {
    assertThatThrownBy(() -> TidemarkStructuredStream.builder(spark).job("j").topics(List.of("t")).store(store)
        .guarantee(DeliveryGuarantee.AT_LEAST_ONCE).kafkaOption("startingOffsets", "earliest").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kafka.bootstrap.servers").hasMessageContaining("startingOffsets is set from");
  }
}
