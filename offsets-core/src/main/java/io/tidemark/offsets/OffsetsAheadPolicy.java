package io.tidemark.offsets;

/**
 * What to do when a stored position is above the log end: the topic was deleted and recreated,
 * or its log was truncated after an unclean leader election.
 */
public enum OffsetsAheadPolicy {
  /** Refuse to start, naming the partition, the stored position and the log end (the default). */
  FAIL,
  /** Continue at the log start, with a {@link DataLossEvent}. */
  EARLIEST,
  /** Continue at the log end, with a {@link DataLossEvent}. */
  LATEST
}
