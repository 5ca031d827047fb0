package io.tidemark.spark.structured;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;

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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerApplicationEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
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
 * checkpoint) is skipped: no output, no commit. A query whose checkpoint disagrees with the store
 * otherwise fails its batch, naming both; delete the checkpoint to start from the store.
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
  private final AtomicBoolean closed = new AtomicBoolean();
  /** The id of the query that ran this stream's first batch. */
  private final AtomicReference<String> query = new AtomicReference<>();
  private volatile StreamingQueryListener queryListener;
  private volatile SparkListener contextListener;

  private TidemarkStructuredStream(SparkSession spark, BatchCommitter committer, ResolvedStart start,
      List<String> topics, Map<String, String> kafkaOptions, OffsetStore store, boolean ownsStore, JobMetrics metrics) {
    this.spark = spark;
    this.committer = committer;
    this.start = start;
    this.topics = topics;
    this.kafkaOptions = kafkaOptions;
    this.store = store;
    this.ownsStore = ownsStore;
    this.metrics = metrics;
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
      b.append(b.length() > 1 ? "," : "").append('"').append(topic.replace("\\", "\\\\").replace("\"", "\\\""))
          .append("\":{");
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

    Wrapper(TidemarkStructuredStream owner, WorkFactory work) {
      this.owner = owner;
      this.work = work;
    }

    @Override
    public void call(Dataset<Row> batch, Long sparkBatchId) {
      BatchCommitter committer = owner.committer;
      owner.ranIn(batch.sparkSession().sparkContext().getLocalProperty(QUERY_ID_PROPERTY));
      if (owner.closed.get()) {
        throw committer.fail(new BatchFailedException(committer.job(), committer.nextBatchId(), "Spark batch "
            + sparkBatchId + " runs on a closed TidemarkStructuredStream (closed by close(), or, owning its store, when"
            + " its query " + owner.query.get() + " terminated or its Spark context stopped). Build a new stream for"
            + " each query.", null));
      }
      Dataset<Row> rows = batch.persist(StorageLevel.MEMORY_AND_DISK());
      try {
        Map<TopicPartition, long[]> bounds = new HashMap<>();
        for (Row r : rows.groupBy(col("topic"), col("partition")).agg(min(col("offset")), max(col("offset")))
            .collectAsList()) {
          bounds.put(new TopicPartition(r.getString(0), r.getInt(1)), new long[] {r.getLong(2), r.getLong(3)});
        }
        Map<TopicPartition, Long> starts = committer.nextStarts();
        List<OffsetRange> ranges = new ArrayList<>();
        boolean replayed = !bounds.isEmpty();
        for (Map.Entry<TopicPartition, long[]> e : bounds.entrySet()) {
          TopicPartition tp = e.getKey();
          long lowest = e.getValue()[0];
          long until = e.getValue()[1] + 1;
          Long from = starts.get(tp);
          if (from != null && until <= from) {
            continue; // already committed
          }
          replayed = false;
          if (from == null) {
            from = lowest; // a partition that appeared while the query ran: Spark reads it from its start
          } else if (lowest < from) {
            throw committer.fail(new BatchFailedException(committer.job(), committer.nextBatchId(), "Spark batch " + sparkBatchId
                + " reads " + tp + " from offset " + lowest + ", below where the job stands (" + from + "): the"
                + " query started from an older position than the store's (a stale checkpoint, or a second query"
                + " on one TidemarkStructuredStream). Delete the checkpoint, or rewind the store.", null));
          }
          ranges.add(new OffsetRange(tp.topic(), tp.partition(), from, until));
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
        committer.runBatch(ranges, Map.of(SPARK_BATCH_ID_KEY, Long.toString(sparkBatchId)),
            work.create(rows, committer.nextBatchId()));
      } finally {
        rows.unpersist(false);
      }
    }
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
          started.topics(), Map.copyOf(kafkaOptions), started.store(), started.ownsStore(), started.metrics());
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
      Properties p = new Properties();
      kafkaOptions.forEach((k, v) -> {
        if (k.startsWith("kafka.") && AdminClientConfig.configNames().contains(k.substring(6))) {
          p.put(k.substring(6), v);
        }
      });
      return p;
    }
  }
}
