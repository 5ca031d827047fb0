package io.tidemark.testkit;

/**
 * A test server could not start, or stopped being reachable. The message names the cause (a port,
 * a missing JDK or artifact, a failed unpack) and carries the last lines of the server's log.
 */
public final class ServerStartException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ServerStartException(String message) {
    super(message);
  }

  public ServerStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
