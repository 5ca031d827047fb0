package io.tidemark.offsets;

/**
 * Another process (or another store instance in this JVM) holds the job: a store that allows one
 * writer per job refused to write it. Stop the other writer, or wait for it to close its store.
 */
public class JobLockedException extends OffsetStoreException {
  private static final long serialVersionUID = 1L;

  /** With a message. */
  public JobLockedException(String message) {
    super(message);
  }
}
