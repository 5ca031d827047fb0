package io.tidemark.serde.avro.registry;

/** The registry answered that the registry cannot parse the schema (error code 42201). */
public class InvalidSchemaException extends RegistryException {
  private static final long serialVersionUID = 1L;

  /** With the HTTP status, the registry's error code and a message. */
  public InvalidSchemaException(int status, int errorCode, String message, Throwable cause) {
    super(status, errorCode, message, cause);
  }
}
