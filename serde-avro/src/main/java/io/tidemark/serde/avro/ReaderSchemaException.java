package io.tidemark.serde.avro;

import org.apache.kafka.common.errors.SerializationException;

/**
 * The job's reader schema ({@code avro.reader.schema}, or a generated class's) cannot read a
 * writer schema the records carry, for example a field without a default that the writer lacks.
 * A configuration problem, not a bad record: every record of that writer schema fails the same
 * way, so a policy that skips bad records must not skip these. The message lists each
 * incompatibility with its location.
 */
public class ReaderSchemaException extends SerializationException {
  private static final long serialVersionUID = 1L;

  /** With a message naming the writer schema id and the incompatibilities. */
  public ReaderSchemaException(String message) {
    super(message);
  }
}
