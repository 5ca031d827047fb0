package io.tidemark.offsets;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * How a job's Kafka transactions are named and recorded, as {@code KafkaTransactionalSink}
 * (spark-integration) writes them and {@code tidemark transactions} (the CLI) reads them.
 *
 * <p>A transactional id is {@code <prefix>-<slot>-<task>}: the prefix is the job's
 * ({@code tidemark.<job>} by default), the slot is the batch id modulo 2, the task is the Spark
 * task's partition index. A batch's commit carries, under {@link #STORED_SLOT} and
 * {@link #STORED_TRANSACTIONS}, the slot and one entry per task:
 * {@code task/producerId/epoch/topic/partition/offset}, the last three saying where the task's
 * first record went.
 */
public final class KafkaOutputTransactions {
  /** The prepared entry naming the slot of the batch's transactional ids. */
  public static final String SLOT = "kafka.slot";
  /** The prepared entry listing the batch's transactions, comma-separated. */
  public static final String TRANSACTIONS = "kafka.txns";
  /** {@link #SLOT} as a commit's metadata holds it (the committer prefixes a sink's prepared entries with {@code sink.}). */
  public static final String STORED_SLOT = "sink." + SLOT;
  /** {@link #TRANSACTIONS} as a commit's metadata holds it. */
  public static final String STORED_TRANSACTIONS = "sink." + TRANSACTIONS;

  private KafkaOutputTransactions() {}

  /** The transactional id prefix of {@code job} unless the sink was given another. */
  public static String defaultPrefix(String job) {
    return "tidemark." + Objects.requireNonNull(job, "job");
  }

  /** The slot of a batch's transactional ids: batch N+1 never shares batch N's. */
  public static int slot(long batchId) {
    return (int) (batchId % 2);
  }

  /** The transactional id of {@code task} of a batch in {@code slot}. */
  public static String id(String prefix, int slot, int task) {
    return prefix + "-" + slot + "-" + task;
  }

  /** Whether {@code transactionalId} is one of the ids under {@code prefix} (not a longer prefix's, such as {@code <prefix>-x}). */
  public static boolean isOurs(String prefix, String transactionalId) {
    return Pattern.matches(Pattern.quote(prefix) + "-[01]-\\d+", transactionalId);
  }

  /** The task of one recorded entry ({@code task/producerId/epoch/topic/partition/offset}). */
  public static int task(String entry) {
    int slash = entry.indexOf('/');
    if (slash <= 0) {
      throw new IllegalArgumentException("not a recorded Kafka transaction: " + entry);
    }
    return Integer.parseInt(entry.substring(0, slash));
  }

  /**
   * The transactional ids a batch's entries hold: {@code entries} maps {@link #SLOT} and
   * {@link #TRANSACTIONS} (a sink's prepared entries) or {@link #STORED_SLOT} and
   * {@link #STORED_TRANSACTIONS} (a commit's metadata); none when it has neither.
   */
  public static Set<String> ids(String prefix, Map<String, String> entries) {
    String slot = entries.containsKey(SLOT) ? entries.get(SLOT) : entries.get(STORED_SLOT);
    String txns = entries.containsKey(TRANSACTIONS) ? entries.get(TRANSACTIONS) : entries.get(STORED_TRANSACTIONS);
    Set<String> ids = new TreeSet<>();
    if (slot == null || txns == null) {
      return ids;
    }
    for (String e : txns.split(",")) {
      if (!e.isEmpty()) {
        ids.add(id(prefix, Integer.parseInt(slot), task(e)));
      }
    }
    return ids;
  }
}
