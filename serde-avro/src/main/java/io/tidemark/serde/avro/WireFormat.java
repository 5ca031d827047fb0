package io.tidemark.serde.avro;

import java.nio.ByteBuffer;
import java.util.HexFormat;

/**
 * The Schema Registry wire format: magic byte {@code 0}, the schema id as 4 bytes big-endian,
 * then the Avro binary body. The same bytes as Confluent's and Apicurio's serdes (in their
 * Confluent-compatible framing) write for the same id and record.
 */
public final class WireFormat {
  private WireFormat() {}

  /** The first byte of every framed record. */
  public static final byte MAGIC = 0;
  /** Bytes before the Avro body. */
  public static final int HEADER_BYTES = 5;

  /**
   * The schema id of a framed record.
   *
   * @param what names the record in errors ("value of orders-3@1042")
   * @throws InvalidHeaderException when the bytes are too short or do not start with the magic byte
   */
  public static int schemaId(byte[] data, String what) {
    if (data.length < HEADER_BYTES) {
      throw new InvalidHeaderException(what + " has " + data.length + " bytes, fewer than the " + HEADER_BYTES
          + " of a Schema Registry header (first bytes: " + hex(data) + "); it was not written by a Schema Registry"
          + " serializer");
    }
    if (data[0] != MAGIC) {
      throw new InvalidHeaderException(what + " starts with byte 0x" + String.format("%02x", data[0])
          + ", not the magic byte 0x00 (first bytes: " + hex(data) + "); it was not written by a Schema Registry"
          + " serializer, or the topic mixes formats");
    }
    return ByteBuffer.wrap(data, 1, 4).getInt();
  }

  /** The header of a record written with schema {@code id}. */
  public static byte[] header(int id) {
    return ByteBuffer.allocate(HEADER_BYTES).put(MAGIC).putInt(id).array();
  }

  /** Up to the first 16 bytes as hex, for error messages. */
  static String hex(byte[] data) {
    int n = Math.min(16, data.length);
    String shown = HexFormat.ofDelimiter(" ").formatHex(data, 0, n);
    return data.length > n ? shown + " ..." : shown.isEmpty() ? "none" : shown;
  }
}
