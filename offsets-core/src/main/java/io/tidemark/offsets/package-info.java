/**
 * Where a Kafka → Spark job's positions live, and the rules that make "no loss, no duplicates"
 * checkable.
 *
 * <ul>
 *   <li>{@link io.tidemark.offsets.OffsetStore}: per-job positions with atomic, compare-and-set
 *       batch commits ({@link io.tidemark.offsets.OffsetCommit}), writer epochs that fence zombie
 *       drivers ({@link io.tidemark.offsets.OffsetStore#claim}), history and rewinds. Open one
 *       from a URI with {@link io.tidemark.offsets.OffsetStores#open}.
 *   <li>Values: {@link io.tidemark.offsets.OffsetRange} ({@code [fromOffset, untilOffset)}),
 *       {@link io.tidemark.offsets.CommittedOffsets}, {@link io.tidemark.offsets.HistoryEntry},
 *       {@link io.tidemark.offsets.PositionReset}.
 *   <li>Start positions: {@link io.tidemark.offsets.StartPositionResolver} with
 *       {@link io.tidemark.offsets.StartPosition} and the new-partition, lost-offsets,
 *       offsets-ahead and missing-topic policies; {@link io.tidemark.offsets.DataLossEvent}s for
 *       every offset a policy lets a job skip.
 *   <li>Lag: {@link io.tidemark.offsets.JobLag}.
 *   <li>Outputs' records in a commit: {@link io.tidemark.offsets.KafkaOutputTransactions}, how a
 *       Kafka output's transactions are named and recorded, for the sink and the command line.
 *   <li>Errors: {@link io.tidemark.offsets.OffsetConflictException} (a refused commit, with the
 *       rule it broke), {@link io.tidemark.offsets.StoreUnavailableException},
 *       {@link io.tidemark.offsets.JobLockedException}, {@link io.tidemark.offsets.StartPositionException},
 *       {@link io.tidemark.offsets.ConfigException}.
 * </ul>
 */
package io.tidemark.offsets;
