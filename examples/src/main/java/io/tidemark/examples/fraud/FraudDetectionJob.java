package io.tidemark.examples.fraud;

import io.tidemark.examples.JobOptions;
import io.tidemark.examples.StreamRunner;
import io.tidemark.spark.DeliveryGuarantee;
import io.tidemark.spark.avro.AvroDecoding;
import io.tidemark.spark.avro.BadRecordPolicy;
import io.tidemark.spark.dstream.TidemarkDirectStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.spark.streaming.Durations;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import scala.Tuple2;

/**
 * Fraud detection: a card whose spending within one event-time window (tumbling, by the
 * transaction's time) goes over a limit raises an alert on a Kafka topic. At least once: a batch
 * replayed after a crash may raise its alerts again, so each alert's key ({@code <card>@<window
 * start>}) lets its readers drop repeats. Records that are not valid Avro {@code CardTransaction}s
 * go, byte for byte, to a dead-letter topic with headers that say why and where they came from
 * ({@link AvroDecoding}); they never stop the job.
 *
 * <p>The driver keeps each open window's running total per card, so a window's transactions add up
 * across batches; windows are dropped once the stream's event time is two windows past their end.
 * Those totals live in the driver's memory: after a restart, a window that was open at the crash
 * counts only what the restarted driver reads (from the last commit on), so an alert whose
 * spending straddles a restart can be missed. Keep the totals in a store written idempotently
 * (cells keyed by source record, as the dashboard does) where that matters.
 */
public final class FraudDetectionJob {
  private FraudDetectionJob() {}

  static final Map<String, String> OPTIONS = JobOptions.streamOptions(
      "topic", "the transactions topic (default card-transactions)",
      "alerts", "the alerts topic (default fraud-alerts)",
      "dead-letters", "the dead-letter topic (default card-transactions-dead-letters)",
      "limit-cents", "spending per card and window that raises an alert (default 100000)",
      "window-seconds", "the window's length (default 60)",
      "job", "the job's name in the store (default fraud-detection)",
      "batch-ms", "batch interval in milliseconds (default 1000)",
      "max-rate", "records per partition per second, at most (default 2000)",
      "stop-marker", "a file whose creation stops the job gracefully",
      "alerts-timeout-ms", "how long an alert's send may wait for the alerts topic (default 60000)");

  public static void main(String[] args) throws Exception {
    JobOptions o = JobOptions.parse("FraudDetectionJob",
        "Alerts for cards spending over a limit within a window; malformed records to a dead-letter topic.", OPTIONS,
        args);
    System.exit(run(o));
  }

  static int run(JobOptions o) throws Exception {
    String bootstrap = o.get("bootstrap");
    String alerts = o.get("alerts", "fraud-alerts");
    long limit = Long.parseLong(o.get("limit-cents", "100000"));
    long windowMs = o.getInt("window-seconds", 60) * 1000L;
    JavaStreamingContext ssc = new JavaStreamingContext(JobOptions.sparkConf("fraud-detection")
        .setIfMissing("spark.streaming.kafka.maxRatePerPartition", o.get("max-rate", "2000")),
        Durations.milliseconds(o.getInt("batch-ms", 1000)));
    TidemarkDirectStream<byte[], byte[]> stream = TidemarkDirectStream.<byte[], byte[]>builder(ssc)
        .job(o.get("job", "fraud-detection"))
        .topics(List.of(o.get("topic", "card-transactions")))
        .kafkaParams(JobOptions.kafkaParams(bootstrap, "fraud-detection"))
        .store(o.get("store"))
        .guarantee(DeliveryGuarantee.AT_LEAST_ONCE)
        .build();
    AvroDecoding decoding = AvroDecoding.builder(Map.of("schema.registry.url", o.get("registry")))
        .policy(BadRecordPolicy.DEAD_LETTER)
        .deadLetterTopic(o.get("dead-letters", "card-transactions-dead-letters"),
            Map.of("bootstrap.servers", bootstrap))
        .build();
    KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
        bootstrap, ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.MAX_BLOCK_MS_CONFIG, o.getInt("alerts-timeout-ms", 60_000)),
        new StringSerializer(), new StringSerializer());

    Map<Tuple2<String, Long>, long[]> totals = new java.util.HashMap<>(); // driver side: batches run one at a time
    long[] newestWindow = {Long.MIN_VALUE};
    stream.foreachBatch(batch -> {
      AvroDecoding.Decoded<GenericRecord> decoded = decoding.decode(batch.rdd());
      List<Tuple2<Tuple2<String, Long>, long[]>> partials = decoded.rdd()
          .mapToPair(r -> {
            GenericRecord t = r.value();
            long at = (Long) t.get("at");
            return new Tuple2<>(new Tuple2<>(t.get("cardId").toString(), at - Math.floorMod(at, windowMs)),
                new long[] {(Long) t.get("amountCents"), 1});
          })
          .reduceByKey((a, b) -> new long[] {a[0] + b[0], a[1] + b[1]})
          .collect(); // one sum per card and window of the batch
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (Tuple2<Tuple2<String, Long>, long[]> e : partials) {
        String card = e._1()._1();
        long window = e._1()._2();
        long[] total = totals.merge(new Tuple2<>(card, window), e._2(), (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
        if (total[0] > limit && total[0] - e._2()[0] <= limit) { // this batch took the window over the limit
          sent.add(producer.send(new ProducerRecord<>(alerts, alertKey(card, window),
              alertJson(card, window, windowMs, total[0], total[1]))));
        }
        newestWindow[0] = Math.max(newestWindow[0], window);
      }
      totals.keySet().removeIf(k -> k._2() < newestWindow[0] - 2 * windowMs);
      producer.flush();
      for (Future<RecordMetadata> f : sent) {
        f.get(); // every alert is in Kafka before the batch commits; a failed send fails the batch
      }
      decoded.addCommitMetadata(batch);
    });
    try {
      return StreamRunner.run(ssc, stream, o.has("stop-marker") ? Path.of(o.get("stop-marker")) : null);
    } finally {
      producer.close();
    }
  }

  /** An alert's key: {@code <card>@<window start, ISO-8601>}. */
  public static String alertKey(String card, long windowStartMs) {
    return card + "@" + Instant.ofEpochMilli(windowStartMs);
  }

  static String alertJson(String card, long windowStartMs, long windowMs, long totalCents, long transactions) {
    return "{\"card\":\"" + card + "\",\"windowStart\":\"" + Instant.ofEpochMilli(windowStartMs)
        + "\",\"windowEnd\":\"" + Instant.ofEpochMilli(windowStartMs + windowMs) + "\",\"totalCents\":" + totalCents
        + ",\"transactions\":" + transactions + "}";
  }
}
