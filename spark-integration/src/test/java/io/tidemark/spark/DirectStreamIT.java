package io.tidemark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.MissingTopicPolicy;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.offsets.StartPositionResolver;
import io.tidemark.spark.dstream.TidemarkDirectStream;
import io.tidemark.testkit.KafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.streaming.Durations;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The DStream adapter in one JVM: real broker, real Spark ({@code local[2]}), the file store. */
class DirectStreamIT {

  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().build();

  @TempDir
  Path dir;

  private static JavaSparkContext spark;
  private JavaStreamingContext ssc;
  private OffsetStore store;
  private static final List<String> SEEN = Collections.synchronizedList(new ArrayList<>());

  @BeforeAll
  static void startSpark() {
    spark = new JavaSparkContext(SparkTestSupport.localConf("direct-stream-it"));
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  @BeforeEach
  void start() {
    SEEN.clear();
    store = OffsetStores.open("file:" + dir.resolve("store"));
    ssc = new JavaStreamingContext(spark, Durations.milliseconds(300));
  }

  @AfterEach
  void stop() {
    ssc.stop(false, false);
    store.close();
  }

  private TidemarkDirectStream<String, byte[]> stream(String topic, DeliveryGuarantee guarantee) {
    return TidemarkDirectStream.<String, byte[]>builder(ssc).job("job-" + topic).topics(List.of(topic))
        .kafkaParams(SparkTestSupport.kafkaParams(broker, "g-" + topic)).store(store).guarantee(guarantee).build();
  }

  private static void collect(io.tidemark.spark.dstream.KafkaBatch<String, byte[]> batch) {
    SEEN.addAll(batch.rdd().map(r -> new String(r.value(), StandardCharsets.UTF_8)).collect());
  }

  private static long committedTotal(CommittedOffsets c) {
    return c.positions().values().stream().mapToLong(Long::longValue).sum();
  }

  @Test
  void everyRecordOnceAndTheStoreAtTheEndAfterAGracefulStop() throws Exception {
    String topic = "direct-all";
    broker.createTopic(topic, 4);
    SparkTestSupport.produce(broker, topic, 4, 0, 250);
    TidemarkDirectStream<String, byte[]> stream = stream(topic, DeliveryGuarantee.EXACTLY_ONCE);
    List<Long> batchIds = Collections.synchronizedList(new ArrayList<>());
    stream.foreachBatch(batch -> {
      batchIds.add(batch.batchId());
      collect(batch);
    });
    ssc.start();
    await().atMost(Duration.ofSeconds(60)).until(() -> SEEN.size() >= 1000);
    SparkTestSupport.produce(broker, topic, 4, 250, 50);
    ssc.stop(false, true); // graceful: every batch generated so far finishes, and is committed

    assertThat(SEEN).hasSize(1200).doesNotHaveDuplicates();
    CommittedOffsets stored = store.read("job-" + topic);
    assertThat(stored.positions()).isEqualTo(broker.endOffsets(topic));
    assertThat(batchIds).isSorted().doesNotHaveDuplicates().startsWith(0L);
    assertThat(stored.lastBatchId()).hasValue(batchIds.get(batchIds.size() - 1));
    assertThat(store.history("job-" + topic, 1).get(0)).isInstanceOfSatisfying(HistoryEntry.Committed.class,
        c -> assertThat(c.commit().metadata()).containsEntry(BatchCommitter.GUARANTEE_KEY, "EXACTLY_ONCE"));
  }

  @Test
  void aFailedOutputIsNeverCommittedAndStopsTheStream() throws Exception {
    String topic = "direct-fail";
    broker.createTopic(topic, 2);
    SparkTestSupport.produce(broker, topic, 2, 0, 100);
    TidemarkDirectStream<String, byte[]> stream = stream(topic, DeliveryGuarantee.AT_LEAST_ONCE);
    AtomicInteger calls = new AtomicInteger();
    stream.foreachBatch(batch -> {
      if (calls.incrementAndGet() == 2) {
        throw new IllegalStateException("the sink is down");
      }
      collect(batch);
    });
    long before = committedTotal(store.read("job-" + topic));
    ssc.start();
    await().atMost(Duration.ofSeconds(60)).until(() -> SEEN.size() == 200);
    SparkTestSupport.produce(broker, topic, 2, 100, 100); // the second batch with records: its output fails
    assertThatThrownBy(stream::awaitTermination).isInstanceOf(BatchFailedException.class)
        .hasMessageContaining("the sink is down").hasMessageContaining("not committed");
    CommittedOffsets stored = store.read("job-" + topic);
    assertThat(stored.lastBatchId()).hasValue(0L);
    assertThat(committedTotal(stored) - before).as("committed records: the first batch only").isEqualTo(SEEN.size());
    assertThat(calls).hasValue(2);
  }

  @Test
  void aRestartResumesFromTheStoreWithTheNextBatchId() throws Exception {
    String topic = "direct-resume";
    broker.createTopic(topic, 2);
    SparkTestSupport.produce(broker, topic, 2, 0, 100);
    TidemarkDirectStream<String, byte[]> first = stream(topic, DeliveryGuarantee.AT_LEAST_ONCE);
    first.foreachBatch(DirectStreamIT::collect);
    ssc.start();
    await().atMost(Duration.ofSeconds(60)).until(() -> SEEN.size() >= 200);
    ssc.stop(false, true);
    long lastBatch = store.read("job-" + topic).lastBatchId().orElseThrow();

    SparkTestSupport.produce(broker, topic, 2, 100, 100);
    ssc = new JavaStreamingContext(spark, Durations.milliseconds(300));
    TidemarkDirectStream<String, byte[]> second = stream(topic, DeliveryGuarantee.AT_LEAST_ONCE);
    assertThat(second.committer().nextBatchId()).isEqualTo(lastBatch + 1);
    assertThat(second.committer().epoch()).isGreaterThan(first.committer().epoch());
    second.foreachBatch(DirectStreamIT::collect);
    ssc.start();
    await().atMost(Duration.ofSeconds(60)).until(() -> SEEN.size() >= 400);
    ssc.stop(false, true);
    assertThat(SEEN).hasSize(400).doesNotHaveDuplicates();
    assertThat(store.read("job-" + topic).positions()).isEqualTo(Map.of(new TopicPartition(topic, 0), 200L,
        new TopicPartition(topic, 1), 200L));
  }

  @Test
  void aPatternReadsEveryMatchingTopicAndNoOther() throws Exception {
    broker.createTopic("pattern-a", 1);
    broker.createTopic("pattern-b", 2);
    broker.createTopic("unpatterned", 1);
    SparkTestSupport.produce(broker, "pattern-a", 1, 0, 10);
    SparkTestSupport.produce(broker, "pattern-b", 2, 100, 10);
    SparkTestSupport.produce(broker, "unpatterned", 1, 900, 10);
    TidemarkDirectStream<String, byte[]> stream = TidemarkDirectStream.<String, byte[]>builder(ssc).job("job-pattern")
        .topicPattern(java.util.regex.Pattern.compile("pattern-.*"))
        .kafkaParams(SparkTestSupport.kafkaParams(broker, "g-pattern")).store(store)
        .guarantee(DeliveryGuarantee.AT_LEAST_ONCE).build();
    stream.foreachBatch(DirectStreamIT::collect);
    ssc.start();
    await().atMost(Duration.ofSeconds(60)).until(() -> SEEN.size() >= 30);
    ssc.stop(false, true);
    assertThat(SEEN).hasSize(30).noneMatch(v -> v.endsWith(":90") || v.compareTo("0:900") >= 0 && v.startsWith("0:9"));
    assertThat(store.read("job-pattern").positions().keySet()).extracting(TopicPartition::topic)
        .containsOnly("pattern-a", "pattern-b");
  }

  @Test
  void aRestartWithoutAnUnlistedTopicAndADeletedOneReadsTheRestFromTheStore() throws Exception {
    String a = "direct-rest-a";
    String b = "direct-rest-b";
    String c = "direct-rest-c";
    broker.createTopic(a, 2);
    broker.createTopic(b, 1);
    broker.createTopic(c, 1);
    SparkTestSupport.produce(broker, a, 2, 0, 30);
    SparkTestSupport.produce(broker, b, 1, 1000, 10);
    SparkTestSupport.produce(broker, c, 1, 2000, 10);
    StartPositionResolver drop = StartPositionResolver.builder().onMissingTopic(MissingTopicPolicy.DROP).build();
    TidemarkDirectStream<String, byte[]> first = TidemarkDirectStream.<String, byte[]>builder(ssc).job("job-rest")
        .topics(List.of(a, b, c)).kafkaParams(SparkTestSupport.kafkaParams(broker, "g-rest")).store(store)
        .startPolicies(drop).guarantee(DeliveryGuarantee.AT_LEAST_ONCE).build();
    first.foreachBatch(DirectStreamIT::collect);
    ssc.start();
    await().atMost(Duration.ofSeconds(60)).until(() -> SEEN.size() >= 80);
    ssc.stop(false, true);
    Map<TopicPartition, Long> kept = new java.util.HashMap<>(broker.endOffsets(b));
    kept.putAll(broker.endOffsets(c));

    broker.deleteTopic(b);
    SparkTestSupport.produce(broker, a, 2, 30, 20);
    SparkTestSupport.produce(broker, c, 1, 2010, 10); // c is no longer in the job's topics
    SEEN.clear();
    ssc = new JavaStreamingContext(spark, Durations.milliseconds(300));
    TidemarkDirectStream<String, byte[]> second = TidemarkDirectStream.<String, byte[]>builder(ssc).job("job-rest")
        .topics(List.of(a, b)).kafkaParams(SparkTestSupport.kafkaParams(broker, "g-rest")).store(store)
        .startPolicies(drop).guarantee(DeliveryGuarantee.AT_LEAST_ONCE).build();
    assertThat(second.committer().start().droppedTopics()).containsExactly(b);
    second.foreachBatch(DirectStreamIT::collect);
    ssc.start();
    await().atMost(Duration.ofSeconds(60)).until(() -> SEEN.size() >= 40);
    ssc.stop(false, true);
    List<String> expected = new ArrayList<>();
    for (int n = 30; n < 50; n++) {
      expected.add("0:" + n);
      expected.add("1:" + n);
    }
    assertThat(SEEN).containsExactlyInAnyOrderElementsOf(expected);
    Map<TopicPartition, Long> positions = new java.util.HashMap<>(kept);
    positions.putAll(broker.endOffsets(a));
    assertThat(store.read("job-rest").positions()).as("positions of topics not read stay as they were")
        .isEqualTo(positions);
  }

  @Test
  void buildNamesEveryMissingOptionAndRefusesAutoCommit() {
    assertThatThrownBy(() -> TidemarkDirectStream.<String, byte[]>builder(ssc).kafkaParams(Map.of(
        "enable.auto.commit", "true")).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("job is required").hasMessageContaining("topics are required")
        .hasMessageContaining("guarantee is required").hasMessageContaining("a store is required")
        .hasMessageContaining("kafkaParams needs bootstrap.servers").hasMessageContaining("group.id")
        .hasMessageContaining("enable.auto.commit=true");
  }

  @Test
  void exactlyOnceIsRefusedOnAStoreWithoutCompareAndSetBeforeTheJobIsClaimed() {
    String uri = "kafka://" + broker.bootstrapServers() + "?kafka.group.prefix=direct-it.";
    assertThatThrownBy(() -> TidemarkDirectStream.<String, byte[]>builder(ssc).job("kafka-exactly-once")
        .topics(List.of("kafka-eos")).kafkaParams(SparkTestSupport.kafkaParams(broker, "kafka-eos")).store(uri)
        .guarantee(DeliveryGuarantee.EXACTLY_ONCE).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("EXACTLY_ONCE needs a store whose commits are a compare-and-set against every driver")
        .hasMessageContaining("Use AT_LEAST_ONCE with it, or a zk://, hbase:// or file: store");
    try (io.tidemark.offsets.OffsetStore kafka = io.tidemark.offsets.OffsetStores.open(uri)) {
      assertThat(kafka.isCompareAndSet()).isFalse();
      assertThat(kafka.listJobs()).as("nothing claimed or written").doesNotContain("kafka-exactly-once");
    }
  }
}
