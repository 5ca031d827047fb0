package io.tidemark.offsets.zookeeper.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.StoreCorruptedException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LayoutTest {
  private static final String PATH = "/t/jobs/j/head";

  @Test
  void pathsHangUnderTheRoot() {
    Layout l = new Layout("/tidemark");
    assertThat(l.bucket("job", "orders", 2000)).isEqualTo("/tidemark/jobs/job/offsets/orders/2000");
    assertThat(l.historyEntry("job", 57)).isEqualTo("/tidemark/jobs/job/history/00000000000000000057");
    assertThat(new Layout("/").epoch("job")).isEqualTo("/jobs/job/epoch");
    assertThat(Layout.bucketOf(0)).isZero();
    assertThat(Layout.bucketOf(999)).isZero();
    assertThat(Layout.bucketOf(1000)).isEqualTo(1000);
    assertThat(Layout.bucketOf(12_345)).isEqualTo(12_000);
  }

  @Test
  void theHeadRoundTripsAsText() {
    TreeMap<String, java.util.SortedSet<Integer>> buckets = new TreeMap<>();
    buckets.put("orders", new TreeSet<>(Set.of(0, 1000)));
    buckets.put("clicks", new TreeSet<>(Set.of(0)));
    Layout.Head head = new Layout.Head(OptionalLong.of(42), 57, 3, Optional.of(Instant.parse("2026-11-25T10:15:30Z")),
        buckets);
    String text = new String(Layout.encodeHead(head), StandardCharsets.UTF_8);
    assertThat(text).isEqualTo("batch 42\nhistory 57\nhistory-first 3\ntime 2026-11-25T10:15:30Z\n"
        + "bucket clicks 0\nbucket orders 0\nbucket orders 1000\n");
    assertThat(Layout.decodeHead(Layout.encodeHead(head), PATH)).isEqualTo(head);
    assertThat(Layout.decodeHead(Layout.encodeHead(Layout.Head.empty()), PATH)).isEqualTo(Layout.Head.empty());
    assertThat(Layout.Head.empty().hasBucket("orders", 0)).isFalse();
    assertThat(head.hasBucket("orders", 1000)).isTrue();
  }

  @Test
  void aDamagedHeadIsReportedAsCorruptWithItsPath() {
    for (String bad : List.of("batch 1\nhistory 2\ntime none\n", "batch x\nhistory 2\nhistory-first 1\ntime none\n",
        "batch 1\nbatch 2\nhistory 2\nhistory-first 1\ntime none\n", "batch\n",
        "batch 1\nhistory 2\nhistory-first 1\ntime none\nbucket orders\n",
        "batch 1\nhistory 2\nhistory-first 1\ntime none\nbucket orders 0\nbucket orders 0\n")) {
      assertThatThrownBy(() -> Layout.decodeHead(bad.getBytes(StandardCharsets.UTF_8), PATH))
          .as(bad).isInstanceOf(StoreCorruptedException.class).hasMessageContaining(PATH)
          .hasMessageContaining("changed outside Tidemark");
    }
  }

  @Test
  void bucketsArePartitionOffsetLines() {
    Map<Integer, Long> positions = Map.of(7, 1_000_000_500L, 3, 0L);
    assertThat(new String(Layout.encodeBucket(positions), StandardCharsets.UTF_8)).isEqualTo("3 0\n7 1000000500\n");
    assertThat(Layout.decodeBucket(Layout.encodeBucket(positions), PATH)).isEqualTo(positions);
    for (String bad : List.of("3\n", "3 x\n", "3 1\n3 2\n", "3 1 2\n")) {
      assertThatThrownBy(() -> Layout.decodeBucket(bad.getBytes(StandardCharsets.UTF_8), PATH))
          .as(bad).isInstanceOf(StoreCorruptedException.class).hasMessageContaining(PATH);
    }
  }

  @Test
  void smallHistoryEntriesArePlainTextAndLargeOnesCompressed() {
    HistoryEntry small = new HistoryEntry.Committed(OffsetCommit.builder("j", 1, 1).range("orders", 0, 0, 10).build());
    byte[] plain = Layout.encodeHistory(small);
    assertThat(new String(plain, StandardCharsets.UTF_8)).contains("range orders 0 0 10");
    assertThat(Layout.decodeHistory(plain, PATH)).isEqualTo(small);

    List<OffsetRange> ranges = IntStream.range(0, 2_000).mapToObj(p -> new OffsetRange("orders", p, 0, 10))
        .collect(Collectors.toList());
    HistoryEntry wide = new HistoryEntry.Committed(OffsetCommit.builder("j", 2, 1).ranges(ranges).build());
    byte[] packed = Layout.encodeHistory(wide);
    assertThat(packed).startsWith(0x1f, 0x8b);
    assertThat(packed.length).isLessThan(Layout.HISTORY_PLAIN_MAX);
    assertThat(Layout.decodeHistory(packed, PATH)).isEqualTo(wide);

    byte[] truncated = java.util.Arrays.copyOf(packed, packed.length / 2);
    assertThatThrownBy(() -> Layout.decodeHistory(truncated, PATH)).isInstanceOf(StoreCorruptedException.class)
        .hasMessageContaining("compressed history entry");
  }

  @Test
  void theEpochIsADecimalNumber() {
    assertThat(Layout.decodeEpoch(Layout.encodeEpoch(17), PATH)).isEqualTo(17);
    assertThatThrownBy(() -> Layout.decodeEpoch("seventeen".getBytes(StandardCharsets.UTF_8), PATH))
        .isInstanceOf(StoreCorruptedException.class);
  }
}
