package io.tidemark.examples.dashboard;

import io.tidemark.examples.JobOptions;
import io.tidemark.examples.StreamRunner;
import io.tidemark.spark.DeliveryGuarantee;
import io.tidemark.spark.avro.AvroDecoding;
import io.tidemark.spark.avro.BadRecordPolicy;
import io.tidemark.spark.sink.FileBatchSink;
import io.tidemark.spark.sink.HBaseRecordWriter;
import io.tidemark.spark.structured.TidemarkStructuredStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.Trigger;

/**
 * The real-time dashboard of {@link DashboardJob}, on Structured Streaming: the same options,
 * outputs and guarantees, through {@link TidemarkStructuredStream} and {@code foreachBatch}. With
 * {@code --out hbase:<table>}, the writer schema ids and bad-record counts of each batch's decoding
 * go into its commit ({@link AvroDecoding.DecodedBatch#addCommitMetadata}); the file outputs
 * write through {@link FileBatchSink} or {@code saveAsTextFile} and leave them out.
 *
 * <p>The query's Spark checkpoint is {@code --checkpoint <dir>}, kept across restarts; without it,
 * each start uses a new temporary checkpoint and starts from the store alone. Either way the
 * positions are the store's: a checkpoint that disagrees with the store fails the first batch,
 * naming both (see {@link io.tidemark.spark.structured.CheckpointAheadPolicy}).
 *
 * <p>Run locally (after {@code mvn -pl examples -am package -DskipTests}):
 * <pre>{@code
 * java $(cat examples/target/jvm.flags) -cp "$(cat examples/target/run.classpath):examples/target/classes" \
 *   io.tidemark.examples.dashboard.StructuredDashboardJob --bootstrap localhost:9092 \
 *   --registry http://localhost:8081 --store zk://localhost:2181/tidemark --out files:/tmp/dashboard \
 *   --checkpoint /tmp/dashboard-checkpoint
 * }</pre>
 */
public final class StructuredDashboardJob {
  private StructuredDashboardJob() {}

  /** The job's options: {@link DashboardJob}'s, and the checkpoint. */
  static final Map<String, String> OPTIONS = options();

  private static Map<String, String> options() {
    Map<String, String> o = new java.util.LinkedHashMap<>(DashboardJob.OPTIONS);
    o.put("checkpoint", "the query's Spark checkpoint directory, kept across restarts (default: a new temporary one"
        + " per start, so each start reads from the store alone)");
    o.put("batch-ms", "trigger interval in milliseconds (default 1000)");
    o.put("max-rate", "records per partition per second, at most (default 2000)");
    return o;
  }

  public static void main(String[] args) throws Exception {
    JobOptions o = JobOptions.parse("StructuredDashboardJob", "Units shipped per minute and product, from Avro"
        + " shipments, on Structured Streaming.", OPTIONS, args);
    System.exit(run(o));
  }

  static int run(JobOptions o) throws Exception {
    DeliveryGuarantee guarantee = o.guarantee("guarantee", DeliveryGuarantee.EXACTLY_ONCE);
    String out = o.get("out");
    SparkSession spark = SparkSession.builder().config(JobOptions.sparkConf("shipments-dashboard"))
        .config("spark.sql.shuffle.partitions", "2").getOrCreate();
    int batchMs = o.getInt("batch-ms", 1000);
    String topic = o.get("topic", "shipments");
    TidemarkStructuredStream stream = TidemarkStructuredStream.builder(spark)
        .job(o.get("job", "shipments-dashboard"))
        .topics(List.of(topic))
        .kafkaOption("kafka.bootstrap.servers", o.get("bootstrap"))
        .kafkaOption("maxOffsetsPerTrigger", Long.toString(maxOffsetsPerTrigger(o.get("bootstrap"), topic,
            o.getInt("max-rate", 2000), batchMs)))
        .store(o.get("store"))
        .guarantee(guarantee)
        .build();
    AvroDecoding decoding = AvroDecoding.builder(Map.of("schema.registry.url", o.get("registry")))
        .policy(BadRecordPolicy.FAIL).build();

    VoidFunction2<Dataset<Row>, Long> output;
    if (out.startsWith("hbase:")) {
      HBaseRecordWriter writer = HBaseRecordWriter.of(Map.of("hbase.zookeeper.quorum",
          o.get("hbase-zookeeper", "localhost:2181")), out.substring("hbase:".length()), "d");
      output = stream.foreachBatch((batch, batchId) -> {
        AvroDecoding.DecodedBatch<ShipmentLine> decoded = shipments(decoding, batch);
        writer.writeCells(decoded.dataset().toJavaRDD().map(ShipmentLine::cell));
        decoded.addCommitMetadata(stream);
      });
    } else if (out.startsWith("files:")) {
      String dir = out.substring("files:".length());
      if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
        output = stream.foreachBatch(FileBatchSink.<Dataset<Row>>of(dir, batch -> lines(decoding, batch)));
      } else {
        long epoch = stream.committer().epoch();
        output = stream.foreachBatch((batch, batchId) -> lines(decoding, batch).saveAsTextFile(Path.of(dir,
            DashboardOutput.ATTEMPT_PREFIX + "e" + epoch + "-b" + batchId).toString()));
      }
    } else {
      stream.close();
      throw new IllegalArgumentException("--out must be files:<dir> or hbase:<table>, not " + out);
    }
    String checkpoint = o.has("checkpoint") ? o.get("checkpoint")
        : Files.createTempDirectory("dashboard-checkpoint-").toString();
    return StreamRunner.run(stream, () -> stream.readStream().writeStream().foreachBatch(output)
        .option("checkpointLocation", checkpoint).trigger(Trigger.ProcessingTime(batchMs)).start(),
        o.has("stop-marker") ? Path.of(o.get("stop-marker")) : null);
  }

  /** {@code --max-rate} per partition and second, over the topic's partitions and one trigger interval. */
  private static long maxOffsetsPerTrigger(String bootstrap, String topic, int perPartition, int batchMs) {
    int partitions;
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(Map.of(
        "bootstrap.servers", bootstrap))) {
      partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
    } catch (Exception e) {
      // the stream's build then reports a missing topic or an unreachable cluster itself
      org.slf4j.LoggerFactory.getLogger(StructuredDashboardJob.class).warn("could not count the partitions of {} ({});"
          + " maxOffsetsPerTrigger is set for one partition", topic, e.toString());
      partitions = 1;
    }
    return Math.max(1, (long) perPartition * partitions * batchMs / 1000);
  }

  private static AvroDecoding.DecodedBatch<ShipmentLine> shipments(AvroDecoding decoding, Dataset<Row> batch) {
    return decoding.<GenericRecord, ShipmentLine>decodeBatch(batch, ShipmentLine::of, Encoders.javaSerialization(
        ShipmentLine.class));
  }

  private static JavaRDD<String> lines(AvroDecoding decoding, Dataset<Row> batch) {
    return shipments(decoding, batch).dataset().toJavaRDD().map(ShipmentLine::format);
  }
}
