package io.tidemark.serde.avro.registry;

/** The registry could not be reached, or kept failing (HTTP 5xx), through every retry. */
public class RegistryUnavailableException extends RegistryException {
  private static final long serialVersionUID = 1L;

  /** With the HTTP status, the registry's error code and a message. */
  public RegistryUnavailableException(int status, int errorCode, String message, Throwable cause) {
    super(status, errorCode, message, cause);
  }
}
