package io.tidemark.offsets.hbase;

import io.tidemark.offsets.OffsetStoreException;

/**
 * The offsets table is missing or does not have the schema the store needs. The message says
 * what is wrong and gives the HBase shell command (or the {@code hbase.create.table} setting)
 * that fixes it. Nothing was read or written.
 */
public class TableSchemaException extends OffsetStoreException {
  private static final long serialVersionUID = 1L;

  /** With a message saying what is wrong and how to fix it. */
  public TableSchemaException(String message) {
    super(message);
  }
}
