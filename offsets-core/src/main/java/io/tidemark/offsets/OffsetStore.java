package io.tidemark.offsets;

import java.util.List;
import java.util.Set;

/**
 * Where a job's Kafka positions live, with commits that are atomic and compare-and-set.
 *
 * <h2>Commit rules</h2>
 * {@link #commit} accepts a batch only as the exact successor of the stored state:
 * <ul>
 *   <li>the commit's epoch is the job's current writer epoch ({@link #claim}); otherwise
 *       {@link OffsetConflictException.Conflict#STALE_EPOCH};
 *   <li>its batch id is the last committed one plus one (any id for the job's first commit);
 *   <li>each range starts exactly at its partition's stored position ({@code GAP} or
 *       {@code OVERLAP} otherwise), unless a {@link PositionReset} in the commit names the stored
 *       position it replaces; a partition without a stored position starts exactly where the commit
 *       declares the start policy resolved it ({@link OffsetCommit#starts()}; {@code START_MISMATCH}
 *       otherwise);
 *   <li>all partitions are written or none, and readers never see a commit half-applied.
 * </ul>
 * Committing the batch that is already the last one stored ({@link OffsetCommit#sameBatchAs}),
 * under the epoch that stored it, is a no-op that returns {@link CommitResult#ALREADY_APPLIED}:
 * a commit whose outcome was unknown can be retried safely, even after another driver claimed the
 * job. Any other epoch gets {@code STALE_EPOCH}, even for identical ranges: a fenced driver that
 * ran the same batch as its successor must not publish it as its own. A retry whose answer was
 * lost is recognised as applied while the store still holds it: stores that keep history look for
 * the commit there, so a successor's later commits do not turn it into {@code STALE_EPOCH}.
 *
 * <h2>Threads and lifecycle</h2>
 * Implementations are thread-safe: any method may be called from several threads, and
 * concurrent commits of one job are serialised so that exactly one of competing batches wins.
 * A store is ready once opened; {@link #close()} is idempotent, and every other method of a
 * closed store throws {@link IllegalStateException} naming the store. Methods never return
 * {@code null}; arguments must not be {@code null}.
 *
 * <h2>Failures</h2>
 * {@link StoreUnavailableException} when the backend cannot be reached within its deadline;
 * {@link JobLockedException} where a backend allows one writer process per job.
 */
public interface OffsetStore extends AutoCloseable {

  /**
   * The job's committed position; {@link CommittedOffsets#isEmpty()} for a job that never
   * committed (never {@code null}).
   */
  CommittedOffsets read(String job);

  /**
   * Commits one batch atomically, if it follows the stored state exactly (see the class doc).
   *
   * @return {@link CommitResult#APPLIED}, or {@link CommitResult#ALREADY_APPLIED} for a retry of
   *     the last stored batch
   * @throws OffsetConflictException when a rule is broken; nothing is changed
   */
  CommitResult commit(OffsetCommit commit);

  /**
   * Makes the caller the job's only writer: returns a new writer epoch, one above the current
   * one. Commits under any older epoch are refused from then on, so a zombie driver cannot move
   * the offsets. Creates the job if it does not exist. A job id never gets the same epoch twice,
   * not even after {@link #delete}: a job created again goes on above the epochs it had.
   */
  long claim(String job);

  /** Up to {@code limit} history entries of the job, newest first; empty for an unknown job. */
  List<HistoryEntry> history(String job, int limit);

  /**
   * The job's newest commit, if its batch is still the job's last one: the newest history entry is
   * that commit, or only rewinds that kept its batch as the last came after it (a rewind to
   * explicit offsets, or to that very batch). Such rewinds leave the batch's output as it was, so
   * a transactional output that was committed and not yet published must still be published.
   * Empty for a job without commits, after a rewind to an earlier batch (the batches after it run
   * again), and when the retained history ends before the commit.
   *
   * <p>Reads {@link #history} newest first, one entry and then more only while the entries read
   * are such rewinds. Same thread-safety and failures as {@link #history}.
   */
  default java.util.Optional<OffsetCommit> newestCommitIfLast(String job) {
    int limit = 1;
    while (true) {
      List<HistoryEntry> entries = history(job, limit);
      java.util.OptionalLong kept = java.util.OptionalLong.empty();
      for (HistoryEntry e : entries) {
        if (e instanceof HistoryEntry.Committed c) {
          boolean last = kept.isEmpty() || c.commit().batchId() == kept.getAsLong();
          return last ? java.util.Optional.of(c.commit()) : java.util.Optional.empty();
        }
        HistoryEntry.Rewound r = (HistoryEntry.Rewound) e;
        if (r.lastBatchIdAfter().isEmpty() || !r.lastBatchIdAfter().equals(r.lastBatchIdBefore())
            || (kept.isPresent() && !kept.equals(r.lastBatchIdAfter()))) {
          return java.util.Optional.empty();
        }
        kept = r.lastBatchIdAfter();
      }
      if (entries.size() < limit || limit == Integer.MAX_VALUE) {
        return java.util.Optional.empty();
      }
      limit = limit > Integer.MAX_VALUE / 4 ? Integer.MAX_VALUE : limit * 4;
    }
  }

  /**
   * For operators: moves the job back to a batch or to explicit offsets, under a new writer epoch
   * (the running driver, if any, is fenced), and records the rewind in the history.
   *
   * @return the job's state after the rewind
   * @throws NoSuchJobException for a job the store does not have
   * @throws IllegalArgumentException when the batch is not in the retained history
   */
  CommittedOffsets rewind(String job, RewindTarget target);

  /** The ids of every job the store holds. */
  Set<String> listJobs();

  /**
   * Deletes the job, its positions and its history. Like a rewind, the delete takes a new epoch,
   * so the job's running driver, if any, is fenced; the store keeps that epoch (and nothing else)
   * after the job is gone, so that a job created again under the same id starts above it. A
   * deleted job is not listed, reads as {@linkplain CommittedOffsets#isEmpty() empty} (under
   * that epoch) and has no history. (The {@code kafka://} store keeps that epoch in a tombstone
   * offset, for as long as Kafka's offset retention keeps it.)
   *
   * @return whether it existed
   */
  boolean delete(String job);

  /**
   * Whether {@link #commit} is an atomic compare-and-set against every writer of the job, in any
   * process, so that of two drivers committing the same batch exactly one wins, and a driver fenced
   * by {@link #claim} can never commit again. True for the {@code file:}, {@code zk://} and
   * {@code hbase://} stores; a store that checks the rules only within its own process (the
   * {@code kafka://} store) says false, and the Spark adapters then refuse {@code EXACTLY_ONCE}.
   * False unless a store says otherwise: a backend must claim the guarantee to be trusted with it.
   */
  default boolean isCompareAndSet() {
    return false;
  }

  /** A description of the store for logs and messages, never containing credentials. */
  String description();

  /** Releases the store's resources. Idempotent. */
  @Override
  void close();
}
