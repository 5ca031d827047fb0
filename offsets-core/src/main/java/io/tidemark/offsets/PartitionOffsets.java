package io.tidemark.offsets;

import io.tidemark.offsets.internal.AdminPartitionOffsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;

/**
 * The narrow view of a Kafka cluster that start-position resolution and lag need: which
 * partitions exist, and their log start, log end and by-timestamp offsets. Implementations must
 * be thread-safe.
 *
 * @see #of(Admin)
 */
public interface PartitionOffsets {

  /** For each of {@code topics} that exists, its partition count; missing topics are absent. */
  Map<String, Integer> partitionCounts(Collection<String> topics);

  /** The log start offset of each partition (the first offset retention has not deleted). */
  Map<TopicPartition, Long> earliest(Collection<TopicPartition> partitions);

  /** The log end offset of each partition (the offset the next record gets). */
  Map<TopicPartition, Long> latest(Collection<TopicPartition> partitions);

  /**
   * The first offset whose record timestamp is at or after {@code time}, per partition; empty
   * for a partition with no such record.
   */
  Map<TopicPartition, OptionalLong> forTimestamp(Collection<TopicPartition> partitions, Instant time);

  /**
   * Offsets from a live cluster through the Admin API ({@code listOffsets}, {@code describeTopics}),
   * each call bounded by 30 seconds. The caller keeps owning {@code admin}.
   */
  static PartitionOffsets of(Admin admin) {
    return new AdminPartitionOffsets(admin, Duration.ofSeconds(30));
  }

  /** Like {@link #of(Admin)} with another per-call timeout. */
  static PartitionOffsets of(Admin admin, Duration timeout) {
    return new AdminPartitionOffsets(admin, timeout);
  }
}
