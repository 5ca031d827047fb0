package io.tidemark.offsets;

/** Where a job starts reading a partition that appeared after it last committed. */
public enum NewPartitionPolicy {
  /** At the new partition's log start (the default: nothing produced to it is missed). */
  EARLIEST,
  /** At its log end. */
  LATEST,
  /** Refuse to start, naming the partition. */
  FAIL
}
