package io.tidemark.cli;

/** A failure the command reports in one line on stderr, ending with {@link #exitCode()}. */
public final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int exitCode;

  /** With the exit code (one of {@link ExitCodes}) and the message, which should say what to do. */
  public CliException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  /** The exit code. */
  public int exitCode() {
    return exitCode;
  }
}
