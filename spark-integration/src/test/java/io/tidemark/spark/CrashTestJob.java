package io.tidemark.spark;

import static org.apache.spark.sql.functions.col;

import io.tidemark.offsets.OffsetRange;
import io.tidemark.spark.dstream.KafkaBatch;
import io.tidemark.spark.dstream.TidemarkDirectStream;
import io.tidemark.spark.sink.FileBatchSink;
import io.tidemark.spark.sink.HBaseRecordWriter;
import io.tidemark.spark.sink.KafkaTransactionalSink;
import io.tidemark.spark.structured.TidemarkStructuredStream;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.streaming.Durations;
import org.apache.spark.streaming.api.java.JavaStreamingContext;

/**
 * The driver the crash tests start, kill and restart: a job reading a topic into files (or an
 * HBase table), with the given store and guarantee, on the DStream adapter or, with
 * {@code --adapter structured}, on the Structured Streaming adapter (its Spark checkpoint in
 * {@code --checkpoint <dir>}). It prints {@code CLAIMED epoch <n>} once the job is claimed, and
 * {@code STARTED ...} once its stream runs. It prints {@code POINT <step> <batch>} at every batch step
 * and, at the step named by {@code --pause-at <step>:<n>} (its n-th occurrence), prints
 * {@code PAUSED} and waits there to be killed, or for a line {@code resume} on stdin. A line
 * {@code stop} on stdin stops it gracefully. When a batch's output runs it prints
 * {@code RANGES <batch> <offset ranges>}.
 *
 * <p>Exit codes: 0 after a graceful stop, 2 after a failed batch, 3 when fenced by another driver.
 *
 * <p>Outputs: {@code exactly-once} writes through {@link FileBatchSink} (one {@code batch-<id>}
 * directory per committed batch), or with {@code --kafka-out <topic>} through
 * {@link KafkaTransactionalSink} into that topic (input partition p to output partition p);
 * {@code at-least-once} writes each batch straight to
 * {@code e<epoch>-batch-<id>}, so the test can tell which outputs were committed.
 */
public final class CrashTestJob {
  private CrashTestJob() {}

  /** Lines {@code <partition>:<n>}, from the values; prints the batch's ranges. */
  static JavaRDD<String> lines(KafkaBatch<String, byte[]> batch) {
    System.out.println("RANGES " + batch.batchId() + " " + ranges(batch.offsetRanges()));
    return batch.rdd().map(r -> new String(r.value(), StandardCharsets.UTF_8));
  }

  /** {@code p:from-until} for each range, by partition: comparable between drivers. */
  static String ranges(List<OffsetRange> ranges) {
    return ranges.stream().sorted(java.util.Comparator.comparingInt(OffsetRange::partition))
        .map(r -> r.partition() + ":" + r.fromOffset() + "-" + r.untilOffset())
        .collect(java.util.stream.Collectors.joining(","));
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new java.util.HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    String pauseAt = a.getOrDefault("pause-at", "none:0");
    String pauseStep = pauseAt.substring(0, pauseAt.indexOf(':'));
    int pauseCount = Integer.parseInt(pauseAt.substring(pauseAt.indexOf(':') + 1));
    DeliveryGuarantee guarantee = DeliveryGuarantee.valueOf(a.get("guarantee"));
    String out = a.get("out");

    boolean structured = a.getOrDefault("adapter", "dstream").equals("structured");
    AtomicInteger seen = new AtomicInteger();
    CountDownLatch resume = new CountDownLatch(1);
    BatchListener points = new BatchListener() {
      private void point(String step, long batchId) {
        System.out.println("POINT " + step + " " + batchId);
        if (step.equals(pauseStep) && seen.incrementAndGet() == pauseCount) {
          System.out.println("PAUSED " + step + " " + batchId);
          System.out.flush();
          try {
            resume.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          System.out.println("RESUMED " + step + " " + batchId);
        }
      }

      @Override
      public void beforeOutput(String job, long batchId) {
        point("before-output", batchId);
      }

      @Override
      public void afterOutput(String job, long batchId) {
        point("after-output", batchId);
      }

      @Override
      public void afterCommit(String job, long batchId) {
        point("after-commit", batchId);
      }

      @Override
      public void afterPublish(String job, long batchId) {
        point("after-publish", batchId);
      }
    };
    Driver driver = structured ? structured(a, guarantee, out, points) : dstream(a, guarantee, out, points);

    Thread stdin = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          if (line.trim().equals("resume")) {
            resume.countDown();
          }
          if (line.trim().equals("stop")) {
            driver.stop();
            return;
          }
        }
      } catch (Exception e) {
        System.out.println("stdin: " + e);
      }
    }, "stdin");
    stdin.setDaemon(true);
    driver.start();
    stdin.start();
    System.out.println("STARTED epoch " + driver.committer().epoch() + " next-batch " + driver.committer().nextBatchId());
    System.out.flush();
    int code = 0;
    try {
      driver.await();
    } catch (DriverFencedException e) {
      System.out.println("FENCED " + e.getMessage());
      code = 3;
    } catch (BatchFailedException e) {
      System.out.println("FAILED " + e.getMessage());
      code = 2;
    }
    System.out.println("EXIT " + code);
    System.out.flush();
    Runtime.getRuntime().halt(code);
  }

  /** One adapter's driver: started, awaited (throwing the batch failure that ended it), stopped gracefully. */
  private interface Driver {
    BatchCommitter committer();

    void start() throws Exception;

    void await() throws Exception;

    void stop() throws Exception;
  }

  /** Prints that the job was claimed: from here to its first batch step, the driver is starting. */
  private static void claimed(BatchCommitter committer) {
    System.out.println("CLAIMED epoch " + committer.epoch());
    System.out.flush();
  }

  private static Driver dstream(Map<String, String> a, DeliveryGuarantee guarantee, String out, BatchListener points) {
    SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("crash-test-job")
        .set("spark.driver.host", "127.0.0.1").set("spark.ui.enabled", "false")
        .set("spark.streaming.kafka.maxRatePerPartition", a.getOrDefault("max-rate", "1000"))
        .set("spark.streaming.backpressure.enabled", "false");
    JavaStreamingContext ssc = new JavaStreamingContext(conf, Durations.milliseconds(500));
    ssc.sparkContext().setLogLevel("WARN");
    Map<String, Object> kafka = Map.of("bootstrap.servers", a.get("bootstrap"), "group.id", "crash-test",
        "key.deserializer", StringDeserializer.class, "value.deserializer", ByteArrayDeserializer.class,
        "auto.offset.reset", "earliest", "enable.auto.commit", false);
    TidemarkDirectStream<String, byte[]> stream = TidemarkDirectStream.<String, byte[]>builder(ssc)
        .job(a.get("job")).topics(List.of(a.get("topic"))).kafkaParams(kafka).store(a.get("store"))
        .guarantee(guarantee).build();
    long epoch = stream.committer().epoch();
    claimed(stream.committer());
    stream.addListener(points);

    if (a.containsKey("hbase-quorum")) {
      HBaseRecordWriter writer = hbaseWriter(a);
      stream.foreachBatch(batch -> writer.write(batch.rdd().map(r -> new ConsumerRecord<>(r.topic(), r.partition(),
          r.offset(), (byte[]) null, r.value()))));
    } else if (a.containsKey("kafka-out")) {
      String topic = a.get("kafka-out");
      stream.foreachBatch(CrashTestJob.<KafkaBatch<String, byte[]>>kafkaSink(a, batch -> {
        System.out.println("RANGES " + batch.batchId() + " " + ranges(batch.offsetRanges()));
        return batch.rdd().map(r -> new ProducerRecord<>(topic, r.partition(), (byte[]) null, r.value()));
      }));
    } else if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
      stream.foreachBatch(FileBatchSink.<KafkaBatch<String, byte[]>>of(out, CrashTestJob::lines));
    } else {
      stream.foreachBatch(batch -> lines(batch).saveAsTextFile(out + "/e" + epoch + "-batch-" + batch.batchId()));
    }

    return new Driver() {
      @Override
      public BatchCommitter committer() {
        return stream.committer();
      }

      @Override
      public void start() {
        ssc.start();
      }

      @Override
      public void await() throws Exception {
        stream.awaitTermination();
      }

      @Override
      public void stop() {
        ssc.stop(true, true);
      }
    };
  }

  /** The value column: lines {@code <partition>:<n>}. */
  static JavaRDD<String> values(Dataset<Row> batch) {
    return batch.select(col("value").cast("string")).as(Encoders.STRING()).toJavaRDD();
  }

  /**
   * The same job on {@link TidemarkStructuredStream}: a micro-batch every 500 ms of at most
   * {@code max-rate / 2} records per partition (as the DStream job's), its Spark checkpoint in
   * {@code --checkpoint}.
   */
  private static Driver structured(Map<String, String> a, DeliveryGuarantee guarantee, String out,
      BatchListener points) {
    SparkSession spark = SparkSession.builder().master("local[2]").appName("crash-test-job")
        .config("spark.driver.host", "127.0.0.1").config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2").getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    int partitions = Integer.parseInt(a.getOrDefault("partitions", "8"));
    long perTrigger = Long.parseLong(a.getOrDefault("max-rate", "1000")) * partitions / 2;
    TidemarkStructuredStream stream = TidemarkStructuredStream.builder(spark).job(a.get("job"))
        .topics(List.of(a.get("topic"))).kafkaOption("kafka.bootstrap.servers", a.get("bootstrap"))
        .kafkaOption("maxOffsetsPerTrigger", Long.toString(perTrigger)).store(a.get("store")).guarantee(guarantee)
        .build();
    long epoch = stream.committer().epoch();
    claimed(stream.committer());
    stream.addListener(points);
    VoidFunction2<Dataset<Row>, Long> output;
    if (a.containsKey("hbase-quorum")) {
      HBaseRecordWriter writer = hbaseWriter(a);
      output = stream.foreachBatch((batch, id) -> writer.write(batch.toJavaRDD().map(r -> new ConsumerRecord<>(
          r.<String>getAs("topic"), r.<Integer>getAs("partition"), r.<Long>getAs("offset"), (byte[]) null,
          r.<byte[]>getAs("value")))));
    } else if (a.containsKey("kafka-out")) {
      String topic = a.get("kafka-out");
      output = stream.foreachBatch(CrashTestJob.<Dataset<Row>>kafkaSink(a, batch -> batch.toJavaRDD()
          .map(r -> new ProducerRecord<>(topic, r.<Integer>getAs("partition"), (byte[]) null, r.<byte[]>getAs("value")))));
    } else if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
      output = stream.foreachBatch(FileBatchSink.<Dataset<Row>>of(out, CrashTestJob::values));
    } else {
      output = stream.foreachBatch((batch, id) -> values(batch).saveAsTextFile(out + "/e" + epoch + "-batch-" + id));
    }
    AtomicReference<StreamingQuery> query = new AtomicReference<>();
    return new Driver() {
      @Override
      public BatchCommitter committer() {
        return stream.committer();
      }

      @Override
      public void start() throws Exception {
        query.set(stream.readStream().writeStream().foreachBatch(output)
            .option("checkpointLocation", a.get("checkpoint")).trigger(Trigger.ProcessingTime(500)).start());
      }

      @Override
      public void await() throws Exception {
        stream.awaitTermination(query.get());
      }

      @Override
      public void stop() throws Exception {
        stream.stop(query.get());
      }
    };
  }

  private static <B> KafkaTransactionalSink<B> kafkaSink(Map<String, String> a,
      org.apache.spark.api.java.function.Function<B, JavaRDD<ProducerRecord<byte[], byte[]>>> records) {
    return KafkaTransactionalSink.<B>builder().job(a.get("job")).kafka(Map.of("bootstrap.servers", a.get("bootstrap")))
        .records(records).build();
  }

  private static HBaseRecordWriter hbaseWriter(Map<String, String> a) {
    // idempotent by record: row key and cell timestamp from the source offset
    return HBaseRecordWriter.of(Map.of("hbase.zookeeper.quorum", a.get("hbase-quorum"),
        "hbase.zookeeper.property.clientPort", a.get("hbase-port")), a.get("hbase-table"), "d", r -> r.value());
  }
}
