package io.tidemark.serde.avro.registry;

/** The registry answered that the registry has no such schema: an unknown id (40403), or a schema not under the subject (40403). */
public class SchemaNotFoundException extends RegistryException {
  private static final long serialVersionUID = 1L;

  /** With the HTTP status, the registry's error code and a message. */
  public SchemaNotFoundException(int status, int errorCode, String message, Throwable cause) {
    super(status, errorCode, message, cause);
  }
}
