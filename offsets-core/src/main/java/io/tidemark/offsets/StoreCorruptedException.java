package io.tidemark.offsets;

/**
 * A file or record of the store cannot be read back: torn, edited by hand, copied from another
 * job, or written by another format version. The message names the file or record, the line
 * where that applies, and what to do. Nothing was changed.
 */
public class StoreCorruptedException extends OffsetStoreException {
  private static final long serialVersionUID = 1L;

  /** With a message that names the place and the fix. */
  public StoreCorruptedException(String message) {
    super(message);
  }
}
