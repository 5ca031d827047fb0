package io.tidemark.offsets.zookeeper;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.CommitTooLargeException;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.NoSuchJobException;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetConflictException;
import io.tidemark.offsets.OffsetStoreException;
import io.tidemark.offsets.RewindTarget;
import io.tidemark.offsets.StoreCorruptedException;
import io.tidemark.offsets.StoreUnavailableException;
import io.tidemark.offsets.spi.CommitRules;
import io.tidemark.offsets.spi.Names;
import io.tidemark.offsets.spi.RetrySchedule;
import io.tidemark.offsets.zookeeper.internal.Layout;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.kafka.common.TopicPartition;
import org.apache.zookeeper.CreateMode;
import org.apache.jute.BinaryOutputArchive;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.MultiOperationRecord;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ZooKeeper {@link OffsetStore}: each commit is one {@code multi} transaction that checks the
 * writer epoch's and the head's versions and writes the changed offsets and one history entry,
 * so it is atomic and takes one round trip whatever the partition count. The layout is in
 * {@link Layout}: offsets are plain decimal text that {@code zkCli.sh get} shows.
 *
 * <p>Open one with {@code OffsetStores.open("zk://host:2181,host2:2181/tidemark")}, or build one
 * around a {@link CuratorFramework} you own with {@link #builder(CuratorFramework)}; then the
 * store never closes it.
 *
 * <p>Round trips: a commit on the job's cached state is one {@code multi}. The first commit
 * after opening, a claim, a conflict or a reconnect reads the job first (two round trips, plus
 * one for the last history entry).
 *
 * <p>Faults: every operation retries through connection loss, session expiry and request
 * timeouts until its deadline, then throws {@link StoreUnavailableException} naming the connect
 * string and the cause. A commit or rewind whose outcome is unknown is resolved by reading the
 * job back: if its transaction applied, the commit reports {@link CommitResult#APPLIED} (the
 * rewind returns its result); it is never applied twice and never reported as failed.
 *
 * <p>ACLs: nodes are created with {@link Builder#acl(List)}, open by default. Around a client
 * that is authenticated, pass a creator-only ACL (for example
 * {@code ZooDefs.Ids.CREATOR_ALL_ACL}); the {@code zk://} provider does this itself.
 *
 * <p>Thread-safe: operations are serialised per store instance; several instances (or
 * processes) on one ZooKeeper are kept consistent by the version checks.
 */
public final class ZooKeeperOffsetStore implements OffsetStore {
  private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperOffsetStore.class);

  private final CuratorFramework client;
  private final boolean ownsClient;
  private final Layout layout;
  private final String root;
  private final int historyMax;
  private final int maxRequestBytes;
  private final Duration deadline;
  private final Duration backoff;
  private final List<ACL> acl;
  private final Clock clock;
  private final Faults faults;
  private final Map<String, Snapshot> cache = new HashMap<>();
  private boolean closed;
  /** The operations of the last commit's transaction, for tests that measure its request size. */
  private List<Op> lastCommitOps = List.of();

  private ZooKeeperOffsetStore(Builder b) {
    this.client = b.client;
    this.ownsClient = b.ownsClient;
    this.root = b.root;
    this.layout = new Layout(b.root);
    this.historyMax = b.historyMax;
    this.maxRequestBytes = b.maxRequestBytes;
    this.deadline = b.deadline;
    this.backoff = b.backoff;
    // ZooKeeper's ACL check calls contains(null), which immutable lists refuse
    this.acl = Collections.unmodifiableList(new ArrayList<>(b.acl));
    this.clock = b.clock;
    this.faults = b.faults;
    retrying("create the store's root " + layout.jobs(), zk -> {
      ensurePath(zk, layout.jobs());
      return null;
    });
  }

  /** A builder around {@code client}, which the caller started and keeps owning. */
  public static Builder builder(CuratorFramework client) {
    return new Builder(client);
  }

  // ---- the state of one job, as read at one head version

  private record Snapshot(CommittedOffsets offsets, Layout.Head head, int headVersion, int epochVersion,
      Map<String, Map<Integer, Map<Integer, Long>>> buckets, Optional<OffsetCommit> lastCommit) {
    boolean exists() {
      return headVersion >= 0;
    }
  }

  private static final int SNAPSHOT_ATTEMPTS = 100;
  /** History entries deleted by one transaction at most, when the retained window shrank. */
  private static final int PRUNE_MAX = 100;

  /**
   * One consistent state of {@code job}: the head, then a read-only {@code multi} of the epoch,
   * every bucket the head names and the head again. A commit changes the head in the same
   * transaction as its buckets, so an unchanged head version means nothing moved in between.
   */
  private Snapshot readSnapshot(ZooKeeper zk, String job, boolean withLastCommit)
      throws KeeperException, InterruptedException {
    for (int attempt = 1; attempt <= SNAPSHOT_ATTEMPTS; attempt++) {
      Stat headStat = new Stat();
      byte[] headData;
      try {
        headData = zk.getData(layout.head(job), false, headStat);
      } catch (KeeperException.NoNodeException e) {
        return absent(zk, job);
      }
      Layout.Head head = Layout.decodeHead(headData, layout.head(job));
      List<Op> reads = new ArrayList<>();
      List<String> bucketPaths = new ArrayList<>();
      reads.add(Op.getData(layout.epoch(job)));
      head.buckets().forEach((topic, firsts) -> firsts.forEach(f -> bucketPaths.add(layout.bucket(job, topic, f))));
      bucketPaths.forEach(path -> reads.add(Op.getData(path)));
      reads.add(Op.getData(layout.head(job)));
      List<OpResult> results = zk.multi(reads);
      if (!(results.get(results.size() - 1) instanceof OpResult.GetDataResult again)
          || again.getStat().getVersion() != headStat.getVersion()) {
        continue; // a commit, rewind or delete got in between
      }
      for (int k = 0; k < results.size(); k++) {
        if (results.get(k) instanceof OpResult.ErrorResult error) {
          // the head did not change, so nothing of ours removed this node
          throw new StoreCorruptedException("znode " + reads.get(k).getPath() + " of job " + job + " cannot be read ("
              + KeeperException.Code.get(error.getErr()) + ") although " + layout.head(job) + " lists it. It was"
              + " changed outside Tidemark; restore it, or delete the job and start it from explicit offsets.");
        }
      }
      OpResult.GetDataResult epochResult = (OpResult.GetDataResult) results.get(0);
      long epoch = Layout.decodeEpoch(epochResult.getData(), layout.epoch(job));
      Map<String, Map<Integer, Map<Integer, Long>>> buckets = new TreeMap<>();
      Map<TopicPartition, Long> positions = new HashMap<>();
      int index = 1;
      for (Map.Entry<String, SortedSet<Integer>> t : head.buckets().entrySet()) {
        Map<Integer, Map<Integer, Long>> byFirst = new TreeMap<>();
        for (int first : t.getValue()) {
          String path = bucketPaths.get(index - 1);
          Map<Integer, Long> bucket = Layout.decodeBucket(((OpResult.GetDataResult) results.get(index++)).getData(), path);
          byFirst.put(first, bucket);
          bucket.forEach((p, o) -> positions.put(new TopicPartition(t.getKey(), p), o));
        }
        buckets.put(t.getKey(), byFirst);
      }
      Optional<OffsetCommit> last = Optional.empty();
      if (withLastCommit && head.historySeq() >= head.historyFirst()) {
        String path = layout.historyEntry(job, head.historySeq());
        try {
          // entries never change once written; only a later commit's pruning removes one
          HistoryEntry e = Layout.decodeHistory(zk.getData(path, false, null), path);
          last = e instanceof HistoryEntry.Committed c ? Optional.of(c.commit()) : Optional.empty();
        } catch (KeeperException.NoNodeException pruned) {
          continue;
        }
      }
      return new Snapshot(CommittedOffsets.of(job, positions, head.lastBatchId(), epoch, head.lastCommitTime()),
          head, headStat.getVersion(), epochResult.getStat().getVersion(), buckets, last);
    }
    throw new StoreUnavailableException("job " + job + " changed under each of " + SNAPSHOT_ATTEMPTS
        + " attempts to read it at one version; other writers are committing faster than " + description()
        + " answers. Retry, or read less often.", null);
  }

  /**
   * The snapshot of a job without a head: unknown, or deleted, when its epoch node stays as the
   * tombstone that keeps the epoch its delete took.
   */
  private Snapshot absent(ZooKeeper zk, String job) throws KeeperException, InterruptedException {
    Stat stat = new Stat();
    try {
      long epoch = Layout.decodeEpoch(zk.getData(layout.epoch(job), false, stat), layout.epoch(job));
      return new Snapshot(CommittedOffsets.none(job, epoch), Layout.Head.empty(), -1, stat.getVersion(), Map.of(),
          Optional.empty());
    } catch (KeeperException.NoNodeException never) {
      return new Snapshot(CommittedOffsets.none(job, 0), Layout.Head.empty(), -1, -1, Map.of(), Optional.empty());
    }
  }

  /**
   * Whether {@code entry} is among the job's history entries written under {@code epoch} or later:
   * a transaction of ours whose answer was lost applied, and other writers moved the job on since.
   * Reads back from the newest entry to the first one written under an older epoch (epochs never
   * go down along the history).
   */
  private boolean inHistorySince(ZooKeeper zk, String job, Snapshot s, HistoryEntry entry, long epoch)
      throws KeeperException, InterruptedException {
    for (long seq = s.head().historySeq(); seq >= s.head().historyFirst(); seq--) {
      String path = layout.historyEntry(job, seq);
      HistoryEntry e;
      try {
        e = Layout.decodeHistory(zk.getData(path, false, null), path);
      } catch (KeeperException.NoNodeException pruned) {
        return false;
      }
      if (e.equals(entry)) {
        return true;
      }
      if (e.epoch() < epoch) {
        return false;
      }
    }
    return false;
  }

  /** The operations of the last commit's {@code multi} (package-private, for tests). */
  synchronized List<Op> lastCommitOps() {
    return lastCommitOps;
  }

  // ---- the OffsetStore contract

  @Override
  public synchronized CommittedOffsets read(String job) {
    open(job);
    return retrying("read job " + job, zk -> readSnapshot(zk, job, false)).offsets();
  }

  @Override
  public synchronized CommitResult commit(OffsetCommit commit) {
    open(commit.job());
    String job = commit.job();
    boolean[] sent = {false};
    return retrying("commit batch " + commit.batchId() + " of job " + job, zk -> {
      Snapshot s = cache.get(job);
      boolean fresh = s == null;
      if (fresh) {
        s = readSnapshot(zk, job, true);
      }
      for (int attempt = 0; ; attempt++) {
        CommitRules.Decision d;
        try {
          d = CommitRules.check(s.offsets(), s.lastCommit(), commit);
        } catch (OffsetConflictException e) {
          if (fresh) {
            if (sent[0] && inHistorySince(zk, job, s, new HistoryEntry.Committed(commit), commit.epoch())) {
              return CommitResult.APPLIED; // ours, its answer lost; another driver has written since
            }
            throw e;
          }
          // judged on the cached state: another instance may have claimed or rewound since
          cache.remove(job);
          s = readSnapshot(zk, job, true);
          fresh = true;
          continue;
        }
        if (!(d instanceof CommitRules.Apply apply)) {
          if (!fresh) {
            cache.remove(job);
            s = readSnapshot(zk, job, true);
            fresh = true;
            continue;
          }
          cache.put(job, s);
          // a transaction of ours whose answer was lost, now read back as stored, did apply
          return sent[0] && s.lastCommit().filter(commit::equals).isPresent() ? CommitResult.APPLIED
              : CommitResult.ALREADY_APPLIED;
        }
        Map<TopicPartition, Long> changes = new HashMap<>();
        for (OffsetRange r : commit.ranges()) {
          changes.put(r.topicPartition(), r.untilOffset());
        }
        Map<String, Map<Integer, Map<Integer, Long>>> buckets = copy(s.buckets());
        List<Op> ops = new ArrayList<>();
        ops.add(Op.check(layout.epoch(job), s.epochVersion()));
        Layout.Head head = transaction(job, s, apply.next(), new HistoryEntry.Committed(commit), changes, buckets,
            false, ops);
        requireFits(ops, "commit batch " + commit.batchId() + " of job " + job + " (" + commit.ranges().size()
            + " partitions)");
        lastCommitOps = ops;
        try {
          faults.beforeSend(zk);
          sent[0] = true;
          zk.multi(ops);
          faults.afterApplied(zk);
        } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException
            | KeeperException.NoNodeException e) {
          // another writer (or our own unacknowledged attempt) got there first: judge against what is stored
          cache.remove(job);
          s = readSnapshot(zk, job, true);
          fresh = true;
          if (attempt > 10) {
            throw new OffsetStoreException("job " + job + " changed under " + attempt + " attempts to commit batch "
                + commit.batchId() + "; last: " + e);
          }
          continue;
        }
        cache.put(job, new Snapshot(apply.next(), head, s.headVersion() + 1, s.epochVersion(), buckets,
            Optional.of(commit)));
        return CommitResult.APPLIED;
      }
    });
  }

  private static Map<String, Map<Integer, Map<Integer, Long>>> copy(Map<String, Map<Integer, Map<Integer, Long>>> in) {
    Map<String, Map<Integer, Map<Integer, Long>>> out = new TreeMap<>();
    in.forEach((t, byFirst) -> {
      Map<Integer, Map<Integer, Long>> m = new TreeMap<>();
      byFirst.forEach((f, b) -> m.put(f, new TreeMap<>(b)));
      out.put(t, m);
    });
    return out;
  }

  /**
   * Adds to {@code ops} the rest of a transaction that moves {@code s} to {@code next}: the head
   * at its read version, the buckets {@code changes} touch (updating {@code buckets}), the
   * history entry and the pruning of entries that leave the retained window. With
   * {@code replace}, {@code changes} are all the positions and every other stored one is dropped
   * (a rewind). Returns the new head.
   */
  private Layout.Head transaction(String job, Snapshot s, CommittedOffsets next, HistoryEntry entry,
      Map<TopicPartition, Long> changes, Map<String, Map<Integer, Map<Integer, Long>>> buckets, boolean replace,
      List<Op> ops) {
    Layout.Head before = s.head();
    long seq = before.historySeq() + 1;
    long first = before.historyFirst();
    List<Op> prunes = new ArrayList<>();
    while (first <= seq - historyMax && prunes.size() < PRUNE_MAX) {
      prunes.add(Op.delete(layout.historyEntry(job, first++), -1));
    }
    SortedMap<String, SortedSet<Integer>> names = new TreeMap<>(before.buckets());
    List<Op> writes = new ArrayList<>();
    Map<String, Map<Integer, Map<Integer, Long>>> touched = new TreeMap<>();
    if (replace) {
      // every existing bucket is rewritten from {@code changes} alone, emptied if none of it remains
      buckets.clear();
      before.buckets().forEach((topic, firsts) -> firsts.forEach(f -> touched
          .computeIfAbsent(topic, t -> new TreeMap<>()).computeIfAbsent(f, x -> new TreeMap<>())));
    }
    changes.forEach((tp, o) -> touched.computeIfAbsent(tp.topic(), t -> new TreeMap<>())
        .computeIfAbsent(Layout.bucketOf(tp.partition()), f -> new TreeMap<>()).put(tp.partition(), o));
    touched.forEach((topic, byFirst) -> {
      Map<Integer, Map<Integer, Long>> current = buckets.computeIfAbsent(topic, t -> new TreeMap<>());
      if (!names.containsKey(topic)) {
        writes.add(Op.create(layout.topic(job, topic), new byte[0], acl, CreateMode.PERSISTENT));
      }
      SortedSet<Integer> firsts = new TreeSet<>(names.getOrDefault(topic, new TreeSet<>()));
      byFirst.forEach((f, updates) -> {
        Map<Integer, Long> bucket = current.computeIfAbsent(f, x -> new TreeMap<>());
        bucket.putAll(updates);
        String path = layout.bucket(job, topic, f);
        writes.add(before.hasBucket(topic, f) ? Op.setData(path, Layout.encodeBucket(bucket), -1)
            : Op.create(path, Layout.encodeBucket(bucket), acl, CreateMode.PERSISTENT));
        firsts.add(f);
      });
      names.put(topic, firsts);
    });
    Layout.Head head = new Layout.Head(next.lastBatchId(), seq, first, next.lastCommitTime(), names);
    ops.add(Op.setData(layout.head(job), Layout.encodeHead(head), s.headVersion()));
    ops.addAll(writes);
    ops.add(Op.create(layout.historyEntry(job, seq), Layout.encodeHistory(entry), acl, CreateMode.PERSISTENT));
    ops.addAll(prunes);
    return head;
  }

  /**
   * Refuses a transaction larger than {@code zk.max.request.bytes} before sending it: ZooKeeper
   * would drop the connection on it, which looks like an outage and would be retried in vain.
   */
  private void requireFits(List<Op> ops, String what) {
    long bytes = requestBytes(ops);
    if (bytes > maxRequestBytes) {
      throw new CommitTooLargeException("cannot " + what + " in one ZooKeeper transaction: it needs about " + bytes
          + " bytes and zk.max.request.bytes is " + maxRequestBytes + ". Nothing was written. Commit fewer partitions"
          + " per batch, or raise jute.maxbuffer on the ZooKeeper servers and clients and zk.max.request.bytes with it.");
    }
  }

  /** The serialised size of {@code ops} as one {@code multi} request, as the client sends it. */
  static long requestBytes(List<Op> ops) {
    long[] count = {0};
    OutputStream counter = new OutputStream() {
      @Override
      public void write(int b) {
        count[0]++;
      }

      @Override
      public void write(byte[] b, int off, int len) {
        count[0] += len;
      }
    };
    try {
      new MultiOperationRecord(ops).serialize(BinaryOutputArchive.getArchive(counter), "request");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return count[0];
  }

  @Override
  public synchronized long claim(String job) {
    open(job);
    return retrying("claim job " + job, zk -> {
      for (int attempt = 0; ; attempt++) {
        cache.remove(job);
        Stat stat = new Stat();
        long epoch = -1;
        try {
          epoch = Layout.decodeEpoch(zk.getData(layout.epoch(job), false, stat), layout.epoch(job));
        } catch (KeeperException.NoNodeException never) {
          // a job this store never had
        }
        try {
          if (epoch < 0) {
            return create(zk, job);
          }
          if (zk.exists(layout.head(job), false) != null) {
            // a delete in between moves the epoch node's version too, so this then fails
            zk.setData(layout.epoch(job), Layout.encodeEpoch(epoch + 1), stat.getVersion());
            return epoch + 1;
          }
          // a deleted job, its epoch node kept as the tombstone: create it again above that epoch
          Stat claimed = zk.setData(layout.epoch(job), Layout.encodeEpoch(epoch + 1), stat.getVersion());
          removeUnderEpoch(zk, job, claimed.getVersion());
          zk.multi(List.of(
              Op.check(layout.epoch(job), claimed.getVersion()),
              Op.create(layout.head(job), Layout.encodeHead(Layout.Head.empty()), acl, CreateMode.PERSISTENT),
              Op.create(layout.offsets(job), new byte[0], acl, CreateMode.PERSISTENT),
              Op.create(layout.history(job), new byte[0], acl, CreateMode.PERSISTENT)));
          return epoch + 1;
        } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException
            | KeeperException.NoNodeException raced) {
          // another claim or a delete got in between: read again
        }
        if (attempt > 50) {
          throw new OffsetStoreException("could not claim job " + job + ": " + attempt + " concurrent claims got in first");
        }
      }
    });
  }

  /** Creates a job the store never had, at epoch 1; fails with NodeExists when another claim got there first. */
  private long create(ZooKeeper zk, String job) throws KeeperException, InterruptedException {
    try {
      zk.multi(List.of(
          Op.create(layout.job(job), new byte[0], acl, CreateMode.PERSISTENT),
          Op.create(layout.epoch(job), Layout.encodeEpoch(1), acl, CreateMode.PERSISTENT),
          Op.create(layout.head(job), Layout.encodeHead(Layout.Head.empty()), acl, CreateMode.PERSISTENT),
          Op.create(layout.offsets(job), new byte[0], acl, CreateMode.PERSISTENT),
          Op.create(layout.history(job), new byte[0], acl, CreateMode.PERSISTENT)));
      return 1L;
    } catch (KeeperException.NodeExistsException raced) {
      if (zk.exists(layout.head(job), false) == null && zk.exists(layout.epoch(job), false) == null) {
        // what an interrupted delete of an older version left behind: finish deleting it
        deleteRecursively(zk, layout.job(job));
      }
      throw raced; // else another claim created the job first: bump its epoch instead
    }
  }

  @Override
  public synchronized List<HistoryEntry> history(String job, int limit) {
    open(job);
    if (limit < 0) {
      throw new IllegalArgumentException("history limit must be >= 0, got " + limit);
    }
    return retrying("read the history of job " + job, zk -> readHistory(zk, job, readSnapshot(zk, job, false), limit));
  }

  /** Up to {@code limit} history entries of {@code s}, newest first. */
  private List<HistoryEntry> readHistory(ZooKeeper zk, String job, Snapshot s, int limit)
      throws KeeperException, InterruptedException {
    List<HistoryEntry> entries = new ArrayList<>();
    for (long seq = s.head().historySeq(); seq >= s.head().historyFirst() && entries.size() < limit; seq--) {
      String path = layout.historyEntry(job, seq);
      try {
        entries.add(Layout.decodeHistory(zk.getData(path, false, null), path));
      } catch (KeeperException.NoNodeException pruned) {
        break; // a commit since the snapshot pruned the older entries
      }
    }
    return entries;
  }

  @Override
  public synchronized CommittedOffsets rewind(String job, RewindTarget target) {
    open(job);
    Instant now = clock.instant();
    CommitRules.Rewind[] sent = {null};
    return retrying("rewind job " + job, zk -> {
      for (int attempt = 0; ; attempt++) {
        cache.remove(job);
        Snapshot s = readSnapshot(zk, job, false);
        if (!s.exists()) {
          throw new NoSuchJobException("job " + job + " is not in " + description() + "; known jobs: " + listJobs());
        }
        if (sent[0] != null && inHistorySince(zk, job, s, sent[0].entry(), sent[0].entry().epoch())) {
          // a rewind of ours whose answer was lost did apply (others may have written since)
          return sent[0].next();
        }
        Snapshot at = s;
        CommitRules.Rewind r;
        try {
          r = CommitRules.rewind(s.offsets(), target, limit -> readHistory(zk, job, at, limit), now);
        } catch (KeeperException | InterruptedException | RuntimeException e) {
          throw e;
        } catch (Exception e) {
          throw new IllegalStateException("unexpected failure reading the history of job " + job, e);
        }
        List<Op> ops = new ArrayList<>();
        ops.add(Op.setData(layout.epoch(job), Layout.encodeEpoch(r.next().epoch()), s.epochVersion()));
        transaction(job, s, r.next(), r.entry(), r.next().positions(), new TreeMap<>(), true, ops);
        requireFits(ops, "rewind job " + job);
        try {
          faults.beforeSend(zk);
          sent[0] = r;
          zk.multi(ops);
          faults.afterApplied(zk);
          return r.next();
        } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException
            | KeeperException.NoNodeException e) {
          if (attempt >= 10) {
            throw new OffsetStoreException("job " + job + " changed under " + (attempt + 1) + " attempts to rewind it;"
                + " last: " + e);
          }
          // a commit or claim got in between: rewind what is stored now
        }
      }
    });
  }

  @Override
  public synchronized Set<String> listJobs() {
    open(null);
    return retrying("list jobs", zk -> {
      Set<String> jobs = new TreeSet<>();
      for (String job : zk.getChildren(layout.jobs(), false)) {
        if (zk.exists(layout.head(job), false) != null) {
          jobs.add(job);
        }
      }
      return jobs;
    });
  }

  @Override
  public synchronized boolean delete(String job) {
    open(job);
    cache.remove(job);
    return retrying("delete job " + job, zk -> {
      for (int attempt = 0; ; attempt++) {
        Stat stat = new Stat();
        long epoch;
        try {
          epoch = Layout.decodeEpoch(zk.getData(layout.epoch(job), false, stat), layout.epoch(job));
        } catch (KeeperException.NoNodeException noEpoch) {
          if (zk.exists(layout.job(job), false) != null && zk.exists(layout.head(job), false) == null) {
            deleteRecursively(zk, layout.job(job)); // what an interrupted delete of an older version left
          }
          return false;
        }
        if (zk.exists(layout.head(job), false) == null) {
          return false; // deleted already; the next claim removes anything an interrupted delete left
        }
        // the job disappears for readers and writers at once, under a new epoch that fences its driver;
        // the epoch node stays as the tombstone from which a later claim goes on
        List<OpResult> done;
        try {
          done = zk.multi(List.of(Op.delete(layout.head(job), -1),
              Op.setData(layout.epoch(job), Layout.encodeEpoch(epoch + 1), stat.getVersion())));
        } catch (KeeperException.BadVersionException | KeeperException.NoNodeException raced) {
          if (attempt > 50) {
            throw new OffsetStoreException("could not delete job " + job + ": " + attempt + " claims got in first");
          }
          continue;
        }
        try {
          removeUnderEpoch(zk, job, ((OpResult.SetDataResult) done.get(1)).getStat().getVersion());
        } catch (KeeperException.BadVersionException claimedSince) {
          // a claim created the job again meanwhile: it removed the rest itself
        }
        return true;
      }
    });
  }

  /**
   * Removes the positions and history of a job that has no head (deleted), in transactions that
   * each check that the epoch node is still at {@code epochVersion}: a claim that created the job
   * again since has moved it, so nothing it wrote is ever removed.
   */
  private void removeUnderEpoch(ZooKeeper zk, String job, int epochVersion) throws KeeperException, InterruptedException {
    List<String> paths = new ArrayList<>();
    for (String top : List.of(layout.offsets(job), layout.history(job))) {
      collectDepthFirst(zk, top, paths);
    }
    for (int from = 0; from < paths.size(); from += PRUNE_MAX) {
      List<Op> ops = new ArrayList<>();
      ops.add(Op.check(layout.epoch(job), epochVersion));
      paths.subList(from, Math.min(paths.size(), from + PRUNE_MAX)).forEach(p -> ops.add(Op.delete(p, -1)));
      zk.multi(ops);
    }
  }

  /** Adds {@code path}'s descendants and then {@code path} itself, children first; nothing if it does not exist. */
  private static void collectDepthFirst(ZooKeeper zk, String path, List<String> out)
      throws KeeperException, InterruptedException {
    List<String> children;
    try {
      children = zk.getChildren(path, false);
    } catch (KeeperException.NoNodeException gone) {
      return;
    }
    for (String child : children) {
      collectDepthFirst(zk, path + "/" + child, out);
    }
    out.add(path);
  }

  private static void deleteRecursively(ZooKeeper zk, String path) throws KeeperException, InterruptedException {
    try {
      for (String child : zk.getChildren(path, false)) {
        deleteRecursively(zk, path + "/" + child);
      }
      zk.delete(path, -1);
    } catch (KeeperException.NoNodeException gone) {
      // already deleted (a retry after connection loss)
    }
  }

  /** True: every commit is checked and applied in one atomic operation of the backend. */
  @Override
  public boolean isCompareAndSet() {
    return true;
  }

  @Override
  public String description() {
    return "zk://" + client.getZookeeperClient().getCurrentConnectionString() + root;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    cache.clear();
    if (ownsClient) {
      client.close();
    }
  }

  @Override
  public String toString() {
    return description();
  }

  private void open(String job) {
    if (closed) {
      throw new IllegalStateException("offset store " + description() + " is closed");
    }
    if (job != null) {
      Names.jobId(job);
    }
  }

  /**
   * Faults a test injects around a commit's or a rewind's transaction, on a real server: what no real part
   * produces on demand is a connection lost exactly between sending a request and its answer.
   */
  interface Faults {
    Faults NONE = new Faults() {};

    default void beforeSend(ZooKeeper zk) throws KeeperException, InterruptedException {}

    default void afterApplied(ZooKeeper zk) throws KeeperException, InterruptedException {}
  }

  // ---- ZooKeeper access with bounded retries

  private interface ZkCall<T> {
    T call(ZooKeeper zk) throws KeeperException, InterruptedException;
  }

  private <T> T retrying(String what, ZkCall<T> call) {
    RetrySchedule schedule = RetrySchedule.start(deadline, backoff);
    Exception last = null;
    while (true) {
      try {
        if (!client.getZookeeperClient().isConnected()) {
          long left = schedule.remaining().toMillis();
          if (left > 0) {
            client.blockUntilConnected((int) Math.min(Integer.MAX_VALUE, Math.max(1, left)), TimeUnit.MILLISECONDS);
          }
        }
        return call.call(client.getZookeeperClient().getZooKeeper());
      } catch (KeeperException.ConnectionLossException | KeeperException.SessionExpiredException
          | KeeperException.OperationTimeoutException | KeeperException.SessionMovedException
          | KeeperException.RequestTimeoutException | KeeperException.ThrottledOpException e) {
        last = e;
        cache.clear();
        LOG.warn("ZooKeeper at {}: {} while trying to {}; retrying for up to {}",
            client.getZookeeperClient().getCurrentConnectionString(), e.code(), what, deadline);
      } catch (KeeperException.NoAuthException e) {
        throw new OffsetStoreException("ZooKeeper at " + client.getZookeeperClient().getCurrentConnectionString()
            + " refused to " + what + ": not authorised (" + e.getPath() + "). Check zk.auth.digest.", e);
      } catch (KeeperException e) {
        throw new OffsetStoreException("ZooKeeper refused to " + what + ": " + e, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreUnavailableException("interrupted while trying to " + what, e);
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        // Curator's own connection handling (getZooKeeper) failed: as unreachable as a lost connection
        last = e;
        cache.clear();
        LOG.warn("ZooKeeper at {}: {} while trying to {}; retrying for up to {}",
            client.getZookeeperClient().getCurrentConnectionString(), e.getClass().getSimpleName(), what, deadline);
      }
      try {
        if (!schedule.pause()) {
          throw new StoreUnavailableException("could not " + what + " on ZooKeeper at "
              + client.getZookeeperClient().getCurrentConnectionString() + " within " + deadline + ": " + last, last);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreUnavailableException("interrupted while trying to " + what, e);
      }
    }
  }

  private void ensurePath(ZooKeeper zk, String path) throws KeeperException, InterruptedException {
    StringBuilder current = new StringBuilder();
    for (String part : path.substring(1).split("/")) {
      current.append('/').append(part);
      if (zk.exists(current.toString(), false) != null) {
        continue; // a principal with READ (the read-only one) opens an existing store without CREATE
      }
      try {
        zk.create(current.toString(), new byte[0], acl, CreateMode.PERSISTENT);
      } catch (KeeperException.NodeExistsException exists) {
        // fine
      }
    }
  }

  /** Options of a {@link ZooKeeperOffsetStore}. */
  public static final class Builder {
    /** The default of {@link #maxRequestBytes(int)}. */
    public static final int DEFAULT_MAX_REQUEST_BYTES = 1_000_000;

    private final CuratorFramework client;
    private boolean ownsClient;
    private String root = "/tidemark";
    private int historyMax = 1000;
    private int maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
    private Duration deadline = Duration.ofSeconds(60);
    private Duration backoff = Duration.ofMillis(200);
    private List<ACL> acl = ZooDefs.Ids.OPEN_ACL_UNSAFE;
    private Clock clock = Clock.systemUTC();
    private Faults faults = Faults.NONE;

    private Builder(CuratorFramework client) {
      this.client = Objects.requireNonNull(client, "client");
    }

    /** The root path of the store's nodes (default {@code /tidemark}). */
    public Builder root(String root) {
      if (!Objects.requireNonNull(root, "root").startsWith("/") || (root.length() > 1 && root.endsWith("/"))) {
        throw new IllegalArgumentException("root must be an absolute ZooKeeper path such as /tidemark, got '" + root + "'");
      }
      this.root = root;
      return this;
    }

    /** History entries kept per job (default 1000). */
    public Builder historyMaxEntries(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("history.max.entries must be >= 1, got " + max);
      }
      this.historyMax = max;
      return this;
    }

    /**
     * The largest transaction the store sends (default {@value #DEFAULT_MAX_REQUEST_BYTES}, just
     * under ZooKeeper's default {@code jute.maxbuffer} of 1 MiB); larger commits fail with
     * {@link CommitTooLargeException} before anything is written.
     */
    public Builder maxRequestBytes(int bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("zk.max.request.bytes must be >= 1024, got " + bytes);
      }
      this.maxRequestBytes = bytes;
      return this;
    }

    /** How long one operation may retry through connection loss (default 60 s). */
    public Builder operationDeadline(Duration deadline) {
      this.deadline = RetrySchedule.requireDeadline(deadline);
      return this;
    }

    /** The first pause between retries (default 200 ms, doubling up to ten times). */
    public Builder retryBackoff(Duration backoff) {
      this.backoff = RetrySchedule.requireBackoff(backoff);
      return this;
    }

    /**
     * The ACL of every node the store creates (default open, {@code ZooDefs.Ids.OPEN_ACL_UNSAFE}).
     * Around an authenticated client pass a creator-only one such as
     * {@code ZooDefs.Ids.CREATOR_ALL_ACL}.
     */
    public Builder acl(List<ACL> acl) {
      if (Objects.requireNonNull(acl, "acl").isEmpty() || acl.contains(null)) {
        throw new IllegalArgumentException("acl must name at least one entry and no null ones");
      }
      this.acl = new ArrayList<>(acl);
      return this;
    }

    /** The clock for rewind times. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** For fault tests. */
    Builder faults(Faults faults) {
      this.faults = Objects.requireNonNull(faults, "faults");
      return this;
    }

    /** For the store provider: the store closes the client it opened. */
    Builder ownsClient(boolean owns) {
      this.ownsClient = owns;
      return this;
    }

    /** The store; creates its root path if missing. */
    public ZooKeeperOffsetStore build() {
      return new ZooKeeperOffsetStore(this);
    }
  }
}
