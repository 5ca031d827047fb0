package io.tidemark.offsets;

import io.tidemark.offsets.internal.Validation;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * Where a job starts reading a partition it has no stored position for, when the job has never
 * committed. Built by static factories, like Flink's {@code OffsetsInitializer}.
 */
public sealed interface StartPosition permits StartPosition.Earliest, StartPosition.Latest, StartPosition.Timestamp,
    StartPosition.Offsets {

  /** At the log start: every record still retained. */
  static StartPosition earliest() {
    return Earliest.INSTANCE;
  }

  /** At the log end: only records produced from now on. */
  static StartPosition latest() {
    return Latest.INSTANCE;
  }

  /** At the first record whose timestamp is at or after {@code time} (the log end where there is none). */
  static StartPosition timestamp(Instant time) {
    return new Timestamp(time);
  }

  /**
   * At explicit offsets. Partitions not listed follow the new-partition policy; listed offsets
   * outside the log follow the lost-offsets and offsets-ahead policies.
   */
  static StartPosition offsets(Map<org.apache.kafka.common.TopicPartition, Long> offsets) {
    return new Offsets(offsets);
  }

  /** See {@link StartPosition#earliest()}. */
  enum Earliest implements StartPosition {
    /** The only instance. */
    INSTANCE;

    @Override
    public String toString() {
      return "earliest";
    }
  }

  /** See {@link StartPosition#latest()}. */
  enum Latest implements StartPosition {
    /** The only instance. */
    INSTANCE;

    @Override
    public String toString() {
      return "latest";
    }
  }

  /** See {@link StartPosition#timestamp(Instant)}. */
  record Timestamp(Instant time) implements StartPosition {
    /** Requires a time. */
    public Timestamp {
      Objects.requireNonNull(time, "time");
    }
  }

  /** See {@link StartPosition#offsets(Map)}. */
  record Offsets(Map<org.apache.kafka.common.TopicPartition, Long> offsets) implements StartPosition {
    /** Requires offsets {@code >= 0} on legal topic names. */
    public Offsets {
      Objects.requireNonNull(offsets, "offsets");
      offsets.forEach((tp, o) -> {
        Validation.topic(tp.topic());
        Validation.nonNegative(Objects.requireNonNull(o, "offset of " + tp), "start offset of " + tp);
      });
      offsets = Map.copyOf(offsets);
    }
  }
}
