package io.tidemark.offsets.zookeeper.internal;

import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.StoreCorruptedException;
import io.tidemark.offsets.spi.HistoryText;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The znode layout, under the store's root path:
 * <pre>
 * &lt;root&gt;/jobs/&lt;job&gt;/epoch                          "3": the writer epoch; claim bumps it
 * &lt;root&gt;/jobs/&lt;job&gt;/head                           "batch 42\nhistory 57\nhistory-first 1\n
 *                                                 time 2026-…Z\nbucket orders 0\n": the last batch,
 *                                                 the retained history window and the buckets
 * &lt;root&gt;/jobs/&lt;job&gt;/offsets/&lt;topic&gt;/&lt;first&gt;         one line "partition next-offset" per partition of
 *                                                 the bucket [first, first + 1000)
 * &lt;root&gt;/jobs/&lt;job&gt;/history/&lt;seq&gt;                 one history entry (the file store's text form;
 *                                                 gzip-compressed when over 16 KiB)
 * </pre>
 * A commit is one {@code multi}: check the epoch node's version, set the head at its expected
 * version, set (or create) each changed bucket, create the history entry and delete the ones
 * that fall out of the retained window. A read takes two round trips: the head, then one
 * read-only {@code multi} of the epoch, every bucket the head lists and the head again; an
 * unchanged head version proves the buckets belong to one commit. Buckets keep a 10,000-partition commit at about a dozen
 * operations whose data is plain decimal text, well inside ZooKeeper's 1 MB request limit. A
 * history entry repeats every range of its commit (about 45 bytes a partition), so entries
 * larger than {@value #HISTORY_PLAIN_MAX} bytes are stored gzip-compressed (they start with the
 * gzip magic bytes {@code 1f 8b}, which text never does).
 */
public final class Layout {
  /** Partitions per offsets znode. */
  public static final int BUCKET = 1000;
  /** History entries up to this many bytes are stored as plain text. */
  public static final int HISTORY_PLAIN_MAX = HistoryText.PLAIN_MAX_BYTES;

  private final String root;

  /** A layout under {@code root} ("" or "/a/b"). */
  public Layout(String root) {
    this.root = root.equals("/") ? "" : root;
  }

  public String jobs() {
    return root + "/jobs";
  }

  public String job(String job) {
    return jobs() + "/" + job;
  }

  public String epoch(String job) {
    return job(job) + "/epoch";
  }

  public String head(String job) {
    return job(job) + "/head";
  }

  public String offsets(String job) {
    return job(job) + "/offsets";
  }

  public String topic(String job, String topic) {
    return offsets(job) + "/" + topic;
  }

  public String bucket(String job, String topic, int first) {
    return topic(job, topic) + "/" + first;
  }

  public String history(String job) {
    return job(job) + "/history";
  }

  public String historyEntry(String job, long seq) {
    return history(job) + "/" + String.format("%020d", seq);
  }

  /** The first partition of {@code partition}'s bucket. */
  public static int bucketOf(int partition) {
    return partition / BUCKET * BUCKET;
  }

  /**
   * The head: last batch, the retained history window {@code [historyFirst, historySeq]}, last
   * commit time, and which offsets buckets exist (topic to first partitions), so that a reader
   * knows every node of a consistent snapshot from the head alone.
   */
  public record Head(OptionalLong lastBatchId, long historySeq, long historyFirst, Optional<Instant> lastCommitTime,
      SortedMap<String, SortedSet<Integer>> buckets) {
    public Head {
      SortedMap<String, SortedSet<Integer>> copy = new TreeMap<>();
      buckets.forEach((t, firsts) -> copy.put(t, Collections.unmodifiableSortedSet(new TreeSet<>(firsts))));
      buckets = Collections.unmodifiableSortedMap(copy);
    }

    /** The head of a job that has no commit yet. */
    public static Head empty() {
      return new Head(OptionalLong.empty(), 0, 1, Optional.empty(), new TreeMap<>());
    }

    public boolean hasBucket(String topic, int first) {
      SortedSet<Integer> firsts = buckets.get(topic);
      return firsts != null && firsts.contains(first);
    }
  }

  public static byte[] encodeHead(Head h) {
    StringBuilder b = new StringBuilder(64 + h.buckets().size() * 32);
    b.append("batch ").append(h.lastBatchId().isPresent() ? Long.toString(h.lastBatchId().getAsLong()) : "none")
        .append('\n').append("history ").append(h.historySeq()).append('\n')
        .append("history-first ").append(h.historyFirst()).append('\n')
        .append("time ").append(h.lastCommitTime().map(Instant::toString).orElse("none")).append('\n');
    h.buckets().forEach((topic, firsts) -> firsts.forEach(f -> b.append("bucket ").append(topic).append(' ')
        .append(f).append('\n')));
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  public static Head decodeHead(byte[] data, String path) {
    Map<String, String> fields = new TreeMap<>();
    SortedMap<String, SortedSet<Integer>> buckets = new TreeMap<>();
    try {
      for (String line : new String(data, StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        String[] w = line.split(" ", 2);
        if (w.length != 2) {
          throw corrupt(path, "line '" + line + "' has no value");
        }
        if (w[0].equals("bucket")) {
          String[] tf = w[1].split(" ");
          if (tf.length != 2 || !buckets.computeIfAbsent(tf[0], t -> new TreeSet<>()).add(Integer.parseInt(tf[1]))) {
            throw corrupt(path, "line '" + line + "' is not 'bucket topic first-partition' or repeats one");
          }
        } else if (fields.put(w[0], w[1]) != null) {
          throw corrupt(path, "line '" + w[0] + "' appears twice");
        }
      }
      String batch = require(fields, "batch", path);
      String time = require(fields, "time", path);
      return new Head(batch.equals("none") ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(batch)),
          Long.parseLong(require(fields, "history", path)), Long.parseLong(require(fields, "history-first", path)),
          time.equals("none") ? Optional.empty() : Optional.of(Instant.parse(time)), buckets);
    } catch (RuntimeException e) {
      if (e instanceof StoreCorruptedException s) {
        throw s;
      }
      throw corrupt(path, String.valueOf(e.getMessage()));
    }
  }

  public static byte[] encodeBucket(Map<Integer, Long> positions) {
    StringBuilder b = new StringBuilder(positions.size() * 16);
    new TreeMap<>(positions).forEach((p, o) -> b.append(p).append(' ').append(o).append('\n'));
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  public static Map<Integer, Long> decodeBucket(byte[] data, String path) {
    Map<Integer, Long> positions = new TreeMap<>();
    for (String line : new String(data, StandardCharsets.UTF_8).split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      String[] w = line.split(" ");
      try {
        if (w.length != 2 || positions.put(Integer.parseInt(w[0]), Long.parseLong(w[1])) != null) {
          throw corrupt(path, "line '" + line + "' is not 'partition offset' or repeats a partition");
        }
      } catch (NumberFormatException e) {
        throw corrupt(path, "line '" + line + "' is not 'partition offset'");
      }
    }
    return positions;
  }

  /** A history entry's data: its text, gzip-compressed when over {@link #HISTORY_PLAIN_MAX} bytes. */
  public static byte[] encodeHistory(HistoryEntry entry) {
    return HistoryText.encodeBytes(entry);
  }

  /** Reads a history entry's data back. */
  public static HistoryEntry decodeHistory(byte[] data, String path) {
    return HistoryText.decodeBytes(data, "znode " + path);
  }

  public static long decodeEpoch(byte[] data, String path) {
    try {
      return Long.parseLong(new String(data, StandardCharsets.UTF_8).trim());
    } catch (NumberFormatException e) {
      throw corrupt(path, "the epoch is not a number");
    }
  }

  public static byte[] encodeEpoch(long epoch) {
    return Long.toString(epoch).getBytes(StandardCharsets.UTF_8);
  }

  private static String require(Map<String, String> fields, String key, String path) {
    String v = fields.get(key);
    if (v == null) {
      throw corrupt(path, "no '" + key + "' line");
    }
    return v;
  }

  private static StoreCorruptedException corrupt(String path, String what) {
    return new StoreCorruptedException("znode " + path + ": " + what + ". It was changed outside Tidemark; restore it,"
        + " or rewind the job to explicit offsets.");
  }
}
