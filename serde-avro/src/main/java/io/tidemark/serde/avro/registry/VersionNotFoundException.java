package io.tidemark.serde.avro.registry;

/** The registry answered that the subject has no such version (error code 40402). */
public class VersionNotFoundException extends RegistryException {
  private static final long serialVersionUID = 1L;

  /** With the HTTP status, the registry's error code and a message. */
  public VersionNotFoundException(int status, int errorCode, String message, Throwable cause) {
    super(status, errorCode, message, cause);
  }
}
