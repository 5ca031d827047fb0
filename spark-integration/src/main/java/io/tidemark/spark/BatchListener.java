package io.tidemark.spark;

/**
 * Told of each batch's steps, on the driver, in the batch's own thread (for metrics, logs, or a
 * test that stops a driver at an exact point). Methods must be quick and must not throw.
 */
public interface BatchListener {
  /** Before the output of batch {@code batchId} runs. */
  default void beforeOutput(String job, long batchId) {}

  /** After the output of batch {@code batchId} returned. */
  default void afterOutput(String job, long batchId) {}

  /** After batch {@code batchId}'s positions were committed. */
  default void afterCommit(String job, long batchId) {}

  /** After a transactional output published batch {@code batchId} (for other outputs: right after the commit). */
  default void afterPublish(String job, long batchId) {}
}
