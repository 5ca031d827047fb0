package io.tidemark.offsets.hbase.internal;

import io.tidemark.offsets.StoreCorruptedException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.ColumnFamilyDescriptor;
import org.apache.hadoop.hbase.client.ColumnFamilyDescriptorBuilder;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.client.TableDescriptor;
import org.apache.hadoop.hbase.client.TableDescriptorBuilder;
import org.apache.kafka.common.TopicPartition;

/**
 * The table design: every value is UTF-8 text that the HBase shell shows as it is.
 * <pre>
 * row &lt;job&gt;/head                              family h (head, no TTL):
 *                                                epoch, seq, batch, time, token, prev, entry
 *                                              family p (positions, no TTL):
 *                                                one column &lt;topic&gt;:&lt;partition&gt; = next offset
 * row &lt;job&gt;/hist/&lt;Long.MAX_VALUE - seq&gt;/&lt;token&gt;   family c (history, TTL history.ttl):
 *                                                kind, batch, epoch, time, prev, entry, and one
 *                                                column &lt;topic&gt;:&lt;partition&gt; = next offset per range
 * </pre>
 * The history sequence is written as 19 zero-padded digits of {@code Long.MAX_VALUE - seq}, so a
 * scan of {@code <job>/hist/} returns the newest entry first. Job ids and topic names never
 * contain {@code /} or {@code :}, so the keys and columns are unambiguous.
 *
 * <p>A commit is one {@code checkAndMutate} of the head row, conditioned on {@code h:seq} and
 * {@code h:epoch} being what the writer read. Each head names its history row by a random
 * {@code token} and the previous one by {@code prev}: history is the chain from the head, so a
 * history row whose commit lost its compare-and-set (or whose write raced another writer's) is
 * never mistaken for history.
 *
 * <p>A deleted job keeps its head row as a tombstone: {@code h:deleted} is {@code true},
 * {@code h:epoch} the epoch the delete took (which fences the job's driver), {@code h:seq} the
 * deleted job's last sequence number, {@code h:token} a random token of the delete's, and the
 * rest says "no batch": no batch and time, prev {@code -}, the entry and every position blank. A
 * claim creates the job again at the next epoch with {@code h:deleted} blank and the tombstone's
 * token, and its history goes on above that sequence number, so epochs never repeat for a job id
 * and the deleted job's history rows are told from the new ones.
 * Tombstones and cleared columns are written as Puts: an HBase delete marker hides a later Put
 * of the same cell stamped in the same millisecond.
 */
public final class Schema {
  private Schema() {}

  /** Head metadata. */
  public static final byte[] HEAD = bytes("h");
  /** Head positions. */
  public static final byte[] POSITIONS = bytes("p");
  /** History rows. */
  public static final byte[] HISTORY = bytes("c");

  public static final byte[] EPOCH = bytes("epoch");
  public static final byte[] SEQ = bytes("seq");
  public static final byte[] BATCH = bytes("batch");
  public static final byte[] TIME = bytes("time");
  public static final byte[] TOKEN = bytes("token");
  public static final byte[] PREV = bytes("prev");
  public static final byte[] ENTRY = bytes("entry");
  public static final byte[] KIND = bytes("kind");
  /** On a head: {@code true} when it is a deleted job's tombstone, blank otherwise. */
  public static final byte[] DELETED = bytes("deleted");

  /** The token of "no history entry". */
  public static final String NO_TOKEN = "-";
  /** The value of a column a delete or a rewind cleared: a position, an entry, the deleted mark. */
  public static final byte[] BLANK = new byte[0];

  /** Whether a head row read with its {@code h} family is a deleted job's tombstone. */
  public static boolean isTombstone(Result head) {
    byte[] deleted = head.getValue(HEAD, DELETED);
    return deleted != null && deleted.length > 0;
  }

  /** The head row of {@code job}. */
  public static byte[] headRow(String job) {
    return bytes(job + "/head");
  }

  /** The prefix of every history row of {@code job}. */
  public static byte[] historyPrefix(String job) {
    return bytes(job + "/hist/");
  }

  /** The history row of entry {@code seq} written under {@code token}. */
  public static byte[] historyRow(String job, long seq, String token) {
    return bytes(job + "/hist/" + String.format("%019d", Long.MAX_VALUE - seq) + "/" + token);
  }

  /** The sequence number in a history row key. */
  public static long seqOf(byte[] row, String job) {
    String key = text(row);
    String rest = key.substring(job.length() + "/hist/".length());
    int slash = rest.indexOf('/');
    try {
      return Long.MAX_VALUE - Long.parseLong(slash < 0 ? rest : rest.substring(0, slash));
    } catch (NumberFormatException e) {
      throw new StoreCorruptedException("row " + key + " is not a history row of job " + job);
    }
  }

  /** The token in a history row key. */
  public static String tokenOf(byte[] row) {
    String key = text(row);
    return key.substring(key.lastIndexOf('/') + 1);
  }

  /** The column of a partition's offset. */
  public static byte[] column(TopicPartition tp) {
    return bytes(tp.topic() + ":" + tp.partition());
  }

  /** The partition a position column names. */
  public static TopicPartition partitionOf(byte[] qualifier, String where) {
    String q = text(qualifier);
    int colon = q.lastIndexOf(':');
    try {
      return new TopicPartition(q.substring(0, colon), Integer.parseInt(q.substring(colon + 1)));
    } catch (RuntimeException e) {
      throw new StoreCorruptedException(where + ": column '" + q + "' is not 'topic:partition'. It was changed"
          + " outside Tidemark; restore it, or rewind the job to explicit offsets.");
    }
  }

  public static byte[] number(long n) {
    return bytes(Long.toString(n));
  }

  public static long number(byte[] value, String where) {
    if (value == null) {
      throw new StoreCorruptedException(where + " is missing. The head row was changed outside Tidemark; restore it,"
          + " or delete the job and start it from explicit offsets.");
    }
    try {
      return Long.parseLong(text(value));
    } catch (NumberFormatException e) {
      throw new StoreCorruptedException(where + " is '" + text(value) + "', not a number. It was changed outside"
          + " Tidemark; restore it, or rewind the job to explicit offsets.");
    }
  }

  public static byte[] optionalNumber(OptionalLong n) {
    return n.isPresent() ? number(n.getAsLong()) : bytes("none");
  }

  public static OptionalLong optionalNumber(byte[] value, String where) {
    return value != null && text(value).equals("none") ? OptionalLong.empty() : OptionalLong.of(number(value, where));
  }

  public static byte[] time(Optional<Instant> t) {
    return bytes(t.map(Instant::toString).orElse("none"));
  }

  public static Optional<Instant> time(byte[] value, String where) {
    if (value == null || text(value).equals("none")) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(text(value)));
    } catch (RuntimeException e) {
      throw new StoreCorruptedException(where + " is '" + text(value) + "', not a time. It was changed outside"
          + " Tidemark.");
    }
  }

  public static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  public static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  /**
   * The table as Tidemark creates it: three families of one version each, history with a TTL,
   * and regions split only between jobs (at the {@code /} after a job id), so that a job's head
   * and history rows always share a region and a commit stays one RPC.
   */
  public static TableDescriptor descriptor(TableName table, Duration historyTtl) {
    return TableDescriptorBuilder.newBuilder(table)
        .setColumnFamily(ColumnFamilyDescriptorBuilder.newBuilder(HEAD).setMaxVersions(1).build())
        .setColumnFamily(ColumnFamilyDescriptorBuilder.newBuilder(POSITIONS).setMaxVersions(1).build())
        .setColumnFamily(ColumnFamilyDescriptorBuilder.newBuilder(HISTORY).setMaxVersions(1)
            .setTimeToLive(ttlSeconds(historyTtl)).build())
        .setValue("hbase.regionserver.region.split_restriction.type", "DelimitedKeyPrefix")
        .setValue("hbase.regionserver.region.split_restriction.delimiter", "/")
        .build();
  }

  private static int ttlSeconds(Duration ttl) {
    return (int) Math.min(Integer.MAX_VALUE, ttl.toSeconds());
  }

  /**
   * What is wrong with an existing table, each with the HBase shell command that fixes it, or
   * empty when it has what the store needs: the three families, and no TTL on the head and
   * position families (it would expire the job's current position).
   */
  public static Optional<String> problems(TableDescriptor actual, Duration historyTtl) {
    String t = actual.getTableName().getNameAsString();
    StringBuilder b = new StringBuilder();
    for (byte[] family : new byte[][] {HEAD, POSITIONS, HISTORY}) {
      ColumnFamilyDescriptor f = actual.getColumnFamily(family);
      String name = text(family);
      if (f == null) {
        b.append("it has no column family '").append(name).append("' (fix: alter '").append(t).append("', {NAME => '")
            .append(name).append("', VERSIONS => 1")
            .append(family == HISTORY ? ", TTL => " + ttlSeconds(historyTtl) : "").append("}); ");
      } else if (family != HISTORY && f.getTimeToLive() != ColumnFamilyDescriptorBuilder.DEFAULT_TTL) {
        b.append("family '").append(name).append("' has a TTL of ").append(f.getTimeToLive())
            .append(" s, which would expire the job's current position (fix: alter '").append(t)
            .append("', {NAME => '").append(name).append("', TTL => 'FOREVER'}); ");
      }
    }
    return b.length() == 0 ? Optional.empty() : Optional.of(b.substring(0, b.length() - 2));
  }

  /** The TTL of an existing table's history family, when it differs from {@code historyTtl}. */
  public static Optional<Duration> otherHistoryTtl(TableDescriptor actual, Duration historyTtl) {
    ColumnFamilyDescriptor f = actual.getColumnFamily(HISTORY);
    return f == null || f.getTimeToLive() == ttlSeconds(historyTtl) ? Optional.empty()
        : Optional.of(Duration.ofSeconds(f.getTimeToLive()));
  }

  /** The HBase shell command that creates the table as Tidemark expects it. */
  public static String createCommand(TableName table, Duration historyTtl) {
    return "create '" + table.getNameAsString() + "', {NAME => 'h', VERSIONS => 1}, {NAME => 'p', VERSIONS => 1},"
        + " {NAME => 'c', VERSIONS => 1, TTL => " + ttlSeconds(historyTtl) + "}, {CONFIGURATION =>"
        + " {'hbase.regionserver.region.split_restriction.type' => 'DelimitedKeyPrefix',"
        + " 'hbase.regionserver.region.split_restriction.delimiter' => '/'}}";
  }
}
