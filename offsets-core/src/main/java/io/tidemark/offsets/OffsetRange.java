package io.tidemark.offsets;

import io.tidemark.offsets.internal.Validation;
import org.apache.kafka.common.TopicPartition;

/**
 * The offsets of one partition that one batch read: {@code fromOffset} inclusive to
 * {@code untilOffset} exclusive, as Spark's {@code OffsetRange}. After the batch, the next
 * offset to read is {@code untilOffset}. An empty range ({@code fromOffset == untilOffset}) is
 * legal: the partition was assigned but had no new records.
 *
 * @param topic a legal Kafka topic name
 * @param partition {@code >= 0}
 * @param fromOffset the first offset read, {@code >= 0}
 * @param untilOffset one past the last offset read, {@code >= fromOffset}
 */
public record OffsetRange(String topic, int partition, long fromOffset, long untilOffset) {

  /** Validates every component; the message names the bad value. */
  public OffsetRange {
    Validation.topic(topic);
    if (partition < 0) {
      throw new IllegalArgumentException("partition of " + topic + " must be >= 0, got " + partition);
    }
    Validation.nonNegative(fromOffset, "fromOffset of " + topic + "-" + partition);
    if (untilOffset < fromOffset) {
      throw new IllegalArgumentException("untilOffset " + untilOffset + " of " + topic + "-" + partition
          + " is below fromOffset " + fromOffset + " (a range is [fromOffset, untilOffset))");
    }
  }

  /** A range of {@code partition}. */
  public static OffsetRange of(TopicPartition partition, long fromOffset, long untilOffset) {
    return new OffsetRange(partition.topic(), partition.partition(), fromOffset, untilOffset);
  }

  /** The partition. */
  public TopicPartition topicPartition() {
    return new TopicPartition(topic, partition);
  }

  /** {@code untilOffset - fromOffset}: how many offsets the range spans. */
  public long count() {
    return untilOffset - fromOffset;
  }

  @Override
  public String toString() {
    return topic + "-" + partition + "[" + fromOffset + ", " + untilOffset + ")";
  }
}
