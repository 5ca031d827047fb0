package io.tidemark.offsets;

import java.util.Optional;
import org.apache.kafka.common.TopicPartition;

/**
 * A commit (or claim) that does not follow the stored state exactly: refused, nothing changed.
 * {@link #conflict()} says which rule it broke; {@link #partition()}, {@link #expected()} and
 * {@link #found()} say where and what.
 *
 * <p>What to do depends on the rule: {@link Conflict#STALE_EPOCH} means another driver claimed
 * the job, so this one must stop; the others mean the batch does not start where the job's
 * position is: restart the job from the store's position (or rewind the store).
 */
public class OffsetConflictException extends OffsetStoreException {
  private static final long serialVersionUID = 1L;

  /** The rule a refused commit broke. */
  public enum Conflict {
    /** A range starts after the stored position: offsets in between would never be processed. */
    GAP,
    /** A range starts before the stored position: offsets would be processed twice. */
    OVERLAP,
    /** The batch id is not above the last committed one, and the batch differs from the stored one. */
    STALE_BATCH,
    /** The batch id skips ahead of the next one. */
    BATCH_ID_GAP,
    /** Another driver has claimed the job since this one did: this driver is a zombie. */
    STALE_EPOCH,
    /** A position reset names a replaced position that is not the stored one. */
    RESET_MISMATCH,
    /**
     * A partition without a stored position does not start where the commit declares the start
     * policy resolved it, or the commit declares no start for it.
     */
    START_MISMATCH
  }

  private final Conflict conflict;
  private final String job;
  private final long batchId;
  private final TopicPartition partition;
  private final String expected;
  private final String found;

  /**
   * @param conflict the rule broken
   * @param job the job
   * @param batchId the refused batch
   * @param partition the partition at fault, or null when the rule is about the whole batch
   * @param expected what the store expected
   * @param found what the commit carried
   * @param advice what to do
   */
  public OffsetConflictException(Conflict conflict, String job, long batchId, TopicPartition partition,
      String expected, String found, String advice) {
    super(conflict + ": job " + job + " batch " + batchId + (partition == null ? "" : " partition " + partition)
        + ": expected " + expected + " but found " + found + ". " + advice);
    this.conflict = conflict;
    this.job = job;
    this.batchId = batchId;
    this.partition = partition;
    this.expected = expected;
    this.found = found;
  }

  /** The rule broken. */
  public Conflict conflict() {
    return conflict;
  }

  /** The job. */
  public String job() {
    return job;
  }

  /** The refused batch id. */
  public long batchId() {
    return batchId;
  }

  /** The partition at fault, where the rule is about one. */
  public Optional<TopicPartition> partition() {
    return Optional.ofNullable(partition);
  }

  /** What the store expected. */
  public String expected() {
    return expected;
  }

  /** What the commit carried. */
  public String found() {
    return found;
  }
}
