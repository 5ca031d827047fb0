package io.tidemark.offsets;

import java.time.Instant;
import java.util.Objects;
import org.apache.kafka.common.TopicPartition;

/**
 * A job continued past offsets it will never process, because a policy allowed it: retention
 * deleted them ({@link PositionReset.Reason#OFFSETS_DELETED}) or the log end fell below the
 * stored position ({@link PositionReset.Reason#LOG_END_BELOW_POSITION}).
 *
 * @param job the job
 * @param partition the partition
 * @param storedPosition where the job was
 * @param newPosition where it continues
 * @param logStartOffset the partition's log start when resolved
 * @param logEndOffset the partition's log end when resolved
 * @param reason why
 * @param time when it was detected
 */
public record DataLossEvent(String job, TopicPartition partition, long storedPosition, long newPosition,
    long logStartOffset, long logEndOffset, PositionReset.Reason reason, Instant time) {

  /** Requires every component. */
  public DataLossEvent {
    Objects.requireNonNull(job, "job");
    Objects.requireNonNull(partition, "partition");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(time, "time");
  }

  /**
   * For {@link PositionReset.Reason#OFFSETS_DELETED}: the offsets that retention deleted before the
   * job read them, {@code [storedPosition, logStartOffset)}. For the other reason the offsets
   * between the log end and the stored position never existed in the current log:
   * {@code [logEndOffset, storedPosition)}.
   */
  public OffsetRange lostRange() {
    return reason == PositionReset.Reason.OFFSETS_DELETED
        ? OffsetRange.of(partition, storedPosition, Math.max(storedPosition, logStartOffset))
        : OffsetRange.of(partition, logEndOffset, Math.max(logEndOffset, storedPosition));
  }

  /**
   * The offsets the job skips, {@code [storedPosition, newPosition)} when it moves forward; for a
   * move backwards (to a recreated topic's start) the range is empty.
   */
  public OffsetRange skippedRange() {
    return OffsetRange.of(partition, storedPosition, Math.max(storedPosition, newPosition));
  }

  /** The position reset a commit must declare to continue from {@code newPosition}. */
  public PositionReset reset() {
    return new PositionReset(partition, storedPosition, newPosition, reason);
  }

  /** One line for logs and commit metadata. */
  public String describe() {
    return switch (reason) {
      case OFFSETS_DELETED -> "job " + job + " skips " + skippedRange() + ": offsets " + lostRange()
          + " were deleted by retention before the job read them";
      case LOG_END_BELOW_POSITION -> "job " + job + " moves " + partition + " from " + storedPosition + " to "
          + newPosition + ": the log ends at " + logEndOffset + ", below the stored position (topic recreated or truncated)";
    };
  }
}
