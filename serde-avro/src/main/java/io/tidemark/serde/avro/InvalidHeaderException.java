package io.tidemark.serde.avro;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record does not start with the Schema Registry header (magic byte {@code 0} and a 4-byte
 * schema id). The message shows its first bytes in hex. Nothing is decoded; the caller decides
 * to fail, skip or dead-letter the record.
 */
public class InvalidHeaderException extends SerializationException {
  private static final long serialVersionUID = 1L;

  /** With a message that shows the record's first bytes. */
  public InvalidHeaderException(String message) {
    super(message);
  }
}
