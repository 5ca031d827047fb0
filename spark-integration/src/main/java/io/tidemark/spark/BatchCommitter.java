package io.tidemark.spark;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetConflictException;
import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.PositionReset;
import io.tidemark.offsets.ResolvedStart;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's side of one job: claims the job, then runs each batch's output and commits its
 * positions in the order its {@link DeliveryGuarantee} asks for. The Spark adapters drive it; it
 * knows nothing of Spark, so the protocol is tested on its own.
 *
 * <p>Batch ids continue from the store: the first batch after a start is the stored last batch
 * plus one, so a batch replayed after a crash keeps its id. The first commit carries the start's
 * declared positions and resets (and its data-loss events), so the store accepts where the
 * policies moved the job. A batch with no records (and nothing to declare) is skipped: no output,
 * no commit.
 *
 * <p>After a failed batch (its output threw, or its commit was refused or could not be made) the
 * committer refuses every later batch: the job must restart from the store, which replays from
 * the last commit. Used from one thread at a time (Spark runs one batch at a time).
 */
public final class BatchCommitter {
  private static final Logger LOG = LoggerFactory.getLogger(BatchCommitter.class);

  /** The commit-metadata prefix of what a {@link io.tidemark.spark.sink.TransactionalOutput} prepared. */
  public static final String PREPARED_PREFIX = "sink.";
  /** The commit-metadata key recording the guarantee the batch ran under. */
  public static final String GUARANTEE_KEY = "tidemark.guarantee";

  private final OffsetStore store;
  private final String job;
  private final DeliveryGuarantee guarantee;
  private final long epoch;
  private long nextBatchId;
  private final Map<TopicPartition, Long> positions;
  /** {@link #positions} as of the last commit, for readers on other threads. */
  private volatile Map<TopicPartition, Long> committed;
  private final Map<TopicPartition, Long> pendingStarts;
  /** Whether {@link #startNewPartition} declared a start the store does not hold yet. */
  private boolean startDeclared;
  private List<PositionReset> pendingResets;
  private Map<String, String> pendingMetadata;
  private final List<BatchListener> listeners = new CopyOnWriteArrayList<>();
  private volatile BatchFailedException failure;
  private final Map<String, String> lastPrepared;
  private final ResolvedStart start;

  private BatchCommitter(OffsetStore store, String job, DeliveryGuarantee guarantee, long epoch,
      CommittedOffsets stored, ResolvedStart start, Map<String, String> lastPrepared) {
    this.store = store;
    this.job = job;
    this.guarantee = guarantee;
    this.epoch = epoch;
    this.nextBatchId = stored.nextBatchId().orElse(0L);
    this.positions = new HashMap<>(stored.positions());
    this.committed = Map.copyOf(positions);
    this.pendingStarts = new HashMap<>();
    start.positions().forEach((tp, offset) -> {
      if (!stored.positions().containsKey(tp)) {
        pendingStarts.put(tp, offset);
      }
    });
    this.pendingResets = start.resets();
    this.pendingMetadata = start.commitMetadata();
    this.lastPrepared = lastPrepared;
    this.start = start;
  }

  /**
   * Claims {@code job} (fencing any driver still running it), then reads its stored state and
   * resolves where it starts with {@code resolve}, and returns its committer. Claiming first means
   * no other driver can commit between the read and this driver's first batch.
   *
   * @param resolve from the stored state to the start (typically a {@code StartPositionResolver}
   *     over the live cluster); the job must begin reading at {@link ResolvedStart#positions()}
   */
  public static BatchCommitter claim(OffsetStore store, String job, DeliveryGuarantee guarantee,
      java.util.function.Function<CommittedOffsets, ResolvedStart> resolve) {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(guarantee, "guarantee");
    long epoch = store.claim(job);
    CommittedOffsets stored = store.read(job);
    ResolvedStart start = resolve.apply(stored);
    Map<String, String> prepared = lastPrepared(store, job);
    LOG.info("job {} claimed with epoch {} ({}): next batch {}, {} partitions stored, start {}", job, epoch, guarantee,
        stored.nextBatchId().orElse(0L), stored.positions().size(), start);
    return new BatchCommitter(store, job, guarantee, epoch, stored, start, prepared);
  }

  /**
   * What the last committed batch prepared (its {@code sink.*} metadata, without the prefix): the
   * metadata of {@link OffsetStore#newestCommitIfLast}, which looks through an operator's rewinds
   * that kept that batch as the last one (its output may be committed and not yet published).
   */
  static Map<String, String> lastPrepared(OffsetStore store, String job) {
    Map<String, String> prepared = new TreeMap<>();
    store.newestCommitIfLast(job).ifPresent(c -> c.metadata().forEach((k, v) -> {
      if (k.startsWith(PREPARED_PREFIX)) {
        prepared.put(k.substring(PREPARED_PREFIX.length()), v);
      }
    }));
    return prepared;
  }

  /** Where this driver started, as resolved at its claim. */
  public ResolvedStart start() {
    return start;
  }

  /** The job. */
  public String job() {
    return job;
  }

  /** The epoch this driver claimed. */
  public long epoch() {
    return epoch;
  }

  /** The guarantee. */
  public DeliveryGuarantee guarantee() {
    return guarantee;
  }

  /** The id the next batch will get. */
  public long nextBatchId() {
    return nextBatchId;
  }

  /**
   * What the last committed batch's transactional output prepared (its {@code sink.*} metadata,
   * without the prefix), for recovery; also after an operator's rewind that kept that batch as the
   * last one. Empty when there is none to publish again.
   */
  public Map<String, String> lastPrepared() {
    return Map.copyOf(lastPrepared);
  }

  /** The batch that failed, if one did: no later batch runs. */
  public java.util.Optional<BatchFailedException> failure() {
    return java.util.Optional.ofNullable(failure);
  }

  /**
   * Records a batch failure an adapter found before running the batch (for example a batch that
   * reads below the job's position): no later batch runs. Returns {@code failure} for throwing.
   */
  public BatchFailedException fail(BatchFailedException failure) {
    this.failure = Objects.requireNonNull(failure, "failure");
    tell(l -> l.batchFailed(job, failure.batchId(), failure));
    return failure;
  }

  /** Adds a listener told of each batch's steps (on the driver, in the batch's thread). */
  public void addListener(BatchListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** One batch's work, run by {@link #runBatch}. */
  public interface BatchWork {
    /**
     * Runs (or prepares) the output of batch {@code batchId}; returns what a transactional output
     * prepared (stored with the commit under {@code sink.}), or an empty map.
     */
    Map<String, String> output(long batchId) throws Exception;

    /** After the commit: publishes what {@link #output} prepared. Default: nothing. */
    default void afterCommit(long batchId, Map<String, String> prepared) throws Exception {}
  }

  /** What became of a batch. */
  public enum Outcome {
    /** Output run and positions committed. */
    COMMITTED,
    /** No records and nothing to declare: neither output nor commit. */
    SKIPPED_EMPTY
  }

  /**
   * Runs one batch: its output and its commit, ordered by the guarantee.
   *
   * @param ranges the batch's offset ranges, one per partition read (empty ones included)
   * @param metadata extra commit metadata (for example the writer schema ids the batch saw)
   * @throws BatchFailedException when the output or the commit failed; nothing later runs
   */
  public Outcome runBatch(List<OffsetRange> ranges, Map<String, String> metadata, BatchWork work) {
    if (failure != null) {
      throw new BatchFailedException(job, nextBatchId, "an earlier batch (" + failure.batchId() + ") failed, so"
          + " this driver runs no more batches; restart the job to replay from the store", failure);
    }
    boolean empty = ranges.stream().allMatch(r -> r.count() == 0);
    if (empty && pendingResets.isEmpty() && pendingMetadata.isEmpty() && !startDeclared) {
      return Outcome.SKIPPED_EMPTY;
    }
    long batchId = nextBatchId;
    long records = ranges.stream().mapToLong(OffsetRange::count).sum();
    try {
      Map<String, String> prepared;
      switch (guarantee) {
        case AT_MOST_ONCE -> {
          commit(batchId, ranges, metadata, Map.of());
          try {
            prepared = outputStep(batchId, work);
          } catch (Exception e) {
            LOG.error("job {} batch {}: the output failed after the commit; its {} records are not replayed"
                + " (at-most-once)", job, batchId, records);
            throw e;
          }
        }
        case AT_LEAST_ONCE, EXACTLY_ONCE -> {
          prepared = outputStep(batchId, work);
          commit(batchId, ranges, metadata, prepared);
        }
        default -> throw new IllegalStateException(guarantee.toString());
      }
      work.afterCommit(batchId, prepared);
      tell(l -> l.afterPublish(job, batchId));
      return Outcome.COMMITTED;
    } catch (BatchFailedException e) {
      failure = e;
      tell(l -> l.batchFailed(job, batchId, e));
      throw e;
    } catch (Exception e) {
      boolean committed = nextBatchId > batchId;
      String what;
      if (committed && guarantee != DeliveryGuarantee.AT_MOST_ONCE) {
        what = ". It was committed; only what follows the commit (publishing its output) failed: a restart"
            + " publishes it again";
      } else if (committed) {
        what = ". It was committed before its output (at-most-once): its records are not replayed";
      } else {
        what = ". It was not committed (unless the store applied the commit and the answer was lost; the store"
            + " tells at the restart): a restart replays it from the store";
      }
      BatchFailedException failed = new BatchFailedException(job, batchId, "batch " + batchId + " of job " + job
          + " failed: " + e + what, e);
      failure = failed;
      tell(l -> l.batchFailed(job, batchId, failed));
      throw failed;
    }
  }

  private Map<String, String> outputStep(long batchId, BatchWork work) throws Exception {
    listeners.forEach(l -> l.beforeOutput(job, batchId));
    Map<String, String> prepared = work.output(batchId);
    listeners.forEach(l -> l.afterOutput(job, batchId));
    return prepared == null ? Map.of() : prepared;
  }

  private void commit(long batchId, List<OffsetRange> given, Map<String, String> metadata,
      Map<String, String> prepared) {
    List<OffsetRange> ranges = new ArrayList<>(given);
    // resets and the starts of partitions new to the store are committed with the first batch,
    // with an empty range where the batch read nothing, so the store keeps where they begin
    Map<TopicPartition, Long> declare = new LinkedHashMap<>(pendingStarts);
    pendingResets.forEach(r -> declare.put(r.partition(), r.newPosition()));
    declare.forEach((tp, at) -> {
      if (ranges.stream().noneMatch(g -> g.topicPartition().equals(tp))) {
        ranges.add(OffsetRange.of(tp, at, at));
      }
    });
    OffsetCommit.Builder b = OffsetCommit.builder(job, batchId, epoch).ranges(ranges).resets(pendingResets);
    Map<TopicPartition, Long> starts = new LinkedHashMap<>();
    for (OffsetRange r : ranges) {
      TopicPartition tp = r.topicPartition();
      if (!positions.containsKey(tp)) {
        // a partition new to the store: declared where the resolver put it, or, for one that
        // appeared while the job ran, where the stream began reading it
        starts.put(tp, pendingStarts.getOrDefault(tp, r.fromOffset()));
      }
    }
    b.starts(starts).metadata(pendingMetadata).metadata(metadata).metadata(GUARANTEE_KEY, guarantee.name());
    prepared.forEach((k, v) -> b.metadata(PREPARED_PREFIX + k, v));
    OffsetCommit commit = b.build();
    CommitResult result;
    long asked = System.nanoTime();
    try {
      result = store.commit(commit);
    } catch (OffsetConflictException e) {
      Duration took = Duration.ofNanos(System.nanoTime() - asked);
      tell(l -> l.commitRefused(job, batchId, e.conflict(), took));
      if (e.conflict() == OffsetConflictException.Conflict.STALE_EPOCH) {
        throw new DriverFencedException(job, batchId, epoch, e);
      }
      throw new BatchFailedException(job, batchId, "the store refused batch " + batchId + " of job " + job + ": "
          + e.getMessage(), e);
    }
    Duration took = Duration.ofNanos(System.nanoTime() - asked);
    for (OffsetRange r : ranges) {
      positions.put(r.topicPartition(), r.untilOffset());
    }
    committed = Map.copyOf(positions);
    tell(l -> l.commitAnswered(job, batchId, result, took));
    pendingResets = List.of();
    pendingMetadata = Map.of();
    pendingStarts.clear();
    startDeclared = false;
    nextBatchId = batchId + 1;
    LOG.debug("job {} batch {}: {} ({} records)", job, batchId, result, commit.offsetCount());
    tell(l -> l.afterCommit(job, batchId));
  }

  /**
   * The positions this driver has committed (or found stored), per partition: an immutable
   * snapshot, safe to read from any thread (the metrics' lag gauges do).
   */
  public Map<TopicPartition, Long> positions() {
    return committed;
  }

  /** Tells every listener, in the batch's thread; a listener that throws is logged and skipped. */
  private void tell(java.util.function.Consumer<BatchListener> event) {
    for (BatchListener l : listeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        LOG.warn("job {}: batch listener {} threw; ignored: {}", job, l, e.toString());
      }
    }
  }

  /**
   * Declares where a partition the store does not hold yet starts (for example one that appeared
   * while the job ran, started at its end): the next batches start there, and the next commit
   * records it: the batch that declared it is committed even when it holds no record.
   */
  public void startNewPartition(TopicPartition partition, long position) {
    if (!positions.containsKey(partition)) {
      pendingStarts.put(partition, position);
      startDeclared = true; // committed with the next batch, even an empty one: the query's checkpoint moves past it
    }
  }

  /**
   * Where the next batch starts, per partition: the committed position, unless the start policies
   * moved it (a reset not yet committed), or the resolved start of a partition new to the store.
   */
  public Map<TopicPartition, Long> nextStarts() {
    Map<TopicPartition, Long> next = new HashMap<>(positions);
    next.putAll(pendingStarts);
    pendingResets.forEach(r -> next.put(r.partition(), r.newPosition()));
    return next;
  }
}
