package io.tidemark.spark.sink;

import java.io.Serializable;
import java.util.Map;

/**
 * An output in two steps around the commit, for {@link io.tidemark.spark.DeliveryGuarantee#EXACTLY_ONCE}
 * when the output cannot simply overwrite itself: {@link #prepare} writes the batch where readers
 * do not see it; the positions are committed together with what it prepared; {@link #publish}
 * then makes it visible. A driver that dies or is fenced before its commit never publishes, and
 * the next driver publishes the last committed batch again on start (so publish must be
 * idempotent) and discards what was prepared but never committed.
 *
 * @param <B> the batch type the adapter hands over
 */
public interface TransactionalOutput<B> extends Serializable {

  /**
   * Writes batch {@code batchId} where readers do not see it yet, on the driver (launching Spark
   * jobs as needed). The returned entries (short strings) are stored with the commit.
   */
  Map<String, String> prepare(B batch, long batchId) throws Exception;

  /** Makes the prepared batch visible. Idempotent: it may run again for a batch already published. */
  void publish(long batchId, Map<String, String> prepared) throws Exception;

  /**
   * At start: discards prepared output that was never committed (a crash, or a fenced driver),
   * given the last committed batch id (-1 if none) and what that batch prepared.
   */
  void discardUncommitted(long lastCommittedBatchId, Map<String, String> lastPrepared) throws Exception;
}
