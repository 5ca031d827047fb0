package io.tidemark.offsets;

import io.tidemark.offsets.internal.Validation;
import java.util.Objects;
import org.apache.kafka.common.TopicPartition;

/**
 * A deliberate move of a partition's position that a commit declares: the batch's range starts
 * at {@code newPosition}, not at the stored {@code replacedPosition}. Without it such a commit is
 * a gap or an overlap and is refused. The start-position resolver creates these when a policy
 * lets a job continue past offsets that retention deleted, or past a log end that fell below
 * the stored position.
 *
 * @param partition the partition
 * @param replacedPosition the stored position the commit replaces
 * @param newPosition where the batch's range starts
 * @param reason why
 */
public record PositionReset(TopicPartition partition, long replacedPosition, long newPosition, Reason reason) {

  /** Validates every component. */
  public PositionReset {
    Objects.requireNonNull(partition, "partition");
    Validation.topic(partition.topic());
    Validation.nonNegative(replacedPosition, "replacedPosition of " + partition);
    Validation.nonNegative(newPosition, "newPosition of " + partition);
    Objects.requireNonNull(reason, "reason");
  }

  /** Why a position was reset. */
  public enum Reason {
    /** The stored position was below the log start: retention deleted {@code [replaced, new)}. */
    OFFSETS_DELETED,
    /** The stored position was above the log end: the topic was recreated or truncated. */
    LOG_END_BELOW_POSITION
  }
}
