package io.tidemark.examples.dashboard;

import io.tidemark.examples.JobOptions;
import io.tidemark.examples.StreamRunner;
import io.tidemark.spark.DeliveryGuarantee;
import io.tidemark.spark.avro.AvroDecoding;
import io.tidemark.spark.avro.BadRecordPolicy;
import io.tidemark.spark.dstream.KafkaBatch;
import io.tidemark.spark.dstream.TidemarkDirectStream;
import io.tidemark.spark.sink.FileBatchSink;
import io.tidemark.spark.sink.HBaseRecordWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.streaming.Durations;
import org.apache.spark.streaming.api.java.JavaStreamingContext;

/**
 * The real-time dashboard: units shipped per minute and product, from a stream of Avro
 * {@code Shipment}s, exactly once by default.
 *
 * <p>Outputs:
 * <ul>
 *   <li>{@code --out hbase:<table>}: one row per minute and product ({@code 2026-11-26T07:01/buoy}),
 *       one cell per shipment keyed by its source record and holding its quantity
 *       ({@link HBaseRecordWriter#writeCells}). Rewriting a replayed batch puts the same cells, so
 *       the table is exact under every guarantee; the row's sum is the minute's units.
 *   <li>{@code --out files:<dir>}: one line per shipment ({@link ShipmentLine#format}). Exactly once,
 *       each batch is prepared, committed with the offsets, then published as {@code batch-<id>}
 *       ({@link FileBatchSink}); at least or at most once, each batch attempt writes its own
 *       {@code attempt-e<epoch>-b<batch>} directory, so a replay shows as a duplicate.
 * </ul>
 *
 * <p>Run locally (after {@code mvn -pl examples -am package -DskipTests}):
 * <pre>{@code
 * java $(cat examples/target/jvm.flags) -cp "$(cat examples/target/run.classpath):examples/target/classes" \
 *   io.tidemark.examples.dashboard.DashboardJob --bootstrap localhost:9092 \
 *   --registry http://localhost:8081 --store zk://localhost:2181/tidemark --out files:/tmp/dashboard
 * }</pre>
 */
public final class DashboardJob {
  private DashboardJob() {}

  /** The job's options. */
  static final Map<String, String> OPTIONS = JobOptions.streamOptions(
      "out", "(required) files:<dir> or hbase:<table> (family d, no TTL)",
      "hbase-zookeeper", "for hbase: outputs, HBase's ZooKeeper quorum: host:port[,host:port...] (default localhost:2181)",
      "topic", "the shipments topic (default shipments)",
      "job", "the job's name in the store (default shipments-dashboard)",
      "guarantee", "exactly-once (default), at-least-once or at-most-once",
      "batch-ms", "batch interval in milliseconds (default 1000)",
      "max-rate", "records per partition per second, at most (default 2000)",
      "stop-marker", "a file whose creation stops the job gracefully");

  public static void main(String[] args) throws Exception {
    JobOptions o = JobOptions.parse("DashboardJob", "Units shipped per minute and product, from Avro shipments.",
        OPTIONS, args);
    System.exit(run(o));
  }

  static int run(JobOptions o) throws Exception {
    DeliveryGuarantee guarantee = o.guarantee("guarantee", DeliveryGuarantee.EXACTLY_ONCE);
    String out = o.get("out");
    JavaStreamingContext ssc = new JavaStreamingContext(JobOptions.sparkConf("shipments-dashboard")
        .setIfMissing("spark.streaming.kafka.maxRatePerPartition", o.get("max-rate", "2000")),
        Durations.milliseconds(o.getInt("batch-ms", 1000)));
    TidemarkDirectStream<byte[], byte[]> stream = TidemarkDirectStream.<byte[], byte[]>builder(ssc)
        .job(o.get("job", "shipments-dashboard"))
        .topics(List.of(o.get("topic", "shipments")))
        .kafkaParams(JobOptions.kafkaParams(o.get("bootstrap"), "shipments-dashboard"))
        .store(o.get("store"))
        .guarantee(guarantee)
        .build();
    AvroDecoding decoding = AvroDecoding.builder(Map.of("schema.registry.url", o.get("registry")))
        .policy(BadRecordPolicy.FAIL).build();

    if (out.startsWith("hbase:")) {
      // host:port entries, as many as the ensemble has: HBase reads the ports from the quorum itself
      HBaseRecordWriter writer = HBaseRecordWriter.of(Map.of("hbase.zookeeper.quorum",
          o.get("hbase-zookeeper", "localhost:2181")), out.substring("hbase:".length()), "d");
      stream.foreachBatch(batch -> {
        AvroDecoding.Decoded<GenericRecord> decoded = decoding.decode(batch.rdd());
        writer.writeCells(decoded.rdd().map(r -> ShipmentLine.of(r).cell()));
        decoded.addCommitMetadata(batch);
      });
    } else if (out.startsWith("files:")) {
      String dir = out.substring("files:".length());
      if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
        stream.foreachBatch(FileBatchSink.<KafkaBatch<byte[], byte[]>>of(dir, batch -> lines(decoding, batch)));
      } else {
        long epoch = stream.committer().epoch();
        stream.foreachBatch(batch -> lines(decoding, batch).saveAsTextFile(Path.of(dir,
            DashboardOutput.ATTEMPT_PREFIX + "e" + epoch + "-b" + batch.batchId()).toString()));
      }
    } else {
      throw new IllegalArgumentException("--out must be files:<dir> or hbase:<table>, not " + out);
    }
    return StreamRunner.run(ssc, stream, o.has("stop-marker") ? Path.of(o.get("stop-marker")) : null);
  }

  private static JavaRDD<String> lines(AvroDecoding decoding, KafkaBatch<byte[], byte[]> batch) {
    AvroDecoding.Decoded<GenericRecord> decoded = decoding.decode(batch.rdd());
    return decoded.rdd().map(r -> ShipmentLine.of(r).format());
  }
}
