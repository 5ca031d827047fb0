package io.tidemark.spark.avro;

/**
 * A record could not be decoded and the policy is {@link BadRecordPolicy#FAIL} (or its dead letter
 * could not be written): the batch fails and is not committed. The message names the record's
 * topic, partition and offset, and what to do.
 */
public class BadRecordException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** With the record's coordinates in the message and the decoding error as the cause. */
  public BadRecordException(String message, Throwable cause) {
    super(message, cause);
  }
}
