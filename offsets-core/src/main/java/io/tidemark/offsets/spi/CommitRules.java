package io.tidemark.offsets.spi;

import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetConflictException;
import io.tidemark.offsets.OffsetConflictException.Conflict;
import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.PositionReset;
import io.tidemark.offsets.RewindTarget;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.kafka.common.TopicPartition;

/**
 * The commit and rewind rules of {@link io.tidemark.offsets.OffsetStore}, as pure functions of
 * the stored state, for backends to apply under their own atomic write (a ZooKeeper
 * {@code multi}, an HBase {@code checkAndMutate}, a file rename). Every backend that uses them
 * refuses exactly the same commits with exactly the same messages.
 */
public final class CommitRules {
  private CommitRules() {}

  /** What to do with a commit that broke no rule. */
  public sealed interface Decision permits Apply, AlreadyApplied {}

  /** Write {@code next} (and the commit into the history). */
  public record Apply(CommittedOffsets next) implements Decision {}

  /**
   * The same batch, committed under the same epoch, is already the last one stored (a retry):
   * write nothing, report success.
   */
  public record AlreadyApplied() implements Decision {}

  /**
   * Checks {@code commit} against the stored state.
   *
   * @param current the stored state of the commit's job
   * @param lastCommit the last stored commit, if the store has it (needed to recognise a retry)
   * @param commit the commit
   * @return the decision
   * @throws OffsetConflictException naming the first rule broken
   */
  public static Decision check(CommittedOffsets current, Optional<OffsetCommit> lastCommit, OffsetCommit commit) {
    if (!current.job().equals(commit.job())) {
      throw new IllegalArgumentException("state of job " + current.job() + " checked against a commit of " + commit.job());
    }
    String job = commit.job();
    long batch = commit.batchId();
    OptionalLong last = current.lastBatchId();
    if (last.isPresent() && last.getAsLong() == batch && lastCommit.isPresent() && lastCommit.get().sameBatchAs(commit)
        && lastCommit.get().epoch() == commit.epoch()) {
      // only the epoch that committed the batch may hear that it is stored: a fenced driver that
      // ran the same ranges learns here that it is fenced, before it publishes anything
      return new AlreadyApplied();
    }
    if (commit.epoch() != current.epoch()) {
      String advice = commit.epoch() < current.epoch()
          ? "Another driver claimed the job after this one: this driver is a zombie and must stop."
          : "This epoch was never issued by the store: call claim(job) and commit under the epoch it returns.";
      throw new OffsetConflictException(Conflict.STALE_EPOCH, job, batch, null, "writer epoch " + current.epoch(),
          "epoch " + commit.epoch(), advice);
    }
    if (last.isPresent()) {
      long expected = last.getAsLong() + 1;
      if (batch < expected) {
        throw new OffsetConflictException(Conflict.STALE_BATCH, job, batch, null, "batch " + expected,
            "batch " + batch + (batch == last.getAsLong() ? " with other ranges than the stored batch " + batch : ""),
            "Batch " + batch + " is already committed; restart the job from the store's position.");
      }
      if (batch > expected) {
        throw new OffsetConflictException(Conflict.BATCH_ID_GAP, job, batch, null, "batch " + expected,
            "batch " + batch, "Batch ids must follow each other; commit batch " + expected + " next.");
      }
    }
    Map<TopicPartition, PositionReset> resets = new HashMap<>();
    commit.resets().forEach(r -> resets.put(r.partition(), r));
    Map<TopicPartition, Long> next = new HashMap<>(current.positions());
    for (OffsetRange range : commit.ranges()) {
      TopicPartition tp = range.topicPartition();
      OptionalLong stored = current.position(tp);
      PositionReset reset = resets.get(tp);
      if (reset != null) {
        if (stored.isEmpty() || stored.getAsLong() != reset.replacedPosition()) {
          throw new OffsetConflictException(Conflict.RESET_MISMATCH, job, batch, tp,
              stored.isPresent() ? "stored position " + stored.getAsLong() : "no stored position",
              "a reset replacing position " + reset.replacedPosition(),
              "Resolve the start position again from the store and rebuild the batch.");
        }
      } else if (stored.isEmpty()) {
        Long declared = commit.starts().get(tp);
        if (declared == null || declared != range.fromOffset()) {
          throw new OffsetConflictException(Conflict.START_MISMATCH, job, batch, tp,
              declared == null ? "a declared start (the partition has no stored position)" : "range starting at the declared start " + declared,
              declared == null ? range + " with no declared start" : range.toString(),
              "Resolve the start with StartPositionResolver and declare it with OffsetCommit.Builder.starts(resolved.positions()).");
        }
      } else {
        long s = stored.getAsLong();
        if (range.fromOffset() > s) {
          throw new OffsetConflictException(Conflict.GAP, job, batch, tp, "range starting at " + s,
              range + " (offsets [" + s + ", " + range.fromOffset() + ") would never be processed)",
              "Restart the job from the store's position, or declare the skip with a PositionReset.");
        }
        if (range.fromOffset() < s) {
          throw new OffsetConflictException(Conflict.OVERLAP, job, batch, tp, "range starting at " + s,
              range + " (offsets [" + range.fromOffset() + ", " + s + ") were already committed)",
              "Restart the job from the store's position.");
        }
      }
      next.put(tp, range.untilOffset());
    }
    return new Apply(CommittedOffsets.of(job, next, OptionalLong.of(batch), current.epoch(),
        Optional.of(commit.commitTime())));
  }

  /** The result of a rewind: the new state and the history entry that records it. */
  public record Rewind(CommittedOffsets next, HistoryEntry.Rewound entry) {}

  /**
   * Reads a job's newest history entries for {@link #rewind(CommittedOffsets, RewindTarget,
   * HistoryReader, Instant)}, as {@link io.tidemark.offsets.OffsetStore#history} does.
   *
   * @param <X> what the backend's reads throw
   */
  @FunctionalInterface
  public interface HistoryReader<X extends Exception> {
    /** Up to {@code limit} entries, newest first. */
    List<HistoryEntry> newest(int limit) throws X;
  }

  /**
   * Computes a rewind as {@link #rewind(CommittedOffsets, RewindTarget, List, Instant)} does,
   * reading only the history it needs: none for explicit offsets; for a batch, the entries newer
   * than that batch's commit, asking for more only when rewinds among them used up the first read.
   */
  public static <X extends Exception> Rewind rewind(CommittedOffsets current, RewindTarget target,
      HistoryReader<X> history, Instant now) throws X {
    if (!(target instanceof RewindTarget.ToBatch toBatch) || current.lastBatchId().isEmpty()
        || toBatch.batchId() > current.lastBatchId().getAsLong()) {
      return rewind(current, target, List.of(), now); // needs no history, or refuses without it
    }
    // without rewinds in between, batch k's commit is entry (last - k) counting from 0
    long needed = current.lastBatchId().getAsLong() - toBatch.batchId() + 2;
    int limit = (int) Math.min(Integer.MAX_VALUE, Math.max(needed, 2));
    while (true) {
      List<HistoryEntry> entries = history.newest(limit);
      try {
        return rewind(current, target, entries, now);
      } catch (IllegalArgumentException notFound) {
        if (entries.size() < limit || limit == Integer.MAX_VALUE) {
          throw notFound; // the whole retained history was read
        }
        limit = (int) Math.min(Integer.MAX_VALUE, limit * 4L);
      }
    }
  }

  /**
   * Computes a rewind of {@code current} under epoch {@code current.epoch() + 1}.
   *
   * @param history the job's retained history, newest first (only used for {@link RewindTarget.ToBatch})
   * @param now the time recorded in the history entry
   * @throws IllegalArgumentException when the batch is ahead of the last committed one or older
   *     than the retained history
   */
  public static Rewind rewind(CommittedOffsets current, RewindTarget target, List<HistoryEntry> history, Instant now) {
    long newEpoch = current.epoch() + 1;
    Map<TopicPartition, Long> positions;
    OptionalLong lastAfter;
    OptionalLong toBatch;
    if (target instanceof RewindTarget.ToOffsets explicit) {
      positions = new HashMap<>(current.positions());
      positions.putAll(explicit.positions());
      lastAfter = current.lastBatchId();
      toBatch = OptionalLong.empty();
    } else {
      long k = ((RewindTarget.ToBatch) target).batchId();
      toBatch = OptionalLong.of(k);
      if (current.lastBatchId().isEmpty() || k > current.lastBatchId().getAsLong()) {
        throw new IllegalArgumentException("job " + current.job() + " has committed "
            + (current.lastBatchId().isEmpty() ? "no batch" : "up to batch " + current.lastBatchId().getAsLong())
            + "; it cannot be rewound forward to batch " + k);
      }
      // Undo every entry newer than batch k's (latest) commit; rewinds in between are undone too.
      positions = new HashMap<>(current.positions());
      long last = current.lastBatchId().getAsLong();
      boolean found = false;
      for (HistoryEntry entry : history) {
        if (entry instanceof HistoryEntry.Committed c && c.commit().batchId() == k) {
          found = true;
          break;
        }
        if (entry instanceof HistoryEntry.Committed c) {
          OffsetCommit commit = c.commit();
          if (commit.batchId() != last) {
            throw new IllegalStateException("history of job " + current.job() + " is inconsistent: batch "
                + commit.batchId() + " found where batch " + last + " was expected");
          }
          Map<TopicPartition, Long> replaced = new HashMap<>();
          commit.resets().forEach(r -> replaced.put(r.partition(), r.replacedPosition()));
          for (OffsetRange r : commit.ranges()) {
            positions.put(r.topicPartition(), replaced.getOrDefault(r.topicPartition(), r.fromOffset()));
          }
          last = commit.batchId() - 1;
          if (last == k) { // undoing batch k + 1 leaves the state right after batch k
            found = true;
            break;
          }
        } else {
          HistoryEntry.Rewound r = (HistoryEntry.Rewound) entry;
          positions = new HashMap<>(r.positionsBefore());
          if (r.lastBatchIdBefore().isEmpty()) {
            last = -1;
            break;
          }
          last = r.lastBatchIdBefore().getAsLong();
        }
      }
      found = found || last == k;
      if (!found) {
        throw new IllegalArgumentException("batch " + k + " of job " + current.job()
            + " is older than the retained history (" + history.size() + " entries); rewind to explicit offsets instead");
      }
      lastAfter = OptionalLong.of(k);
    }
    CommittedOffsets next = CommittedOffsets.of(current.job(), positions, lastAfter, newEpoch, current.lastCommitTime());
    HistoryEntry.Rewound entry = new HistoryEntry.Rewound(newEpoch, now, toBatch, current.lastBatchId(),
        current.positions(), lastAfter, next.positions());
    return new Rewind(next, entry);
  }
}
