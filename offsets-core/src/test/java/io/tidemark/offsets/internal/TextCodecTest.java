package io.tidemark.offsets.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.PositionReset;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The file store's text format: exact encoding, round trips, and corrupt files named with their line. */
class TextCodecTest {

  private static final String JOB = "orders-job";
  private static final Instant T0 = Instant.parse("2026-11-25T10:15:30Z");
  private static final String SRC = "/data/tidemark/orders-job/state";
  private static final String HSRC = "/data/tidemark/orders-job/history/00000000000000000012";
  private static final String ADVICE = ". The file was changed outside Tidemark or by another version; restore it from a"
      + " backup, or rewind the job to explicit offsets after moving it aside.";

  private static TopicPartition tp(String topic, int partition) {
    return new TopicPartition(topic, partition);
  }

  // ---- states

  @Test
  void encodesTheDocumentedStateFormat() {
    CommittedOffsets o = CommittedOffsets.of(JOB, Map.of(tp("orders", 0), 1200L), OptionalLong.of(42), 3,
        Optional.of(T0));

    assertThat(TextCodec.encodeState(new TextCodec.State(o, 57))).isEqualTo("""
        tidemark-offsets 1
        job orders-job
        epoch 3
        batch 42
        time 2026-11-25T10:15:30Z
        history 57
        position orders 0 1200
        end
        """);
  }

  @Test
  void encodesAJobThatNeverCommitted() {
    assertThat(TextCodec.encodeState(new TextCodec.State(CommittedOffsets.none(JOB, 0), 0))).isEqualTo("""
        tidemark-offsets 1
        job orders-job
        epoch 0
        batch none
        time none
        history 0
        end
        """);
  }

  static Stream<Arguments> states() {
    Map<TopicPartition, Long> many = new LinkedHashMap<>();
    many.put(tp("orders.v1", 10), 5L);
    many.put(tp("orders.v1", 2), 0L);
    many.put(tp("click-stream", 0), Long.MAX_VALUE);
    many.put(tp("raw_events", 7), 123_456_789_012L);
    many.put(tp("a.b-c_d", 0), 1L);
    return Stream.of(
        Arguments.of("never committed", new TextCodec.State(CommittedOffsets.none(JOB, 0), 0)),
        Arguments.of("claimed, not committed", new TextCodec.State(CommittedOffsets.none("job.with-dots_", 9), 0)),
        Arguments.of("rewound to offsets before the first batch", new TextCodec.State(
            CommittedOffsets.of(JOB, Map.of(tp("orders", 0), 3L), OptionalLong.empty(), 2, Optional.empty()), 1)),
        Arguments.of("committed", new TextCodec.State(
            CommittedOffsets.of(JOB, many, OptionalLong.of(0), 1, Optional.of(Instant.parse("2026-01-01T00:00:00.123456789Z"))),
            4)),
        Arguments.of("large numbers", new TextCodec.State(
            CommittedOffsets.of(JOB, Map.of(tp("orders", Integer.MAX_VALUE), 1L), OptionalLong.of(Long.MAX_VALUE),
                Long.MAX_VALUE, Optional.of(T0)), Long.MAX_VALUE)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("states")
  void statesRoundTrip(String description, TextCodec.State state) {
    String text = TextCodec.encodeState(state);

    TextCodec.State decoded = TextCodec.decodeState(text, SRC);

    assertThat(decoded).isEqualTo(state);
    assertThat(decoded.offsets().positions().keySet()).containsExactlyElementsOf(state.offsets().positions().keySet());
    assertThat(TextCodec.encodeState(decoded)).isEqualTo(text);
  }

  @Test
  void commentsAndBlankLinesAreSkipped() {
    TextCodec.State s = TextCodec.decodeState("tidemark-offsets 1\n# written by hand\n\njob orders-job\nepoch 2\n"
        + "batch 5\ntime none\nhistory 6\nposition orders 1 77\nend\n", SRC);

    assertThat(s.offsets().positions()).isEqualTo(Map.of(tp("orders", 1), 77L));
    assertThat(s.offsets().lastBatchId()).hasValue(5);
    assertThat(s.historySeq()).isEqualTo(6);
  }

  // ---- history

  static Stream<Arguments> historyEntries() {
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("schema ids", "12, 15 and 19");
    metadata.put("tidemark.data-loss", "job orders-job skips orders-0[3, 10): offsets orders-0[3, 10) were deleted\n"
        + "job orders-job moves orders-1 from 90 to 0: the log ends at 40");
    metadata.put("percent", "100% done, %20 is not a space, %");
    metadata.put("empty", "");
    metadata.put("", "empty key");
    metadata.put("plus+and=equals&amp", "a+b=c&d");
    metadata.put("unicode", "\u00fcber \u2603 \ud83c\udf0a");
    metadata.put("tabs and crlf", "a\tb\r\nc");
    metadata.put("ends with end", "weekend");
    metadata.put("only spaces", "   ");
    OffsetCommit full = OffsetCommit.builder(JOB, 42, 3)
        .range("orders.v1", 0, 100, 200).range("click-stream", 12, 0, 0).range("raw_events", 3, 5, 9)
        .resets(List.of(new PositionReset(tp("orders.v1", 0), 40, 100, PositionReset.Reason.OFFSETS_DELETED),
            new PositionReset(tp("raw_events", 3), 900, 5, PositionReset.Reason.LOG_END_BELOW_POSITION)))
        .metadata(metadata).commitTime(Instant.parse("2026-03-01T12:00:00.123456789Z"))
        .build();
    OffsetCommit bare = OffsetCommit.builder(JOB, 0, 1).commitTime(T0).build();
    return Stream.of(
        Arguments.of("commit with ranges, both resets and odd metadata", new HistoryEntry.Committed(full)),
        Arguments.of("commit without ranges or metadata", new HistoryEntry.Committed(bare)),
        Arguments.of("rewind to a batch", new HistoryEntry.Rewound(5, T0, OptionalLong.of(3), OptionalLong.of(7),
            Map.of(tp("orders", 0), 70L, tp("orders", 1), 35L), OptionalLong.of(3),
            Map.of(tp("orders", 0), 40L, tp("orders", 1), 20L))),
        Arguments.of("rewind to explicit offsets", new HistoryEntry.Rewound(2, T0, OptionalLong.empty(),
            OptionalLong.of(7), Map.of(tp("orders.v1", 0), 70L), OptionalLong.of(7),
            Map.of(tp("orders.v1", 0), 12L, tp("new_topic-x", 4), 0L))),
        Arguments.of("rewind of a job without batches", new HistoryEntry.Rewound(1, T0, OptionalLong.empty(),
            OptionalLong.empty(), Map.of(), OptionalLong.empty(), Map.of(tp("orders", 0), 9L))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("historyEntries")
  void historyEntriesRoundTrip(String description, HistoryEntry entry) {
    String text = TextCodec.encodeHistory(entry);

    HistoryEntry decoded = TextCodec.decodeHistory(text, HSRC);

    assertThat(decoded).isEqualTo(entry);
    if (entry instanceof HistoryEntry.Committed c) {
      OffsetCommit back = ((HistoryEntry.Committed) decoded).commit();
      assertThat(back.metadata()).isEqualTo(c.commit().metadata());
      assertThat(back.commitTime()).isEqualTo(c.commit().commitTime());
      assertThat(back.epoch()).isEqualTo(c.commit().epoch());
    }
    assertThat(TextCodec.encodeHistory(decoded)).isEqualTo(text);
  }

  @Test
  void metadataIsOneLinePerEntryWithoutRawSpaces() {
    OffsetCommit c = OffsetCommit.builder(JOB, 1, 1).commitTime(T0).metadata("a key", "two\nlines").metadata("e", "")
        .build();

    assertThat(TextCodec.encodeHistory(new HistoryEntry.Committed(c))).isEqualTo("""
        tidemark-history 1
        kind commit
        job orders-job
        batch 1
        epoch 1
        time 2026-11-25T10:15:30Z
        meta a+key two%0Alines
        meta e %
        end
        """);
  }

  // ---- corrupt files

  static Stream<Arguments> corruptStates() {
    return Stream.of(
        Arguments.of("non-numeric offset",
            "tidemark-offsets 1\njob orders-job\nepoch 1\nbatch 3\ntime none\nhistory 0\nposition orders 0 12x\nend\n",
            SRC + " line 7: '12x' is not a number" + ADVICE),
        Arguments.of("non-numeric partition",
            "tidemark-offsets 1\njob orders-job\nepoch 1\nposition orders zero 12\nend\n",
            SRC + " line 4: 'zero' is not a number" + ADVICE),
        Arguments.of("non-numeric epoch",
            "tidemark-offsets 1\njob orders-job\nepoch three\nend\n",
            SRC + " line 3: 'three' is not a number" + ADVICE),
        Arguments.of("unknown record",
            "tidemark-offsets 1\njob orders-job\ncolor blue\nepoch 1\nend\n",
            SRC + " line 3: unknown record 'color'" + ADVICE),
        Arguments.of("record lacking a field",
            "tidemark-offsets 1\njob orders-job\nposition orders 0\nend\n",
            SRC + " line 3: record 'position orders 0' lacks field 3" + ADVICE),
        Arguments.of("bad time",
            "tidemark-offsets 1\njob orders-job\ntime yesterday\nend\n",
            SRC + " line 3: 'yesterday' is not an ISO-8601 instant" + ADVICE),
        Arguments.of("no job record",
            "tidemark-offsets 1\nepoch 1\nend\n",
            SRC + " line 3: no 'job' record" + ADVICE),
        Arguments.of("a record given twice",
            "tidemark-offsets 1\njob orders-job\nepoch 1\nepoch 2\nend\n",
            SRC + " line 4: record 'epoch' appears twice" + ADVICE),
        Arguments.of("a position given twice",
            "tidemark-offsets 1\njob orders-job\nposition orders 0 5\nposition orders 0 6\nend\n",
            SRC + " line 4: position of orders-0 appears twice" + ADVICE),
        Arguments.of("a negative partition",
            "tidemark-offsets 1\njob orders-job\nposition orders -1 5\nend\n",
            SRC + " line 3: partition '-1' is out of range" + ADVICE),
        Arguments.of("no batch record",
            "tidemark-offsets 1\njob orders-job\nepoch 1\ntime none\nhistory 0\nend\n",
            SRC + " line 6: no 'batch' record" + ADVICE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corruptStates")
  void corruptStatesNameTheFileAndTheLine(String description, String text, String message) {
    assertThatThrownBy(() -> TextCodec.decodeState(text, SRC))
        .isExactlyInstanceOf(TextCodec.CorruptFileException.class)
        .hasMessage(message);
  }

  @Test
  void aStateWithoutItsEndLineIsIncomplete() {
    String complete = TextCodec.encodeState(new TextCodec.State(
        CommittedOffsets.of(JOB, Map.of(tp("orders", 0), 1200L), OptionalLong.of(42), 3, Optional.of(T0)), 57));
    String torn = complete.substring(0, complete.indexOf("end\n"));

    assertThatThrownBy(() -> TextCodec.decodeState(torn, SRC))
        .isExactlyInstanceOf(TextCodec.CorruptFileException.class)
        .hasMessageStartingWith(SRC + " line ")
        .hasMessageContaining(": has no 'end' line: the file is incomplete" + ADVICE);
    assertThatThrownBy(() -> TextCodec.decodeState(complete.substring(0, complete.length() - 1), SRC))
        .isExactlyInstanceOf(TextCodec.CorruptFileException.class)
        .hasMessageContaining("has no 'end' line: the file is incomplete");
  }

  /**
   * Every prefix of a file that ends at a line break, short of the end line, is a torn write and
   * must be refused, also when the last line that made it happens to end in "end" (a job called
   * "frontend", a metadata value "backend").
   */
  @Test
  void aStateTornAfterAnyLineIsIncomplete() {
    String complete = TextCodec.encodeState(new TextCodec.State(CommittedOffsets.of("frontend",
        Map.of(tp("legend", 0), 1200L), OptionalLong.of(42), 3, Optional.of(T0)), 57));

    assertEveryTornPrefixIsRefused(complete, text -> TextCodec.decodeState(text, SRC));
  }

  @Test
  void aHistoryEntryTornAfterAnyLineIsIncomplete() {
    String complete = TextCodec.encodeHistory(new HistoryEntry.Committed(OffsetCommit.builder(JOB, 4, 2)
        .range("orders", 0, 10, 20).metadata("a", "backend").metadata("b", "second").commitTime(T0).build()));

    assertEveryTornPrefixIsRefused(complete, text -> TextCodec.decodeHistory(text, HSRC));
  }

  private static void assertEveryTornPrefixIsRefused(String complete, Consumer<String> decode) {
    String[] lines = complete.split("\n");
    assertThat(lines[lines.length - 1]).isEqualTo("end");
    StringBuilder prefix = new StringBuilder();
    for (int i = 0; i < lines.length - 1; i++) {
      prefix.append(lines[i]).append('\n');
      String torn = prefix.toString();
      Throwable thrown = catchThrowable(() -> decode.accept(torn));
      assertThat(thrown)
          .as("file torn after line %d '%s'", i + 1, lines[i])
          .isExactlyInstanceOf(TextCodec.CorruptFileException.class)
          .hasMessageContaining("has no 'end' line: the file is incomplete");
    }
  }

  @Test
  void aFileWithoutTheHeaderNamesLineOne() {
    assertThatThrownBy(() -> TextCodec.decodeState("job orders-job\nepoch 1\nend\n", SRC))
        .isExactlyInstanceOf(TextCodec.CorruptFileException.class)
        .hasMessage(SRC + " line 1: does not start with 'tidemark-offsets 1'" + ADVICE);
  }

  @Test
  void aFileOfTheOtherKindIsRefusedByItsHeader() {
    String history = TextCodec.encodeHistory(new HistoryEntry.Committed(
        OffsetCommit.builder(JOB, 0, 1).commitTime(T0).build()));
    String state = TextCodec.encodeState(new TextCodec.State(CommittedOffsets.none(JOB, 0), 0));

    assertThatThrownBy(() -> TextCodec.decodeState(history, SRC))
        .isExactlyInstanceOf(TextCodec.CorruptFileException.class)
        .hasMessageContaining(SRC + " line ")
        .hasMessageContaining("does not start with 'tidemark-offsets 1'");
    assertThatThrownBy(() -> TextCodec.decodeHistory(state, HSRC))
        .isExactlyInstanceOf(TextCodec.CorruptFileException.class)
        .hasMessageContaining(HSRC + " line ")
        .hasMessageContaining("does not start with 'tidemark-history 1'");
    assertThatThrownBy(() -> TextCodec.decodeState("", SRC))
        .isExactlyInstanceOf(TextCodec.CorruptFileException.class)
        .hasMessageContaining("does not start with 'tidemark-offsets 1'");
  }

  static Stream<Arguments> corruptHistories() {
    String head = "tidemark-history 1\nkind commit\njob orders-job\nbatch 4\nepoch 2\ntime 2026-11-25T10:15:30Z\n";
    return Stream.of(
        Arguments.of("non-numeric range offset", head + "range orders 0 10 2O\nend\n",
            HSRC + " line 7: '2O' is not a number" + ADVICE),
        Arguments.of("unknown record", head + "range orders 0 10 20\nowner alice\nend\n",
            HSRC + " line 8: unknown record 'owner'" + ADVICE),
        Arguments.of("unknown kind", "tidemark-history 1\nkind merge\nepoch 2\nend\n",
            HSRC + " line 4: unknown kind 'merge'" + ADVICE),
        Arguments.of("non-numeric batch", "tidemark-history 1\nkind commit\njob orders-job\nbatch four\nepoch 2\n"
                + "time 2026-11-25T10:15:30Z\nend\n",
            HSRC + " line 7: For input string: \"four\"" + ADVICE),
        Arguments.of("missing end line", head + "range orders 0 10 20\n",
            null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corruptHistories")
  void corruptHistoriesNameTheFileAndTheLine(String description, String text, String message) {
    if (message == null) {
      assertThatThrownBy(() -> TextCodec.decodeHistory(text, HSRC))
          .isExactlyInstanceOf(TextCodec.CorruptFileException.class)
          .hasMessageStartingWith(HSRC + " line ")
          .hasMessageContaining("has no 'end' line: the file is incomplete");
    } else {
      assertThatThrownBy(() -> TextCodec.decodeHistory(text, HSRC))
          .isExactlyInstanceOf(TextCodec.CorruptFileException.class)
          .hasMessage(message);
    }
  }

  static Stream<Arguments> invalidValuesInHistories() {
    String head = "tidemark-history 1\nkind commit\njob orders-job\nbatch 4\nepoch 2\ntime 2026-11-25T10:15:30Z\n";
    return Stream.of(
        Arguments.of("range ending before it starts", head + "range orders 0 20 10\nend\n", "line 7"),
        Arguments.of("illegal topic in a range", head + "range orders! 0 10 20\nend\n", "line 7"),
        Arguments.of("unknown reset reason", head + "range orders 0 10 20\nreset orders 0 5 10 BORED\nend\n", "line 8"));
  }

  /** A value the record types refuse is as corrupt as a malformed number: the error names the file and line. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidValuesInHistories")
  void invalidValuesInHistoriesAreCorruptFiles(String description, String text, String line) {
    assertThatThrownBy(() -> TextCodec.decodeHistory(text, HSRC))
        .isExactlyInstanceOf(TextCodec.CorruptFileException.class)
        .hasMessageStartingWith(HSRC + " " + line + ": ");
  }

  @Test
  void invalidValuesInStatesAreCorruptFiles() {
    assertThatThrownBy(() -> TextCodec.decodeState(
        "tidemark-offsets 1\njob orders-job\nepoch 1\nbatch 0\ntime none\nhistory 1\nposition orders 0 -5\nend\n", SRC))
        .isExactlyInstanceOf(TextCodec.CorruptFileException.class)
        .hasMessageStartingWith(SRC + " line ")
        .hasMessageContaining("position of orders-0 must be >= 0, got -5");
    assertThatThrownBy(() -> TextCodec.decodeState(
        "tidemark-offsets 1\njob bad/job\nepoch 1\nbatch none\ntime none\nhistory 0\nend\n", SRC))
        .isExactlyInstanceOf(TextCodec.CorruptFileException.class)
        .hasMessageContaining("job id 'bad/job' contains an illegal character");
  }
}
