package io.tidemark.serde.avro;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record's Avro body cannot be decoded with its writer schema: it is truncated, corrupt, or
 * declares lengths beyond the configured limits. The message names the schema id and what failed.
 */
public class CorruptRecordException extends SerializationException {
  private static final long serialVersionUID = 1L;

  /** With a message and the decoder's error. */
  public CorruptRecordException(String message, Throwable cause) {
    super(message, cause);
  }
}
