package io.tidemark.spark.structured;

import static org.apache.spark.sql.functions.col;

import io.tidemark.offsets.NewPartitionPolicy;
import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.ResolvedStart;
import io.tidemark.offsets.StartPositionResolver;
import io.tidemark.spark.BatchCommitter;
import io.tidemark.spark.BatchFailedException;
import io.tidemark.spark.BatchListener;
import io.tidemark.spark.DeliveryGuarantee;
import io.tidemark.spark.internal.JobStart;
import io.tidemark.spark.metrics.JobMetrics;
import io.tidemark.spark.sink.TransactionalOutput;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerApplicationEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Structured Streaming with positions in an {@link OffsetStore}: the Kafka source starts at the
 * offsets the store (and the start policies) give, and a {@code foreachBatch} wrapper commits each
 * batch's positions, derived from the source's {@code topic}, {@code partition} and {@code offset}
 * columns, with the chosen {@link DeliveryGuarantee}.
 *
 * <pre>{@code
 * TidemarkStructuredStream tidemark = TidemarkStructuredStream.builder(spark)
 *     .job("shipments-dashboard").topics(List.of("shipments"))
 *     .kafkaOption("kafka.bootstrap.servers", "kafka:9092")
 *     .store("zk://zk1:2181/tidemark").guarantee(DeliveryGuarantee.EXACTLY_ONCE)
 *     .build();
 * tidemark.readStream()
 *     .writeStream()
 *     .foreachBatch(tidemark.foreachBatch((batch, batchId) -> writeIdempotently(batch, batchId)))
 *     .start();
 * }</pre>
 *
 * <p><b>Batch ids</b> are the store's: they continue from the last committed batch, also when the
 * query starts without a checkpoint (where Spark's own ids restart at 0). Spark's id is kept in
 * each commit's metadata under {@value #SPARK_BATCH_ID_KEY}.
 *
 * <p><b>Ranges</b> run from each partition's committed position to one past the batch's highest
 * offset, so offsets that hold no record (transaction markers, compacted records) are covered.
 * A batch that the store already holds (Spark re-running its last batch after a restart with a
 * checkpoint) is skipped: no output, no commit. A checkpoint behind the store fails the batch,
 * naming both positions; delete the checkpoint to start from the store. A checkpoint ahead of the
 * store (records between the two that the job never output) is found at each partition's first
 * batch with rows in the query, and handled by the {@link CheckpointAheadPolicy}
 * ({@link Builder#onCheckpointAhead}).
 *
 * <p><b>Partitions added while the query runs</b> follow the job's
 * {@link NewPartitionPolicy} ({@link StartPositionResolver.Builder#onNewPartition}): EARLIEST
 * reads them from where Spark starts them (their log start), LATEST skips their rows in the
 * first batch that reads them, FAIL fails that batch.
 *
 * <p><b>Stopping.</b> {@link #stop(StreamingQuery)} stops the query between batches, and
 * {@link #awaitTermination(StreamingQuery)} throws a failed batch's {@link BatchFailedException}
 * as itself.
 *
 * <p>The batch is persisted while the wrapper reads its offsets and the output writes it, so Kafka
 * is read once per batch.
 *
 * <p><b>Lifecycle.</b> A stream whose store was given as a URI owns it and closes it (with its
 * metrics) when its query terminates (stopped, failed or finished), and when its Spark context
 * stops, whichever comes first; {@link #close()} does the same at any time. Its query is the one
 * that ran its first batch; a query that stops before running any batch leaves the store open
 * until the Spark context stops or {@link #close()} is called. Such a stream therefore serves one
 * query: build a new one for the next. A store given as an object is the caller's, and is never
 * closed by the stream.
 */
public final class TidemarkStructuredStream {
  private static final Logger LOG = LoggerFactory.getLogger(TidemarkStructuredStream.class);

  /** The commit-metadata key of Spark's own batch id. */
  public static final String SPARK_BATCH_ID_KEY = "spark.batch-id";

  private final SparkSession spark;
  private final BatchCommitter committer;
  private final ResolvedStart start;
  private final List<String> topics;
  private final Map<String, String> kafkaOptions;
  private final OffsetStore store;
  private final boolean ownsStore;
  private final JobMetrics metrics;
  private final NewPartitionPolicy newPartitions;
  private final CheckpointAheadPolicy checkpointAhead;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Held by a running batch; {@link #stop} takes it to stop the query between batches. */
  private final java.util.concurrent.locks.ReentrantLock batchLock = new java.util.concurrent.locks.ReentrantLock();
  /** The commit metadata of the batch running now; null between batches. */
  private volatile Map<String, String> running;
  /** The id of the query that ran this stream's first batch. */
  private final AtomicReference<String> query = new AtomicReference<>();
  private volatile StreamingQueryListener queryListener;
  private volatile SparkListener contextListener;

  private TidemarkStructuredStream(SparkSession spark, BatchCommitter committer, ResolvedStart start,
      List<String> topics, Map<String, String> kafkaOptions, OffsetStore store, boolean ownsStore, JobMetrics metrics,
      NewPartitionPolicy newPartitions, CheckpointAheadPolicy checkpointAhead) {
    this.spark = spark;
    this.committer = committer;
    this.start = start;
    this.topics = topics;
    this.kafkaOptions = kafkaOptions;
    this.store = store;
    this.ownsStore = ownsStore;
    this.metrics = metrics;
    this.newPartitions = newPartitions;
    this.checkpointAhead = checkpointAhead;
  }

  /** The job's metrics, also reported by Spark's metrics sinks as the source {@code tidemark.job.<job>}. */
  public JobMetrics metrics() {
    return metrics;
  }

  /** A builder over {@code spark}. */
  public static Builder builder(SparkSession spark) {
    return new Builder(spark);
  }

  /** The resolved start. */
  public ResolvedStart start() {
    return start;
  }

  /** The committer: the job, its epoch, the next batch id, the committed positions. */
  public BatchCommitter committer() {
    return committer;
  }

  /** Adds a listener told of each batch's output and commit. */
  public void addListener(BatchListener listener) {
    committer.addListener(listener);
  }

  /** The batch that failed, if one did: every later batch fails at once. */
  public Optional<BatchFailedException> failure() {
    return committer.failure();
  }

  /**
   * The Kafka source with the given options, subscribed to the topics read and starting where the
   * next batch starts ({@link BatchCommitter#nextStarts()}: the resolved start at first, the
   * committed positions after batches ran), for the partitions of those topics only. Topics the
   * job read before but no longer reads (left out of its topics, or dropped as missing under
   * {@link io.tidemark.offsets.MissingTopicPolicy#DROP}) are not subscribed; their stored positions
   * stay in the store unchanged. Spark uses {@code startingOffsets} only for a query without a
   * checkpoint.
   */
  public Dataset<Row> readStream() {
    Map<TopicPartition, Long> starts = new HashMap<>(committer.nextStarts());
    starts.keySet().removeIf(tp -> !topics.contains(tp.topic()));
    return spark.readStream().format("kafka").options(kafkaOptions)
        .option("subscribe", String.join(",", topics))
        .option("startingOffsets", startingOffsetsJson(starts))
        .load();
  }

  /** Spark's {@code startingOffsets} JSON for {@code positions}, for example {@code {"orders":{"0":42}}}. */
  static String startingOffsetsJson(Map<TopicPartition, Long> positions) {
    Map<String, Map<Integer, Long>> byTopic = new java.util.TreeMap<>();
    positions.forEach((tp, o) -> byTopic.computeIfAbsent(tp.topic(), t -> new java.util.TreeMap<>())
        .put(tp.partition(), o));
    StringBuilder b = new StringBuilder("{");
    byTopic.forEach((topic, parts) -> {
      b.append(b.length() > 1 ? "," : "").append(jsonString(topic)).append(":{");
      StringBuilder p = new StringBuilder();
      parts.forEach((partition, offset) -> p.append(p.length() > 0 ? "," : "").append('"').append(partition)
          .append("\":").append(offset));
      b.append(p).append('}');
    });
    return b.append('}').toString();
  }

  /** The job's output for one batch. */
  @FunctionalInterface
  public interface BatchOutput extends Serializable {
    /** Writes the batch (the Kafka source's rows, or what the query made of them) under the store's batch id. */
    void write(Dataset<Row> batch, long batchId) throws Exception;
  }

  /**
   * The function for {@code writeStream().foreachBatch(...)}: runs {@code output} and commits
   * around it as the guarantee says. The rows must keep the source's {@code topic},
   * {@code partition} and {@code offset} columns.
   */
  public VoidFunction2<Dataset<Row>, Long> foreachBatch(BatchOutput output) {
    Objects.requireNonNull(output, "output");
    return new Wrapper(this, (batch, batchId) -> new BatchCommitter.BatchWork() {
      @Override
      public Map<String, String> output(long id) throws Exception {
        output.write(batch, id);
        return Map.of();
      }
    });
  }

  /**
   * As {@link #foreachBatch(BatchOutput)}, with a two-step output (see {@link TransactionalOutput});
   * recovers the last committed batch's publish and discards uncommitted output first.
   */
  public VoidFunction2<Dataset<Row>, Long> foreachBatch(TransactionalOutput<Dataset<Row>> output) {
    Objects.requireNonNull(output, "output");
    JobStart.recover(committer, output);
    return new Wrapper(this, (batch, batchId) -> JobStart.transactional(output, batch));
  }

  /**
   * Stops {@code query} (this stream's) between batches: waits for the running batch, if any, to
   * finish its output, commit and publish, then stops the query; a batch that Spark begins
   * meanwhile is interrupted before it outputs or commits anything. Spark's own
   * {@code query.stop()} instead interrupts the running batch wherever it is, which under
   * {@code AT_MOST_ONCE} can lose a batch whose commit was made. The wait for the running batch
   * has no limit: a batch whose output or store hangs holds the stop too.
   *
   * @throws TimeoutException when Spark's stop times out ({@code spark.sql.streaming.stopTimeout})
   */
  public void stop(StreamingQuery query) throws TimeoutException {
    batchLock.lock();
    try {
      query.stop();
    } finally {
      batchLock.unlock();
    }
  }

  /**
   * Waits for {@code query} (this stream's) to end: returns after a stop, and throws the batch
   * failure that ended it as itself ({@link io.tidemark.spark.DriverFencedException} when another
   * driver claimed the job, {@link BatchFailedException} for any other failed batch), as
   * {@code TidemarkDirectStream.awaitTermination()} does, rather than wrapped in Spark's
   * {@code StreamingQueryException}.
   *
   * @throws StreamingQueryException when the query failed for a reason other than a batch
   */
  public void awaitTermination(StreamingQuery query) throws StreamingQueryException {
    try {
      query.awaitTermination();
    } catch (StreamingQueryException e) {
      throw committer.failure().map(f -> (RuntimeException) f).orElseThrow(() -> e);
    }
  }

  /**
   * Adds {@code key = value} to the commit of the batch running now: call it in the batch's output
   * (for example {@link io.tidemark.spark.avro.AvroDecoding.DecodedBatch#addCommitMetadata}). Under
   * {@code EXACTLY_ONCE} and {@code AT_LEAST_ONCE} the commit follows the output, so everything
   * added during the output is in it; under {@code AT_MOST_ONCE} the commit came first, and what
   * is added is dropped (logged at WARN, once per stream). An output through a
   * {@link TransactionalOutput} runs its actions inside the output step, so it has no point
   * after them to add from.
   *
   * @throws IllegalStateException outside a batch's output
   * @throws IllegalArgumentException for a key Tidemark writes itself ({@value #SPARK_BATCH_ID_KEY},
   *     {@value BatchCommitter#GUARANTEE_KEY}, {@value ResolvedStart#DATA_LOSS_METADATA_KEY}, or one
   *     starting with {@value BatchCommitter#PREPARED_PREFIX})
   */
  public void addCommitMetadata(String key, String value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    if (key.equals(SPARK_BATCH_ID_KEY) || key.equals(BatchCommitter.GUARANTEE_KEY)
        || key.equals(ResolvedStart.DATA_LOSS_METADATA_KEY) || key.startsWith(BatchCommitter.PREPARED_PREFIX)) {
      throw new IllegalArgumentException("commit-metadata key " + key + " is Tidemark's own; choose another");
    }
    Map<String, String> m = running;
    if (m == null) {
      throw new IllegalStateException("no batch of job " + committer.job() + " is running: addCommitMetadata is for a"
          + " batch's output, on the driver");
    }
    if (committer.guarantee() == DeliveryGuarantee.AT_MOST_ONCE && droppedMetadataLogged.compareAndSet(false, true)) {
      LOG.warn("job {}: commit metadata added during an AT_MOST_ONCE output is dropped: the batch was committed before"
          + " its output ({} = {})", committer.job(), key, value);
    }
    m.put(key, value);
  }

  private final AtomicBoolean droppedMetadataLogged = new AtomicBoolean();

  /**
   * Removes the job's metrics source, and closes the store if this stream opened it from a URI.
   * Idempotent; called by the stream itself when its query terminates or its Spark context stops
   * (see the class doc). No batch runs after it.
   */
  public void close() {
    close(true);
  }

  private void close(boolean removeContextListener) {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    StreamingQueryListener q = queryListener;
    if (q != null) {
      try {
        spark.streams().removeListener(q);
      } catch (RuntimeException e) {
        LOG.debug("job {}: removing the query listener: {}", committer.job(), e.toString());
      }
    }
    SparkListener c = contextListener;
    if (c != null && removeContextListener) { // never from the listener bus's own thread (the context's stop)
      try {
        spark.sparkContext().removeSparkListener(c);
      } catch (RuntimeException e) {
        LOG.debug("job {}: removing the Spark listener: {}", committer.job(), e.toString());
      }
    }
    try {
      metrics.close();
    } finally {
      if (ownsStore) {
        store.close();
      }
    }
  }

  /** Closes the owned store when the query that ran the first batch terminates, or the Spark context stops. */
  private void closeWithQueryAndContext() {
    queryListener = new StreamingQueryListener() {
      @Override
      public void onQueryStarted(QueryStartedEvent event) {}

      @Override
      public void onQueryProgress(QueryProgressEvent event) {}

      @Override
      public void onQueryTerminated(QueryTerminatedEvent event) {
        if (event.id().toString().equals(query.get())) {
          LOG.info("job {}: its query {} terminated; closing {}", committer.job(), event.id(), store.description());
          close();
        }
      }
    };
    contextListener = new SparkListener() {
      @Override
      public void onApplicationEnd(SparkListenerApplicationEnd end) {
        LOG.info("job {}: the Spark context stopped; closing {}", committer.job(), store.description());
        close(false);
      }
    };
    spark.streams().addListener(queryListener);
    spark.sparkContext().addSparkListener(contextListener);
  }

  /** Records the query running a batch of this stream (the first one is the stream's query). */
  private void ranIn(String queryId) {
    if (queryId != null) {
      query.compareAndSet(null, queryId);
    }
  }

  private interface WorkFactory {
    BatchCommitter.BatchWork create(Dataset<Row> batch, long batchId);
  }

  /** The local property in which Spark names the streaming query that runs a batch. */
  private static final String QUERY_ID_PROPERTY = "sql.streaming.queryId";

  /** Runs on the driver; holds the committer only in this JVM. */
  private static final class Wrapper implements VoidFunction2<Dataset<Row>, Long> {
    private static final long serialVersionUID = 1L;
    private final transient TidemarkStructuredStream owner;
    private final transient WorkFactory work;
    /** The partitions that had rows in an earlier batch of this query: Spark reads them on from there. */
    private final transient java.util.Set<TopicPartition> firstSeen = java.util.concurrent.ConcurrentHashMap.newKeySet();

    Wrapper(TidemarkStructuredStream owner, WorkFactory work) {
      this.owner = owner;
      this.work = work;
    }

    @Override
    public void call(Dataset<Row> batch, Long sparkBatchId) throws InterruptedException {
      // a stop(query) waits for the running batch; a batch that begins meanwhile is interrupted here, before anything
      owner.batchLock.lockInterruptibly();
      try {
        runBatch(batch, sparkBatchId);
      } finally {
        owner.batchLock.unlock();
      }
    }

    private void runBatch(Dataset<Row> batch, long sparkBatchId) {
      BatchCommitter committer = owner.committer;
      owner.ranIn(batch.sparkSession().sparkContext().getLocalProperty(QUERY_ID_PROPERTY));
      if (owner.closed.get()) {
        throw committer.fail(new BatchFailedException(committer.job(), committer.nextBatchId(), "Spark batch "
            + sparkBatchId + " runs on a closed TidemarkStructuredStream (closed by close(), or, owning its store, when"
            + " its query " + owner.query.get() + " terminated or its Spark context stopped). Build a new stream for"
            + " each query.", null));
      }
      Dataset<Row> rows = batch.persist(StorageLevel.MEMORY_AND_DISK());
      List<Dataset<Row>> persisted = new ArrayList<>(List.of(rows));
      try {
        Map<TopicPartition, long[]> bounds = bounds(rows);
        Map<TopicPartition, Long> starts = committer.nextStarts();
        Map<TopicPartition, Long> stored = committer.positions();
        List<OffsetRange> ranges = new ArrayList<>();
        Map<TopicPartition, Long> skipBelow = new HashMap<>();
        Map<TopicPartition, long[]> aboveStore = new HashMap<>();
        boolean replayed = !bounds.isEmpty();
        for (Map.Entry<TopicPartition, long[]> e : bounds.entrySet()) {
          TopicPartition tp = e.getKey();
          long lowest = e.getValue()[0];
          long until = e.getValue()[1] + 1;
          Long from = starts.get(tp);
          if (from == null) {
            // a partition that appeared while the query ran
            from = newPartition(committer, sparkBatchId, tp, lowest, until, e.getValue()[2]);
          } else if (!stored.containsKey(tp) && lowest < from) {
            // new to the store, its start put above what Spark reads by the start policy (LATEST): those rows are
            // what the policy skips, also when Spark re-runs a batch from its checkpoint after a restart
            LOG.warn("job {}: Spark batch {} reads {} from offset {}, below the start its NewPartitionPolicy gave it"
                + " ({}); those records are skipped", committer.job(), sparkBatchId, tp, lowest, from);
            if (until < from) {
              // Spark reads on from where this batch ends: the start is never above it, or its next rows would
              // look like a stale checkpoint
              committer.startNewPartition(tp, until);
              from = until;
            }
          } else if (until <= from) {
            continue; // already committed
          } else if (lowest < from) {
            throw committer.fail(new BatchFailedException(committer.job(), committer.nextBatchId(), "Spark batch " + sparkBatchId
                + " reads " + tp + " from offset " + lowest + ", below where the job stands (" + from + "): the"
                + " query started from an older position than the store's (a stale checkpoint, or a second query"
                + " on one TidemarkStructuredStream). Delete the checkpoint, or rewind the store.", null));
          } else if (lowest > from && !firstSeen.contains(tp)) {
            aboveStore.put(tp, new long[] {from, lowest}); // the partition's first rows in this query
          }
          replayed = false;
          firstSeen.add(tp);
          if (lowest < from) {
            skipBelow.put(tp, from);
          }
          ranges.add(new OffsetRange(tp.topic(), tp.partition(), from, Math.max(from, until)));
        }
        if (replayed) {
          LOG.info("job {}: Spark batch {} is already in the store; skipped (no output, no commit)",
              committer.job(), sparkBatchId);
          return;
        }
        if (ranges.size() < bounds.size()) {
          throw committer.fail(new BatchFailedException(committer.job(), committer.nextBatchId(), "Spark batch " + sparkBatchId
              + " is partly in the store already: the query's checkpoint and the store disagree. Delete the query's"
              + " checkpoint to start from the store (or rewind the store to the checkpoint's batch).", null));
        }
        Dataset<Row> output = rows;
        for (Map.Entry<TopicPartition, Long> skip : skipBelow.entrySet()) {
          TopicPartition tp = skip.getKey();
          output = output.filter(col("topic").notEqual(tp.topic()).or(col("partition").notEqual(tp.partition()))
              .or(col("offset").geq(skip.getValue())));
        }
        Map<TopicPartition, long[]> gaps = gaps(committer, sparkBatchId, aboveStore);
        if (!gaps.isEmpty()) {
          output = replayFromStore(committer, sparkBatchId, output, gaps);
          persisted.add(output);
        }
        Map<String, String> metadata = new java.util.concurrent.ConcurrentHashMap<>();
        metadata.put(SPARK_BATCH_ID_KEY, Long.toString(sparkBatchId));
        owner.running = metadata;
        try {
          committer.runBatch(ranges, metadata, work.create(output, committer.nextBatchId()));
        } finally {
          owner.running = null;
        }
      } finally {
        for (Dataset<Row> d : persisted) {
          d.unpersist(false);
        }
      }
    }

    /**
     * Of the partitions whose first rows in this query start above the store's position
     * ({@code [stored, first row)} each), those where Kafka holds a record in between:
     * {@code [stored, first row, first record in between]} each. A failure to ask Kafka fails the batch.
     */
    private Map<TopicPartition, long[]> gaps(BatchCommitter committer, long sparkBatchId,
        Map<TopicPartition, long[]> aboveStore) {
      if (aboveStore.isEmpty()) {
        return Map.of();
      }
      Map<TopicPartition, Long> first;
      try {
        first = owner.firstRecords(aboveStore);
      } catch (RuntimeException e) {
        throw committer.fail(new BatchFailedException(committer.job(), committer.nextBatchId(), "Spark batch "
            + sparkBatchId + " starts " + aboveStore.keySet() + " above where the job stands in the store, and Kafka"
            + " could not be asked whether records lie in between (a checkpoint ahead of the store): " + e
            + ". Nothing of the batch was output or committed; check the brokers and restart the query.", e));
      }
      Map<TopicPartition, long[]> gaps = new TreeMap<>(PARTITION_ORDER);
      aboveStore.forEach((tp, r) -> {
        long f = first.get(tp);
        if (f < r[1]) {
          gaps.put(tp, new long[] {r[0], r[1], f});
        }
      });
      return gaps;
    }

    /**
     * Per partition of the batch: its lowest offset, its highest, and its number of rows.
     */
    private static Map<TopicPartition, long[]> bounds(Dataset<Row> rows) {
      // one pass per Spark partition and a merge on the driver: no shuffle (a groupBy would run
      // spark.sql.shuffle.partitions tasks per batch)
      List<HashMap<TopicPartition, long[]>> parts = rows.select(col("topic"), col("partition"), col("offset"))
          .javaRDD().mapPartitions(it -> {
            HashMap<TopicPartition, long[]> m = new HashMap<>();
            it.forEachRemaining(r -> {
              long offset = r.getLong(2);
              long[] b = m.computeIfAbsent(new TopicPartition(r.getString(0), r.getInt(1)),
                  tp -> new long[] {Long.MAX_VALUE, Long.MIN_VALUE, 0});
              b[0] = Math.min(b[0], offset);
              b[1] = Math.max(b[1], offset);
              b[2]++;
            });
            return List.of(m).iterator();
          }).collect();
      Map<TopicPartition, long[]> bounds = new HashMap<>();
      for (Map<TopicPartition, long[]> m : parts) {
        m.forEach((tp, b) -> bounds.merge(tp, b, (x, y) -> new long[] {Math.min(x[0], y[0]), Math.max(x[1], y[1]),
            x[2] + y[2]}));
      }
      return bounds;
    }

    /**
     * Where a partition that appeared while the query ran starts, as the job's
     * {@link NewPartitionPolicy} says: at the batch's first row of it (EARLIEST: Spark reads a new
     * partition from its log start), or past this batch's rows of it (LATEST: they were in it when
     * the query found it); FAIL fails the batch.
     */
    private long newPartition(BatchCommitter committer, long sparkBatchId, TopicPartition tp, long lowest, long until,
        long records) {
      switch (owner.newPartitions) {
        case EARLIEST:
          LOG.info("job {}: {} appeared while the query ran; read from offset {} (NewPartitionPolicy.EARLIEST)",
              committer.job(), tp, lowest);
          return lowest;
        case LATEST:
          LOG.warn("job {}: {} appeared while the query ran; its {} records in Spark batch {} (offsets {} to {}) are"
              + " skipped and it is read from offset {} on (NewPartitionPolicy.LATEST)", committer.job(), tp, records,
              sparkBatchId, lowest, until - 1, until);
          committer.startNewPartition(tp, until);
          return until;
        default:
          throw committer.fail(new BatchFailedException(committer.job(), committer.nextBatchId(), "Spark batch "
              + sparkBatchId + " reads " + tp + ", a partition that appeared while the query ran, and the job's"
              + " NewPartitionPolicy is FAIL: nothing of the batch was output or committed. To read it, restart the job"
              + " with StartPositionResolver.builder().onNewPartition(NewPartitionPolicy.EARLIEST) (or LATEST).", null));
      }
    }

    /**
     * The batch with the records of {@code gaps} ([store position, checkpoint position) per
     * partition) read from Kafka in front of it, under {@link CheckpointAheadPolicy#REPLAY_FROM_STORE};
     * fails the batch under {@link CheckpointAheadPolicy#FAIL}, or when the batch is not the
     * source's rows.
     */
    private Dataset<Row> replayFromStore(BatchCommitter committer, long sparkBatchId, Dataset<Row> batch,
        Map<TopicPartition, long[]> gaps) {
      StringBuilder where = new StringBuilder();
      StringBuilder csv = new StringBuilder();
      Map<TopicPartition, Long> froms = new HashMap<>();
      Map<TopicPartition, Long> untils = new HashMap<>();
      gaps.forEach((tp, g) -> {
        where.append(where.length() > 0 ? "; " : "").append(tp).append(": the store at ").append(g[0])
            .append(", the checkpoint at ").append(g[1]).append(" (first record in between at ").append(g[2]).append(')');
        csv.append(csv.length() > 0 ? " " : "").append(tp.topic()).append(',').append(tp.partition()).append(',')
            .append(g[1]);
        froms.put(tp, g[2]); // below the first record are offsets without one (markers, compacted, deleted)
        untils.put(tp, g[1]);
      });
      String ahead = "Spark batch " + sparkBatchId + " starts above where the job stands in the store, over records it"
          + " never output: the query's checkpoint is ahead of the store (the job was rewound or reset in the store"
          + " after the checkpoint was written). " + where + ".";
      String todo = " Nothing of the batch was output or committed. To replay from the store, stop the query, delete"
          + " its checkpoint directory (its checkpointLocation) and start it again, or build the stream with"
          + " onCheckpointAhead(CheckpointAheadPolicy.REPLAY_FROM_STORE); to skip those records instead, move the store"
          + " to the checkpoint's positions: tidemark offsets reset --store <uri> --job " + committer.job()
          + " --bootstrap <host:port> --from-file <a CSV of: " + csv + "> --execute.";
      if (owner.checkpointAhead == CheckpointAheadPolicy.FAIL) {
        throw committer.fail(new BatchFailedException(committer.job(), committer.nextBatchId(), ahead + todo, null));
      }
      Dataset<Row> replay = owner.spark.read().format("kafka").options(owner.kafkaOptions)
          .option("assign", assignJson(gaps.keySet())).option("startingOffsets", startingOffsetsJson(froms))
          .option("endingOffsets", startingOffsetsJson(untils)).load();
      if (!replay.schema().equals(batch.schema())) {
        throw committer.fail(new BatchFailedException(committer.job(), committer.nextBatchId(), ahead
            + " CheckpointAheadPolicy.REPLAY_FROM_STORE cannot replay them: the batch is not the Kafka source's rows"
            + " (its columns are " + batch.schema().simpleString() + ")." + todo, null));
      }
      LOG.warn("job {}: {} Replaying those records from the store's positions in this batch"
          + " (CheckpointAheadPolicy.REPLAY_FROM_STORE).", committer.job(), ahead);
      return replay.union(batch).persist(StorageLevel.MEMORY_AND_DISK());
    }
  }

  /** Spark's {@code assign} JSON for {@code partitions}, for example {@code {"orders":[0,1]}}. */
  static String assignJson(java.util.Collection<TopicPartition> partitions) {
    Map<String, java.util.SortedSet<Integer>> byTopic = new TreeMap<>();
    partitions.forEach(tp -> byTopic.computeIfAbsent(tp.topic(), t -> new java.util.TreeSet<>()).add(tp.partition()));
    StringBuilder b = new StringBuilder("{");
    byTopic.forEach((topic, parts) -> b.append(b.length() > 1 ? "," : "").append(jsonString(topic)).append(":[")
        .append(parts.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(","))).append(']'));
    return b.append('}').toString();
  }

  private static String jsonString(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  private static final java.util.Comparator<TopicPartition> PARTITION_ORDER =
      java.util.Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

  /**
   * Per partition, the offset of its first record at or after {@code [from, until)[0]}, or
   * {@code until} when there is none below it (only transaction markers, compacted, aborted or
   * retention-deleted offsets in between), read with one consumer on the source's Kafka options
   * (its isolation level included).
   */
  Map<TopicPartition, Long> firstRecords(Map<TopicPartition, long[]> fromUntil) {
    Properties p = clientProps(kafkaOptions, ConsumerConfig.configNames());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    Map<TopicPartition, Long> first = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      Map<TopicPartition, Long> logStarts = consumer.beginningOffsets(fromUntil.keySet());
      List<TopicPartition> open = new ArrayList<>();
      fromUntil.forEach((tp, r) -> {
        long start = Math.max(r[0], logStarts.get(tp));
        if (start >= r[1]) {
          first.put(tp, r[1]);
        } else {
          open.add(tp);
        }
      });
      consumer.assign(open);
      open.forEach(tp -> consumer.seek(tp, Math.max(fromUntil.get(tp)[0], logStarts.get(tp))));
      long deadline = System.nanoTime() + FIRST_RECORD_TIMEOUT.toNanos();
      while (!open.isEmpty()) {
        var records = consumer.poll(java.time.Duration.ofMillis(200));
        for (java.util.Iterator<TopicPartition> it = open.iterator(); it.hasNext(); ) {
          TopicPartition tp = it.next();
          long until = fromUntil.get(tp)[1];
          var found = records.records(tp);
          if (!found.isEmpty() || consumer.position(tp) >= until) {
            first.put(tp, found.isEmpty() ? until : Math.min(found.get(0).offset(), until));
            it.remove();
          }
        }
        consumer.pause(first.keySet().stream().filter(consumer.assignment()::contains).toList());
        if (!open.isEmpty() && System.nanoTime() > deadline) {
          throw new org.apache.kafka.common.errors.TimeoutException("no answer from Kafka for " + open + " within "
              + FIRST_RECORD_TIMEOUT);
        }
      }
    }
    return first;
  }

  /** How long {@link #firstRecords} waits for Kafka. */
  private static final java.time.Duration FIRST_RECORD_TIMEOUT = java.time.Duration.ofMinutes(1);

  /** The source's {@code kafka.*} options that are settings of a client with {@code configNames}, without the prefix. */
  private static Properties clientProps(Map<String, String> kafkaOptions, java.util.Set<String> configNames) {
    Properties p = new Properties();
    kafkaOptions.forEach((k, v) -> {
      if (k.startsWith("kafka.") && configNames.contains(k.substring(6))) {
        p.put(k.substring(6), v);
      }
    });
    return p;
  }

  /** Options of a {@link TidemarkStructuredStream}; everything is checked by {@link #build()}. */
  public static final class Builder {
    private final SparkSession spark;
    private String job;
    private List<String> topics;
    private final Map<String, String> kafkaOptions = new HashMap<>();
    private OffsetStore store;
    private String storeUri;
    private DeliveryGuarantee guarantee;
    private StartPositionResolver resolver = StartPositionResolver.builder().build();
    private final List<BatchListener> listeners = new ArrayList<>();
    private CheckpointAheadPolicy checkpointAhead = CheckpointAheadPolicy.FAIL;

    private Builder(SparkSession spark) {
      this.spark = Objects.requireNonNull(spark, "spark");
    }

    /** The job id: the key of its positions in the store. */
    public Builder job(String job) {
      this.job = job;
      return this;
    }

    /** The topics read. */
    public Builder topics(List<String> topics) {
      this.topics = List.copyOf(topics);
      return this;
    }

    /** An option of Spark's Kafka source ({@code kafka.bootstrap.servers} is required). */
    public Builder kafkaOption(String key, String value) {
      kafkaOptions.put(key, value);
      return this;
    }

    /** The store, owned by the caller. */
    public Builder store(OffsetStore store) {
      this.store = Objects.requireNonNull(store, "store");
      this.storeUri = null;
      return this;
    }

    /**
     * The store's URI; opened by {@link #build()}, closed when the stream's query terminates or its
     * Spark context stops, or by {@link TidemarkStructuredStream#close()} (see the class doc).
     */
    public Builder store(String uri) {
      this.storeUri = Objects.requireNonNull(uri, "uri");
      this.store = null;
      return this;
    }

    /** The delivery guarantee (required). */
    public Builder guarantee(DeliveryGuarantee guarantee) {
      this.guarantee = guarantee;
      return this;
    }

    /** Where to start without a stored position, and what to do with new partitions and lost offsets. */
    public Builder startPolicies(StartPositionResolver resolver) {
      this.resolver = Objects.requireNonNull(resolver, "resolver");
      return this;
    }

    /**
     * What to do when the query's checkpoint is ahead of the store (default
     * {@link CheckpointAheadPolicy#FAIL}); see {@link CheckpointAheadPolicy}.
     */
    public Builder onCheckpointAhead(CheckpointAheadPolicy policy) {
      this.checkpointAhead = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** Adds a listener told of each batch's output and commit. */
    public Builder listener(BatchListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Checks the options, resolves the start from the store and the cluster, and claims the job.
     *
     * @throws IllegalArgumentException naming every missing or contradictory option
     */
    public TidemarkStructuredStream build() {
      List<String> problems = new ArrayList<>();
      JobStart.checkCommon(problems, job, topics, guarantee, store != null || storeUri != null);
      if (kafkaOptions.get("kafka.bootstrap.servers") == null) {
        problems.add("kafkaOption(\"kafka.bootstrap.servers\", ...) is required");
      }
      for (String owned : List.of("subscribe", "subscribePattern", "assign", "startingOffsets",
          "startingOffsetsByTimestamp", "startingTimestamp")) {
        if (kafkaOptions.containsKey(owned)) {
          problems.add("kafkaOption " + owned + " is set from the topics and the store; remove it");
        }
      }
      JobStart.failOn(problems);
      JobStart.Started started = JobStart.start(store, storeUri, job, topics, adminProps(), resolver, guarantee,
          listeners);
      TidemarkStructuredStream stream = new TidemarkStructuredStream(spark, started.committer(), started.start(),
          started.topics(), Map.copyOf(kafkaOptions), started.store(), started.ownsStore(), started.metrics(),
          resolver.newPartitionPolicy(), checkpointAhead);
      if (started.ownsStore()) {
        try {
          stream.closeWithQueryAndContext();
        } catch (RuntimeException e) {
          stream.close();
          throw e;
        }
      }
      return stream;
    }

    private Properties adminProps() {
      return clientProps(kafkaOptions, AdminClientConfig.configNames());
    }
  }
}
