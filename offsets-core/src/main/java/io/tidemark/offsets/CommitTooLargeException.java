package io.tidemark.offsets;

/**
 * The store cannot take this commit (or rewind) in one atomic write: it is larger than the
 * backend's request limit. Nothing was written. The message gives the size, the limit and the
 * setting that raises it; committing fewer partitions per batch also avoids it.
 */
public class CommitTooLargeException extends OffsetStoreException {
  private static final long serialVersionUID = 1L;

  /** With a message saying the size, the limit and what to change. */
  public CommitTooLargeException(String message) {
    super(message);
  }
}
