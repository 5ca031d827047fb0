package io.tidemark.offsets.spi;

import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.StoreCorruptedException;
import io.tidemark.offsets.internal.TextCodec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

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

  /** Entries up to this many bytes of text are stored plain by {@link #encodeBytes}. */
  public static final int PLAIN_MAX_BYTES = 16 * 1024;

  /**
   * The entry as UTF-8 text, gzip-compressed when longer than {@value #PLAIN_MAX_BYTES} bytes (a
   * history entry repeats every range of its commit, about 45 bytes a partition). Compressed
   * data starts with the gzip magic bytes {@code 1f 8b}, which the text never does.
   */
  public static byte[] encodeBytes(HistoryEntry entry) {
    byte[] text = encode(entry).getBytes(StandardCharsets.UTF_8);
    if (text.length <= PLAIN_MAX_BYTES) {
      return text;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length / 8);
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * Reads back what {@link #encodeBytes} wrote.
   *
   * @param source names the place (a path, a cell) in error messages
   * @throws StoreCorruptedException naming the source when the bytes are not a whole entry
   */
  public static HistoryEntry decodeBytes(byte[] data, String source) {
    String text;
    if (data.length >= 2 && (data[0] & 0xff) == 0x1f && (data[1] & 0xff) == 0x8b) {
      try (GZIPInputStream gz = new GZIPInputStream(new ByteArrayInputStream(data))) {
        text = new String(gz.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new StoreCorruptedException(source + ": the compressed history entry cannot be read (" + e.getMessage()
            + "). It was changed outside Tidemark; restore it, or rewind the job to explicit offsets.");
      }
    } else {
      text = new String(data, StandardCharsets.UTF_8);
    }
    return decode(text, source);
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
