package io.tidemark.cli;

/** The exit codes of every {@code tidemark} command. */
public final class ExitCodes {
  /** The command did what it was asked (a dry run included). */
  public static final int OK = 0;
  /** The answer is "no": the schema is incompatible ({@code schemas check} found incompatibilities, or the registry refused to register it). */
  public static final int NO = 1;
  /** The command line is wrong: an unknown option, a missing one, a bad value. */
  public static final int USAGE = 2;
  /** Refused to protect a running job (a driver committed recently, or claimed the job after its last write; see {@code --force}). */
  public static final int REFUSED = 3;
  /** What the command names does not exist: a job, a batch, a subject, a version, a file. */
  public static final int NOT_FOUND = 4;
  /** A store, broker or registry could not be reached, or refused the request. */
  public static final int UNAVAILABLE = 5;
  /** The store refused a change because it conflicts with its state (for example, a driver committed meanwhile). */
  public static final int CONFLICT = 6;

  private ExitCodes() {}
}
