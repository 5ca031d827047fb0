package io.tidemark.serde.avro;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record names a schema id the registry does not have. The message names the id and the
 * registry. It may be a record from another registry, or a poison record; the caller decides to
 * fail, skip or dead-letter it.
 */
public class UnknownSchemaIdException extends SerializationException {
  private static final long serialVersionUID = 1L;
  private final int id;

  /** For schema {@code id}. */
  public UnknownSchemaIdException(int id, String message, Throwable cause) {
    super(message, cause);
    this.id = id;
  }

  /** The id the record names. */
  public int id() {
    return id;
  }
}
