package io.tidemark.offsets;

import io.tidemark.offsets.internal.Validation;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.kafka.common.TopicPartition;

/**
 * A job's committed position: per partition the next offset to read, the last committed batch
 * id and the current writer epoch. {@link OffsetStore#read} returns this, never {@code null}:
 * a job that never committed has no positions and no last batch ({@link #isEmpty()}).
 *
 * <p>Epochs start at 0 for a job nobody has claimed; each {@link OffsetStore#claim} and
 * {@link OffsetStore#rewind} increases it by one.
 *
 * <p>Immutable and thread-safe. Positions iterate in topic, then partition order.
 */
public final class CommittedOffsets {

  private final String job;
  private final Map<TopicPartition, Long> positions;
  private final OptionalLong lastBatchId;
  private final long epoch;
  private final Optional<Instant> lastCommitTime;

  private CommittedOffsets(String job, Map<TopicPartition, Long> positions, OptionalLong lastBatchId, long epoch,
      Optional<Instant> lastCommitTime) {
    this.job = Validation.jobId(job);
    Map<TopicPartition, Long> sorted = new java.util.TreeMap<>(OffsetCommit.PARTITION_ORDER);
    positions.forEach((tp, offset) -> {
      Validation.topic(tp.topic());
      if (tp.partition() < 0) {
        throw new IllegalArgumentException("partition of " + tp.topic() + " must be >= 0, got " + tp.partition());
      }
      Validation.nonNegative(offset, "position of " + tp);
      sorted.put(tp, offset);
    });
    this.positions = Collections.unmodifiableMap(new LinkedHashMap<>(sorted));
    this.lastBatchId = Objects.requireNonNull(lastBatchId, "lastBatchId");
    this.epoch = Validation.nonNegative(epoch, "epoch of job " + job);
    this.lastCommitTime = Objects.requireNonNull(lastCommitTime, "lastCommitTime");
  }

  /** The state of a job that has never committed, at {@code epoch}. */
  public static CommittedOffsets none(String job, long epoch) {
    return new CommittedOffsets(job, Map.of(), OptionalLong.empty(), epoch, Optional.empty());
  }

  /** A committed state; for stores and tests. */
  public static CommittedOffsets of(String job, Map<TopicPartition, Long> positions, OptionalLong lastBatchId,
      long epoch, Optional<Instant> lastCommitTime) {
    return new CommittedOffsets(job, positions, lastBatchId, epoch, lastCommitTime);
  }

  /** The job id. */
  public String job() {
    return job;
  }

  /** Per partition, the next offset to read (the last committed range's {@code untilOffset}). */
  public Map<TopicPartition, Long> positions() {
    return positions;
  }

  /** The next offset to read from {@code partition}, if the job has a position there. */
  public OptionalLong position(TopicPartition partition) {
    Long p = positions.get(partition);
    return p == null ? OptionalLong.empty() : OptionalLong.of(p);
  }

  /** The last committed batch id; empty if the job never committed (or was rewound before its first batch). */
  public OptionalLong lastBatchId() {
    return lastBatchId;
  }

  /** The batch id the next commit must carry, if the job has committed before. */
  public OptionalLong nextBatchId() {
    return lastBatchId.isPresent() ? OptionalLong.of(lastBatchId.getAsLong() + 1) : OptionalLong.empty();
  }

  /** The current writer epoch (0 if never claimed). */
  public long epoch() {
    return epoch;
  }

  /** When the last batch was committed. */
  public Optional<Instant> lastCommitTime() {
    return lastCommitTime;
  }

  /** Whether the job has no committed position. */
  public boolean isEmpty() {
    return positions.isEmpty() && lastBatchId.isEmpty();
  }

  /** This state with another epoch. */
  public CommittedOffsets withEpoch(long newEpoch) {
    return new CommittedOffsets(job, positions, lastBatchId, newEpoch, lastCommitTime);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof CommittedOffsets c)) {
      return false;
    }
    return job.equals(c.job) && positions.equals(c.positions) && lastBatchId.equals(c.lastBatchId)
        && epoch == c.epoch && lastCommitTime.equals(c.lastCommitTime);
  }

  @Override
  public int hashCode() {
    return Objects.hash(job, positions, lastBatchId, epoch, lastCommitTime);
  }

  @Override
  public String toString() {
    String shown = positions.size() <= 5 ? positions.toString() : positions.size() + " partitions";
    return "CommittedOffsets{job=" + job + ", batch=" + (lastBatchId.isPresent() ? lastBatchId.getAsLong() : "none")
        + ", epoch=" + epoch + ", positions=" + shown + "}";
  }
}
