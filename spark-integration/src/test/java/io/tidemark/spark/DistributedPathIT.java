package io.tidemark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.serde.avro.AvroSerializer;
import io.tidemark.spark.avro.AvroDecoding;
import io.tidemark.spark.avro.BadRecordPolicy;
import io.tidemark.spark.avro.DecodedRecord;
import io.tidemark.spark.dstream.KafkaBatch;
import io.tidemark.spark.dstream.TidemarkDirectStream;
import io.tidemark.spark.sink.FileBatchSink;
import io.tidemark.testkit.KafkaBroker;
import io.tidemark.testkit.SchemaRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.streaming.Durations;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distributed path: Spark's {@code local-cluster[2,1,1024]}, whose two executors are separate
 * JVMs. The job decodes Avro on the executors (each creates its own registry client, lazily) and
 * writes exactly once through the file sink, while only the driver touches the store. Proves the
 * closures serialize and nothing driver-only leaks into tasks.
 */
class DistributedPathIT {

  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().build();

  @RegisterExtension
  static final SchemaRegistry registry = SchemaRegistry.builder().build();

  @TempDir
  Path dir;

  private static final Schema EVENT = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Event\","
      + "\"namespace\":\"io.tidemark.it\",\"fields\":[{\"name\":\"n\",\"type\":\"int\"}]}");
  private static final List<Long> EXECUTOR_PIDS = Collections.synchronizedList(new ArrayList<>());

  @Test
  void executorsInTheirOwnJvmsDecodeAndTheDriverAloneCommits() throws Exception {
    String topic = "distributed";
    broker.createTopic(topic, 4);
    AvroSerializer<GenericRecord> ser = new AvroSerializer<>();
    ser.configure(Map.of("schema.registry.url", registry.baseUrl()), false);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int n = 0; n < 2_000; n++) {
      GenericRecord e = new GenericData.Record(EVENT);
      e.put("n", n);
      records.add(new ProducerRecord<>(topic, n % 4, null, ser.serialize(topic, e)));
    }
    broker.produce(records);

    SparkConf conf = new SparkConf().setMaster("local-cluster[2,1,1024]").setAppName("distributed-it")
        .set("spark.driver.host", "127.0.0.1").set("spark.ui.enabled", "false")
        .set("spark.executor.extraClassPath", System.getProperty("surefire.test.class.path",
            System.getProperty("java.class.path")))
        .set("spark.executorEnv.SPARK_TESTING", "1")
        .set("spark.executorEnv.SPARK_SCALA_VERSION", "2.13");
    Path out = dir.resolve("out");
    JavaStreamingContext ssc = new JavaStreamingContext(conf, Durations.milliseconds(500));
    try (OffsetStore store = OffsetStores.open("file:" + dir.resolve("store"))) {
      TidemarkDirectStream<byte[], byte[]> stream = TidemarkDirectStream.<byte[], byte[]>builder(ssc)
          .job("distributed").topics(List.of(topic))
          .kafkaParams(Map.of("bootstrap.servers", broker.bootstrapServers(), "group.id", "distributed",
              "key.deserializer", ByteArrayDeserializer.class, "value.deserializer", ByteArrayDeserializer.class))
          .store(store).guarantee(DeliveryGuarantee.EXACTLY_ONCE).build();
      AvroDecoding avro = AvroDecoding.builder(Map.of("schema.registry.url", registry.baseUrl()))
          .policy(BadRecordPolicy.FAIL).build();
      stream.foreachBatch(FileBatchSink.<KafkaBatch<byte[], byte[]>>of(out.toString(), batch -> {
        JavaRDD<DecodedRecord<GenericRecord>> decoded = avro.<GenericRecord>decode(batch.rdd()).rdd();
        EXECUTOR_PIDS.addAll(decoded.map(d -> ProcessHandle.current().pid()).distinct().collect());
        return decoded.map(d -> d.partition() + ":" + d.offset() + ":" + d.value().get("n"));
      }));
      ssc.start();
      await().atMost(Duration.ofMinutes(2)).until(() -> store.read("distributed").positions()
          .equals(broker.endOffsets(topic)));
      ssc.stop(true, true);
    }

    Set<Long> pids = new HashSet<>(EXECUTOR_PIDS);
    assertThat(pids).as("executor JVMs").hasSizeGreaterThanOrEqualTo(2).doesNotContain(ProcessHandle.current().pid());
    List<String> lines = SparkTestSupport.publishedLines(out);
    assertThat(lines).hasSize(2_000).doesNotHaveDuplicates();
    assertThat(lines.stream().map(l -> Integer.parseInt(l.substring(l.lastIndexOf(':') + 1))).sorted().toList())
        .isEqualTo(java.util.stream.IntStream.range(0, 2_000).boxed().toList());
  }
}
