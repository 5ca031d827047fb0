package io.tidemark.testkit;

/**
 * A test server could not start. The message names the cause (a missing JDK or artifact, a failed
 * unpack, a child JVM that exited, a timeout) and, for servers in child JVMs, carries the last
 * lines of the server's log.
 */
public final class ServerStartException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** With a message that says what failed and what to check. */
  public ServerStartException(String message) {
    super(message);
  }

  /** With a message and the underlying cause. */
  public ServerStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
