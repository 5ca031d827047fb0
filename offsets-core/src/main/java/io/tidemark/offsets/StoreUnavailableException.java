package io.tidemark.offsets;

/**
 * The store could not be reached or written within its deadline. The message names the store
 * (without credentials) and the cause. The operation may or may not have taken effect only
 * where the method's javadoc says so; a commit can be retried safely (an identical re-commit is
 * a no-op).
 */
public class StoreUnavailableException extends OffsetStoreException {
  private static final long serialVersionUID = 1L;

  /** With a message and a cause. */
  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
