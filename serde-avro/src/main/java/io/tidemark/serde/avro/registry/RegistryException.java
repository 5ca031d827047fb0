package io.tidemark.serde.avro.registry;

/**
 * The registry refused a request, or could not be reached. {@link #status()} is the HTTP status
 * (0 when none came back), {@link #errorCode()} the registry's {@code error_code} (0 when none),
 * and the message carries the registry's own message.
 */
public class RegistryException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;
  private final int errorCode;

  /** With the HTTP status, the registry's error code and a message. */
  public RegistryException(int status, int errorCode, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.errorCode = errorCode;
  }

  /** The HTTP status, 0 when no answer came back. */
  public int status() {
    return status;
  }

  /** The registry's error code ({@code 40401}, {@code 409}, ...), 0 when it sent none. */
  public int errorCode() {
    return errorCode;
  }
}
