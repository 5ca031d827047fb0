package io.tidemark.spark.dstream;

import io.tidemark.offsets.OffsetRange;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.spark.api.java.JavaRDD;

/**
 * One batch of a {@link TidemarkDirectStream}: its records, its offset ranges (one per partition
 * read, empty ones included) and its batch id, which a replay after a crash keeps. Lives on the
 * driver; hand only {@link #rdd()} (and values copied out of the batch) to Spark closures.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class KafkaBatch<K, V> {
  private final JavaRDD<ConsumerRecord<K, V>> rdd;
  private final List<OffsetRange> ranges;
  private final long batchId;
  private final long batchTimeMs;
  private final Map<String, String> commitMetadata = new TreeMap<>();

  KafkaBatch(JavaRDD<ConsumerRecord<K, V>> rdd, List<OffsetRange> ranges, long batchId, long batchTimeMs) {
    this.rdd = rdd;
    this.ranges = List.copyOf(ranges);
    this.batchId = batchId;
    this.batchTimeMs = batchTimeMs;
  }

  /** The records: one Spark partition per Kafka partition. */
  public JavaRDD<ConsumerRecord<K, V>> rdd() {
    return rdd;
  }

  /** The offset ranges, one per partition read. */
  public List<OffsetRange> offsetRanges() {
    return ranges;
  }

  /** The batch id: the store's, continuing from the last committed batch. */
  public long batchId() {
    return batchId;
  }

  /** Spark's batch time, in epoch milliseconds. */
  public long batchTimeMs() {
    return batchTimeMs;
  }

  /** How many records the batch holds (the sum of its ranges). */
  public long recordCount() {
    return ranges.stream().mapToLong(OffsetRange::count).sum();
  }

  /** Adds an entry to this batch's commit metadata (kept in the store's history; short strings). */
  public void addCommitMetadata(String key, String value) {
    commitMetadata.put(key, value);
  }

  Map<String, String> commitMetadata() {
    return commitMetadata;
  }

  @Override
  public String toString() {
    return "KafkaBatch[" + batchId + ", " + recordCount() + " records, " + ranges + "]";
  }
}
