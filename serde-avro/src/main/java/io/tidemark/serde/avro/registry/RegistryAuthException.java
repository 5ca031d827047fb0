package io.tidemark.serde.avro.registry;

/** The registry refused the credentials, or they lack a permission (HTTP 401 or 403). */
public class RegistryAuthException extends RegistryException {
  private static final long serialVersionUID = 1L;

  /** With the HTTP status, the registry's error code and a message. */
  public RegistryAuthException(int status, int errorCode, String message, Throwable cause) {
    super(status, errorCode, message, cause);
  }
}
