package io.tidemark.benchmarks;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency of {@link OffsetStore#commit} and {@link OffsetStore#read} of the {@code memory:} and
 * {@code file:} stores, by the number of partitions a job reads, with an anchor that lets the
 * file store's figures be quoted as ratios.
 *
 * <table>
 *   <caption>Benchmarks (average time per call, microseconds)</caption>
 *   <tr><th>method</th><th>measures</th></tr>
 *   <tr><td>{@code commit}</td><td>one {@code store.commit(batch)} of a batch covering every
 *       partition, as the exact successor of the stored state, so every call is
 *       {@link CommitResult#APPLIED}. The batch is built before the timed call (building it is
 *       the caller's cost, not the store's).</td></tr>
 *   <tr><td>{@code read}</td><td>one {@code store.read(job)} of a job with a position in every
 *       partition. For the file store a second store instance on the same directory reads, as a
 *       job starting up or a monitoring process would, so each read reads and decodes the state
 *       file; the instance that writes a job answers from the copy it keeps, at memory-store
 *       speed.</td></tr>
 *   <tr><td>{@code anchorRawAtomicWrite}</td><td>not a Tidemark operation: the bytes one
 *       file-store commit writes (its history entry and its state file, taken from a store this
 *       benchmark filled), each written to a temporary file with a plain {@link FileChannel},
 *       forced, renamed over the target with {@link Files#move} and its directory forced: the
 *       I/O the file store's durability needs and cannot avoid. {@code commit / anchor} is the
 *       store's cost relative to that I/O.</td></tr>
 * </table>
 *
 * <p>Parameters: {@code store} is {@code memory}, {@code file} ({@code file.fsync=true}, the
 * default) or {@code file-nofsync} ({@code file.fsync=false}); the anchor takes the two file
 * values and skips its forces for {@code file-nofsync} as the store does. {@code partitions} is
 * the number of partitions of one topic that every batch covers. Every store keeps
 * {@link StoreKind#HISTORY_MAX_ENTRIES} history entries.
 *
 * <p>Each trial gets a fresh store (in its own directory under {@code java.io.tmpdir}, deleted
 * afterwards), claims the job once and commits from then on under that epoch. Run with
 * {@code -jvmArgsAppend -Djava.io.tmpdir=DIR} to measure another disk.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class OffsetStoreBenchmark {

  /** The job every benchmark commits and reads. */
  static final String JOB = "bench-job";

  /** Commits one batch; see the class doc. */
  @Benchmark
  public CommitResult commit(CommitState s) {
    return s.writer.commit(s.pending);
  }

  /** Reads the job's committed position; see the class doc. */
  @Benchmark
  public CommittedOffsets read(ReadState s) {
    return s.reader.read(JOB);
  }

  /** Writes one file-store commit's bytes with plain java.nio; the anchor, see the class doc. */
  @Benchmark
  public void anchorRawAtomicWrite(AnchorState s) throws IOException {
    s.writeAtomically(s.historyTmp, s.historyTarget, s.historyBytes);
    s.writeAtomically(s.stateTmp, s.stateTarget, s.stateBytes);
  }

  /**
   * A store with a claimed job that has committed one batch, and the next batch to commit. The
   * next batch is built before each call ({@link Level#Invocation}): its offsets must continue
   * where the last commit ended, and the calls measured here take microseconds to milliseconds,
   * long enough for JMH's per-call timestamps not to matter.
   */
  @State(Scope.Thread)
  public static class CommitState {
    /** {@code memory}, {@code file} or {@code file-nofsync}. */
    @Param({"memory", "file", "file-nofsync"})
    public String store;

    /** Partitions every batch covers. */
    @Param({"1", "100", "1000", "10000"})
    public int partitions;

    TempDirectory dir;
    OffsetStore writer;
    Batches batches;
    OffsetCommit pending;

    /** Opens a fresh store, claims the job and commits its first batch. */
    @Setup(Level.Trial)
    public void open() {
      StoreKind kind = StoreKind.of(store);
      dir = TempDirectory.create();
      writer = kind.open(dir.path());
      batches = new Batches(JOB, writer.claim(JOB), partitions);
      writer.commit(batches.next());
    }

    /** Builds the batch the next call commits. */
    @Setup(Level.Invocation)
    public void nextBatch() {
      pending = batches.next();
    }

    /** Checks that every batch of the iteration was stored, so no call measured a refusal. */
    @TearDown(Level.Iteration)
    public void check() {
      long stored = writer.read(JOB).lastBatchId().orElse(-1);
      if (stored != batches.lastBatchId()) {
        throw new IllegalStateException(writer.description() + " stored batch " + stored + " of job " + JOB
            + " but batch " + batches.lastBatchId() + " was committed last");
      }
    }

    /** Closes the store and deletes its directory. */
    @TearDown(Level.Trial)
    public void close() {
      try {
        writer.close();
      } finally {
        dir.close();
      }
    }
  }

  /** A store with a job that has committed two batches, and the instance that reads it. */
  @State(Scope.Thread)
  public static class ReadState {
    /** {@code memory}, {@code file} or {@code file-nofsync}. */
    @Param({"memory", "file", "file-nofsync"})
    public String store;

    /** Partitions the job has a position in. */
    @Param({"1", "100", "1000", "10000"})
    public int partitions;

    TempDirectory dir;
    OffsetStore writer;
    OffsetStore reader;

    /**
     * Opens a fresh store, commits two batches, and opens the reader: the same instance for a
     * memory store (each open of {@code memory:} is a new store), a second instance on the same
     * directory for a file store.
     */
    @Setup(Level.Trial)
    public void open() {
      StoreKind kind = StoreKind.of(store);
      dir = TempDirectory.create();
      writer = kind.open(dir.path());
      Batches batches = new Batches(JOB, writer.claim(JOB), partitions);
      writer.commit(batches.next());
      writer.commit(batches.next());
      reader = kind.usesFiles() ? kind.open(dir.path()) : writer;
      int read = reader.read(JOB).positions().size();
      if (read != partitions) {
        throw new IllegalStateException(reader.description() + " read " + read + " positions of job " + JOB
            + " after commits of " + partitions + " partitions");
      }
    }

    /** Closes both instances and deletes the directory. */
    @TearDown(Level.Trial)
    public void close() {
      try {
        reader.close();
        writer.close();
      } finally {
        dir.close();
      }
    }
  }

  /** The bytes of one file-store commit, and where the anchor writes them. */
  @State(Scope.Thread)
  public static class AnchorState {
    /** {@code file} (forces each file and directory) or {@code file-nofsync} (no forces). */
    @Param({"file", "file-nofsync"})
    public String store;

    /** Partitions of the commit whose bytes are written. */
    @Param({"1", "100", "1000", "10000"})
    public int partitions;

    TempDirectory dir;
    boolean fsync;
    byte[] historyBytes;
    byte[] stateBytes;
    Path historyTmp;
    Path historyTarget;
    Path stateTmp;
    Path stateTarget;

    /**
     * Commits two batches to a file store and takes the files the second commit wrote: the
     * job's state file and its newest history entry (the layout of {@code file:} stores:
     * {@code <job>/state} and {@code <job>/history/<seq>}).
     */
    @Setup(Level.Trial)
    public void open() throws IOException {
      StoreKind kind = StoreKind.of(store);
      if (!kind.usesFiles()) {
        throw new IllegalArgumentException("anchorRawAtomicWrite writes files: run it with store=file or"
            + " store=file-nofsync, not " + store);
      }
      fsync = kind.fsync();
      dir = TempDirectory.create();
      Path storeDir = dir.path().resolve("store");
      try (OffsetStore s = kind.open(storeDir)) {
        Batches batches = new Batches(JOB, s.claim(JOB), partitions);
        s.commit(batches.next());
        s.commit(batches.next());
      }
      Path jobDir = storeDir.resolve(JOB);
      stateBytes = Files.readAllBytes(existing(jobDir.resolve("state")));
      historyBytes = Files.readAllBytes(newestFile(existing(jobDir.resolve("history"))));

      Path out = Files.createDirectories(dir.path().resolve("anchor").resolve("history"));
      historyTarget = out.resolve("entry");
      historyTmp = out.resolve("entry.tmp");
      stateTarget = out.getParent().resolve("state");
      stateTmp = out.getParent().resolve("state.tmp");
    }

    /** Deletes the directory. */
    @TearDown(Level.Trial)
    public void close() {
      dir.close();
    }

    /** Writes {@code bytes} to {@code tmp}, forces it, renames it over {@code target} and forces the directory. */
    void writeAtomically(Path tmp, Path target, byte[] bytes) throws IOException {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        if (fsync) {
          ch.force(true);
        }
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      if (fsync) {
        try (FileChannel d = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
          d.force(true);
        }
      }
    }

    private static Path existing(Path p) {
      if (!Files.exists(p)) {
        throw new IllegalStateException("the file store wrote no " + p + "; its layout changed, so update "
            + AnchorState.class.getName() + " to take the files one commit writes");
      }
      return p;
    }

    private static Path newestFile(Path dir) {
      try (Stream<Path> files = Files.list(dir)) {
        List<Path> sorted = files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().contains(".tmp"))
            .sorted(Comparator.comparing((Path f) -> f.getFileName().toString()).reversed())
            .collect(Collectors.toList());
        if (sorted.isEmpty()) {
          throw new IllegalStateException("the file store wrote no history entry in " + dir);
        }
        return sorted.get(0);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + dir, e);
      }
    }
  }
}
