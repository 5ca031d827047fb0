package io.tidemark.offsets;

/**
 * What to do when a stored position is below the log start: retention deleted records the job
 * never processed.
 */
public enum LostOffsetsPolicy {
  /** Refuse to start, naming the exact lost range per partition (the default). */
  FAIL,
  /** Continue at the log start; a {@link DataLossEvent} names the lost range. */
  EARLIEST,
  /** Continue at the log end; a {@link DataLossEvent} names the skipped range. */
  LATEST
}
