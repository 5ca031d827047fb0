package io.tidemark.serde.avro.registry;

/** The registry answered that the schema is incompatible with the subject's earlier versions under its compatibility level (HTTP 409). */
public class IncompatibleSchemaException extends RegistryException {
  private static final long serialVersionUID = 1L;

  /** With the HTTP status, the registry's error code and a message. */
  public IncompatibleSchemaException(int status, int errorCode, String message, Throwable cause) {
    super(status, errorCode, message, cause);
  }
}
