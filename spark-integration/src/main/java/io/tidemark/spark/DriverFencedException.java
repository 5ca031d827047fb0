package io.tidemark.spark;

import io.tidemark.offsets.OffsetConflictException;

/**
 * Another driver claimed the job (a restart elsewhere, or an operator's rewind) after this one
 * did: the store refused this driver's commit, and this driver must stop. Its last batch was not
 * committed; the driver that holds the job carries on from the store.
 */
public class DriverFencedException extends BatchFailedException {
  private static final long serialVersionUID = 1L;

  private final long epoch;

  /** For {@code job}'s batch {@code batchId}, refused under {@code epoch}. */
  public DriverFencedException(String job, long batchId, long epoch, OffsetConflictException cause) {
    super(job, batchId, "job " + job + " was claimed by another driver after this one (which holds epoch " + epoch
        + "): the store refused batch " + batchId + ", and this driver stops. If the other driver is a mistake,"
        + " stop it; otherwise nothing is needed: it carries on from the store.", cause);
    this.epoch = epoch;
  }

  /** The epoch this driver held. */
  public long epoch() {
    return epoch;
  }
}
