package io.tidemark.offsets.kafka;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.CommitTooLargeException;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.NoSuchJobException;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStoreException;
import io.tidemark.offsets.PositionReset;
import io.tidemark.offsets.RewindTarget;
import io.tidemark.offsets.StoreCorruptedException;
import io.tidemark.offsets.StoreUnavailableException;
import io.tidemark.offsets.kafka.internal.GroupMetadata;
import io.tidemark.offsets.spi.CommitRules;
import io.tidemark.offsets.spi.Names;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link OffsetStore} that keeps a job's positions only as the committed offsets of a Kafka
 * consumer group ({@code <prefix><job>}, the prefix {@code tidemark.} by default), which is how
 * Spark's own {@code commitAsync} keeps them:
 * no other system to run, and Kafka's tools ({@code kafka-consumer-groups.sh --describe}, lag
 * exporters) show the job as they show any consumer. Opened from
 * {@code kafka://broker1:9092[,broker2:9092]}.
 *
 * <h2>What it keeps</h2>
 * Each committed offset carries, in its metadata string, the job's writer epoch and last batch
 * id, and where the batch's range of that partition began; the first and the last partition (the
 * leads) also carry the batch's epoch, time and metadata. Every write (commit, claim, rewind) writes every
 * partition of the job in one {@code OffsetCommit} request, which the group coordinator appends
 * as one record batch, so readers see all of it or none of it, as long as Kafka accepts every
 * partition (it drops, and reports, those of a topic deleted meanwhile). A write Kafka would
 * refuse for its size (4,096 bytes of metadata per offset, about 1 MB per request by default) is
 * refused before it is sent, with {@link CommitTooLargeException}. A group committed by
 * something else (a consumer, Spark's {@code commitAsync}, the {@code mirror.*} option of another
 * store) is read as positions with no batch and epoch 0, so a job can take over a group Spark has
 * been committing to ({@code kafka.group.prefix} empty); its first batch may have any id.
 *
 * <h2>What it cannot guarantee</h2>
 * Kafka offers no compare-and-set on a consumer group's offsets. The commit rules of
 * {@link OffsetStore} (gaps, overlaps, batch ids, epochs, declared starts and resets) are
 * checked against the group as read just before the write, and commits through one store
 * instance are serialised, so within one process every rule holds. Across processes:
 * <ul>
 *   <li><b>No atomic compare-and-set.</b> Two drivers that read the group before either writes
 *       may both pass the checks; the last write wins. A zombie driver is therefore fenced at its
 *       next commit after the claim that replaced it, except when its read-check-write straddles
 *       that claim (one round trip to the coordinator). Exactly-once jobs need
 *       {@code zk://}, {@code hbase://} or {@code file:}.
 *   <li><b>An epoch claimed before the first commit lives only in the claiming instance.</b>
 *       Kafka keeps no offsets for a group without positions, so two drivers starting a new job
 *       at once both get epoch 1; the job's first commit writes it into the group. (A claim
 *       after a delete is the exception: the delete's tombstone offset keeps it.)
 *   <li><b>A deleted job's epoch lasts as long as Kafka's offset retention.</b> {@link #delete}
 *       leaves one offset as a tombstone that keeps the epoch the delete took, so the job's driver
 *       is fenced and a claim after the delete goes on above it; once retention expires the
 *       tombstone (or the group is deleted with Kafka's tools), a claim starts again at epoch 1.
 *   <li><b>History is the last batch only</b> ({@link #history} returns at most one entry, none
 *       after a rewind): a rewind to an earlier batch than the last one's predecessor is refused;
 *       a rewind to explicit offsets always works.
 *   <li><b>Positions of partitions that do not exist</b> cannot be kept: Kafka refuses them. A
 *       commit or rewind that names one new to the job is refused before anything is written.
 *   <li><b>A commit that leaves the job with no position</b> (a first batch of no partition)
 *       is not kept: Kafka keeps offsets only.
 *   <li><b>The group must have no running members.</b> Kafka refuses offsets written from
 *       outside a group with members; the job's own consumers need another {@code group.id}.
 * </ul>
 *
 * <h2>Retention</h2>
 * Kafka deletes an offset of a group without members {@code offsets.retention.minutes} (7 days
 * by default) after its last commit, whether a driver is running or not. So that a running job
 * whose topics are quiet keeps its positions, the store writes the groups of the jobs it wrote
 * again, unchanged, every {@code kafka.refresh.interval} (1 hour by default) unless it committed
 * them more recently, as long as the instance is open and no other writer has claimed the job
 * since. A renewal is a read and a write like a commit: a claim by another driver between the
 * two is overwritten, and that driver's first commit is then refused ("never issued") and it
 * stops; it claims again at its restart. A job whose drivers are all stopped longer than the
 * retention loses its positions, and its start policy applies again as for a new job. A group
 * taken over from Spark's own commits keeps Kafka's rule for groups that had members: it expires
 * the retention after it last had members, whatever is committed since; import its positions into
 * a {@code tidemark.} group instead.
 *
 * <p>Thread-safe. {@link #isCompareAndSet()} is false, so the Spark adapters refuse
 * {@code EXACTLY_ONCE} on it.
 */
public final class KafkaOffsetStore implements OffsetStore {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaOffsetStore.class);
  /** Kafka's default {@code offset.metadata.max.bytes}. */
  static final int METADATA_MAX_BYTES = 4096;
  /** Below Kafka's default {@code message.max.bytes} (1,048,588), which bounds one group commit. */
  static final int REQUEST_MAX_BYTES = 900_000;
  /** What an offset record adds to its metadata, group id and topic name in {@code __consumer_offsets}, about. */
  static final int OFFSET_RECORD_OVERHEAD = 60;
  /** Metadata bytes a commit leaves free, for the longer epochs of later claims. */
  static final int METADATA_HEADROOM = 32;
  /** How many locks serialise the writes of the jobs of one instance. */
  static final int LOCK_STRIPES = 64;
  private final Admin admin;
  private final boolean ownsAdmin;
  private final String groupPrefix;
  private final Duration timeout;
  private final String where;
  private final Clock clock;
  /**
   * Writes of one job are serialised on one of these (its job id's hash picks it): a fixed set,
   * so an instance that touches many jobs holds no lock per job. Jobs that share a stripe wait
   * for each other's writes, never for reads.
   */
  private final Object[] locks = newLocks();
  /** Epochs claimed for jobs that have no position yet, so none in their group. */
  private final Map<String, Long> claimedOnly = new ConcurrentHashMap<>();
  /** The jobs this instance claimed, with the epoch: their groups are renewed until another epoch appears. */
  private final Map<String, Long> claimed = new ConcurrentHashMap<>();
  /** When this instance last wrote each job's group. */
  private final Map<String, Long> lastWriteNanos = new ConcurrentHashMap<>();
  private final Duration refreshInterval;
  private final ScheduledExecutorService refresher;
  private volatile boolean closed;

  /**
   * A store over {@code admin}.
   *
   * @param admin the client; closed with the store when {@code ownsAdmin}
   * @param where the brokers, for messages
   * @param groupPrefix prefix of each job's group
   * @param timeout how long one request may take
   * @param refreshInterval how often the groups of the jobs this instance claimed are written again
   *     against offset retention; zero: never
   */
  public KafkaOffsetStore(Admin admin, boolean ownsAdmin, String where, String groupPrefix, Duration timeout,
      Duration refreshInterval) {
    this.admin = Objects.requireNonNull(admin, "admin");
    this.ownsAdmin = ownsAdmin;
    this.where = Objects.requireNonNull(where, "where");
    this.groupPrefix = Objects.requireNonNull(groupPrefix, "groupPrefix");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.refreshInterval = Objects.requireNonNull(refreshInterval, "refreshInterval");
    this.clock = Clock.systemUTC();
    if (refreshInterval.isZero()) {
      refresher = null;
    } else {
      refresher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tidemark-kafka-store-refresh");
        t.setDaemon(true);
        return t;
      });
      refresher.scheduleWithFixedDelay(this::refreshAll, refreshInterval.toMillis(), refreshInterval.toMillis(),
          TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Writes the group of each job this instance claimed again, unchanged, so that Kafka's offset
   * retention (which counts from each offset's last commit, whether a driver runs or not) never
   * expires the group of a job that is running but idle. A job another writer has claimed since
   * is left alone.
   */
  private void refreshAll() {
    for (Map.Entry<String, Long> e : claimed.entrySet()) {
      String job = e.getKey();
      try {
        synchronized (lockOf(job)) {
          Long wrote = lastWriteNanos.get(job);
          if (wrote != null && System.nanoTime() - wrote < refreshInterval.toNanos() / 2) {
            continue; // committed recently: nothing to renew
          }
          State state = load(job);
          if (state.offsets().epoch() != e.getValue()) {
            claimed.remove(job, e.getValue()); // another writer claimed it since
            continue;
          }
          if (state.header().isEmpty() && state.claimedAfterDelete()) {
            // claimed after a delete, nothing committed yet: the tombstone holds the claim
            writeTombstones(job, state.tombstones(), new GroupMetadata.Tombstone(e.getValue(), true));
            continue;
          }
          if (state.header().isEmpty()) {
            continue; // claimed, nothing committed yet: nothing to renew
          }
          rewrite(job, "the renewal", state, state.header().get());
          LOG.debug("renewed consumer group {} of job {} against offset retention", groupOf(job), job);
        }
      } catch (RuntimeException ex) {
        LOG.warn("could not renew consumer group {} of job {} (tried again in {}): {}", groupOf(job), job,
            refreshInterval, ex.toString());
      }
    }
  }

  private static Object[] newLocks() {
    Object[] locks = new Object[LOCK_STRIPES];
    for (int i = 0; i < locks.length; i++) {
      locks[i] = new Object();
    }
    return locks;
  }

  /** The consumer group that holds {@code job}'s positions. */
  public String groupOf(String job) {
    return groupPrefix + Names.jobId(job);
  }

  /** The group's state as read, with the last commit when the group still has it. */
  private record State(CommittedOffsets offsets, Optional<OffsetCommit> lastCommit, Optional<GroupMetadata> header,
      Map<TopicPartition, GroupMetadata> metadata, Map<TopicPartition, Long> tombstones, boolean claimedAfterDelete) {}

  private void open() {
    if (closed) {
      throw new IllegalStateException("offset store " + description() + " is closed");
    }
  }

  /** The lock that serialises the writes of {@code job} in this instance: one stripe of {@link #locks}. */
  private Object lockOf(String job) {
    return locks[Math.floorMod(job.hashCode(), LOCK_STRIPES)];
  }

  /** How many lock objects this instance holds (for tests). */
  int lockCount() {
    return locks.length;
  }

  @Override
  public CommittedOffsets read(String job) {
    open();
    Names.jobId(job);
    return load(job).offsets();
  }

  @Override
  public CommitResult commit(OffsetCommit commit) {
    open();
    String job = commit.job();
    synchronized (lockOf(job)) {
      State state = load(job);
      CommitRules.Decision decision = CommitRules.check(state.offsets(), state.lastCommit(), commit);
      if (decision instanceof CommitRules.AlreadyApplied) {
        return CommitResult.ALREADY_APPLIED;
      }
      CommittedOffsets next = ((CommitRules.Apply) decision).next();
      requireExisting(job, next.positions().keySet(), state.offsets().positions().keySet());
      GroupMetadata lead = GroupMetadata.lead(commit.epoch(), OptionalLong.of(commit.batchId()), commit.epoch(),
          Optional.of(commit.commitTime()), false, commit.metadata());
      Map<TopicPartition, PositionReset> resets = new HashMap<>();
      commit.resets().forEach(r -> resets.put(r.partition(), r));
      if (next.positions().isEmpty()) {
        return CommitResult.APPLIED; // a batch of no partition: Kafka has nowhere to keep it
      }
      write(job, "batch " + commit.batchId(), next.positions(), lead, tp -> {
        Optional<OffsetRange> range = commit.range(tp);
        return range.isEmpty() ? NOT_MOVED
            : new Moved(OptionalLong.of(range.get().fromOffset()), Optional.ofNullable(resets.get(tp)));
      });
      claimedOnly.remove(job);
      Set<TopicPartition> leftOver = new HashSet<>(state.tombstones().keySet());
      leftOver.removeAll(next.positions().keySet());
      deleteTombstones(job, leftOver); // the first batch after a delete: the job's own offsets replace them
      return CommitResult.APPLIED;
    }
  }

  @Override
  public long claim(String job) {
    open();
    Names.jobId(job);
    synchronized (lockOf(job)) {
      State state = load(job);
      long next = state.offsets().epoch() + 1;
      if (state.header().isEmpty() && state.offsets().positions().isEmpty() && !state.tombstones().isEmpty()) {
        // a deleted job: its tombstone keeps the claim, for every instance
        writeTombstones(job, state.tombstones(), new GroupMetadata.Tombstone(next, true));
        claimedOnly.put(job, next);
        claimed.put(job, next);
        return next;
      }
      if (state.header().isEmpty()) {
        claimedOnly.put(job, next);
        claimed.put(job, next);
        return next;
      }
      rewrite(job, "the claim of epoch " + next, state, state.header().get().withEpoch(next));
      claimed.put(job, next);
      return next;
    }
  }

  @Override
  public List<HistoryEntry> history(String job, int limit) {
    open();
    Names.jobId(job);
    if (limit < 0) {
      throw new IllegalArgumentException("history limit must be >= 0, got " + limit);
    }
    Optional<OffsetCommit> last = load(job).lastCommit();
    return limit == 0 || last.isEmpty() ? List.of() : List.of(new HistoryEntry.Committed(last.get()));
  }

  @Override
  public CommittedOffsets rewind(String job, RewindTarget target) {
    open();
    Names.jobId(job);
    synchronized (lockOf(job)) {
      State state = load(job);
      if (state.offsets().positions().isEmpty()) {
        throw new NoSuchJobException("job " + job + " has no positions in consumer group " + groupOf(job) + " ("
            + description() + "); nothing to rewind");
      }
      List<HistoryEntry> history = state.lastCommit().<List<HistoryEntry>>map(c -> List.of(new HistoryEntry.Committed(c)))
          .orElse(List.of());
      Instant now = clock.instant();
      CommittedOffsets next = CommitRules.rewind(state.offsets(), target, history, now).next();
      requireExisting(job, next.positions().keySet(), state.offsets().positions().keySet());
      GroupMetadata lead = GroupMetadata.lead(next.epoch(), next.lastBatchId(),
          state.header().map(GroupMetadata::batchEpoch).orElse(0L), Optional.of(now), true, new TreeMap<>());
      write(job, "the rewind", next.positions(), lead, tp -> NOT_MOVED);
      // with one batch of history a rewind only moves or adds partitions; should the rules ever drop one, its
      // offset is deleted in a second request (not atomic with the write)
      Set<TopicPartition> dropped = new HashSet<>(state.offsets().positions().keySet());
      dropped.removeAll(next.positions().keySet());
      if (!dropped.isEmpty()) {
        call(admin.deleteConsumerGroupOffsets(groupOf(job), dropped).all(), "delete the offsets of " + dropped.size()
            + " partitions the rewind dropped from group " + groupOf(job));
      }
      return load(job).offsets();
    }
  }

  @Override
  public Set<String> listJobs() {
    open();
    Collection<ConsumerGroupListing> groups = call(admin.listConsumerGroups().all(), "list consumer groups");
    Map<String, ListConsumerGroupOffsetsSpec> specs = new LinkedHashMap<>();
    for (ConsumerGroupListing g : groups) {
      String id = g.groupId();
      if (id.startsWith(groupPrefix) && isJobId(id.substring(groupPrefix.length()))) {
        specs.put(id, new ListConsumerGroupOffsetsSpec());
      }
    }
    Set<String> jobs = new TreeSet<>(claimedOnly.keySet());
    if (!specs.isEmpty()) {
      Map<String, Map<TopicPartition, OffsetAndMetadata>> all = call(admin.listConsumerGroupOffsets(specs).all(),
          "read the offsets of " + specs.size() + " consumer groups");
      all.forEach((group, offsets) -> {
        if (isJob(offsets.values())) {
          jobs.add(group.substring(groupPrefix.length()));
        }
      });
    }
    return jobs;
  }

  /**
   * Whether a group's offsets hold a job: an offset Tidemark wrote that is not a tombstone, or a
   * newest tombstone that a claim came after (as {@code load} reads them).
   */
  private static boolean isJob(Collection<OffsetAndMetadata> offsets) {
    GroupMetadata.Tombstone newest = null;
    for (OffsetAndMetadata o : offsets) {
      if (o == null || o.metadata() == null || !o.metadata().startsWith(GroupMetadata.MARK)) {
        continue;
      }
      Optional<GroupMetadata.Tombstone> t = GroupMetadata.Tombstone.parse(o.metadata());
      if (t.isEmpty()) {
        return true;
      }
      if (newest == null || t.get().epoch() > newest.epoch()) {
        newest = t.get();
      }
    }
    return newest != null && newest.claimed();
  }

  private static boolean isJobId(String candidate) {
    try {
      Names.jobId(candidate);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * Deletes the job. Its group keeps one offset as a tombstone ({@code tm1;e=<epoch>;x}) at
   * an epoch the delete takes: that fences the job's driver, and a claim after the delete goes on
   * above it. Every offset of the group is first rewritten as a tombstone in one request, then all
   * but one are deleted. The tombstone lasts until Kafka's offset retention expires it; a group
   * deleted with Kafka's own tools takes the epoch with it.
   */
  @Override
  public boolean delete(String job) {
    open();
    Names.jobId(job);
    synchronized (lockOf(job)) {
      State state = load(job);
      boolean positioned = !state.offsets().positions().isEmpty();
      boolean existed = positioned || state.claimedAfterDelete() || claimedOnly.containsKey(job);
      if (!existed) {
        return false; // unknown, or deleted already
      }
      Map<TopicPartition, Long> holders = new TreeMap<>(OffsetCommit.PARTITION_ORDER);
      holders.putAll(positioned ? state.offsets().positions() : state.tombstones());
      if (!holders.isEmpty()) {
        writeTombstones(job, holders, new GroupMetadata.Tombstone(state.offsets().epoch() + 1, false));
      } // else claimed here only: Kafka has nowhere to keep its epoch
      claimedOnly.remove(job);
      claimed.remove(job);
      lastWriteNanos.remove(job);
      if (holders.isEmpty()) {
        return true;
      }
      Set<TopicPartition> others = new HashSet<>(holders.keySet());
      others.addAll(state.tombstones().keySet());
      others.remove(holders.keySet().iterator().next()); // the one that keeps the tombstone
      deleteTombstones(job, others);
      return true;
    }
  }

  /**
   * Deletes the offsets of {@code partitions}, tombstones all, so that Kafka's tools show no more of
   * a deleted job than one offset. Only tidying: reads take nothing but the epoch from tombstones,
   * so a failure is logged.
   */
  private void deleteTombstones(String job, Set<TopicPartition> partitions) {
    if (partitions.isEmpty()) {
      return;
    }
    try {
      call(admin.deleteConsumerGroupOffsets(groupOf(job), partitions).all(), "delete " + partitions.size()
          + " tombstone offsets of job " + job + " from group " + groupOf(job));
    } catch (RuntimeException e) {
      LOG.warn("{} tombstone offsets of job {} stay in group {}: {}", partitions.size(), job, groupOf(job), e.toString());
    }
  }

  /** Writes {@code tombstone} on every offset of {@code holders} in one request. */
  private void writeTombstones(String job, Map<TopicPartition, Long> holders, GroupMetadata.Tombstone tombstone) {
    Map<TopicPartition, OffsetAndMetadata> request = new LinkedHashMap<>();
    holders.forEach((tp, offset) -> request.put(tp, new OffsetAndMetadata(offset, tombstone.encode())));
    alter(job, request);
  }

  /** False: Kafka has no compare-and-set on a group's offsets (see the class documentation). */
  @Override
  public boolean isCompareAndSet() {
    return false;
  }

  @Override
  public String description() {
    return "kafka://" + where + " (consumer groups " + groupPrefix + "<job>)";
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (refresher != null) {
      refresher.shutdownNow();
    }
    if (ownsAdmin) {
      admin.close(timeout);
    }
  }

  @Override
  public String toString() {
    return "KafkaOffsetStore[" + description() + "]";
  }

  // ---- reading and writing the group

  private State load(String job) {
    Map<TopicPartition, OffsetAndMetadata> raw = call(admin.listConsumerGroupOffsets(groupOf(job))
        .partitionsToOffsetAndMetadata(), "read the offsets of consumer group " + groupOf(job));
    Map<TopicPartition, Long> positions = new HashMap<>();
    Map<TopicPartition, GroupMetadata> metadata = new HashMap<>();
    Map<TopicPartition, Long> tombstones = new HashMap<>();
    GroupMetadata.Tombstone newestTombstone = null;
    GroupMetadata newest = null;
    for (Map.Entry<TopicPartition, OffsetAndMetadata> e : raw.entrySet()) {
      if (e.getValue() == null) {
        continue;
      }
      Optional<GroupMetadata.Tombstone> deleted = GroupMetadata.Tombstone.parse(e.getValue().metadata());
      if (deleted.isPresent()) { // left by a delete: not a position, only the epoch the job goes on above
        tombstones.put(e.getKey(), e.getValue().offset());
        if (newestTombstone == null || deleted.get().epoch() > newestTombstone.epoch()) {
          newestTombstone = deleted.get();
        }
        continue;
      }
      positions.put(e.getKey(), e.getValue().offset());
      Optional<GroupMetadata> m;
      try {
        m = GroupMetadata.decode(e.getKey(), e.getValue().metadata());
      } catch (IllegalArgumentException bad) {
        throw new StoreCorruptedException("consumer group " + groupOf(job) + " (" + description() + "): "
            + bad.getMessage() + ". Reset the group with `tidemark offsets import` or kafka-consumer-groups.sh"
            + " --reset-offsets, or delete it to start the job by its start policy.");
      }
      if (m.isPresent()) {
        metadata.put(e.getKey(), m.get());
        if (newest == null || m.get().newerThan(newest)) {
          newest = m.get();
        }
      }
    }
    long memory = Math.max(claimedOnly.getOrDefault(job, 0L), newestTombstone == null ? 0 : newestTombstone.epoch());
    boolean claimedAfterDelete = newestTombstone != null && newestTombstone.claimed();
    if (newest == null) {
      CommittedOffsets offsets = positions.isEmpty() ? CommittedOffsets.none(job, memory)
          : CommittedOffsets.of(job, positions, OptionalLong.empty(), memory, Optional.empty());
      return new State(offsets, Optional.empty(), Optional.empty(), metadata, tombstones, claimedAfterDelete);
    }
    GroupMetadata last = newest;
    // the lead of the newest write carries the job's state; without it (a partition lost since), only epoch and batch
    GroupMetadata header = metadata.values().stream().filter(m -> m.lead() && m.sameWrite(last)).findFirst()
        .orElse(null);
    if (header == null) {
      LOG.warn("consumer group {} of job {} has lost both lead offsets of its last write (reset or deleted outside"
          + " Tidemark?): its epoch and last batch are kept, the last commit's time and metadata are not, and a retry"
          + " of that commit will be refused", groupOf(job), job);
      header = GroupMetadata.lead(last.epoch(), last.lastBatch(), 0, Optional.empty(), true, new TreeMap<>());
    }
    CommittedOffsets offsets = CommittedOffsets.of(job, positions, header.lastBatch(), Math.max(header.epoch(), memory),
        header.time());
    return new State(offsets, lastCommit(job, header, positions, metadata), Optional.of(header), metadata, tombstones,
        claimedAfterDelete);
  }

  /** The last batch, rebuilt from the partitions it moved, if no rewind came after it. */
  private static Optional<OffsetCommit> lastCommit(String job, GroupMetadata header, Map<TopicPartition, Long> positions,
      Map<TopicPartition, GroupMetadata> metadata) {
    if (header.rewound() || header.lastBatch().isEmpty() || header.batchEpoch() < 1) {
      return Optional.empty();
    }
    List<OffsetRange> ranges = new ArrayList<>();
    List<PositionReset> resets = new ArrayList<>();
    metadata.forEach((tp, m) -> {
      if (m.sameWrite(header) && m.from().isPresent()) {
        long from = m.from().getAsLong();
        long until = positions.get(tp);
        if (until >= from) {
          ranges.add(new OffsetRange(tp.topic(), tp.partition(), from, until));
        }
        m.reset().ifPresent(resets::add);
      }
    });
    return Optional.of(OffsetCommit.builder(job, header.lastBatch().getAsLong(), header.batchEpoch()).ranges(ranges)
        .resets(resets).metadata(header.commitMetadata()).commitTime(header.time().orElseThrow()).build());
  }

  /** What a write keeps of one partition's part in the last batch. */
  private record Moved(OptionalLong from, Optional<PositionReset> reset) {}

  private static final Moved NOT_MOVED = new Moved(OptionalLong.empty(), Optional.empty());

  /** Writes the stored state again under {@code lead} (a claim's new epoch, or the same state to renew it). */
  private void rewrite(String job, String what, State state, GroupMetadata lead) {
    GroupMetadata before = state.header().orElseThrow();
    write(job, what, state.offsets().positions(), lead, tp -> {
      GroupMetadata m = state.metadata().get(tp);
      return m == null || !m.sameWrite(before) ? NOT_MOVED : new Moved(m.from(), m.reset());
    });
  }

  /**
   * Writes every position of the job in one request: the first partition (topic, then partition
   * order) as the lead, carrying {@code lead}'s state; every other with the epoch and batch only.
   *
   * @throws CommitTooLargeException when Kafka would refuse the request for its size
   */
  private void write(String job, String what, Map<TopicPartition, Long> positions, GroupMetadata lead,
      java.util.function.Function<TopicPartition, Moved> moved) {
    Map<TopicPartition, Long> ordered = new TreeMap<>(OffsetCommit.PARTITION_ORDER);
    ordered.putAll(positions);
    Map<TopicPartition, OffsetAndMetadata> request = new LinkedHashMap<>();
    // a batch's commit keeps room for the longer epochs of later claims and renewals of the same state
    int limit = what.startsWith("batch") ? METADATA_MAX_BYTES - METADATA_HEADROOM : METADATA_MAX_BYTES;
    int groupBytes = groupOf(job).getBytes(StandardCharsets.UTF_8).length;
    long bytes = 0;
    int i = 0;
    for (Map.Entry<TopicPartition, Long> e : ordered.entrySet()) {
      Moved m = moved.apply(e.getKey());
      // the first and the last partition both lead, so that the job's state survives the loss of one offset
      boolean isLead = i == 0 || i == ordered.size() - 1;
      String encoded = lead.forPartition(isLead, m.from(), m.reset()).encode();
      int size = encoded.getBytes(StandardCharsets.UTF_8).length;
      if (size > limit) {
        throw new CommitTooLargeException(what + " of job " + job + ": its metadata takes " + size + " bytes in the"
            + " group's lead offsets, and Kafka keeps at most " + METADATA_MAX_BYTES + " by default"
            + " (offset.metadata.max.bytes; a commit keeps " + METADATA_HEADROOM + " of them for later claims). Put"
            + " less in OffsetCommit metadata, or use a zk:, hbase: or file: store.");
      }
      bytes += size + groupBytes + e.getKey().topic().getBytes(StandardCharsets.UTF_8).length + OFFSET_RECORD_OVERHEAD;
      request.put(e.getKey(), new OffsetAndMetadata(e.getValue(), encoded));
      i++;
    }
    if (bytes > REQUEST_MAX_BYTES) {
      throw new CommitTooLargeException(what + " of job " + job + ": " + request.size() + " offsets take about " + bytes
          + " bytes, and Kafka appends a group's commit as one record batch of at most message.max.bytes of"
          + " __consumer_offsets (1 MB by default). Split the job's topics over several jobs, or use a zk:, hbase:"
          + " or file: store.");
    }
    alter(job, request);
    lastWriteNanos.put(job, System.nanoTime());
  }

  /** Refuses partitions new to the job that Kafka does not have: it would keep the others only. */
  private void requireExisting(String job, Set<TopicPartition> partitions, Set<TopicPartition> stored) {
    Map<String, List<TopicPartition>> fresh = partitions.stream().filter(tp -> !stored.contains(tp))
        .collect(Collectors.groupingBy(TopicPartition::topic));
    if (fresh.isEmpty()) {
      return;
    }
    Set<String> existing = call(admin.listTopics().names(), "list topics");
    List<String> missing = new ArrayList<>();
    List<String> known = fresh.keySet().stream().filter(existing::contains).collect(Collectors.toList());
    fresh.keySet().stream().filter(t -> !existing.contains(t)).forEach(t -> missing.add(t + " (no such topic)"));
    if (!known.isEmpty()) {
      Map<String, TopicDescription> described = call(admin.describeTopics(known).allTopicNames(),
          "describe topics " + known);
      for (String t : known) {
        int count = described.get(t).partitions().size();
        fresh.get(t).stream().filter(tp -> tp.partition() >= count)
            .forEach(tp -> missing.add(tp + " (" + t + " has " + count + " partitions)"));
      }
    }
    if (!missing.isEmpty()) {
      missing.sort(null);
      throw new OffsetStoreException("job " + job + ": the kafka: store keeps positions as consumer-group offsets, and"
          + " Kafka keeps none for a partition it does not have: " + String.join(", ", missing) + ". Nothing was"
          + " written. Create the partitions first, or use a zk:, hbase: or file: store.");
    }
  }

  private void alter(String job, Map<TopicPartition, OffsetAndMetadata> write) {
    String group = groupOf(job);
    try {
      admin.alterConsumerGroupOffsets(group, write).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof GroupNotEmptyException || cause instanceof UnknownMemberIdException) {
        throw new OffsetStoreException("consumer group " + group + " has running members, and Kafka accepts offsets"
            + " from outside a group only when it has none: give the job's Kafka consumers another group.id than "
            + group + ", or set kafka.group.prefix. Nothing of job " + job + " was written.", cause);
      }
      if (cause instanceof UnknownTopicOrPartitionException) {
        throw new OffsetStoreException("Kafka refused the offsets of job " + job + " in group " + group + " for a"
            + " partition it does not have (a topic deleted while the job ran?); the other partitions may have been"
            + " written. Check the job with `tidemark offsets show`.", cause);
      }
      throw failure(cause, "write " + write.size() + " offsets of consumer group " + group);
    } catch (TimeoutException | InterruptedException e) {
      throw failure(e, "write " + write.size() + " offsets of consumer group " + group);
    }
  }

  private <T> T call(KafkaFuture<T> future, String what) {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw failure(e.getCause(), what);
    } catch (TimeoutException | InterruptedException e) {
      throw failure(e, what);
    }
  }

  private OffsetStoreException failure(Throwable cause, String what) {
    if (cause instanceof InterruptedException) {
      Thread.currentThread().interrupt();
      return new StoreUnavailableException("interrupted while trying to " + what + " (" + description() + ")", cause);
    }
    if (cause instanceof TimeoutException || cause instanceof RetriableException
        || cause instanceof org.apache.kafka.common.errors.TimeoutException) {
      return new StoreUnavailableException("Kafka at " + where + " did not " + what + " within " + timeout
          + " (kafka.request.timeout): check that the brokers run and that this host can reach them; nothing was"
          + " changed unless a write was under way (" + cause + ")", cause);
    }
    return new OffsetStoreException("Kafka at " + where + " refused to " + what + ": " + cause, cause);
  }
}
