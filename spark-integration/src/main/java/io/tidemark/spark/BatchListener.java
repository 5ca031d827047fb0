package io.tidemark.spark;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.OffsetConflictException;
import java.time.Duration;

/**
 * Told of each batch's steps, on the driver, in the batch's own thread (for metrics, logs, or a
 * test that stops a driver at an exact point). Methods must be quick. A listener that throws from
 * {@link #beforeOutput} or {@link #afterOutput} fails the batch (before its commit under the
 * at-least-once and exactly-once guarantees); one that throws from any method told after the
 * commit is logged and skipped, so that it never turns a committed batch into a failed one.
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

  /**
   * After the store answered batch {@code batchId}'s commit with {@code result}, {@code took}
   * after it was asked.
   */
  default void commitAnswered(String job, long batchId, CommitResult result, Duration took) {}

  /** After the store refused batch {@code batchId}'s commit ({@code conflict}), {@code took} after it was asked. */
  default void commitRefused(String job, long batchId, OffsetConflictException.Conflict conflict, Duration took) {}

  /** After batch {@code batchId} failed (or an adapter found it could not run): no later batch of this driver runs. */
  default void batchFailed(String job, long batchId, BatchFailedException failure) {}
}
