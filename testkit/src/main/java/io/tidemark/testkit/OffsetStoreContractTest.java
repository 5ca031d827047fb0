package io.tidemark.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.NoSuchJobException;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetConflictException;
import io.tidemark.offsets.OffsetConflictException.Conflict;
import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.PositionReset;
import io.tidemark.offsets.RewindTarget;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The behaviour every {@link OffsetStore} must have: one spec, many backends. A backend's test
 * extends this class and says how to open its store; every test here then runs against it.
 *
 * <pre>{@code
 * class ZooKeeperOffsetStoreIT extends OffsetStoreContractTest {
 *   @RegisterExtension static final ZooKeeperServer zk = ZooKeeperServer.create();
 *   @Override protected OffsetStore openStore() {
 *     return OffsetStores.open("zk://" + zk.connectString() + "/contract");
 *   }
 * }
 * }</pre>
 *
 * <p>{@link #openStore()} must open the same underlying location every time it is called in a
 * test class, so that {@link #durableAcrossCloseAndReopen()} can read back what an earlier
 * instance wrote. Each test uses its own job ids, so tests never see each other's jobs.
 */
public abstract class OffsetStoreContractTest {

  /** Opens the store under test (the same location on every call). */
  protected abstract OffsetStore openStore() throws Exception;

  /** Whether what the store writes survives {@link OffsetStore#close()} and a new open; false for in-memory stores. */
  protected boolean isDurable() {
    return true;
  }

  /**
   * Whether two stores from {@link #openStore()} see each other's writes (true for stores backed by
   * files or servers, false for in-memory ones). The atomicity test then reads through a second
   * instance, so that it sees what the backend holds rather than one instance's memory.
   */
  protected boolean sharesStateAcrossOpens() {
    return isDurable();
  }

  /**
   * How many history entries the store keeps per job by default. Tests that need more history
   * than this are skipped; tests that count entries expect at most this many.
   */
  protected int historyCapacity() {
    return 1000;
  }

  /**
   * The most partitions the test may put in one commit (10,000 for stores that take any; a store
   * that needs the partitions to exist in a broker says how many its test topics have).
   */
  protected int widestCommit() {
    return 10_000;
  }

  /** What {@link OffsetStore#isCompareAndSet()} must say: true unless the store checks commits in one process only. */
  protected boolean expectsCompareAndSet() {
    return true;
  }

  @Test
  void itSaysWhetherItsCommitsAreACompareAndSet() {
    assertThat(store.isCompareAndSet()).isEqualTo(expectsCompareAndSet());
  }

  /**
   * Whether two instances from {@link #openStore()} may write one job at once, as two drivers in
   * two processes do (false for a store that locks a job to one writer instance, such as the
   * {@code file:} store, and for one whose instances do not share state). Tests of two drivers then
   * run both through the store under test.
   */
  protected boolean allowsTwoWriterInstances() {
    return sharesStateAcrossOpens();
  }

  /**
   * Whether the store keeps a deleted job's epoch so that a job created again under its id never
   * repeats an epoch ({@code file:}, {@code zk://}, {@code memory:}); the tests of it are skipped
   * for a store that says false.
   */
  protected boolean keepsEpochsAcrossDelete() {
    return true;
  }

  /** The store a second driver uses: another instance where the backend allows it. */
  private OffsetStore otherDriver() throws Exception {
    return allowsTwoWriterInstances() ? openStore() : store;
  }

  private void release(OffsetStore other) {
    if (other != store) {
      other.close();
    }
  }

  protected OffsetStore store;
  private String prefix;

  @BeforeEach
  void openTheStore(TestInfo info) throws Exception {
    store = openStore();
    prefix = info.getTestMethod().map(m -> m.getName()).orElse("test").replaceAll("[^a-zA-Z0-9]", "") + "-"
        + Long.toHexString(System.nanoTime());
  }

  @AfterEach
  void closeTheStore() {
    if (store != null) {
      store.close();
    }
  }

  /** A job id unique to this test run. */
  protected String job(String name) {
    return prefix + "-" + name;
  }

  /**
   * A commit of {@code ranges} that declares each range's start as where the start policy
   * resolved it (what a job does for partitions it has no stored position for yet).
   */
  protected static OffsetCommit commit(String job, long batch, long epoch, OffsetRange... ranges) {
    return OffsetCommit.builder(job, batch, epoch).ranges(List.of(ranges)).starts(startsOf(List.of(ranges))).build();
  }

  /** Each range's {@code fromOffset}, as declared starts. */
  protected static Map<TopicPartition, Long> startsOf(List<OffsetRange> ranges) {
    return ranges.stream().collect(Collectors.toMap(OffsetRange::topicPartition, OffsetRange::fromOffset));
  }

  private static TopicPartition tp(String topic, int p) {
    return new TopicPartition(topic, p);
  }

  // ---- reads

  @Test
  void readOfAnUnknownJobIsAnExplicitEmptyResult() {
    CommittedOffsets read = store.read(job("never"));

    assertThat(read).isNotNull();
    assertThat(read.isEmpty()).isTrue();
    assertThat(read.positions()).isEmpty();
    assertThat(read.lastBatchId()).isEmpty();
    assertThat(read.epoch()).isZero();
    assertThat(store.history(job("never"), 10)).isEmpty();
  }

  @Test
  void aCommitMovesEachPositionToItsUntilOffset() {
    String job = job("basic");
    long epoch = store.claim(job);
    assertThat(epoch).isEqualTo(1);

    assertThat(store.commit(commit(job, 0, epoch, new OffsetRange("orders", 0, 0, 10), new OffsetRange("orders", 1, 5, 7))))
        .isEqualTo(CommitResult.APPLIED);
    assertThat(store.commit(commit(job, 1, epoch, new OffsetRange("orders", 0, 10, 25)))).isEqualTo(CommitResult.APPLIED);

    CommittedOffsets read = store.read(job);
    assertThat(read.positions()).containsExactly(Map.entry(tp("orders", 0), 25L), Map.entry(tp("orders", 1), 7L));
    assertThat(read.lastBatchId()).hasValue(1);
    assertThat(read.nextBatchId()).hasValue(2);
    assertThat(read.epoch()).isEqualTo(epoch);
    assertThat(read.lastCommitTime()).isPresent();
    assertThat(store.listJobs()).contains(job);
  }

  // ---- the compare-and-set rules, each with its exact exception

  private String jobAt(String name, long position) {
    String job = job(name);
    long epoch = store.claim(job);
    store.commit(commit(job, 0, epoch, new OffsetRange("orders", 0, 0, position)));
    return job;
  }

  @Test
  void aGapIsRefused() {
    String job = jobAt("gap", 100);

    assertThatThrownBy(() -> store.commit(commit(job, 1, 1, new OffsetRange("orders", 0, 120, 130))))
        .isInstanceOfSatisfying(OffsetConflictException.class, e -> {
          assertThat(e.conflict()).isEqualTo(Conflict.GAP);
          assertThat(e.partition()).hasValue(tp("orders", 0));
          assertThat(e.batchId()).isEqualTo(1);
        })
        .hasMessageContaining("GAP: job " + job + " batch 1 partition orders-0")
        .hasMessageContaining("expected range starting at 100")
        .hasMessageContaining("offsets [100, 120) would never be processed");
    assertThat(store.read(job).positions()).containsEntry(tp("orders", 0), 100L);
  }

  @Test
  void anOverlapIsRefused() {
    String job = jobAt("overlap", 100);

    assertThatThrownBy(() -> store.commit(commit(job, 1, 1, new OffsetRange("orders", 0, 90, 130))))
        .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.OVERLAP))
        .hasMessageContaining("offsets [90, 100) were already committed");
    assertThat(store.read(job).positions()).containsEntry(tp("orders", 0), 100L);
  }

  @Test
  void aStaleBatchIsRefused() {
    String job = jobAt("stale-batch", 100);
    store.commit(commit(job, 1, 1, new OffsetRange("orders", 0, 100, 110)));

    assertThatThrownBy(() -> store.commit(commit(job, 1, 1, new OffsetRange("orders", 0, 100, 105))))
        .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.STALE_BATCH))
        .hasMessageContaining("expected batch 2")
        .hasMessageContaining("with other ranges than the stored batch 1");
    assertThatThrownBy(() -> store.commit(commit(job, 0, 1, new OffsetRange("orders", 0, 110, 120))))
        .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.STALE_BATCH));
    assertThat(store.read(job).lastBatchId()).hasValue(1);
  }

  @Test
  void aBatchIdGapIsRefused() {
    String job = jobAt("batch-gap", 100);

    assertThatThrownBy(() -> store.commit(commit(job, 5, 1, new OffsetRange("orders", 0, 100, 110))))
        .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.BATCH_ID_GAP))
        .hasMessageContaining("commit batch 1 next");
  }

  @Test
  void aStaleEpochIsRefusedSoAZombieDriverCannotMoveOffsets() {
    String job = job("zombie");
    long zombie = store.claim(job);
    store.commit(commit(job, 0, zombie, new OffsetRange("orders", 0, 0, 10)));
    long successor = store.claim(job);
    assertThat(successor).isEqualTo(zombie + 1);

    assertThatThrownBy(() -> store.commit(commit(job, 1, zombie, new OffsetRange("orders", 0, 10, 20))))
        .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.STALE_EPOCH))
        .hasMessageContaining("expected writer epoch " + successor)
        .hasMessageContaining("this driver is a zombie and must stop");
    assertThat(store.commit(commit(job, 1, successor, new OffsetRange("orders", 0, 10, 20)))).isEqualTo(CommitResult.APPLIED);
    assertThatThrownBy(() -> store.commit(commit(job, 2, successor + 5, new OffsetRange("orders", 0, 20, 30))))
        .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.STALE_EPOCH))
        .hasMessageContaining("never issued");
  }

  @Test
  void aFencedDriverRunningTheSameRangesAsItsSuccessorIsRefusedNotToldAlreadyApplied() throws Exception {
    String job = job("zombie-same-ranges");
    OffsetStore zombieStore = otherDriver();
    try {
      long zombie = zombieStore.claim(job);
      zombieStore.commit(commit(job, 0, zombie, new OffsetRange("orders", 0, 0, 10)));
      long successor = store.claim(job);
      // both drivers run batch 1 over the backlog at the same rate: identical ranges
      assertThat(store.commit(commit(job, 1, successor, new OffsetRange("orders", 0, 10, 20))))
          .isEqualTo(CommitResult.APPLIED);

      assertThatThrownBy(() -> zombieStore.commit(commit(job, 1, zombie, new OffsetRange("orders", 0, 10, 20))))
          .isInstanceOfSatisfying(OffsetConflictException.class,
              e -> assertThat(e.conflict()).isEqualTo(Conflict.STALE_EPOCH))
          .hasMessageContaining("expected writer epoch " + successor)
          .hasMessageContaining("this driver is a zombie and must stop");
      // the successor's own retry is still recognised
      assertThat(store.commit(commit(job, 1, successor, new OffsetRange("orders", 0, 10, 20))))
          .isEqualTo(CommitResult.ALREADY_APPLIED);
      assertThat(store.read(job).epoch()).isEqualTo(successor);
    } finally {
      release(zombieStore);
    }
  }

  @Test
  void epochsNeverRepeatForAJobIdAcrossDelete() throws Exception {
    assumeTrue(keepsEpochsAcrossDelete(), "this store does not keep a deleted job's epoch yet");
    String job = job("deleted-reclaimed");
    long old;
    long next;
    OffsetStore first = otherDriver();
    try {
      old = first.claim(job);
      first.commit(commit(job, 0, old, new OffsetRange("orders", 0, 0, 10)));
      first.commit(commit(job, 1, old, new OffsetRange("orders", 0, 10, 20)));
      assertThat(store.delete(job)).isTrue();
      next = store.claim(job);
      assertThat(next).as("the epoch a claim returns after the job was deleted").isGreaterThan(old);
      // the old driver goes on: its next batch on the state it cached, and its first batch again
      assertThatThrownBy(() -> first.commit(commit(job, 2, old, new OffsetRange("orders", 0, 20, 30))))
          .isInstanceOfSatisfying(OffsetConflictException.class,
              e -> assertThat(e.conflict()).isEqualTo(Conflict.STALE_EPOCH));
      assertThatThrownBy(() -> first.commit(commit(job, 0, old, new OffsetRange("orders", 0, 0, 10))))
          .isInstanceOfSatisfying(OffsetConflictException.class,
              e -> assertThat(e.conflict()).isEqualTo(Conflict.STALE_EPOCH));
    } finally {
      release(first);
    }
    OffsetStore fresh = otherDriver();
    try {
      // an instance that never saw the job before its delete refuses the old epoch too
      assertThatThrownBy(() -> fresh.commit(commit(job, 0, old, new OffsetRange("orders", 0, 0, 10))))
          .isInstanceOfSatisfying(OffsetConflictException.class,
              e -> assertThat(e.conflict()).isEqualTo(Conflict.STALE_EPOCH));
    } finally {
      release(fresh);
    }
    assertThat(store.commit(commit(job, 0, next, new OffsetRange("orders", 0, 0, 10)))).isEqualTo(CommitResult.APPLIED);
    assertThat(store.read(job).positions()).containsEntry(tp("orders", 0), 10L);
  }

  @Test
  void aDeleteFencesTheDriverThatClaimedTheJob() {
    assumeTrue(keepsEpochsAcrossDelete(), "this store does not keep a deleted job's epoch yet");
    String job = job("deleted-under-a-driver");
    long driver = store.claim(job);
    store.commit(commit(job, 0, driver, new OffsetRange("orders", 0, 0, 10)));
    assertThat(store.delete(job)).isTrue();

    assertThatThrownBy(() -> store.commit(commit(job, 1, driver, new OffsetRange("orders", 0, 10, 20))))
        .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.STALE_EPOCH));
    assertThatThrownBy(() -> store.commit(commit(job, 0, driver, new OffsetRange("orders", 0, 0, 10))))
        .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.STALE_EPOCH));
    assertThat(store.listJobs()).doesNotContain(job);
    assertThat(store.read(job).isEmpty()).isTrue();
    assertThat(store.history(job, 10)).isEmpty();
    assertThat(store.delete(job)).as("deleting a deleted job").isFalse();
    assertThat(store.claim(job)).isGreaterThan(driver);
  }

  @Test
  void aCommitIsAtomicAcrossPartitionsWhenOneOfThemConflicts() {
    String job = job("all-or-nothing");
    long epoch = store.claim(job);
    store.commit(commit(job, 0, epoch, new OffsetRange("a", 0, 0, 10), new OffsetRange("b", 0, 0, 10)));

    assertThatThrownBy(() -> store.commit(commit(job, 1, epoch, new OffsetRange("a", 0, 10, 20), new OffsetRange("b", 0, 11, 20))))
        .isInstanceOf(OffsetConflictException.class);

    assertThat(store.read(job).positions()).containsEntry(tp("a", 0), 10L).containsEntry(tp("b", 0), 10L);
    assertThat(store.read(job).lastBatchId()).hasValue(0);
  }

  @Test
  void aPositionResetMustNameTheStoredPosition() {
    String job = jobAt("reset", 100);
    PositionReset wrong = new PositionReset(tp("orders", 0), 90, 500, PositionReset.Reason.OFFSETS_DELETED);
    PositionReset right = new PositionReset(tp("orders", 0), 100, 500, PositionReset.Reason.OFFSETS_DELETED);

    assertThatThrownBy(() -> store.commit(OffsetCommit.builder(job, 1, 1).range("orders", 0, 500, 510).resets(List.of(wrong)).build()))
        .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.RESET_MISMATCH));
    assertThat(store.commit(OffsetCommit.builder(job, 1, 1).range("orders", 0, 500, 510).resets(List.of(right)).build()))
        .isEqualTo(CommitResult.APPLIED);

    assertThat(store.read(job).positions()).containsEntry(tp("orders", 0), 510L);
    HistoryEntry newest = store.history(job, 1).get(0);
    assertThat(((HistoryEntry.Committed) newest).commit().resets()).containsExactly(right);
  }

  @Test
  void aNewPartitionMustStartWhereTheStartPolicyResolvedIt() {
    String job = jobAt("starts", 100);

    assertThatThrownBy(() -> store.commit(OffsetCommit.builder(job, 1, 1).range("orders", 0, 100, 110)
        .range("orders", 1, 50, 60).build()))
        .isInstanceOfSatisfying(OffsetConflictException.class, e -> {
          assertThat(e.conflict()).isEqualTo(Conflict.START_MISMATCH);
          assertThat(e.partition()).hasValue(tp("orders", 1));
        })
        .hasMessageContaining("expected a declared start (the partition has no stored position)");
    assertThatThrownBy(() -> store.commit(OffsetCommit.builder(job, 1, 1).range("orders", 0, 100, 110)
        .range("orders", 1, 50, 60).starts(Map.of(tp("orders", 1), 0L)).build()))
        .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.START_MISMATCH))
        .hasMessageContaining("expected range starting at the declared start 0");
    assertThat(store.read(job).positions()).containsOnlyKeys(tp("orders", 0));

    assertThat(store.commit(OffsetCommit.builder(job, 1, 1).range("orders", 0, 100, 110).range("orders", 1, 0, 60)
        .starts(Map.of(tp("orders", 0), 999L, tp("orders", 1), 0L)).build())).isEqualTo(CommitResult.APPLIED);
    assertThat(store.read(job).positions()).containsEntry(tp("orders", 0), 110L).containsEntry(tp("orders", 1), 60L);
  }

  @Test
  void aRefusedCommitChangesNothing() {
    String fresh = job("refused-fresh");
    long epoch = store.claim(job("other"));

    assertThatThrownBy(() -> store.commit(OffsetCommit.builder(fresh, 0, 1).range("orders", 0, 0, 10).build()))
        .isInstanceOf(OffsetConflictException.class);
    assertThatThrownBy(() -> store.commit(commit(job("other"), 0, epoch + 1, new OffsetRange("orders", 0, 0, 10))))
        .isInstanceOf(OffsetConflictException.class);

    assertThat(store.read(fresh).isEmpty()).isTrue();
    assertThat(store.listJobs()).doesNotContain(fresh);
    assertThat(store.history(job("other"), 10)).isEmpty();
    assertThat(store.read(job("other")).isEmpty()).isTrue();
  }

  // ---- idempotence and concurrency

  @Test
  void anIdenticalReCommitIsANoOpSuccess() {
    String job = jobAt("recommit", 100);
    OffsetCommit batch = commit(job, 1, 1, new OffsetRange("orders", 0, 100, 150));
    assertThat(store.commit(batch)).isEqualTo(CommitResult.APPLIED);

    OffsetCommit retry = OffsetCommit.builder(job, 1, 1).range("orders", 0, 100, 150).commitTime(Instant.now().plusSeconds(5)).build();
    assertThat(store.commit(retry)).isEqualTo(CommitResult.ALREADY_APPLIED);

    assertThat(store.read(job).positions()).containsEntry(tp("orders", 0), 150L);
    assertThat(store.history(job, 10)).hasSize(Math.min(2, historyCapacity()));
  }

  @Test
  void ofThreadsCommittingTheSameBatchExactlyOneWins() throws Exception {
    String job = jobAt("race", 100);
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    try {
      List<Future<CommitResult>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        long until = 101 + i;
        results.add(pool.submit(() -> {
          go.await();
          return store.commit(commit(job, 1, 1, new OffsetRange("orders", 0, 100, until)));
        }));
      }
      go.countDown();
      int applied = 0;
      int refused = 0;
      for (Future<CommitResult> f : results) {
        try {
          assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(CommitResult.APPLIED);
          applied++;
        } catch (java.util.concurrent.ExecutionException e) {
          assertThat(e.getCause()).isInstanceOfSatisfying(OffsetConflictException.class,
              c -> assertThat(c.conflict()).isEqualTo(Conflict.STALE_BATCH));
          refused++;
        }
      }
      assertThat(applied).isEqualTo(1);
      assertThat(refused).isEqualTo(threads - 1);
      assertThat(store.read(job).lastBatchId()).hasValue(1);
      assertThat(store.history(job, 10)).hasSize(Math.min(2, historyCapacity()));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void ofThreadsCommittingTheIdenticalBatchOneAppliesAndTheOthersSeeItApplied() throws Exception {
    String job = jobAt("identical-race", 100);
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    try {
      List<Future<CommitResult>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(pool.submit(() -> {
          go.await();
          return store.commit(commit(job, 1, 1, new OffsetRange("orders", 0, 100, 200)));
        }));
      }
      go.countDown();
      List<CommitResult> outcomes = new ArrayList<>();
      for (Future<CommitResult> f : results) {
        outcomes.add(f.get(60, TimeUnit.SECONDS));
      }
      assertThat(outcomes).containsOnlyOnce(CommitResult.APPLIED);
      assertThat(outcomes.stream().filter(r -> r == CommitResult.ALREADY_APPLIED).count()).isEqualTo(threads - 1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aThousandPartitionCommitIsNeverSeenHalfApplied() throws Exception {
    assumeTrue(widestCommit() >= 1000, "the store's test takes at most " + widestCommit() + " partitions per commit");
    String job = job("atomic-1000");
    long epoch = store.claim(job);
    int partitions = 1000;
    int batches = 12;
    OffsetStore readerStore = sharesStateAcrossOpens() ? openStore() : store;
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<String> torn = new AtomicReference<>();
    java.util.concurrent.atomic.AtomicLong newestSeen = new java.util.concurrent.atomic.AtomicLong(-1);
    java.util.Set<Long> batchesSeen = java.util.concurrent.ConcurrentHashMap.newKeySet();
    Thread reader = new Thread(() -> {
      while (!done.get() && torn.get() == null) {
        CommittedOffsets seen = readerStore.read(job);
        if (seen.isEmpty()) {
          continue;
        }
        long batch = seen.lastBatchId().getAsLong();
        long distinct = seen.positions().values().stream().distinct().count();
        if (seen.positions().size() != partitions || distinct != 1
            || seen.positions().get(tp("wide", 0)) != (batch + 1) * 10) {
          torn.set("batch " + batch + ": " + seen.positions().size() + " partitions, " + distinct + " distinct positions");
        }
        batchesSeen.add(batch);
        newestSeen.accumulateAndGet(batch, Math::max);
      }
    }, "contract-reader");
    reader.start();
    try {
      for (int b = 0; b < batches; b++) {
        long from = b * 10L;
        List<OffsetRange> ranges = IntStream.range(0, partitions)
            .mapToObj(p -> new OffsetRange("wide", p, from, from + 10)).collect(Collectors.toList());
        assertThat(store.commit(OffsetCommit.builder(job, b, epoch).ranges(ranges).starts(startsOf(ranges)).build()))
            .isEqualTo(CommitResult.APPLIED);
        // the reader keeps reading while the next batch is written; wait until it has seen this one
        long committed = b;
        org.awaitility.Awaitility.await().atMost(patience()).until(() -> newestSeen.get() >= committed || torn.get() != null);
      }
    } finally {
      done.set(true);
      reader.join(TimeUnit.SECONDS.toMillis(60));
      if (readerStore != store) {
        readerStore.close();
      }
    }
    assertThat(torn.get()).as("a reader saw a half-applied commit").isNull();
    assertThat(batchesSeen).as("batches the reader saw").hasSizeGreaterThanOrEqualTo(batches);
    assertThat(store.read(job).positions().values()).containsOnly(batches * 10L);
  }

  @Test
  void tenThousandPartitionsFitInOneCommit() {
    assumeTrue(widestCommit() >= 10_000, "the store's test takes at most " + widestCommit() + " partitions per commit");
    String job = job("wide-10000");
    long epoch = store.claim(job);
    List<OffsetRange> ranges = IntStream.range(0, 10_000)
        .mapToObj(p -> new OffsetRange("events.clicks_v2-eu", p, 1_000_000L + p, 1_000_100L + p)).collect(Collectors.toList());

    assertThat(store.commit(OffsetCommit.builder(job, 0, epoch).ranges(ranges).starts(startsOf(ranges)).build()))
        .isEqualTo(CommitResult.APPLIED);

    CommittedOffsets read = store.read(job);
    assertThat(read.positions()).hasSize(10_000);
    assertThat(read.positions()).containsEntry(tp("events.clicks_v2-eu", 9_999), 1_000_100L + 9_999);
  }

  @ParameterizedTest
  @ValueSource(strings = {"orders.v1", "orders_v2", "orders-v1", "a.b_c-d.0", "X"}) // no two collide in Kafka (. and _)
  void topicNamesWithDotsUnderscoresAndDashesRoundTrip(String topic) {
    String job = job("names");
    long epoch = store.claim(job);
    store.commit(commit(job, 0, epoch, new OffsetRange(topic, 3, 7, 9)));

    assertThat(store.read(job).positions()).containsExactly(Map.entry(tp(topic, 3), 9L));
    assertThat(((HistoryEntry.Committed) store.history(job, 1).get(0)).commit().ranges())
        .containsExactly(new OffsetRange(topic, 3, 7, 9));
  }

  @Test
  void invalidInputIsRejectedWithAClearMessage() {
    assertThatThrownBy(() -> store.read("bad job"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("job id 'bad job' contains an illegal character");
    assertThatThrownBy(() -> store.claim(""))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("job id must not be empty");
    assertThatThrownBy(() -> new OffsetRange("orders/eu", 0, 0, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("topic name 'orders/eu' contains an illegal character");
    assertThatThrownBy(() -> new OffsetRange("orders", 0, 10, 5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("untilOffset 5 of orders-0 is below fromOffset 10");
    assertThatThrownBy(() -> OffsetCommit.builder(job("x"), 0, 0).range("orders", 0, 0, 1).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be >= 1 (the value claim(job) returned)");
    assertThatThrownBy(() -> store.history(job("x"), -1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("history limit must be >= 0");
  }

  // ---- history, rewind, lifecycle

  @Test
  void historyIsNewestFirstAndLimited() {
    String job = job("history");
    long epoch = store.claim(job);
    for (int b = 0; b < 5; b++) {
      store.commit(commit(job, b, epoch, new OffsetRange("orders", 0, b * 10L, b * 10L + 10)));
    }

    List<HistoryEntry> history = store.history(job, 3);

    int kept = Math.min(3, historyCapacity());
    assertThat(history).hasSize(kept);
    assertThat(history).allSatisfy(e -> assertThat(e).isInstanceOf(HistoryEntry.Committed.class));
    assertThat(history.stream().map(e -> ((HistoryEntry.Committed) e).commit().batchId()))
        .containsExactlyElementsOf(List.of(4L, 3L, 2L).subList(0, kept));
    assertThat(store.history(job, 100)).hasSize(Math.min(5, historyCapacity()));
  }

  @Test
  void rewindToABatchRestoresItsPositionsFencesTheDriverAndReplaysTheBatchIds() {
    assumeTrue(historyCapacity() >= 8, "the store keeps too little history to rewind three batches");
    String job = job("rewind");
    long epoch = store.claim(job);
    for (int b = 0; b < 6; b++) {
      List<OffsetRange> ranges = new ArrayList<>(List.of(new OffsetRange("orders", 0, b * 10L, b * 10L + 10)));
      if (b >= 3) {
        ranges.add(new OffsetRange("orders", 1, (b - 3) * 5L, (b - 2) * 5L));
      }
      store.commit(OffsetCommit.builder(job, b, epoch).ranges(ranges).starts(startsOf(ranges)).build());
    }

    CommittedOffsets rewound = store.rewind(job, RewindTarget.toBatch(3));

    assertThat(rewound.lastBatchId()).hasValue(3);
    assertThat(rewound.positions()).containsEntry(tp("orders", 0), 40L).containsEntry(tp("orders", 1), 5L);
    assertThat(rewound.epoch()).isEqualTo(epoch + 1);
    assertThat(store.read(job)).isEqualTo(rewound);
    assertThatThrownBy(() -> store.commit(commit(job, 4, epoch, new OffsetRange("orders", 0, 40, 50))))
        .isInstanceOfSatisfying(OffsetConflictException.class, e -> assertThat(e.conflict()).isEqualTo(Conflict.STALE_EPOCH));
    assertThat(store.commit(commit(job, 4, epoch + 1, new OffsetRange("orders", 0, 40, 50)))).isEqualTo(CommitResult.APPLIED);

    HistoryEntry rewindEntry = store.history(job, 2).get(1);
    assertThat(rewindEntry).isInstanceOfSatisfying(HistoryEntry.Rewound.class, r -> {
      assertThat(r.toBatch()).hasValue(3);
      assertThat(r.lastBatchIdBefore()).hasValue(5);
      assertThat(r.positionsBefore()).containsEntry(tp("orders", 0), 60L);
      assertThat(r.positionsAfter()).containsEntry(tp("orders", 0), 40L);
    });

    CommittedOffsets again = store.rewind(job, RewindTarget.toBatch(1));
    assertThat(again.positions()).containsEntry(tp("orders", 0), 20L);
    assertThat(again.lastBatchId()).hasValue(1);
    assertThat(store.read(job)).isEqualTo(again);
  }

  @Test
  void aRewindReplacesThePositionsWholeDroppingPartitionsItDoesNotKeep() throws Exception {
    assumeTrue(historyCapacity() >= 3, "the store keeps too little history to rewind past a rewind");
    String job = job("rewind-drop");
    long epoch = store.claim(job);
    store.commit(commit(job, 0, epoch, new OffsetRange("orders", 0, 0, 10)));
    store.commit(commit(job, 1, epoch, new OffsetRange("orders", 0, 10, 20)));
    store.rewind(job, RewindTarget.toOffsets(Map.of(tp("orders", 1500), 5L)));

    CommittedOffsets back = store.rewind(job, RewindTarget.toBatch(0));

    assertThat(back.positions()).containsOnly(Map.entry(tp("orders", 0), 10L));
    assertThat(store.read(job)).isEqualTo(back);
    if (sharesStateAcrossOpens()) {
      try (OffsetStore other = openStore()) {
        assertThat(other.read(job)).isEqualTo(back);
      }
    }
  }

  @Test
  void rewindToExplicitOffsetsKeepsTheBatchSequence() {
    String job = jobAt("rewind-offsets", 100);

    CommittedOffsets rewound = store.rewind(job, RewindTarget.toOffsets(Map.of(tp("orders", 0), 42L, tp("orders", 9), 7L)));

    assertThat(rewound.positions()).containsEntry(tp("orders", 0), 42L).containsEntry(tp("orders", 9), 7L);
    assertThat(rewound.lastBatchId()).hasValue(0);
    assertThat(store.commit(commit(job, 1, rewound.epoch(), new OffsetRange("orders", 0, 42, 50)))).isEqualTo(CommitResult.APPLIED);
  }

  @Test
  void rewindRefusesUnknownJobsAndBatchesItCannotReach() {
    String job = jobAt("rewind-bad", 100);

    assertThatThrownBy(() -> store.rewind(job("nobody"), RewindTarget.toBatch(0)))
        .isInstanceOf(NoSuchJobException.class).hasMessageContaining(job("nobody"));
    assertThatThrownBy(() -> store.rewind(job, RewindTarget.toBatch(7)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be rewound forward to batch 7");
  }

  @Test
  void claimReturnsIncreasingEpochs() {
    String job = job("claims");
    assertThat(List.of(store.claim(job), store.claim(job), store.claim(job))).containsExactly(1L, 2L, 3L);
    assertThat(store.read(job).epoch()).isEqualTo(3);
    assertThat(store.read(job).isEmpty()).isTrue();
  }

  @Test
  void deleteRemovesTheJob() {
    String job = jobAt("deleted", 10);

    assertThat(store.delete(job)).isTrue();
    assertThat(store.delete(job)).isFalse();
    assertThat(store.read(job).isEmpty()).isTrue();
    assertThat(store.listJobs()).doesNotContain(job);
    assertThat(store.history(job, 10)).isEmpty();
  }

  @Test
  void durableAcrossCloseAndReopen() throws Exception {
    assumeTrue(isDurable(), "this store keeps nothing across close");
    String job = job("durable");
    long epoch = store.claim(job);
    store.commit(commit(job, 0, epoch, new OffsetRange("orders", 0, 0, 10)));
    store.commit(commit(job, 1, epoch, new OffsetRange("orders", 0, 10, 20), new OffsetRange("orders", 1, 0, 3)));
    CommittedOffsets before = store.read(job);
    store.close();

    store = openStore();

    assertThat(store.read(job)).isEqualTo(before);
    assertThat(store.history(job, 10)).hasSize(Math.min(2, historyCapacity()));
    assertThat(store.commit(commit(job, 1, epoch, new OffsetRange("orders", 0, 10, 20), new OffsetRange("orders", 1, 0, 3))))
        .isEqualTo(CommitResult.ALREADY_APPLIED);
    assertThat(store.claim(job)).isEqualTo(epoch + 1);
  }

  @Test
  void aClosedStoreRefusesCallsAndCloseIsIdempotent() {
    store.close();
    store.close();

    assertThatThrownBy(() -> store.read(job("closed")))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
    assertThatThrownBy(() -> store.claim(job("closed")))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining(store.description());
    OffsetStore closed = store;
    List<org.assertj.core.api.ThrowableAssert.ThrowingCallable> calls = List.of(
        () -> closed.commit(commit(job("closed"), 0, 1, new OffsetRange("orders", 0, 0, 1))),
        () -> closed.history(job("closed"), 1),
        () -> closed.rewind(job("closed"), RewindTarget.toBatch(0)),
        closed::listJobs,
        () -> closed.delete(job("closed")));
    for (var call : calls) {
      assertThatThrownBy(call).isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
    }
    store = null;
  }

  @Test
  void historyIsBoundedByTheStoresCapacity() {
    assumeTrue(historyCapacity() <= 50, "the store keeps more history than this test writes");
    String job = job("bounded");
    long epoch = store.claim(job);
    int batches = historyCapacity() + 5;
    for (int b = 0; b < batches; b++) {
      store.commit(commit(job, b, epoch, new OffsetRange("orders", 0, b, b + 1L)));
    }
    assertThat(store.history(job, 1000)).hasSize(historyCapacity());
  }

  /** How long a test may wait for a store's background work (used by backends with async parts). */
  protected Duration patience() {
    return Duration.ofSeconds(30);
  }
}
