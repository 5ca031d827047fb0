package io.tidemark.spark.sink;

import java.io.IOException;

/**
 * A committed batch's Kafka transaction cannot be committed and was not: the broker aborted it,
 * most often because more than the producer's {@code transaction.timeout.ms} passed between the
 * batch's prepare and its publish (a driver that stayed down that long after the commit), or the
 * outcome cannot be told any more (the output's records were deleted by retention). The batch's
 * offsets are committed but its records are not in the output topic: the message names the
 * batch and the command that writes it again (a rewind to the batch before it).
 */
public final class KafkaTransactionLostException extends IOException {
  private static final long serialVersionUID = 1L;

  private final long batchId;
  private final String transactionalId;

  KafkaTransactionLostException(long batchId, String transactionalId, String message, Throwable cause) {
    super(message, cause);
    this.batchId = batchId;
    this.transactionalId = transactionalId;
  }

  /** The committed batch whose output is lost. */
  public long batchId() {
    return batchId;
  }

  /** The transactional id of the transaction that was aborted. */
  public String transactionalId() {
    return transactionalId;
  }
}
