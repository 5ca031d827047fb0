package io.tidemark.offsets.hbase;

import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.NoSuchJobException;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetConflictException;
import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStoreException;
import io.tidemark.offsets.RewindTarget;
import io.tidemark.offsets.StoreUnavailableException;
import io.tidemark.offsets.hbase.internal.Schema;
import io.tidemark.offsets.spi.CommitRules;
import io.tidemark.offsets.spi.HistoryText;
import io.tidemark.offsets.spi.Names;
import io.tidemark.offsets.spi.RetrySchedule;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.hbase.CompareOperator;
import org.apache.hadoop.hbase.DoNotRetryIOException;
import org.apache.hadoop.hbase.NamespaceDescriptor;
import org.apache.hadoop.hbase.NamespaceNotFoundException;
import org.apache.hadoop.hbase.TableExistsException;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.TableNotFoundException;
import org.apache.hadoop.hbase.client.Admin;
import org.apache.hadoop.hbase.client.CheckAndMutate;
import org.apache.hadoop.hbase.client.CheckAndMutateResult;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.Delete;
import org.apache.hadoop.hbase.client.Get;
import org.apache.hadoop.hbase.client.Put;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.client.ResultScanner;
import org.apache.hadoop.hbase.client.RetriesExhaustedWithDetailsException;
import org.apache.hadoop.hbase.client.RowMutations;
import org.apache.hadoop.hbase.client.Scan;
import org.apache.hadoop.hbase.client.Table;
import org.apache.hadoop.hbase.client.TableDescriptor;
import org.apache.hadoop.hbase.filter.FilterList;
import org.apache.hadoop.hbase.filter.SingleColumnValueFilter;
import org.apache.hadoop.hbase.regionserver.NoSuchColumnFamilyException;
import org.apache.hadoop.hbase.security.AccessDeniedException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HBase {@link OffsetStore}: each job has a head row with its current positions, and each
 * commit is one {@code checkAndMutate} of that row, conditioned on the history sequence and the
 * writer epoch the writer read, so it is atomic and a zombie writer's commit fails whole. The
 * commit's history row travels in the same RPC. The table design is in {@link Schema}.
 *
 * <p>Open one with {@code OffsetStores.open("hbase://zk1:2181,zk2:2181/tidemark:offsets")}, or
 * build one around a {@link Connection} you own with {@link #builder(Connection, TableName)};
 * then the store never closes it.
 *
 * <p>Faults: every operation retries through region moves, region-server failures and timeouts
 * until its deadline, then throws {@link StoreUnavailableException} naming the cluster and the
 * cause. Each commit carries a random token that the head keeps; a commit whose outcome is
 * unknown (the RPC failed, or the HBase client's own retry of an applied compare-and-set came
 * back "not applied") is resolved by reading the head: if it holds the token, or a later write
 * names the token as the one before it, the commit applied and reports
 * {@link CommitResult#APPLIED}; it is never applied twice.
 *
 * <p>A delete leaves the head row as a tombstone that keeps the job's epoch, so epochs never
 * repeat for a job id (see {@link Schema}).
 *
 * <p>Thread-safe: operations are serialised per store instance; several instances (or
 * processes) are kept consistent by the compare-and-set.
 */
public final class HBaseOffsetStore implements OffsetStore {
  private static final Logger LOG = LoggerFactory.getLogger(HBaseOffsetStore.class);
  private static final SecureRandom TOKENS = new SecureRandom();

  private final Connection connection;
  private final boolean ownsConnection;
  private final TableName tableName;
  private final String cluster;
  private final Duration deadline;
  private final Duration backoff;
  private final Duration historyTtl;
  private final Clock clock;
  private final Faults faults;
  private final Map<String, Snapshot> cache = new HashMap<>();
  private boolean closed;

  private HBaseOffsetStore(Builder b) {
    this.connection = b.connection;
    this.ownsConnection = b.ownsConnection;
    this.tableName = b.table;
    this.cluster = b.cluster;
    this.deadline = b.deadline;
    this.backoff = b.backoff;
    this.historyTtl = b.historyTtl;
    this.clock = b.clock;
    this.faults = b.faults;
    retryingAdmin(b.createTable);
  }

  /** A builder around {@code connection}, which the caller opened and keeps owning. */
  public static Builder builder(Connection connection, TableName table) {
    return new Builder(connection, table);
  }

  // ---- the table

  private void retryingAdmin(boolean create) {
    retrying("check the table " + tableName, table -> {
      try (Admin admin = connection.getAdmin()) {
        if (!admin.tableExists(tableName)) {
          if (!create) {
            throw new TableSchemaException("table " + tableName + " does not exist on " + cluster + ". Create it with"
                + " the setting hbase.create.table=true, or in the HBase shell: "
                + Schema.createCommand(tableName, historyTtl));
          }
          String ns = tableName.getNamespaceAsString();
          try {
            admin.getNamespaceDescriptor(ns);
          } catch (NamespaceNotFoundException missing) {
            admin.createNamespace(NamespaceDescriptor.create(ns).build());
          }
          try {
            admin.createTable(Schema.descriptor(tableName, historyTtl));
            LOG.info("created table {} on {} (history TTL {})", tableName, cluster, historyTtl);
          } catch (TableExistsException raced) {
            // another store created it first
          }
        }
        TableDescriptor actual = admin.getDescriptor(tableName);
        Optional<String> problems = Schema.problems(actual, historyTtl);
        if (problems.isPresent()) {
          throw new TableSchemaException("table " + tableName + " on " + cluster + " is not an offsets table: "
              + problems.get() + ". Or use a new table: " + Schema.createCommand(tableName, historyTtl));
        }
        Schema.otherHistoryTtl(actual, historyTtl).ifPresent(ttl -> LOG.warn("table {} keeps history for {}, not"
            + " the {} of history.ttl: the table's TTL applies (change it with alter '{}', {{NAME => 'c', TTL => {}}})",
            tableName, ttl, historyTtl, tableName.getNameAsString(), historyTtl.toSeconds()));
      }
      return null;
    });
  }

  // ---- the state of one job, as one Get of its head row reads it (HBase reads a row atomically)

  private record Snapshot(CommittedOffsets offsets, long seq, String token, String prev,
      Optional<OffsetCommit> lastCommit, Optional<HistoryEntry> lastEntry, boolean tombstone) {
    boolean exists() {
      return seq >= 0 && !tombstone;
    }
  }

  private Snapshot readSnapshot(Table table, String job) throws IOException {
    byte[] row = Schema.headRow(job);
    Result r = table.get(new Get(row).addFamily(Schema.HEAD).addFamily(Schema.POSITIONS));
    if (r.isEmpty() || r.getValue(Schema.HEAD, Schema.EPOCH) == null) {
      return new Snapshot(CommittedOffsets.none(job, 0), -1, Schema.NO_TOKEN, Schema.NO_TOKEN, Optional.empty(),
          Optional.empty(), false);
    }
    String where = tableName + " row " + Schema.text(row);
    long epoch = Schema.number(r.getValue(Schema.HEAD, Schema.EPOCH), where + " h:epoch");
    long seq = Schema.number(r.getValue(Schema.HEAD, Schema.SEQ), where + " h:seq");
    byte[] tokenValue = r.getValue(Schema.HEAD, Schema.TOKEN);
    String token = tokenValue == null ? Schema.NO_TOKEN : Schema.text(tokenValue);
    if (Schema.isTombstone(r)) { // a deleted job: its epoch and sequence number go on
      return new Snapshot(CommittedOffsets.none(job, epoch), seq, token, Schema.NO_TOKEN, Optional.empty(),
          Optional.empty(), true);
    }
    OptionalLong batch = Schema.optionalNumber(r.getValue(Schema.HEAD, Schema.BATCH), where + " h:batch");
    Optional<Instant> time = Schema.time(r.getValue(Schema.HEAD, Schema.TIME), where + " h:time");
    byte[] prevValue = r.getValue(Schema.HEAD, Schema.PREV);
    String prev = prevValue == null ? Schema.NO_TOKEN : Schema.text(prevValue);
    Map<TopicPartition, Long> positions = new HashMap<>();
    NavigableMap<byte[], byte[]> cells = r.getFamilyMap(Schema.POSITIONS);
    if (cells != null) {
      cells.forEach((q, v) -> {
        if (v.length > 0) { // a blank position is one a delete or a rewind cleared
          positions.put(Schema.partitionOf(q, where), Schema.number(v, where + " p:" + Schema.text(q)));
        }
      });
    }
    byte[] entryValue = r.getValue(Schema.HEAD, Schema.ENTRY);
    Optional<HistoryEntry> entry = entryValue == null || entryValue.length == 0 ? Optional.empty()
        : Optional.of(HistoryText.decodeBytes(entryValue, where + " h:entry"));
    Optional<OffsetCommit> last = entry.filter(e -> e instanceof HistoryEntry.Committed)
        .map(e -> ((HistoryEntry.Committed) e).commit());
    return new Snapshot(CommittedOffsets.of(job, positions, batch, epoch, time), seq, token, prev, last, entry,
        false);
  }

  // ---- the OffsetStore contract

  @Override
  public synchronized CommittedOffsets read(String job) {
    open(job);
    return retrying("read job " + job, table -> readSnapshot(table, job)).offsets();
  }

  @Override
  public synchronized CommitResult commit(OffsetCommit commit) {
    open(commit.job());
    String job = commit.job();
    String[] sent = {null};
    long[] sentSeq = {-1};
    Put[] sentHistory = {null};
    return retrying("commit batch " + commit.batchId() + " of job " + job, table -> {
      Snapshot s = cache.get(job);
      boolean fresh = s == null;
      if (fresh) {
        s = readSnapshot(table, job);
      }
      for (int attempt = 0; ; attempt++) {
        if (sent[0] != null && holds(table, job, s, sentSeq[0], sent[0])) {
          // an attempt of ours whose answer was lost (or that the client retried) did apply; other
          // writers may have built on it since (and a delete swept its history row)
          if (!s.tombstone()) {
            table.put(sentHistory[0]);
          }
          cache.put(job, s);
          return CommitResult.APPLIED;
        }
        CommitRules.Decision d;
        try {
          d = CommitRules.check(s.offsets(), s.lastCommit(), commit);
        } catch (OffsetConflictException e) {
          if (fresh) {
            throw e;
          }
          cache.remove(job);
          s = readSnapshot(table, job);
          fresh = true;
          continue;
        }
        if (!(d instanceof CommitRules.Apply apply)) {
          if (!fresh) {
            cache.remove(job);
            s = readSnapshot(table, job);
            fresh = true;
            continue;
          }
          cache.put(job, s);
          return CommitResult.ALREADY_APPLIED;
        }
        Map<TopicPartition, Long> changes = new HashMap<>();
        for (OffsetRange r : commit.ranges()) {
          changes.put(r.topicPartition(), r.untilOffset());
        }
        String token = newToken();
        HistoryEntry entry = new HistoryEntry.Committed(commit);
        Put head = headPut(job, s, apply.next(), entry, token, changes);
        Put history = historyPut(job, s.seq() + 1, token, s.token(), entry, "commit", apply.next(), changes);
        sent[0] = token;
        sentSeq[0] = s.seq() + 1;
        sentHistory[0] = history;
        if (compareAndSet(table, s, history, RowMutations.of(List.of(head)))) {
          cache.put(job, new Snapshot(apply.next(), s.seq() + 1, token, s.token(), Optional.of(commit),
              Optional.of(entry), false));
          return CommitResult.APPLIED;
        }
        cache.remove(job);
        s = readSnapshot(table, job);
        fresh = true;
        deleteIfOffTheChain(table, s, sentSeq[0], token, history);
        if (attempt > 10) {
          throw new OffsetStoreException("job " + job + " changed under " + attempt + " attempts to commit batch "
              + commit.batchId());
        }
      }
    });
  }

  /**
   * Whether the state written under {@code token} as entry {@code seq} applied: it is {@code s}, or
   * a writer read it and named it as the one before its own, in {@code s}'s head or in a history
   * row of entry {@code seq + 1}. Tokens are random, so only a writer that read that state can
   * name it. One scan of one entry's rows, however many writes came since; false when those rows
   * are gone (to the TTL, or a failed history write), and the outcome is then judged anew.
   */
  private static boolean holds(Table table, String job, Snapshot s, long seq, String token) throws IOException {
    if (s.seq() <= seq) {
      return s.seq() == seq && s.token().equals(token);
    }
    if (s.seq() == seq + 1 && s.prev().equals(token)) {
      return true;
    }
    byte[] next = Schema.historyRow(job, seq + 1, "");
    try (ResultScanner rows = table.getScanner(new Scan().withStartRow(next).withStopRow(stopRowOf(next))
        .addColumn(Schema.HISTORY, Schema.PREV))) {
      for (Result r : rows) {
        byte[] prev = r.getValue(Schema.HISTORY, Schema.PREV);
        if (prev != null && Schema.text(prev).equals(token)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Deletes the history row of a compare-and-set that did not apply, when it is provably not
   * history: another head holds its sequence number. (If the job has moved further, a writer
   * may have built on it after an applied attempt whose answer said otherwise; the TTL removes it.)
   */
  private static void deleteIfOffTheChain(Table table, Snapshot now, long sentSeq, String token, Put history)
      throws IOException {
    if (now.seq() == sentSeq && !now.token().equals(token) || now.seq() < sentSeq) {
      table.delete(new Delete(history.getRow()));
    }
  }

  /**
   * Sends the history row and the head's compare-and-set in one batch (one RPC to the region
   * server that holds the job's rows) and says whether the compare-and-set applied.
   */
  private boolean compareAndSet(Table table, Snapshot s, Put history, RowMutations head)
      throws IOException, InterruptedException {
    CheckAndMutate cas = CheckAndMutate.newBuilder(head.getRow()).ifMatches(unchanged(s)).build(head);
    Object[] results = new Object[2];
    faults.beforeSend(table);
    table.batch(List.of(history, cas), results);
    faults.afterApplied(table);
    return ((CheckAndMutateResult) results[1]).isSuccess();
  }

  /** The condition that the head row is still the state {@code s} read. */
  private static FilterList unchanged(Snapshot s) {
    return new FilterList(FilterList.Operator.MUST_PASS_ALL,
        matching(Schema.SEQ, Schema.number(s.seq())), matching(Schema.EPOCH, Schema.number(s.offsets().epoch())),
        matching(Schema.TOKEN, Schema.bytes(s.token())));
  }

  private static SingleColumnValueFilter matching(byte[] qualifier, byte[] value) {
    SingleColumnValueFilter f = new SingleColumnValueFilter(Schema.HEAD, qualifier, CompareOperator.EQUAL, value);
    f.setFilterIfMissing(true);
    f.setLatestVersionOnly(true);
    return f;
  }

  private Put headPut(String job, Snapshot s, CommittedOffsets next, HistoryEntry entry, String token,
      Map<TopicPartition, Long> positions) {
    Put p = new Put(Schema.headRow(job))
        .addColumn(Schema.HEAD, Schema.EPOCH, Schema.number(next.epoch()))
        .addColumn(Schema.HEAD, Schema.SEQ, Schema.number(s.seq() + 1))
        .addColumn(Schema.HEAD, Schema.BATCH, Schema.optionalNumber(next.lastBatchId()))
        .addColumn(Schema.HEAD, Schema.TIME, Schema.time(next.lastCommitTime()))
        .addColumn(Schema.HEAD, Schema.TOKEN, Schema.bytes(token))
        .addColumn(Schema.HEAD, Schema.PREV, Schema.bytes(s.token()))
        .addColumn(Schema.HEAD, Schema.ENTRY, HistoryText.encodeBytes(entry));
    positions.forEach((tp, o) -> p.addColumn(Schema.POSITIONS, Schema.column(tp), Schema.number(o)));
    return p;
  }

  private static Put historyPut(String job, long seq, String token, String prev, HistoryEntry entry, String kind,
      CommittedOffsets next, Map<TopicPartition, Long> positions) {
    Put p = new Put(Schema.historyRow(job, seq, token))
        .addColumn(Schema.HISTORY, Schema.KIND, Schema.bytes(kind))
        .addColumn(Schema.HISTORY, Schema.BATCH, Schema.optionalNumber(next.lastBatchId()))
        .addColumn(Schema.HISTORY, Schema.EPOCH, Schema.number(next.epoch()))
        .addColumn(Schema.HISTORY, Schema.TIME, Schema.time(Optional.of(entryTime(entry, next))))
        .addColumn(Schema.HISTORY, Schema.PREV, Schema.bytes(prev))
        .addColumn(Schema.HISTORY, Schema.ENTRY, HistoryText.encodeBytes(entry));
    positions.forEach((tp, o) -> p.addColumn(Schema.HISTORY, Schema.column(tp), Schema.number(o)));
    return p;
  }

  private static Instant entryTime(HistoryEntry entry, CommittedOffsets next) {
    if (entry instanceof HistoryEntry.Rewound r) {
      return r.time();
    }
    return next.lastCommitTime().orElse(Instant.EPOCH);
  }

  private static String newToken() {
    byte[] b = new byte[8];
    TOKENS.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  @Override
  public synchronized long claim(String job) {
    open(job);
    byte[] row = Schema.headRow(job);
    return retrying("claim job " + job, table -> {
      for (int attempt = 0; ; attempt++) {
        cache.remove(job);
        Result r = table.get(new Get(row).addColumn(Schema.HEAD, Schema.EPOCH).addColumn(Schema.HEAD, Schema.SEQ)
            .addColumn(Schema.HEAD, Schema.DELETED).addColumn(Schema.HEAD, Schema.TOKEN));
        byte[] current = r.getValue(Schema.HEAD, Schema.EPOCH);
        if (current == null) {
          if (table.checkAndMutate(CheckAndMutate.newBuilder(row).ifNotExists(Schema.HEAD, Schema.EPOCH)
              .build(emptyHead(row, 1, 0, Schema.NO_TOKEN, false))).isSuccess()) {
            return 1L;
          }
        } else {
          String where = tableName + " row " + job + "/head";
          long epoch = Schema.number(current, where + " h:epoch");
          // a deleted job starts again, empty, above the epoch its delete took and the history it had;
          // it keeps the tombstone's token, by which a delete whose answer was lost knows it applied
          Put next = Schema.isTombstone(r)
              ? emptyHead(row, epoch + 1, Schema.number(r.getValue(Schema.HEAD, Schema.SEQ), where + " h:seq"),
                  Schema.text(r.getValue(Schema.HEAD, Schema.TOKEN)), false)
              : new Put(row).addColumn(Schema.HEAD, Schema.EPOCH, Schema.number(epoch + 1));
          if (table.checkAndMutate(CheckAndMutate.newBuilder(row).ifEquals(Schema.HEAD, Schema.EPOCH, current)
              .build(next)).isSuccess()) {
            return epoch + 1;
          }
        }
        if (attempt > 50) {
          throw new OffsetStoreException("could not claim job " + job + ": " + attempt + " concurrent claims got in first");
        }
      }
    });
  }

  /**
   * A head of no batch and no positions at {@code epoch}: a claimed job before its first commit,
   * or the tombstone of a deleted one.
   */
  private static Put emptyHead(byte[] row, long epoch, long seq, String token, boolean tombstone) {
    return new Put(row).addColumn(Schema.HEAD, Schema.EPOCH, Schema.number(epoch))
        .addColumn(Schema.HEAD, Schema.SEQ, Schema.number(seq))
        .addColumn(Schema.HEAD, Schema.BATCH, Schema.optionalNumber(OptionalLong.empty()))
        .addColumn(Schema.HEAD, Schema.TIME, Schema.time(Optional.empty()))
        .addColumn(Schema.HEAD, Schema.TOKEN, Schema.bytes(token))
        .addColumn(Schema.HEAD, Schema.PREV, Schema.bytes(Schema.NO_TOKEN))
        .addColumn(Schema.HEAD, Schema.ENTRY, Schema.BLANK)
        .addColumn(Schema.HEAD, Schema.DELETED, tombstone ? Schema.bytes("true") : Schema.BLANK);
  }

  @Override
  public synchronized List<HistoryEntry> history(String job, int limit) {
    open(job);
    if (limit < 0) {
      throw new IllegalArgumentException("history limit must be >= 0, got " + limit);
    }
    return retrying("read the history of job " + job, table -> readHistory(table, job, readSnapshot(table, job), limit));
  }

  /**
   * Up to {@code limit} entries of {@code s}'s history, newest first: the head's own entry, then
   * the chain of history rows each naming the one before by its token. Rows off the chain (a
   * commit that lost its compare-and-set) are skipped; a missing row ends the history.
   */
  private List<HistoryEntry> readHistory(Table table, String job, Snapshot s, int limit) throws IOException {
    List<HistoryEntry> entries = new ArrayList<>();
    if (s.lastEntry().isEmpty() || limit == 0) {
      return entries;
    }
    entries.add(s.lastEntry().get());
    String expectedToken = s.prev();
    long expectedSeq = s.seq() - 1;
    if (expectedSeq < 1 || expectedToken.equals(Schema.NO_TOKEN)) {
      return entries;
    }
    byte[] prefix = Schema.historyPrefix(job);
    Scan scan = new Scan().withStartRow(Schema.historyRow(job, expectedSeq, ""))
        .withStopRow(stopRowOf(prefix)).addColumn(Schema.HISTORY, Schema.ENTRY).addColumn(Schema.HISTORY, Schema.PREV)
        .setCaching(Math.min(limit, 100));
    try (ResultScanner rows = table.getScanner(scan)) {
      for (Result r : rows) {
        long seq = Schema.seqOf(r.getRow(), job);
        if (seq > expectedSeq || (seq == expectedSeq && !Schema.tokenOf(r.getRow()).equals(expectedToken))) {
          continue; // off the chain
        }
        if (seq < expectedSeq) {
          break; // the row of expectedSeq is gone (expired, or its write failed)
        }
        String where = tableName + " row " + Schema.text(r.getRow());
        entries.add(HistoryText.decodeBytes(r.getValue(Schema.HISTORY, Schema.ENTRY), where + " c:entry"));
        byte[] prev = r.getValue(Schema.HISTORY, Schema.PREV);
        expectedToken = prev == null ? Schema.NO_TOKEN : Schema.text(prev);
        expectedSeq--;
        if (entries.size() >= limit || expectedSeq < 1 || expectedToken.equals(Schema.NO_TOKEN)) {
          break;
        }
      }
    }
    return entries;
  }

  private static byte[] stopRowOf(byte[] prefix) {
    byte[] stop = prefix.clone();
    stop[stop.length - 1]++;
    return stop;
  }

  @Override
  public synchronized CommittedOffsets rewind(String job, RewindTarget target) {
    open(job);
    Instant now = clock.instant();
    String[] sent = {null};
    long[] sentSeq = {-1};
    CommitRules.Rewind[] sentRewind = {null};
    Put[] sentHistory = {null};
    return retrying("rewind job " + job, table -> {
      for (int attempt = 0; ; attempt++) {
        cache.remove(job);
        Snapshot s = readSnapshot(table, job);
        if (!s.exists()) {
          throw new NoSuchJobException("job " + job + " is not in " + description() + "; known jobs: " + listJobs());
        }
        if (sent[0] != null && holds(table, job, s, sentSeq[0], sent[0])) {
          // a rewind of ours whose answer was lost did apply (others may have written since); its
          // history row may be what failed
          table.put(sentHistory[0]);
          return sentRewind[0].next();
        }
        Snapshot at = s;
        CommitRules.Rewind r = CommitRules.rewind(s.offsets(), target, limit -> readHistory(table, job, at, limit), now);
        String token = newToken();
        Put head = headPut(job, s, r.next(), r.entry(), token, r.next().positions());
        // dropped positions are blanked with Puts: a delete marker would hide a later commit's Put in the same ms
        s.offsets().positions().keySet().stream().filter(tp -> !r.next().positions().containsKey(tp))
            .forEach(tp -> head.addColumn(Schema.POSITIONS, Schema.column(tp), Schema.BLANK));
        RowMutations mutations = RowMutations.of(List.of(head));
        Put history = historyPut(job, s.seq() + 1, token, s.token(), r.entry(), "rewind", r.next(),
            r.next().positions());
        sent[0] = token;
        sentSeq[0] = s.seq() + 1;
        sentRewind[0] = r;
        sentHistory[0] = history;
        if (compareAndSet(table, s, history, mutations)) {
          return r.next();
        }
        Snapshot after = readSnapshot(table, job); // one that had applied is recognised on the next pass
        deleteIfOffTheChain(table, after, s.seq() + 1, token, history);
        if (attempt > 10) {
          throw new OffsetStoreException("job " + job + " changed under " + attempt + " attempts to rewind it");
        }
      }
    });
  }

  @Override
  public synchronized Set<String> listJobs() {
    open(null);
    return retrying("list jobs", table -> {
      Set<String> jobs = new TreeSet<>();
      try (ResultScanner rows = table.getScanner(new Scan().addColumn(Schema.HEAD, Schema.EPOCH)
          .addColumn(Schema.HEAD, Schema.DELETED))) {
        for (Result r : rows) {
          String key = Schema.text(r.getRow());
          if (key.endsWith("/head") && !Schema.isTombstone(r)) {
            jobs.add(key.substring(0, key.length() - "/head".length()));
          }
        }
      }
      return jobs;
    });
  }

  /**
   * Turns the head into a tombstone first, in one {@code checkAndMutate} conditioned on the state
   * read, so the job disappears for readers and writers at once and its driver is fenced; then
   * removes the history rows up to the deleted head's sequence number (a job claimed since writes
   * above it). A delete whose answer was lost recognises its tombstone by its token, which a claim
   * on the tombstone keeps and the first commit after it names as the one before, and leaves that
   * newer job alone; finding another delete's tombstone, it is done too. (After a claim, another
   * delete and another claim, its own tombstone can no longer be told: it then deletes the job
   * the last claim made.)
   */
  @Override
  public synchronized boolean delete(String job) {
    open(job);
    cache.remove(job);
    String[] sent = {null};
    long[] sentSeq = {-1};
    long[] sentEpoch = {-1};
    return retrying("delete job " + job, table -> {
      boolean existed = false;
      long lastSeq = -1; // the rows of entries up to this one are the deleted job's
      for (int attempt = 0; ; attempt++) {
        Snapshot s = readSnapshot(table, job);
        if (sent[0] != null && holds(table, job, s, sentSeq[0], sent[0])) {
          existed = true; // ours applied, its answer lost (a driver may have claimed the job again since)
          lastSeq = sentSeq[0];
          break;
        }
        if (sent[0] != null && s.tombstone() && s.offsets().epoch() >= sentEpoch[0]) {
          existed = true; // deleted, by ours or by another delete since: either way the job is gone
          lastSeq = s.seq();
          break;
        }
        if (!s.exists()) {
          lastSeq = s.tombstone() ? s.seq() : -1; // rows a delete before this one left
          break;
        }
        String token = newToken();
        Put tombstone = emptyHead(Schema.headRow(job), s.offsets().epoch() + 1, s.seq(), token, true);
        s.offsets().positions().keySet().forEach(tp -> tombstone.addColumn(Schema.POSITIONS, Schema.column(tp),
            Schema.BLANK));
        sent[0] = token;
        sentSeq[0] = s.seq(); // the tombstone keeps the head's sequence number, under its own token
        sentEpoch[0] = s.offsets().epoch() + 1;
        faults.beforeSend(table);
        boolean applied = table.checkAndMutate(CheckAndMutate.newBuilder(tombstone.getRow()).ifMatches(unchanged(s))
            .build(tombstone)).isSuccess();
        faults.afterApplied(table);
        if (applied) {
          existed = true;
          lastSeq = s.seq();
          break;
        }
        if (attempt > 50) {
          throw new OffsetStoreException("could not delete job " + job + ": it changed under " + attempt
              + " attempts");
        }
      }
      return deleteHistoryUpTo(table, job, lastSeq) > 0 || existed;
    });
  }

  /** Deletes the history rows of entries {@code 1..lastSeq} of {@code job}, a thousand at a time; how many. */
  private static int deleteHistoryUpTo(Table table, String job, long lastSeq) throws IOException {
    if (lastSeq < 1) {
      return 0;
    }
    int deleted = 0;
    List<Delete> chunk = new ArrayList<>();
    byte[] prefix = Schema.historyPrefix(job);
    // rows sort newest first, so those of entry lastSeq and older begin at its key
    try (ResultScanner rows = table.getScanner(new Scan().withStartRow(Schema.historyRow(job, lastSeq, ""))
        .withStopRow(stopRowOf(prefix)).addColumn(Schema.HISTORY, Schema.PREV).setCaching(1000))) {
      for (Result r : rows) {
        chunk.add(new Delete(r.getRow()));
        if (chunk.size() == 1000) {
          deleted += chunk.size();
          table.delete(chunk);
          chunk = new ArrayList<>();
        }
      }
    }
    if (!chunk.isEmpty()) {
      deleted += chunk.size();
      table.delete(chunk);
    }
    return deleted;
  }

  /** True: every commit is checked and applied in one atomic operation of the backend. */
  @Override
  public boolean isCompareAndSet() {
    return true;
  }

  @Override
  public String description() {
    return "hbase://" + cluster + "/" + tableName.getNameAsString();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    cache.clear();
    if (ownsConnection) {
      try {
        connection.close();
      } catch (IOException e) {
        LOG.warn("closing the HBase connection of {} failed: {}", description(), e.toString());
      }
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
   * Faults a test injects around a commit's or rewind's batch and a delete's tombstone, on a real
   * cluster: what no real part produces on demand is a failure exactly between sending a request
   * and its answer.
   */
  interface Faults {
    Faults NONE = new Faults() {};

    default void beforeSend(Table table) throws IOException {}

    default void afterApplied(Table table) throws IOException {}
  }

  // ---- HBase access with bounded retries

  private interface TableCall<T> {
    T call(Table table) throws IOException, InterruptedException;
  }

  private <T> T retrying(String what, TableCall<T> call) {
    RetrySchedule schedule = RetrySchedule.start(deadline, backoff);
    Exception last;
    while (true) {
      // the HBase client's own retries must end within the deadline too, whoever configured it
      int left = (int) Math.max(1, Math.min(Integer.MAX_VALUE, schedule.remaining().toMillis()));
      try (Table table = connection.getTableBuilder(tableName, null).setOperationTimeout(left).build()) {
        return call.call(table);
      } catch (IOException e) {
        IOException cause = notRetriable(e);
        if (cause instanceof TableNotFoundException || cause instanceof NoSuchColumnFamilyException) {
          throw new TableSchemaException("table " + tableName + " on " + cluster + " is gone or changed ("
              + cause.getMessage() + "); recreate it: " + Schema.createCommand(tableName, historyTtl));
        }
        if (cause instanceof AccessDeniedException) {
          throw new OffsetStoreException("HBase at " + cluster + " refused to " + what + ": access denied ("
              + cause.getMessage() + "). Grant the store's user RW on " + tableName + ".", e);
        }
        if (cause != null) {
          throw new OffsetStoreException("HBase at " + cluster + " refused to " + what + ": " + cause.getMessage(), e);
        }
        if (e instanceof InterruptedIOException && Thread.currentThread().isInterrupted()) {
          throw new StoreUnavailableException("interrupted while trying to " + what + " on " + description(), e);
        }
        last = e; // timeouts (SocketTimeoutException is an InterruptedIOException), moves, failovers
        cache.clear();
        LOG.warn("HBase at {}: {} while trying to {}; retrying for up to {}", cluster, e.getClass().getSimpleName(),
            what, deadline);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreUnavailableException("interrupted while trying to " + what + " on " + description(), e);
      }
      try {
        if (!schedule.pause()) {
          throw new StoreUnavailableException("could not " + what + " on HBase at " + cluster + " (table " + tableName
              + ") within " + deadline + ": " + last, last);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreUnavailableException("interrupted while trying to " + what + " on " + description(), e);
      }
    }
  }

  /** The error that retrying cannot fix, in {@code e} or among a batch's causes; null if none. */
  private static IOException notRetriable(IOException e) {
    if (e instanceof DoNotRetryIOException) {
      return e;
    }
    if (e instanceof RetriesExhaustedWithDetailsException batch) {
      for (Throwable cause : batch.getCauses()) {
        if (cause instanceof DoNotRetryIOException d) {
          return d;
        }
      }
    }
    return null;
  }

  /** Options of an {@link HBaseOffsetStore}. */
  public static final class Builder {
    private final Connection connection;
    private final TableName table;
    private boolean ownsConnection;
    private String cluster;
    private boolean createTable;
    private Duration historyTtl = Duration.ofDays(30);
    private Duration deadline = Duration.ofSeconds(60);
    private Duration backoff = Duration.ofMillis(200);
    private Clock clock = Clock.systemUTC();
    private Faults faults = Faults.NONE;

    private Builder(Connection connection, TableName table) {
      this.connection = Objects.requireNonNull(connection, "connection");
      this.table = Objects.requireNonNull(table, "table");
      this.cluster = connection.getConfiguration().get("hbase.zookeeper.quorum", "hbase");
    }

    /** Create the namespace and table when missing (default false: a missing table is an error). */
    public Builder createTableIfMissing(boolean create) {
      this.createTable = create;
      return this;
    }

    /** The TTL of history rows when the store creates the table (default 30 days). */
    public Builder historyTtl(Duration ttl) {
      if (Objects.requireNonNull(ttl, "ttl").toSeconds() < 1) {
        throw new IllegalArgumentException("history.ttl must be at least 1 s, got " + ttl);
      }
      this.historyTtl = ttl;
      return this;
    }

    /** How long one operation may retry (default 60 s). */
    public Builder operationDeadline(Duration deadline) {
      this.deadline = RetrySchedule.requireDeadline(deadline);
      return this;
    }

    /** The first pause between retries (default 200 ms, doubling up to ten times). */
    public Builder retryBackoff(Duration backoff) {
      this.backoff = RetrySchedule.requireBackoff(backoff);
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

    /** For the store provider: the store closes the connection it opened, and names the cluster so. */
    Builder ownsConnection(boolean owns, String cluster) {
      this.ownsConnection = owns;
      this.cluster = cluster;
      return this;
    }

    /**
     * The store; checks the table (creating it if asked).
     *
     * @throws TableSchemaException when the table is missing (and not to be created) or lacks
     *     what the store needs
     */
    public HBaseOffsetStore build() {
      return new HBaseOffsetStore(this);
    }
  }
}
