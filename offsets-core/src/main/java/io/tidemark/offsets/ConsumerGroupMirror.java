package io.tidemark.offsets;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A store whose committed positions are also written, after each commit and rewind, to a Kafka
 * consumer group per job ({@code <prefix><job>}) through the Admin API, so that Kafka's own
 * tools ({@code kafka-consumer-groups.sh --describe}) and lag exporters show Tidemark jobs.
 * {@link OffsetStores#open} returns one when {@code mirror.bootstrap.servers} is set.
 *
 * <p>The store stays the source of truth. Mirroring runs on its own thread after the commit has
 * returned: a mirror that fails (a broker out of reach, a group with active members, a timeout)
 * is logged at WARN and counted in {@link #failures()}, and never fails or delays the commit.
 * Positions waiting to be mirrored are merged, so a slow broker sees only the newest ones; the
 * group can therefore lag the store, never lead it. Deleting a job leaves its group alone. A
 * commit or rewind that the store applied while {@link #close()} ran returns its result; its
 * positions may then not be mirrored.
 *
 * <p>Thread-safe, like the store it wraps.
 */
public final class ConsumerGroupMirror implements OffsetStore {
  private static final Logger LOG = LoggerFactory.getLogger(ConsumerGroupMirror.class);

  private final OffsetStore store;
  private final Admin admin;
  private final String groupPrefix;
  private final Duration timeout;
  private final ExecutorService executor;
  private final Map<String, Map<TopicPartition, Long>> pending = new LinkedHashMap<>();
  private final AtomicLong mirrored = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong scheduled = new AtomicLong();
  private final AtomicLong done = new AtomicLong();

  /**
   * Mirrors {@code store} through {@code admin}, which this object owns and closes with the store.
   *
   * @param groupPrefix the prefix of each job's group name (may be empty)
   * @param timeout how long one mirroring request may take
   */
  public ConsumerGroupMirror(OffsetStore store, Admin admin, String groupPrefix, Duration timeout) {
    this.store = Objects.requireNonNull(store, "store");
    this.admin = Objects.requireNonNull(admin, "admin");
    this.groupPrefix = Objects.requireNonNull(groupPrefix, "groupPrefix");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "tidemark-group-mirror");
      t.setDaemon(true);
      return t;
    });
  }

  /** The mirror around {@code store}, if it is one. */
  public static Optional<ConsumerGroupMirror> of(OffsetStore store) {
    return store instanceof ConsumerGroupMirror m ? Optional.of(m) : Optional.empty();
  }

  /** The consumer group that mirrors {@code job}. */
  public String groupOf(String job) {
    return groupPrefix + job;
  }

  /** Positions written to a group so far (one per job and mirroring request). */
  public long mirrored() {
    return mirrored.get();
  }

  /** Mirroring requests that failed so far. */
  public long failures() {
    return failures.get();
  }

  /**
   * Waits until everything committed so far has been mirrored or has failed; false when
   * {@code wait} passed first.
   */
  public boolean awaitMirrored(Duration wait) throws InterruptedException {
    long target = scheduled.get();
    long deadline = System.nanoTime() + wait.toNanos();
    while (done.get() < target) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      TimeUnit.MILLISECONDS.sleep(10); // a counter to watch: no event to wait on
    }
    return true;
  }

  @Override
  public CommittedOffsets read(String job) {
    return store.read(job);
  }

  @Override
  public CommitResult commit(OffsetCommit commit) {
    CommitResult result = store.commit(commit);
    Map<TopicPartition, Long> positions = new LinkedHashMap<>();
    commit.ranges().forEach(r -> positions.put(r.topicPartition(), r.untilOffset()));
    schedule(commit.job(), positions);
    return result;
  }

  @Override
  public long claim(String job) {
    return store.claim(job);
  }

  @Override
  public List<HistoryEntry> history(String job, int limit) {
    return store.history(job, limit);
  }

  @Override
  public CommittedOffsets rewind(String job, RewindTarget target) {
    CommittedOffsets after = store.rewind(job, target);
    schedule(job, after.positions());
    return after;
  }

  @Override
  public Set<String> listJobs() {
    return store.listJobs();
  }

  @Override
  public boolean delete(String job) {
    return store.delete(job);
  }

  @Override
  public boolean isCompareAndSet() {
    return store.isCompareAndSet();
  }

  @Override
  public String description() {
    return store.description() + ", mirrored to Kafka consumer groups " + groupPrefix + "<job>";
  }

  private void schedule(String job, Map<TopicPartition, Long> positions) {
    if (positions.isEmpty()) {
      return;
    }
    synchronized (pending) {
      pending.computeIfAbsent(job, j -> new LinkedHashMap<>()).putAll(positions);
    }
    scheduled.incrementAndGet();
    try {
      executor.execute(this::drain);
    } catch (RejectedExecutionException e) {
      // closed after the store answered: the commit stands, only its mirror is left out
      done.incrementAndGet();
      LOG.warn("the mirror of {} is closed; the positions of job {} were committed but not mirrored to consumer"
          + " group {}", store.description(), job, groupOf(job));
    }
  }

  private void drain() {
    Map<String, Map<TopicPartition, Long>> batch;
    synchronized (pending) {
      batch = new LinkedHashMap<>(pending);
      pending.clear();
    }
    for (Map.Entry<String, Map<TopicPartition, Long>> e : batch.entrySet()) {
      String group = groupOf(e.getKey());
      Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
      e.getValue().forEach((tp, offset) -> offsets.put(tp, new OffsetAndMetadata(offset, "tidemark")));
      try {
        admin.alterConsumerGroupOffsets(group, offsets).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        mirrored.incrementAndGet();
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception ex) {
        long n = failures.incrementAndGet();
        LOG.warn("could not mirror the positions of job {} to consumer group {} ({} failure(s) so far); the commit"
            + " stands, and the next one is mirrored again: {}", e.getKey(), group, n, String.valueOf(ex));
      }
    }
    done.incrementAndGet();
  }

  /** Mirrors what is pending (for at most the timeout), then closes the admin client and the store. */
  @Override
  public void close() {
    executor.shutdown();
    try {
      executor.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    executor.shutdownNow();
    try {
      admin.close(timeout);
    } finally {
      store.close();
    }
  }

  @Override
  public String toString() {
    return "ConsumerGroupMirror[" + store + "]";
  }
}
