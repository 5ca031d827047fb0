package io.tidemark.offsets.spi;

import io.tidemark.offsets.internal.Validation;

/** The rules for job ids and topic names, for backends that build paths or keys from them. */
public final class Names {
  private Names() {}

  /** Returns {@code job} if it is a legal job id (Kafka's topic characters, at most 249), else throws naming it. */
  public static String jobId(String job) {
    return Validation.jobId(job);
  }

  /** Returns {@code topic} if it is a legal Kafka topic name, else throws naming it. */
  public static String topic(String topic) {
    return Validation.topic(topic);
  }
}
