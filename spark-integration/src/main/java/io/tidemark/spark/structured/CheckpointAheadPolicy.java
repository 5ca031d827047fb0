package io.tidemark.spark.structured;

/**
 * What a {@link TidemarkStructuredStream} does when the query's Spark checkpoint is ahead of the
 * store: a partition's first batch in the query starts above where the job stands in the store,
 * and Kafka still holds records in between that the job never output (the usual cause: an
 * operator rewound or reset the job in the store while the query's checkpoint stayed). Offsets
 * that hold no record (transaction markers, compacted or aborted records) are no gap: the
 * stream asks Kafka for the first record at the stored position before it calls anything a gap.
 */
public enum CheckpointAheadPolicy {
  /**
   * Fail the batch before any output or commit, naming the partitions, both positions and what
   * to run (the default): nothing is skipped, and the query stops.
   */
  FAIL,
  /**
   * Replay from the store: the batch also reads, from Kafka, the records between the store's
   * positions and the checkpoint's, so it covers the store's range and the job's output gets
   * every record once. Needs the batch to be the Kafka source's own rows: the query's
   * {@code readStream()} unchanged up to {@code foreachBatch}, no filter, no projection. The
   * adapter can check only the columns: a batch with other columns fails as under {@link #FAIL},
   * saying why, but a filter that keeps the columns is not seen, and the replayed records do not
   * go through it.
   */
  REPLAY_FROM_STORE
}
