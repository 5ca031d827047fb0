package io.tidemark.spark;

/**
 * When a batch's positions are committed relative to its output, and so what a driver crash
 * can cost. The matrix, for a driver that dies during batch {@code N} and restarts from the store:
 *
 * <table>
 *   <caption>What a restart replays</caption>
 *   <tr><th>dies</th><th>{@link #AT_MOST_ONCE}</th><th>{@link #AT_LEAST_ONCE}</th><th>{@link #EXACTLY_ONCE}</th></tr>
 *   <tr><td>before the commit and the output</td><td>N again: nothing lost</td><td>N again</td><td>N again</td></tr>
 *   <tr><td>after the commit, during or before the output</td><td>N is lost (never replayed)</td>
 *       <td>(commit comes after the output)</td><td>(commit comes after the output is prepared)</td></tr>
 *   <tr><td>after the output, before the commit</td><td>(output comes after the commit)</td>
 *       <td>N again: its records are output twice</td><td>N again, under the same batch id: the
 *       idempotent output overwrites itself</td></tr>
 *   <tr><td>after both</td><td>N+1 next</td><td>N+1 next</td><td>N+1 next</td></tr>
 * </table>
 */
public enum DeliveryGuarantee {
  /** Commit the batch's positions, then run the output: a crash in between loses the batch, never repeats it. */
  AT_MOST_ONCE,
  /** Run the output, then commit: a crash in between repeats the batch, never loses it. */
  AT_LEAST_ONCE,
  /**
   * Run the output, then commit under the driver's claimed epoch: a crash in between replays the
   * batch under the same batch id. A replay keeps the id, not the records: it reads from the last
   * commit up to whatever is there at the restart. So the output ends exactly once when it is
   * idempotent by record (a key from topic, partition and offset, which a replay overwrites with
   * the same value), or when it is a {@link io.tidemark.spark.sink.TransactionalOutput}, which
   * publishes only what was committed. An output keyed by batch id alone must replace the whole
   * batch's earlier output, and a fenced driver's output can still land after the new driver's:
   * use a transactional output for that. A second driver fences the first: its next commit is
   * refused and it stops.
   */
  EXACTLY_ONCE
}
