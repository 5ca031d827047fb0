package io.tidemark.offsets;

/** The base of Tidemark's offset-store errors. Messages say what happened and what to do. */
public class OffsetStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** With a message. */
  public OffsetStoreException(String message) {
    super(message);
  }

  /** With a message and a cause. */
  public OffsetStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
