package io.tidemark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tidemark.offsets.ConsumerGroupMirror;
import io.tidemark.offsets.LostOffsetsPolicy;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.offsets.StartPositionResolver;
import io.tidemark.serde.avro.AvroSerializer;
import io.tidemark.spark.avro.AvroDecoding;
import io.tidemark.spark.avro.BadRecordPolicy;
import io.tidemark.spark.dstream.TidemarkDirectStream;
import io.tidemark.spark.internal.TidemarkSource;
import io.tidemark.testkit.KafkaBroker;
import io.tidemark.testkit.SchemaRegistry;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.streaming.Durations;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tidemark's metrics read back through Spark's metrics system, as an operator's tools read them:
 * the JMX sink's MBeans and the Prometheus servlet on the driver's UI, configured the usual way
 * ({@code spark.metrics.conf.*}) and nothing else. A DStream job over a real broker and registry
 * starts past offsets retention deleted, decodes Avro with bad records skipped, commits to a
 * mirrored file store, and is then fenced by a second claim with records left unread.
 */
class SparkMetricsIT {
  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().build();

  @RegisterExtension
  static final SchemaRegistry registry = SchemaRegistry.builder().build();

  private static final String TOPIC = "metered";
  private static final String JOB = "metered-job";
  private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
  private static final TopicPartition P1 = new TopicPartition(TOPIC, 1);
  private static final Schema EVENT = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Event\","
      + "\"namespace\":\"io.tidemark.it\",\"fields\":[{\"name\":\"n\",\"type\":\"long\"}]}");

  @TempDir
  Path dir;

  private static byte[] event(AvroSerializer<GenericRecord> ser, long n) {
    GenericRecord r = new GenericData.Record(EVENT);
    r.put("n", n);
    return ser.serialize(TOPIC, r);
  }

  private static void produceGood(AvroSerializer<GenericRecord> ser, TopicPartition tp, int count) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      records.add(new ProducerRecord<>(tp.topic(), tp.partition(), null, event(ser, i)));
    }
    broker.produce(records);
  }

  @Test
  void jmxAndThePrometheusServletReportTheJobsAndTheDecodingsMetrics() throws Exception {
    broker.createTopic(TOPIC, 2);
    AvroSerializer<GenericRecord> ser = new AvroSerializer<>();
    ser.configure(Map.of("schema.registry.url", registry.baseUrl()), false);
    // the job committed [0, 0) of both partitions; retention then deletes 4 records it never read
    try (OffsetStore seed = OffsetStores.open("file:" + dir.resolve("store"))) {
      long epoch = seed.claim(JOB);
      seed.commit(OffsetCommit.builder(JOB, 0, epoch).range(TOPIC, 0, 0, 0).range(TOPIC, 1, 0, 0)
          .starts(Map.of(P0, 0L, P1, 0L)).build());
    }
    produceGood(ser, P0, 4);
    broker.deleteRecordsBefore(P0, 4);
    produceGood(ser, P0, 20);
    produceGood(ser, P1, 20);
    byte[] unknownId = event(ser, 99);
    ByteBuffer.wrap(unknownId).putInt(1, 987_654);
    byte[] wrongMagic = event(ser, 98);
    wrongMagic[0] = 7;
    broker.produce(List.of(new ProducerRecord<>(TOPIC, 0, null, unknownId), new ProducerRecord<>(TOPIC, 0, null, wrongMagic),
        new ProducerRecord<>(TOPIC, 1, null, "not avro".getBytes(StandardCharsets.UTF_8))));

    SparkSession spark = SparkSession.builder().config(SparkTestSupport.localConf("metrics-it")
        .set("spark.ui.enabled", "true").set("spark.ui.port", "0")
        .set("spark.metrics.conf.*.sink.jmx.class", "org.apache.spark.metrics.sink.JmxSink")
        .set("spark.metrics.conf.*.sink.prometheusServlet.class", "org.apache.spark.metrics.sink.PrometheusServlet")
        .set("spark.metrics.conf.*.sink.prometheusServlet.path", "/metrics/prometheus")).getOrCreate();
    JavaStreamingContext ssc = new JavaStreamingContext(JavaSparkContext.fromSparkContext(spark.sparkContext()),
        Durations.milliseconds(300));
    try (OffsetStore store = OffsetStores.open(URI.create("file:" + dir.resolve("store")),
        Map.of("mirror.bootstrap.servers", broker.bootstrapServers()))) {
      TidemarkDirectStream<byte[], byte[]> stream = TidemarkDirectStream.<byte[], byte[]>builder(ssc).job(JOB)
          .topics(List.of(TOPIC)).store(store).guarantee(DeliveryGuarantee.AT_LEAST_ONCE)
          .kafkaParams(Map.of("bootstrap.servers", broker.bootstrapServers(), "group.id", "metrics-it",
              "key.deserializer", ByteArrayDeserializer.class, "value.deserializer", ByteArrayDeserializer.class))
          .startPolicies(StartPositionResolver.builder().onLostOffsets(LostOffsetsPolicy.EARLIEST).build()).build();
      AvroDecoding avro = AvroDecoding.builder(Map.of("schema.registry.url", registry.baseUrl()))
          .policy(BadRecordPolicy.SKIP).build();
      stream.foreachBatch(batch -> avro.decode(batch.rdd()).rdd().count());
      ssc.start();
      String ui = spark.sparkContext().uiWebUrl().get();
      Metrics metrics = new Metrics(ui, spark.sparkContext().applicationId());

      Map<TopicPartition, Long> ends = Map.of(P0, 26L, P1, 21L);
      await().atMost(Duration.ofSeconds(90)).until(() -> ends.equals(store.read(JOB).positions()));
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        assertThat(metrics.jmx("tidemark.avro.bad-records.SKIP", "Count")).isEqualTo(3L);
        assertThat(metrics.jmx("tidemark.avro.registry.lookups", "Count")).as("40 good, 1 unknown id").isEqualTo(41L);
        assertThat(metrics.jmx("tidemark.avro.registry.calls", "Count")).as("the schema, the unknown id").isEqualTo(2L);
        assertThat((Double) metrics.jmx("tidemark.avro.registry.cache-hit-rate", "Value")).isEqualTo(39.0 / 41);
      });
      assertThat(metrics.jmx("tidemark.job." + JOB + ".data-loss.events", "Count")).isEqualTo(1L);
      assertThat(metrics.jmx("tidemark.job." + JOB + ".data-loss.records", "Count")).isEqualTo(4L);
      assertThat((Long) metrics.jmx("tidemark.job." + JOB + ".commits.applied", "Count")).isPositive();
      assertThat((Long) metrics.jmx("tidemark.job." + JOB + ".commit.latency", "Count")).isPositive();
      assertThat(ConsumerGroupMirror.of(store).orElseThrow().awaitMirrored(Duration.ofSeconds(30))).isTrue();
      assertThat((Long) metrics.jmx("tidemark.job." + JOB + ".mirror.mirrored", "Value")).isPositive();
      assertThat(metrics.jmx("tidemark.job." + JOB + ".mirror.failures", "Value")).isEqualTo(0L);

      // a second driver claims the job (the file store allows one instance per job and JVM: this one);
      // the first driver's next batch is refused and leaves 5 + 5 records unread
      assertThat(store.claim(JOB)).as("the seed claimed 1, the stream 2").isEqualTo(3);
      produceGood(ser, P0, 5);
      produceGood(ser, P1, 5);
      await().atMost(Duration.ofSeconds(60)).until(() -> stream.failure().isPresent());

      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        assertThat(metrics.prometheus(JOB, "commits_refused_STALE_EPOCH_Count")).hasValue(1);
        assertThat(metrics.prometheus(JOB, "commits_refused_GAP_Count")).hasValue(0);
        assertThat(metrics.prometheus(JOB, "batches_failed_Count")).hasValue(1);
        assertThat(metrics.prometheus(JOB, "lag_metered_0_Value")).hasValue(5);
        assertThat(metrics.prometheus(JOB, "lag_metered_1_Value")).hasValue(5);
        assertThat(metrics.prometheus(JOB, "lag_total_Value")).hasValue(10);
        assertThat(metrics.prometheus(JOB, "data_loss_records_Count")).hasValue(4);
      });
      // what docs/operations.md quotes
      java.nio.file.Files.createDirectories(Path.of("target"));
      java.nio.file.Files.write(Path.of("target", "prometheus-tidemark.txt"), metrics.page().lines()
          .filter(l -> l.contains("_driver_tidemark_")).toList());
      // another source whose name starts with this job's: closing the job must leave it alone
      TidemarkSource neighbour = new TidemarkSource("tidemark.job." + JOB + "-eu");
      neighbour.metricRegistry().counter("commits.applied").inc(7);
      assertThat(neighbour.register()).isTrue();
      stream.close();
      assertThat(metrics.jmx("tidemark.job." + JOB + "-eu.commits.applied", "Count")).isEqualTo(7L);
      neighbour.remove();
      assertThat(metrics.jmxNames("tidemark.job." + JOB + ".")).as("closing the stream removes its source").isEmpty();
    } finally {
      ssc.stop(false, false);
      spark.stop();
    }
  }

  /** Reads metrics back from the JMX sink's MBeans and the Prometheus servlet. */
  private record Metrics(String ui, String appId) {
    Object jmx(String metric, String attribute) throws Exception {
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      List<ObjectName> names = jmxNames(metric);
      assertThat(names).as("MBean of %s", metric).hasSize(1);
      return server.getAttribute(names.get(0), attribute);
    }

    List<ObjectName> jmxNames(String prefixOrMetric) throws Exception {
      String wanted = appId + ".driver." + prefixOrMetric;
      return ManagementFactory.getPlatformMBeanServer().queryNames(new ObjectName("metrics:*"), null).stream()
          .filter(n -> n.getKeyProperty("name") != null && n.getKeyProperty("name").startsWith(wanted)).toList();
    }

    String page() throws Exception {
      HttpResponse<String> page = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build()
          .send(HttpRequest.newBuilder(URI.create(ui + "/metrics/prometheus")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(page.statusCode()).isEqualTo(200);
      return page.body();
    }

    OptionalLong prometheus(String job, String metric) throws Exception {
      String body = page();
      String name = "metrics_" + (appId + ".driver.tidemark.job." + job + ".").replaceAll("[^a-zA-Z0-9]", "_") + metric;
      Matcher m = Pattern.compile("^" + Pattern.quote(name) + "\\{[^}]*\\} (-?\\d+)", Pattern.MULTILINE)
          .matcher(body);
      return m.find() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
    }
  }
}
