package io.tidemark.offsets.internal;

import java.util.regex.Pattern;

/** Checks of names that end up in file names, znode paths and row keys. */
public final class Validation {
  /** Kafka's legal topic characters. */
  private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]+");
  /** Kafka's limit on topic names. */
  public static final int MAX_TOPIC_LENGTH = 249;
  /** Job ids follow the same rules, so they are safe as file names, znodes and row-key parts. */
  public static final int MAX_JOB_LENGTH = 249;

  private Validation() {}

  /** Returns {@code job} if it is a legal job id, else throws naming the bad value and the rule. */
  public static String jobId(String job) {
    return name(job, "job id", MAX_JOB_LENGTH);
  }

  /** Returns {@code topic} if it is a legal Kafka topic name, else throws naming the bad value and the rule. */
  public static String topic(String topic) {
    return name(topic, "topic name", MAX_TOPIC_LENGTH);
  }

  private static String name(String value, String what, int max) {
    if (value == null) {
      throw new IllegalArgumentException(what + " must not be null");
    }
    if (value.isEmpty()) {
      throw new IllegalArgumentException(what + " must not be empty");
    }
    if (value.equals(".") || value.equals("..")) {
      throw new IllegalArgumentException(what + " '" + value + "' is not allowed: '.' and '..' are reserved");
    }
    if (value.length() > max) {
      throw new IllegalArgumentException(what + " '" + value.substring(0, 20) + "...' is " + value.length()
          + " characters long; the limit is " + max);
    }
    if (!LEGAL.matcher(value).matches()) {
      throw new IllegalArgumentException(what + " '" + value + "' contains an illegal character; use only"
          + " ASCII letters, digits, '.', '_' and '-' (Kafka's legal topic characters)");
    }
    return value;
  }

  /** Requires a history limit {@code >= 0}. */
  public static int historyLimit(int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("history limit must be >= 0, got " + limit);
    }
    return limit;
  }

  /** Requires {@code value >= 0}. */
  public static long nonNegative(long value, String what) {
    if (value < 0) {
      throw new IllegalArgumentException(what + " must be >= 0, got " + value);
    }
    return value;
  }
}
