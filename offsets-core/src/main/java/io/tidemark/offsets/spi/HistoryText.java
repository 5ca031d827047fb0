package io.tidemark.offsets.spi;

import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.internal.TextCodec;

/**
 * The readable text form of a {@link HistoryEntry}, as the {@code file:} store writes it, for
 * backends that keep history entries as text (a znode, a cell). One record per line, offsets in
 * plain decimal, an {@code end} line last.
 */
public final class HistoryText {
  private HistoryText() {}

  /** The entry as text. */
  public static String encode(HistoryEntry entry) {
    return TextCodec.encodeHistory(entry);
  }

  /**
   * Reads an entry back.
   *
   * @param source names the place (a path) in error messages
   * @throws io.tidemark.offsets.StoreCorruptedException naming the source and line when the text is not a whole entry
   */
  public static HistoryEntry decode(String text, String source) {
    return TextCodec.decodeHistory(text, source);
  }
}
