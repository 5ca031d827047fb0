package io.tidemark.offsets.internal;

import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.PositionReset;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.kafka.common.TopicPartition;

/**
 * The file store's text format: one record per line, space-separated words, an {@code end} line
 * last. Humans can read it; offsets are plain decimal.
 *
 * <pre>
 * tidemark-offsets 1
 * job orders-job
 * epoch 3
 * batch 42
 * time 2026-11-25T10:15:30Z
 * history 57
 * position orders 0 1200
 * end
 * </pre>
 */
public final class TextCodec {
  static final String STATE_HEADER = "tidemark-offsets 1";
  static final String HISTORY_HEADER = "tidemark-history 1";
  private static final String NONE = "none";

  private TextCodec() {}

  /** A job's state plus the sequence number of its newest history entry. */
  public record State(CommittedOffsets offsets, long historySeq) {}

  /** Writes a state. */
  public static String encodeState(State s) {
    CommittedOffsets o = s.offsets();
    StringBuilder b = new StringBuilder(64 + o.positions().size() * 32);
    b.append(STATE_HEADER).append('\n');
    b.append("job ").append(o.job()).append('\n');
    b.append("epoch ").append(o.epoch()).append('\n');
    b.append("batch ").append(opt(o.lastBatchId())).append('\n');
    b.append("time ").append(o.lastCommitTime().map(Instant::toString).orElse(NONE)).append('\n');
    b.append("history ").append(s.historySeq()).append('\n');
    o.positions().forEach((tp, p) -> b.append("position ").append(tp.topic()).append(' ').append(tp.partition())
        .append(' ').append(p).append('\n'));
    return b.append("end\n").toString();
  }

  /** Reads a state; {@code source} names the file in errors. */
  public static State decodeState(String text, String source) {
    Lines lines = new Lines(text, source, STATE_HEADER);
    String job = null;
    long epoch = 0;
    OptionalLong batch = OptionalLong.empty();
    Optional<Instant> time = Optional.empty();
    long historySeq = 0;
    Map<TopicPartition, Long> positions = new HashMap<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (String[] w = lines.next(); w != null; w = lines.next()) {
      try {
      if (!w[0].equals("position") && !seen.add(w[0])) {
        throw lines.error("record '" + w[0] + "' appears twice");
      }
      switch (w[0]) {
        case "job" -> job = lines.word(w, 1);
        case "epoch" -> epoch = lines.number(w, 1);
        case "batch" -> batch = lines.optNumber(w, 1);
        case "time" -> time = NONE.equals(lines.word(w, 1)) ? Optional.empty() : Optional.of(lines.instant(w, 1));
        case "history" -> historySeq = lines.number(w, 1);
        case "position" -> {
          if (positions.put(new TopicPartition(lines.word(w, 1), lines.partition(w, 2)), lines.number(w, 3)) != null) {
            throw lines.error("position of " + w[1] + "-" + w[2] + " appears twice");
          }
        }
        default -> throw lines.error("unknown record '" + w[0] + "'");
      }
      } catch (IllegalArgumentException e) {
        throw lines.error(e.getMessage());
      }
    }
    for (String required : List.of("job", "epoch", "batch", "time", "history")) {
      if (!seen.contains(required)) {
        throw lines.error("no '" + required + "' record");
      }
    }
    try {
      return new State(CommittedOffsets.of(job, positions, batch, epoch, time), historySeq);
    } catch (IllegalArgumentException e) {
      throw lines.error(e.getMessage());
    }
  }

  /** Writes a history entry. */
  public static String encodeHistory(HistoryEntry entry) {
    StringBuilder b = new StringBuilder(HISTORY_HEADER).append('\n');
    if (entry instanceof HistoryEntry.Committed c) {
      OffsetCommit commit = c.commit();
      b.append("kind commit\n");
      b.append("job ").append(commit.job()).append('\n');
      b.append("batch ").append(commit.batchId()).append('\n');
      b.append("epoch ").append(commit.epoch()).append('\n');
      b.append("time ").append(commit.commitTime()).append('\n');
      for (OffsetRange r : commit.ranges()) {
        b.append("range ").append(r.topic()).append(' ').append(r.partition()).append(' ').append(r.fromOffset())
            .append(' ').append(r.untilOffset()).append('\n');
      }
      for (PositionReset r : commit.resets()) {
        b.append("reset ").append(r.partition().topic()).append(' ').append(r.partition().partition()).append(' ')
            .append(r.replacedPosition()).append(' ').append(r.newPosition()).append(' ').append(r.reason()).append('\n');
      }
      commit.starts().forEach((tp, o) -> b.append("start ").append(tp.topic()).append(' ').append(tp.partition())
          .append(' ').append(o).append('\n'));
      commit.metadata().forEach((k, v) -> b.append("meta ").append(pct(k)).append(' ').append(pct(v)).append('\n'));
    } else {
      HistoryEntry.Rewound r = (HistoryEntry.Rewound) entry;
      b.append("kind rewind\n");
      b.append("epoch ").append(r.epoch()).append('\n');
      b.append("time ").append(r.time()).append('\n');
      b.append("to-batch ").append(opt(r.toBatch())).append('\n');
      b.append("batch-before ").append(opt(r.lastBatchIdBefore())).append('\n');
      b.append("batch-after ").append(opt(r.lastBatchIdAfter())).append('\n');
      r.positionsBefore().forEach((tp, p) -> b.append("before ").append(tp.topic()).append(' ').append(tp.partition())
          .append(' ').append(p).append('\n'));
      r.positionsAfter().forEach((tp, p) -> b.append("after ").append(tp.topic()).append(' ').append(tp.partition())
          .append(' ').append(p).append('\n'));
    }
    return b.append("end\n").toString();
  }

  /** Reads a history entry; {@code source} names the file in errors. */
  public static HistoryEntry decodeHistory(String text, String source) {
    Lines lines = new Lines(text, source, HISTORY_HEADER);
    Map<String, String> single = new HashMap<>();
    List<OffsetRange> ranges = new ArrayList<>();
    List<PositionReset> resets = new ArrayList<>();
    Map<String, String> meta = new LinkedHashMap<>();
    Map<TopicPartition, Long> starts = new HashMap<>();
    Map<TopicPartition, Long> before = new HashMap<>();
    Map<TopicPartition, Long> after = new HashMap<>();
    for (String[] w = lines.next(); w != null; w = lines.next()) {
      try {
      switch (w[0]) {
        case "kind", "job", "batch", "epoch", "time", "to-batch", "batch-before", "batch-after" -> single.put(w[0], lines.word(w, 1));
        case "range" -> ranges.add(new OffsetRange(lines.word(w, 1), lines.partition(w, 2), lines.number(w, 3), lines.number(w, 4)));
        case "reset" -> resets.add(new PositionReset(new TopicPartition(lines.word(w, 1), lines.partition(w, 2)),
            lines.number(w, 3), lines.number(w, 4), PositionReset.Reason.valueOf(lines.word(w, 5))));
        case "meta" -> meta.put(unpct(lines.word(w, 1)), unpct(w.length > 2 ? w[2] : ""));
        case "start" -> starts.put(new TopicPartition(lines.word(w, 1), lines.partition(w, 2)), lines.number(w, 3));
        case "before" -> before.put(new TopicPartition(lines.word(w, 1), lines.partition(w, 2)), lines.number(w, 3));
        case "after" -> after.put(new TopicPartition(lines.word(w, 1), lines.partition(w, 2)), lines.number(w, 3));
        default -> throw lines.error("unknown record '" + w[0] + "'");
      }
      } catch (IllegalArgumentException e) {
        throw lines.error(e.getMessage());
      }
    }
    try {
      String kind = single.get("kind");
      if ("commit".equals(kind)) {
        return new HistoryEntry.Committed(OffsetCommit.builder(single.get("job"), Long.parseLong(single.get("batch")),
                Long.parseLong(single.get("epoch")))
            .ranges(ranges).resets(resets).starts(starts).metadata(meta).commitTime(Instant.parse(single.get("time"))).build());
      }
      if ("rewind".equals(kind)) {
        return new HistoryEntry.Rewound(Long.parseLong(single.get("epoch")), Instant.parse(single.get("time")),
            parseOpt(single.get("to-batch")), parseOpt(single.get("batch-before")), before,
            parseOpt(single.get("batch-after")), after);
      }
      throw lines.error("unknown kind '" + kind + "'");
    } catch (RuntimeException e) {
      if (e instanceof CorruptFileException c) {
        throw c;
      }
      throw lines.error(String.valueOf(e.getMessage()));
    }
  }

  private static String opt(OptionalLong v) {
    return v.isPresent() ? Long.toString(v.getAsLong()) : NONE;
  }

  private static OptionalLong parseOpt(String s) {
    return s == null || NONE.equals(s) ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(s));
  }

  private static String pct(String s) {
    return s.isEmpty() ? "%" : URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String unpct(String s) {
    return "%".equals(s) ? "" : URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  /** A file of the store that cannot be read back: torn, edited by hand, or of another format. */
  public static final class CorruptFileException extends io.tidemark.offsets.StoreCorruptedException {
    private static final long serialVersionUID = 1L;

    CorruptFileException(String message) {
      super(message);
    }
  }

  private static final class Lines {
    private final String[] all;
    private final String source;
    private int index;

    Lines(String text, String source, String header) {
      this.all = text.split("\n", -1);
      this.source = source;
      index = 1;
      if (all.length == 0 || !all[0].equals(header)) {
        throw error("does not start with '" + header + "'");
      }
      if (!text.endsWith("\nend\n")) {
        index = all.length;
        throw error("has no 'end' line: the file is incomplete");
      }
    }

    String[] next() {
      while (index < all.length) {
        String line = all[index++];
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        if (line.equals("end")) {
          return null;
        }
        return line.split(" ");
      }
      return null;
    }

    String word(String[] w, int i) {
      if (w.length <= i) {
        throw error("record '" + String.join(" ", w) + "' lacks field " + i);
      }
      return w[i];
    }

    long number(String[] w, int i) {
      try {
        return Long.parseLong(word(w, i));
      } catch (NumberFormatException e) {
        throw error("'" + w[i] + "' is not a number");
      }
    }

    int partition(String[] w, int i) {
      long p = number(w, i);
      if (p < 0 || p > Integer.MAX_VALUE) {
        throw error("partition '" + w[i] + "' is out of range");
      }
      return (int) p;
    }

    OptionalLong optNumber(String[] w, int i) {
      return NONE.equals(word(w, i)) ? OptionalLong.empty() : OptionalLong.of(number(w, i));
    }

    Instant instant(String[] w, int i) {
      try {
        return Instant.parse(word(w, i));
      } catch (RuntimeException e) {
        throw error("'" + w[i] + "' is not an ISO-8601 instant");
      }
    }

    CorruptFileException error(String what) {
      return new CorruptFileException(source + " line " + index + ": " + what
          + ". The file was changed outside Tidemark or by another version; restore it from a backup, or rewind"
          + " the job to explicit offsets after moving it aside.");
    }
  }
}
