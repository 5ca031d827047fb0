package io.tidemark.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.TopicPartition;

/**
 * A writer that commits consecutive batches of one job while a reader reads it, for backends'
 * fault tests: batch {@code n} moves each of {@value #PARTITIONS} partitions of topic
 * {@code events} from {@code n * STEP} to {@code (n + 1) * STEP}, so every read shows whether it
 * saw a whole commit and whether positions went back. Inject the fault between
 * {@link #awaitProgress} calls, then {@link #close()} and check with
 * {@link #assertEveryCommitAppliedOnceAndWhole}.
 *
 * <pre>{@code
 * try (CommitStream stream = CommitStream.start(writer, reader, "job")) {
 *   stream.awaitProgress(20, Duration.ofSeconds(90));
 *   cluster.killLeader();
 *   stream.awaitProgress(20, Duration.ofSeconds(90));
 * }
 * stream.assertEveryCommitAppliedOnceAndWhole(1000);
 * }</pre>
 */
public final class CommitStream implements AutoCloseable {
  /** Partitions every batch covers. */
  public static final int PARTITIONS = 4;
  /** Offsets every batch moves each partition by. */
  public static final long STEP = 10;

  private final OffsetStore writer;
  private final OffsetStore reader;
  private final String job;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicLong committed = new AtomicLong(-1);
  private final AtomicLong reads = new AtomicLong();
  private final List<CommitResult> results = new CopyOnWriteArrayList<>();
  private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
  private final Thread writing;
  private final Thread reading;

  private CommitStream(OffsetStore writer, OffsetStore reader, String job) {
    this.writer = writer;
    this.reader = reader;
    this.job = job;
    long epoch = writer.claim(job);
    this.writing = new Thread(() -> write(epoch), "commit-stream-writer");
    this.reading = new Thread(this::read, "commit-stream-reader");
  }

  /** Claims {@code job} through {@code writer} and starts committing and reading. */
  public static CommitStream start(OffsetStore writer, OffsetStore reader, String job) {
    CommitStream stream = new CommitStream(writer, reader, job);
    stream.writing.start();
    stream.reading.start();
    return stream;
  }

  /** Batch {@code id} of {@code job} under {@code epoch}; batch 0 declares where each partition starts. */
  public static OffsetCommit batch(String job, long id, long epoch) {
    OffsetCommit.Builder b = OffsetCommit.builder(job, id, epoch);
    for (int p = 0; p < PARTITIONS; p++) {
      b.range("events", p, id * STEP, (id + 1) * STEP);
    }
    if (id == 0) {
      b.starts(IntStream.range(0, PARTITIONS).boxed()
          .collect(Collectors.toMap(p -> new TopicPartition("events", p), p -> 0L)));
    }
    return b.build();
  }

  /** The positions after batch {@code batch}. */
  public static Map<TopicPartition, Long> positionsAfter(long batch) {
    return IntStream.range(0, PARTITIONS).boxed()
        .collect(Collectors.toMap(p -> new TopicPartition("events", p), p -> (batch + 1) * STEP));
  }

  private void write(long epoch) {
    for (long id = 0; !stop.get(); id++) {
      try {
        results.add(writer.commit(batch(job, id, epoch)));
        committed.set(id);
      } catch (RuntimeException e) {
        problems.add("commit of batch " + id + " failed: " + e);
        return;
      }
    }
  }

  private void read() {
    long last = -1;
    while (!stop.get()) {
      try {
        CommittedOffsets o = reader.read(job);
        reads.incrementAndGet();
        if (o.lastBatchId().isEmpty()) {
          continue;
        }
        long b = o.lastBatchId().getAsLong();
        if (!o.positions().equals(positionsAfter(b))) {
          problems.add("read a partial commit: batch " + b + " with positions " + o.positions());
        }
        if (b < last) {
          problems.add("positions went back from batch " + last + " to " + b);
        }
        last = b;
      } catch (RuntimeException e) {
        problems.add("read failed: " + e);
        return;
      }
    }
  }

  /**
   * Waits until the writer has committed and the reader has read {@code steps} more times,
   * failing at once on any problem either saw.
   */
  public void awaitProgress(int steps, Duration timeout) {
    long target = committed.get() + steps;
    long readTarget = reads.get() + steps;
    await().atMost(timeout).pollInterval(Duration.ofMillis(20))
        .until(() -> (committed.get() >= target && reads.get() >= readTarget) || !problems.isEmpty());
    assertThat(problems).as("what the writer and the reader saw").isEmpty();
  }

  /** The last batch committed, -1 before the first. */
  public long committed() {
    return committed.get();
  }

  /** The reads so far. */
  public long reads() {
    return reads.get();
  }

  /** Stops the writer and the reader and waits for them (at most four minutes each). */
  @Override
  public void close() throws InterruptedException {
    stop.set(true);
    writing.join(240_000);
    reading.join(240_000);
    assertThat(writing.isAlive() || reading.isAlive()).as("the writer and the reader stopped").isFalse();
  }

  /**
   * After {@link #close()}: nothing went wrong, every commit reported {@code APPLIED}, the job
   * stands at the last batch, and the newest {@code historyEntries} (or all) history entries are
   * that many consecutive whole commits.
   */
  public void assertEveryCommitAppliedOnceAndWhole(int historyEntries) {
    assertThat(problems).as("what the writer and the reader saw").isEmpty();
    long last = committed.get();
    assertThat(reads.get()).isPositive();
    assertThat(results).hasSize((int) last + 1).containsOnly(CommitResult.APPLIED);
    CommittedOffsets end = reader.read(job);
    assertThat(end.lastBatchId()).hasValue(last);
    assertThat(end.positions()).isEqualTo(positionsAfter(last));
    List<Long> ids = writer.history(job, historyEntries).stream().map(e -> ((HistoryEntry.Committed) e).commit())
        .peek(c -> assertThat(c.ranges()).hasSize(PARTITIONS)).map(OffsetCommit::batchId).toList();
    int expected = (int) Math.min(last + 1, historyEntries);
    assertThat(ids).isEqualTo(IntStream.range(0, expected).mapToObj(i -> last - i).toList());
  }
}
