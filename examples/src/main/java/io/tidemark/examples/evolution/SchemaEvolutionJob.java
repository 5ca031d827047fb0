package io.tidemark.examples.evolution;

import io.tidemark.examples.JobOptions;
import io.tidemark.examples.Shipments;
import io.tidemark.examples.StreamRunner;
import io.tidemark.spark.DeliveryGuarantee;
import io.tidemark.spark.avro.AvroDecoding;
import io.tidemark.spark.avro.BadRecordPolicy;
import io.tidemark.spark.dstream.KafkaBatch;
import io.tidemark.spark.dstream.TidemarkDirectStream;
import io.tidemark.spark.sink.FileBatchSink;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.spark.streaming.Durations;
import org.apache.spark.streaming.api.java.JavaStreamingContext;

/**
 * Reads shipments whose producer moves from schema v1 to v2 while the job runs
 * ({@link EvolvingProducer}). The job reads with v2 as its reader schema
 * ({@code avro.reader.schema}): records written with v1 get v2's default carrier (null), records
 * written with v2 keep theirs; nothing stops or restarts when the producer's schema changes. Each
 * shipment becomes a line {@code orderId,product,quantity,carrier,writerSchemaId}, exactly once
 * ({@link FileBatchSink}).
 */
public final class SchemaEvolutionJob {
  private SchemaEvolutionJob() {}

  static final Map<String, String> OPTIONS = JobOptions.streamOptions(
      "out", "(required) the output directory",
      "topic", "the topic (default shipments-evolving)",
      "job", "the job's name in the store (default schema-evolution)",
      "batch-ms", "batch interval in milliseconds (default 1000)",
      "stop-marker", "a file whose creation stops the job gracefully");

  public static void main(String[] args) throws Exception {
    JobOptions o = JobOptions.parse("SchemaEvolutionJob", "Reads shipments of schema v1 and v2 with reader schema v2.",
        OPTIONS, args);
    System.exit(run(o));
  }

  static int run(JobOptions o) throws Exception {
    JavaStreamingContext ssc = new JavaStreamingContext(JobOptions.sparkConf("schema-evolution"),
        Durations.milliseconds(o.getInt("batch-ms", 1000)));
    TidemarkDirectStream<byte[], byte[]> stream = TidemarkDirectStream.<byte[], byte[]>builder(ssc)
        .job(o.get("job", "schema-evolution"))
        .topics(List.of(o.get("topic", "shipments-evolving")))
        .kafkaParams(JobOptions.kafkaParams(o.get("bootstrap"), "schema-evolution"))
        .store(o.get("store"))
        .guarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .build();
    AvroDecoding decoding = AvroDecoding.builder(Map.of("schema.registry.url", o.get("registry"),
        "avro.reader.schema", Shipments.V2.toString())).policy(BadRecordPolicy.FAIL).build();
    stream.foreachBatch(FileBatchSink.<KafkaBatch<byte[], byte[]>>of(o.get("out"), batch -> {
      AvroDecoding.Decoded<GenericRecord> decoded = decoding.decode(batch.rdd());
      return decoded.rdd().map(r -> String.join(",", r.value().get("orderId").toString(),
          r.value().get("product").toString(), r.value().get("quantity").toString(),
          String.valueOf(r.value().get("carrier")), String.valueOf(r.schemaId())));
    }));
    return StreamRunner.run(ssc, stream, o.has("stop-marker") ? Path.of(o.get("stop-marker")) : null);
  }
}
