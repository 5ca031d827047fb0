package io.tidemark.offsets;

import io.tidemark.offsets.internal.Validation;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.TopicPartition;

/** Where {@link OffsetStore#rewind} moves a job: back to a batch, or to explicit offsets. */
public sealed interface RewindTarget permits RewindTarget.ToBatch, RewindTarget.ToOffsets {

  /**
   * Back to the state right after batch {@code batchId}: the next commit carries
   * {@code batchId + 1} again, so an idempotent output recognises the replayed batches. The
   * batch must still be in the store's history.
   */
  static RewindTarget toBatch(long batchId) {
    return new ToBatch(batchId);
  }

  /**
   * To explicit positions (the next offset to read per partition). Listed partitions replace
   * their stored positions, others keep theirs; the batch id sequence continues.
   */
  static RewindTarget toOffsets(Map<TopicPartition, Long> positions) {
    return new ToOffsets(positions);
  }

  /** See {@link RewindTarget#toBatch}. */
  record ToBatch(long batchId) implements RewindTarget {
    /** Requires {@code batchId >= 0}. */
    public ToBatch {
      Validation.nonNegative(batchId, "batch id to rewind to");
    }
  }

  /** See {@link RewindTarget#toOffsets}. */
  record ToOffsets(Map<TopicPartition, Long> positions) implements RewindTarget {
    /** Requires at least one position, each {@code >= 0}, on legal topic names. */
    public ToOffsets {
      Objects.requireNonNull(positions, "positions");
      if (positions.isEmpty()) {
        throw new IllegalArgumentException("a rewind to explicit offsets needs at least one position");
      }
      positions.forEach((tp, offset) -> {
        Validation.topic(tp.topic());
        Validation.nonNegative(Objects.requireNonNull(offset, "offset of " + tp), "offset of " + tp);
      });
      positions = Map.copyOf(positions);
    }
  }
}
