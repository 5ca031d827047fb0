package io.tidemark.serde.avro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WireFormatTest {

  @Test
  void theHeaderIsTheMagicByteAndABigEndianId() {
    assertThat(WireFormat.header(0x01020304)).containsExactly(0, 1, 2, 3, 4);
    assertThat(WireFormat.schemaId(new byte[] {0, 0, 0, 1, 0, 42}, "r")).isEqualTo(256);
  }

  @Test
  void aWrongMagicByteShowsTheFirstBytesInHex() {
    assertThatThrownBy(() -> WireFormat.schemaId(new byte[] {0x7b, 0x22, 0x61, 0x22, 0x3a, 0x31, 0x7d}, "value of t-0@5"))
        .isInstanceOf(InvalidHeaderException.class)
        .hasMessageContaining("value of t-0@5 starts with byte 0x7b, not the magic byte 0x00")
        .hasMessageContaining("first bytes: 7b 22 61 22 3a 31 7d");
  }

  @Test
  void tooFewBytesAreRefusedWithoutReadingPastThem() {
    assertThatThrownBy(() -> WireFormat.schemaId(new byte[] {0, 0, 1}, "key")).isInstanceOf(InvalidHeaderException.class)
        .hasMessageContaining("has 3 bytes, fewer than the 5").hasMessageContaining("first bytes: 00 00 01");
    assertThatThrownBy(() -> WireFormat.schemaId(new byte[0], "key")).hasMessageContaining("first bytes: none");
    byte[] long32 = new byte[32];
    long32[0] = 9;
    assertThatThrownBy(() -> WireFormat.schemaId(long32, "key")).hasMessageContaining(" ...");
  }
}
