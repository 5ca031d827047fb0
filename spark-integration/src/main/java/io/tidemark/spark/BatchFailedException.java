package io.tidemark.spark;

/**
 * A batch failed: its output threw, or its commit was refused or could not be made. Under
 * {@link DeliveryGuarantee#AT_LEAST_ONCE} and {@link DeliveryGuarantee#EXACTLY_ONCE} the batch was
 * not committed, and a restart replays it from the store. The driver runs no later batch.
 */
public class BatchFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String job;
  private final long batchId;

  /** With the job, the batch and what to do. */
  public BatchFailedException(String job, long batchId, String message, Throwable cause) {
    super(message, cause);
    this.job = job;
    this.batchId = batchId;
  }

  /** The job. */
  public String job() {
    return job;
  }

  /** The batch that failed. */
  public long batchId() {
    return batchId;
  }
}
