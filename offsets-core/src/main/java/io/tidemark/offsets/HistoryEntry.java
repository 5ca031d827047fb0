package io.tidemark.offsets;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import org.apache.kafka.common.TopicPartition;

/**
 * One entry of a job's history, as {@link OffsetStore#history} returns them newest first: a
 * committed batch or an operator's rewind.
 */
public sealed interface HistoryEntry permits HistoryEntry.Committed, HistoryEntry.Rewound {

  /** The writer epoch the entry was written under (for a rewind: the new epoch it took). */
  long epoch();

  /** When it happened. */
  Instant time();

  /** A committed batch. */
  record Committed(OffsetCommit commit) implements HistoryEntry {
    /** Requires a commit. */
    public Committed {
      Objects.requireNonNull(commit, "commit");
    }

    @Override
    public long epoch() {
      return commit.epoch();
    }

    @Override
    public Instant time() {
      return commit.commitTime();
    }
  }

  /**
   * An operator's rewind: the positions and last batch id before and after it.
   *
   * @param epoch the epoch the rewind took (older writers are fenced from then on)
   * @param time when
   * @param toBatch the batch rewound to, if the rewind named one (empty for explicit offsets)
   * @param lastBatchIdBefore the last batch id before the rewind
   * @param positionsBefore the positions before the rewind
   * @param lastBatchIdAfter the last batch id after the rewind: the next commit carries this plus one
   * @param positionsAfter the positions after the rewind
   */
  record Rewound(long epoch, Instant time, OptionalLong toBatch, OptionalLong lastBatchIdBefore,
      Map<TopicPartition, Long> positionsBefore, OptionalLong lastBatchIdAfter,
      Map<TopicPartition, Long> positionsAfter) implements HistoryEntry {
    /** Copies the maps; no component may be null. */
    public Rewound {
      Objects.requireNonNull(time, "time");
      Objects.requireNonNull(toBatch, "toBatch");
      Objects.requireNonNull(lastBatchIdBefore, "lastBatchIdBefore");
      Objects.requireNonNull(lastBatchIdAfter, "lastBatchIdAfter");
      positionsBefore = sortedCopy(positionsBefore);
      positionsAfter = sortedCopy(positionsAfter);
    }

    private static Map<TopicPartition, Long> sortedCopy(Map<TopicPartition, Long> m) {
      Map<TopicPartition, Long> sorted = new java.util.TreeMap<>(OffsetCommit.PARTITION_ORDER);
      sorted.putAll(Objects.requireNonNull(m, "positions"));
      return java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(sorted));
    }
  }
}
