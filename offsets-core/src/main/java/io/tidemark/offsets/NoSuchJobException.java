package io.tidemark.offsets;

/** An operation that needs an existing job (a rewind, for example) named one the store does not have. */
public class NoSuchJobException extends OffsetStoreException {
  private static final long serialVersionUID = 1L;

  /** With a message. */
  public NoSuchJobException(String message) {
    super(message);
  }
}
