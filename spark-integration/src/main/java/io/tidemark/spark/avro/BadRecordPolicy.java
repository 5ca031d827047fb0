package io.tidemark.spark.avro;

/**
 * What happens to a record whose bytes cannot be decoded (a wrong magic byte, an unknown schema
 * id, a corrupt body). Problems that are not the record's own (the registry down or refusing,
 * a reader schema that cannot read the writer's) always fail the batch: skipping them would
 * drop good records.
 */
public enum BadRecordPolicy {
  /** Fail the batch: it is not committed, and the job stops. */
  FAIL,
  /** Leave the record out, counting it and logging its topic, partition and offset at WARN. */
  SKIP,
  /**
   * Write the record's original key and value to a dead-letter topic, with headers for the error
   * and its source, before the batch commits; count and log it. If the dead letter cannot be
   * written, the batch fails.
   */
  DEAD_LETTER
}
