package io.tidemark.offsets.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.StoreCorruptedException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class HistoryTextTest {

  @Test
  void smallEntriesArePlainTextAndLargeOnesCompressed() {
    HistoryEntry small = new HistoryEntry.Committed(OffsetCommit.builder("j", 1, 1).range("orders", 0, 0, 10).build());
    byte[] plain = HistoryText.encodeBytes(small);
    assertThat(new String(plain, StandardCharsets.UTF_8)).isEqualTo(HistoryText.encode(small));
    assertThat(HistoryText.decodeBytes(plain, "cell")).isEqualTo(small);

    List<OffsetRange> ranges = IntStream.range(0, 2_000).mapToObj(p -> new OffsetRange("orders", p, 0, 10))
        .collect(Collectors.toList());
    HistoryEntry wide = new HistoryEntry.Committed(OffsetCommit.builder("j", 2, 1).ranges(ranges).build());
    byte[] packed = HistoryText.encodeBytes(wide);
    assertThat(HistoryText.encode(wide).length()).isGreaterThan(HistoryText.PLAIN_MAX_BYTES);
    assertThat(packed).startsWith(0x1f, 0x8b);
    assertThat(packed.length).isLessThan(HistoryText.PLAIN_MAX_BYTES);
    assertThat(HistoryText.decodeBytes(packed, "cell")).isEqualTo(wide);
  }

  @Test
  void damagedCompressedEntriesNameTheirSource() {
    List<OffsetRange> ranges = IntStream.range(0, 2_000).mapToObj(p -> new OffsetRange("orders", p, 0, 10))
        .collect(Collectors.toList());
    byte[] packed = HistoryText.encodeBytes(new HistoryEntry.Committed(OffsetCommit.builder("j", 2, 1).ranges(ranges)
        .build()));
    byte[] truncated = Arrays.copyOf(packed, packed.length / 2);
    assertThatThrownBy(() -> HistoryText.decodeBytes(truncated, "row j/hist/1 c:entry"))
        .isInstanceOf(StoreCorruptedException.class).hasMessageContaining("row j/hist/1 c:entry")
        .hasMessageContaining("compressed history entry");
  }
}
