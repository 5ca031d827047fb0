package io.tidemark.offsets.internal;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.NoSuchJobException;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.RewindTarget;
import io.tidemark.offsets.spi.CommitRules;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code memory:} store: state in this JVM, gone when it closes. For tests and examples.
 * Thread-safe: every operation holds the store's lock, and readers get immutable snapshots.
 */
public final class MemoryOffsetStore implements OffsetStore {

  private final String name;
  private final int historyMax;
  private final Clock clock;
  private final Map<String, Job> jobs = new HashMap<>();
  /** Per deleted job, the epoch its delete took: a later claim of the id goes on from there. */
  private final Map<String, Long> deletedEpochs = new HashMap<>();
  private boolean closed;

  private static final class Job {
    CommittedOffsets state;
    final Deque<HistoryEntry> history = new ArrayDeque<>();

    Job(CommittedOffsets state) {
      this.state = state;
    }
  }

  /** A store called {@code name} keeping {@code historyMax} entries per job. */
  public MemoryOffsetStore(String name, int historyMax, Clock clock) {
    this.name = name;
    this.historyMax = historyMax;
    this.clock = clock;
  }

  private void open() {
    if (closed) {
      throw new IllegalStateException("offset store " + description() + " is closed");
    }
  }

  @Override
  public synchronized CommittedOffsets read(String job) {
    open();
    Validation.jobId(job);
    Job j = jobs.get(job);
    return j == null ? absent(job) : j.state;
  }

  /** The state of a job the store does not hold: none, under the epoch of its delete if it was deleted. */
  private CommittedOffsets absent(String job) {
    return CommittedOffsets.none(job, deletedEpochs.getOrDefault(job, 0L));
  }

  @Override
  public synchronized CommitResult commit(OffsetCommit commit) {
    open();
    Job existing = jobs.get(commit.job());
    Job j = existing != null ? existing : new Job(absent(commit.job()));
    CommitRules.Decision d = CommitRules.check(j.state, lastCommit(j), commit);
    if (d instanceof CommitRules.Apply apply) {
      jobs.putIfAbsent(commit.job(), j);
      j.state = apply.next();
      push(j, new HistoryEntry.Committed(commit));
      return CommitResult.APPLIED;
    }
    return CommitResult.ALREADY_APPLIED;
  }

  private static Optional<OffsetCommit> lastCommit(Job j) {
    HistoryEntry newest = j.history.peekFirst();
    return newest instanceof HistoryEntry.Committed c ? Optional.of(c.commit()) : Optional.empty();
  }

  private void push(Job j, HistoryEntry e) {
    j.history.addFirst(e);
    while (j.history.size() > historyMax) {
      j.history.removeLast();
    }
  }

  @Override
  public synchronized long claim(String job) {
    open();
    Validation.jobId(job);
    Job j = jobs.computeIfAbsent(job, k -> new Job(absent(k)));
    j.state = j.state.withEpoch(j.state.epoch() + 1);
    return j.state.epoch();
  }

  @Override
  public synchronized List<HistoryEntry> history(String job, int limit) {
    open();
    Validation.jobId(job);
    Validation.historyLimit(limit);
    Job j = jobs.get(job);
    return j == null ? List.of() : List.copyOf(new ArrayList<>(j.history).subList(0, Math.min(limit, j.history.size())));
  }

  @Override
  public synchronized CommittedOffsets rewind(String job, RewindTarget target) {
    open();
    Validation.jobId(job);
    Job j = jobs.get(job);
    if (j == null) {
      throw new NoSuchJobException("job " + job + " is not in " + description() + "; known jobs: " + listJobs());
    }
    CommitRules.Rewind r = CommitRules.rewind(j.state, target, new ArrayList<>(j.history), clock.instant());
    j.state = r.next();
    push(j, r.entry());
    return j.state;
  }

  @Override
  public synchronized Set<String> listJobs() {
    open();
    return new TreeSet<>(jobs.keySet());
  }

  @Override
  public synchronized boolean delete(String job) {
    open();
    Validation.jobId(job);
    Job j = jobs.remove(job);
    if (j == null) {
      return false;
    }
    // the delete takes an epoch of its own, as a rewind does: the job's driver is fenced, and
    // the job id never hands out an epoch twice
    deletedEpochs.put(job, j.state.epoch() + 1);
    return true;
  }

  /** True: every commit is checked and applied in one atomic operation of the backend. */
  @Override
  public boolean isCompareAndSet() {
    return true;
  }

  @Override
  public String description() {
    return "memory:" + name;
  }

  @Override
  public synchronized void close() {
    closed = true;
    jobs.clear();
    deletedEpochs.clear();
  }

  @Override
  public String toString() {
    return description();
  }
}
