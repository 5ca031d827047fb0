package io.tidemark.offsets.internal;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.JobLockedException;
import io.tidemark.offsets.NoSuchJobException;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStoreException;
import io.tidemark.offsets.RewindTarget;
import io.tidemark.offsets.StoreCorruptedException;
import io.tidemark.offsets.StoreUnavailableException;
import io.tidemark.offsets.spi.CommitRules;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The {@code file:} store, the embedded default for one machine. Layout under the store's
 * directory:
 * <pre>
 * &lt;job&gt;/state                the job's position (see {@link TextCodec}), replaced atomically
 * &lt;job&gt;/history/&lt;seq&gt;         one history entry per file, the newest has the state's "history" number
 * &lt;job&gt;/lock                 held by the process that writes the job
 * &lt;job&gt;/deleted              after a delete: the epoch the delete took, where a new claim goes on
 * </pre>
 *
 * <p>Durability: each file is written to a temporary file, fsynced, renamed over the old one,
 * and the directory is fsynced ({@code file.fsync}). A commit writes its history entry first and
 * the state last, so a crash at any instant leaves either the old state or the new one; a
 * history entry newer than the state's number is an unfinished commit and is ignored.
 *
 * <p>Writers: the first write of a job (claim, commit, rewind, delete) takes an exclusive lock on
 * {@code <job>/lock}, held until {@link #close()}: a second process, or a second store instance
 * in this JVM, that writes the same job gets {@link JobLockedException}. Reads take no lock.
 * Thread-safe: operations are serialised per store.
 */
public final class FileOffsetStore implements OffsetStore {

  private static final String STATE = "state";
  private static final String HISTORY = "history";
  private static final String LOCK = "lock";
  private static final String DELETED = "deleted";

  private final Path root;
  private final boolean fsync;
  private final int historyMax;
  private final Clock clock;
  private final Faults faults;
  private final Map<String, Held> held = new HashMap<>();
  private boolean closed;

  /** A job this store holds the lock of, with its state as last written. */
  private static final class Held {
    final String job;
    final FileChannel channel;
    final FileLock lock;
    TextCodec.State state;
    /** The newest history entry, if it is a commit: what a retry is compared with. */
    Optional<OffsetCommit> lastCommit;

    Held(String job, FileChannel channel, FileLock lock, TextCodec.State state, Optional<OffsetCommit> lastCommit) {
      this.job = job;
      this.channel = channel;
      this.lock = lock;
      this.state = state;
      this.lastCommit = lastCommit;
    }
  }

  /**
   * A store in {@code root}.
   *
   * @param create create {@code root} if missing
   */
  public FileOffsetStore(Path root, boolean create, boolean fsync, int historyMax, Clock clock) {
    this(root, create, fsync, historyMax, clock, Faults.NONE);
  }

  /** For fault tests: {@code faults} fail the store's file operations where a test says. */
  FileOffsetStore(Path root, boolean create, boolean fsync, int historyMax, Clock clock, Faults faults) {
    this.faults = faults;
    this.root = root.toAbsolutePath().normalize();
    this.fsync = fsync;
    this.historyMax = historyMax;
    this.clock = clock;
    try {
      if (create) {
        Files.createDirectories(this.root);
      } else if (!Files.isDirectory(this.root)) {
        throw new StoreUnavailableException("offset store directory " + this.root
            + " does not exist; create it or set file.create=true", new NoSuchFileException(this.root.toString()));
      }
    } catch (IOException e) {
      throw new StoreUnavailableException("cannot create offset store directory " + this.root + ": " + e, e);
    }
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
    Held h = held.get(job);
    return h != null ? h.state.offsets() : readState(job).offsets();
  }

  @Override
  public synchronized CommitResult commit(OffsetCommit commit) {
    open();
    Held h = hold(commit.job());
    TextCodec.State current = h.state;
    CommitRules.Decision decision = CommitRules.check(current.offsets(), h.lastCommit, commit);
    if (!(decision instanceof CommitRules.Apply apply)) {
      return CommitResult.ALREADY_APPLIED;
    }
    long seq = current.historySeq() + 1;
    writeHistory(h, seq, new HistoryEntry.Committed(commit));
    writeState(h, new TextCodec.State(apply.next(), seq));
    h.lastCommit = Optional.of(commit);
    prune(h.job, seq);
    return CommitResult.APPLIED;
  }

  @Override
  public synchronized long claim(String job) {
    open();
    Held h = hold(job);
    CommittedOffsets next = h.state.offsets().withEpoch(h.state.offsets().epoch() + 1);
    writeState(h, new TextCodec.State(next, h.state.historySeq()));
    return next.epoch();
  }

  @Override
  public synchronized List<HistoryEntry> history(String job, int limit) {
    open();
    Validation.jobId(job);
    Validation.historyLimit(limit);
    Held h = held.get(job);
    long newest = h != null ? h.state.historySeq() : readState(job).historySeq();
    List<HistoryEntry> entries = new ArrayList<>();
    for (long seq = newest; seq > 0 && entries.size() < limit && seq > newest - historyMax; seq--) {
      Optional<HistoryEntry> e = readHistoryEntry(job, seq);
      if (e.isEmpty()) {
        break;
      }
      entries.add(e.get());
    }
    return entries;
  }

  @Override
  public synchronized CommittedOffsets rewind(String job, RewindTarget target) {
    open();
    Validation.jobId(job);
    if (!Files.exists(jobDir(job).resolve(STATE))) {
      throw new NoSuchJobException("job " + job + " is not in " + description() + "; known jobs: " + listJobs());
    }
    Held h = hold(job);
    CommitRules.Rewind r = CommitRules.rewind(h.state.offsets(), target, limit -> history(job, limit), clock.instant());
    long seq = h.state.historySeq() + 1;
    writeHistory(h, seq, r.entry());
    writeState(h, new TextCodec.State(r.next(), seq));
    h.lastCommit = Optional.empty();
    prune(job, seq);
    return r.next();
  }

  @Override
  public synchronized Set<String> listJobs() {
    open();
    Set<String> jobs = new TreeSet<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
      for (Path d : dirs) {
        if (Files.isRegularFile(d.resolve(STATE))) {
          jobs.add(d.getFileName().toString());
        }
      }
    } catch (IOException e) {
      throw new StoreUnavailableException("cannot list " + root + ": " + e, e);
    }
    return jobs;
  }

  @Override
  public synchronized boolean delete(String job) {
    open();
    Validation.jobId(job);
    Path dir = jobDir(job);
    if (!Files.exists(dir.resolve(STATE))) {
      return false;
    }
    Held h = hold(job);
    try {
      // the epoch the delete takes survives it (written first: a crash before the state is gone
      // leaves the job as it was), so a job created again never hands out an epoch twice
      writeAtomically(dir.resolve(DELETED), Long.toString(h.state.offsets().epoch() + 1) + "\n");
      Files.deleteIfExists(dir.resolve(STATE));
      syncDir(dir);
      Path history = dir.resolve(HISTORY);
      if (Files.isDirectory(history)) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(history)) {
          for (Path f : files) {
            Files.deleteIfExists(f);
          }
        }
        Files.deleteIfExists(history);
      }
    } catch (IOException e) {
      throw new StoreUnavailableException("cannot delete job " + job + " in " + root + ": " + e, e);
    } finally {
      // The lock file stays: unlinking it would let two processes lock two different files.
      release(job, h);
    }
    return true;
  }

  /** True: every commit is checked and applied in one atomic operation of the backend. */
  @Override
  public boolean isCompareAndSet() {
    return true;
  }

  @Override
  public String description() {
    return "file:" + root;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Map.Entry<String, Held> e : new ArrayList<>(held.entrySet())) {
      release(e.getKey(), e.getValue());
    }
  }

  @Override
  public String toString() {
    return description();
  }

  // ---- files

  private Path jobDir(String job) {
    return root.resolve(Validation.jobId(job));
  }

  private TextCodec.State readState(String job) {
    Path file = jobDir(job).resolve(STATE);
    try {
      TextCodec.State state = TextCodec.decodeState(Files.readString(file, StandardCharsets.UTF_8), file.toString());
      if (!state.offsets().job().equals(job)) {
        throw new StoreCorruptedException(file + " holds the state of job " + state.offsets().job() + ", not of job "
            + job + ": was a job directory copied or renamed? Move it back, or delete " + jobDir(job) + " and rewind"
            + " the job to explicit offsets.");
      }
      return state;
    } catch (NoSuchFileException e) {
      return new TextCodec.State(CommittedOffsets.none(job, deletedEpoch(job)), 0);
    } catch (IOException e) {
      throw new StoreUnavailableException("cannot read " + file + ": " + e, e);
    }
  }

  /** The epoch the job's last delete took, or 0 for a job never deleted. */
  private long deletedEpoch(String job) {
    Path file = jobDir(job).resolve(DELETED);
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8).strip();
      try {
        return Long.parseLong(text);
      } catch (NumberFormatException e) {
        throw new StoreCorruptedException(file + " holds '" + text + "', not the epoch of the job's delete. Write into"
            + " it an epoch above every epoch the job had (or delete the job directory if no driver of it can be running).");
      }
    } catch (NoSuchFileException e) {
      return 0;
    } catch (IOException e) {
      throw new StoreUnavailableException("cannot read " + file + ": " + e, e);
    }
  }

  /** The job's newest history entry {@code seq}, if it is a commit: what a retry is compared with. */
  private Optional<OffsetCommit> lastCommitOf(String job, long seq) {
    return readHistoryEntry(job, seq).filter(e -> e instanceof HistoryEntry.Committed)
        .map(e -> ((HistoryEntry.Committed) e).commit());
  }

  private Optional<HistoryEntry> readHistoryEntry(String job, long seq) {
    if (seq <= 0) {
      return Optional.empty();
    }
    Path file = historyFile(job, seq);
    try {
      return Optional.of(TextCodec.decodeHistory(Files.readString(file, StandardCharsets.UTF_8), file.toString()));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new StoreUnavailableException("cannot read " + file + ": " + e, e);
    }
  }

  private Path historyFile(String job, long seq) {
    return jobDir(job).resolve(HISTORY).resolve(String.format("%020d", seq));
  }

  private void writeHistory(Held h, long seq, HistoryEntry entry) {
    Path dir = jobDir(h.job).resolve(HISTORY);
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir);
        syncDir(dir.getParent());
      }
    } catch (IOException e) {
      throw new StoreUnavailableException("cannot create " + dir + ": " + e, e);
    }
    writeAtomically(historyFile(h.job, seq), TextCodec.encodeHistory(entry));
  }

  private void writeState(Held h, TextCodec.State state) {
    try {
      writeAtomically(jobDir(h.job).resolve(STATE), TextCodec.encodeState(state));
      h.state = state;
    } catch (RuntimeException e) {
      // the rename may have happened before the failure: believe the disk, not the cache (the
      // last commit too, so that a retry of a commit that did apply is recognised)
      try {
        h.state = readState(h.job);
        h.lastCommit = lastCommitOf(h.job, h.state.historySeq());
      } catch (RuntimeException reread) {
        e.addSuppressed(reread);
      }
      throw e;
    }
  }

  private void prune(String job, long newestSeq) {
    long old = newestSeq - historyMax;
    if (old > 0) {
      try {
        Files.deleteIfExists(historyFile(job, old));
      } catch (IOException e) {
        // best effort: an old entry left here is removed when the job is next locked
      }
    }
  }

  private void writeAtomically(Path target, String text) {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        if (fsync) {
          ch.force(true);
        }
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDir(target.getParent());
    } catch (IOException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // the temporary file is removed at the next lock of this job
      }
      throw new StoreUnavailableException("cannot write " + target + ": " + e, e);
    }
  }

  private void syncDir(Path dir) throws IOException {
    faults.beforeDirectorySync(dir);
    if (fsync) {
      try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
        ch.force(true);
      }
    }
  }

  // ---- the writer lock

  private Held hold(String job) {
    Validation.jobId(job);
    Held h = held.get(job);
    if (h != null) {
      return h;
    }
    Path dir = jobDir(job);
    Path lockFile = dir.resolve(LOCK);
    FileChannel ch = null;
    boolean held = false;
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir);
        syncDir(root);
      }
      ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        throw new JobLockedException("job " + job + " in " + description()
            + " is held by another offset store instance in this JVM; share one store per directory, or close the other");
      }
      if (lock == null) {
        String holder = Files.readString(lockFile, StandardCharsets.UTF_8).strip();
        throw new JobLockedException("job " + job + " in " + description() + " is being written by another process ("
            + (holder.isEmpty() ? "unknown" : holder) + "); stop that job first. The lock is " + lockFile
            + " and goes away when its holder exits.");
      }
      ch.truncate(0);
      ch.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
      removeTemporaryFiles(dir);
      TextCodec.State state = readState(job);
      sweepHistory(job, state.historySeq());
      Optional<OffsetCommit> last = lastCommitOf(job, state.historySeq());
      Held fresh = new Held(job, ch, lock, state, last);
      this.held.put(job, fresh);
      held = true;
      return fresh;
    } catch (IOException e) {
      throw new StoreUnavailableException("cannot lock job " + job + " at " + lockFile + ": " + e, e);
    } finally {
      if (!held && ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // already failing; closing releases any lock taken
        }
      }
    }
  }

  /**
   * Removes history files that no state refers to: unfinished commits (above the state's number)
   * and entries beyond the retained count (left by a crash before pruning, or a lowered limit).
   */
  private void sweepHistory(String job, long newestSeq) throws IOException {
    Path dir = jobDir(job).resolve(HISTORY);
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (!name.matches("\\d{20}")) {
          continue;
        }
        long seq = Long.parseLong(name);
        if (seq > newestSeq || seq <= newestSeq - historyMax) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  private static void removeTemporaryFiles(Path dir) throws IOException {
    for (Path d : List.of(dir, dir.resolve(HISTORY))) {
      if (!Files.isDirectory(d)) {
        continue;
      }
      try (DirectoryStream<Path> tmp = Files.newDirectoryStream(d, "*.tmp-*")) {
        for (Path f : tmp) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  private void release(String job, Held h) {
    held.remove(job);
    try {
      h.lock.release();
    } catch (IOException e) {
      // closing the channel releases it too
    }
    try {
      h.channel.close();
    } catch (IOException e) {
      // nothing more to do
    }
  }

  /** Faults a test injects where no real disk fails on demand: a directory fsync that fails after its rename. */
  @FunctionalInterface
  interface Faults {
    Faults NONE = dir -> {};

    void beforeDirectorySync(Path dir) throws IOException;
  }
}
