package io.tidemark.spark.dstream;

import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.OffsetStore;
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
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.streaming.Time;
import org.apache.spark.streaming.api.java.JavaInputDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import org.apache.spark.streaming.kafka010.ConsumerStrategies;
import org.apache.spark.streaming.kafka010.HasOffsetRanges;
import org.apache.spark.streaming.kafka010.KafkaUtils;
import org.apache.spark.streaming.kafka010.LocationStrategies;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kafka direct stream whose positions live in an {@link OffsetStore}: it starts where the store
 * (and the start policies) say, and commits each batch with the chosen {@link DeliveryGuarantee}.
 *
 * <pre>{@code
 * TidemarkDirectStream<String, byte[]> stream = TidemarkDirectStream.<String, byte[]>builder(ssc)
 *     .job("shipments-dashboard")
 *     .topics(List.of("shipments"))
 *     .kafkaParams(Map.of("bootstrap.servers", "kafka:9092", "group.id", "dashboard",
 *         "key.deserializer", StringDeserializer.class, "value.deserializer", ByteArrayDeserializer.class))
 *     .store("zk://zk1:2181/tidemark")
 *     .guarantee(DeliveryGuarantee.EXACTLY_ONCE)
 *     .build();
 * stream.foreachBatch(batch -> writeIdempotently(batch.rdd(), batch.batchId()));
 * ssc.start();
 * stream.awaitTermination();
 * }</pre>
 *
 * <p>Kafka parameters: {@code bootstrap.servers}, {@code group.id} and the deserializers are
 * required; {@code enable.auto.commit} must be false or unset (unset, it is set to false, and the
 * log says so at WARN): the group never holds the positions. Tidemark changes nothing else; Spark's
 * Kafka integration itself still overrides {@code group.id}, {@code auto.offset.reset} and the
 * receive buffer on the executors' consumers, as it logs. {@code spark.streaming.concurrentJobs}
 * must stay 1.
 *
 * <p>The stream is assigned the partitions the start resolved, at the resolved offsets; it does
 * not join the consumer group. A restart therefore never waits for a killed driver's group member
 * to time out ({@code session.timeout.ms}, 45 s by default). Partitions added to a topic while the
 * job runs are read from its next start, where the {@link io.tidemark.offsets.NewPartitionPolicy}
 * says.
 *
 * <p>On a failed batch (see {@link BatchFailedException}) the stream stops its streaming context
 * (not gracefully: the failed batch must not be followed by others), and
 * {@link #awaitTermination()} throws the failure. A graceful {@code ssc.stop(true, true)} commits
 * every batch it lets finish. The store is closed when the stream opened it from a URI.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class TidemarkDirectStream<K, V> {
  private static final Logger LOG = LoggerFactory.getLogger(TidemarkDirectStream.class);

  private final JavaStreamingContext ssc;
  private final JavaInputDStream<ConsumerRecord<K, V>> stream;
  private final BatchCommitter committer;
  private final OffsetStore store;
  private final boolean ownsStore;
  private final JobMetrics metrics;
  private final AtomicBoolean outputSet = new AtomicBoolean();

  private TidemarkDirectStream(JavaStreamingContext ssc, JavaInputDStream<ConsumerRecord<K, V>> stream,
      BatchCommitter committer, OffsetStore store, boolean ownsStore, JobMetrics metrics) {
    this.ssc = ssc;
    this.stream = stream;
    this.committer = committer;
    this.store = store;
    this.ownsStore = ownsStore;
    this.metrics = metrics;
  }

  /** The job's metrics, also reported by Spark's metrics sinks as the source {@code tidemark.job.<job>}. */
  public JobMetrics metrics() {
    return metrics;
  }

  /** A builder over {@code ssc}. */
  public static <K, V> Builder<K, V> builder(JavaStreamingContext ssc) {
    return new Builder<>(ssc);
  }

  /** An output run once per batch with records (see the class doc for the order around the commit). */
  @FunctionalInterface
  public interface BatchOutput<K, V> {
    /** Writes the batch; throwing fails it (it is then not committed, except under at-most-once). */
    void write(KafkaBatch<K, V> batch) throws Exception;
  }

  /**
   * Runs {@code output} for each batch with records, committing around it as the guarantee says.
   * Under {@link DeliveryGuarantee#EXACTLY_ONCE} the output must be idempotent by
   * {@link KafkaBatch#batchId()} or by record (topic, partition, offset): a replay after a crash
   * runs it again for the same batch id.
   */
  public void foreachBatch(BatchOutput<K, V> output) {
    Objects.requireNonNull(output, "output");
    attach(new Handler<>(this, batch -> new BatchCommitter.BatchWork() {
      @Override
      public Map<String, String> output(long batchId) throws Exception {
        output.write(batch);
        return Map.of();
      }
    }));
  }

  /**
   * Runs a two-step output: prepared before the commit, published after it (see
   * {@link TransactionalOutput}). Before the first batch, the last committed batch is published
   * again (if a crash came between its commit and its publish) and prepared output that was never
   * committed is discarded.
   */
  public void foreachBatch(TransactionalOutput<KafkaBatch<K, V>> output) {
    Objects.requireNonNull(output, "output");
    JobStart.recover(committer, output);
    attach(new Handler<>(this, batch -> JobStart.transactional(output, batch)));
  }

  private void attach(Handler<K, V> handler) {
    if (!outputSet.compareAndSet(false, true)) {
      throw new IllegalStateException("foreachBatch was already called on this stream: one output per stream"
          + " (run several writes inside it)");
    }
    stream.foreachRDD(handler);
  }

  /** The underlying Spark stream, for transformations that run before or beside the output. */
  public JavaInputDStream<ConsumerRecord<K, V>> dstream() {
    return stream;
  }

  /** The committer: the job, its epoch, the next batch id, the committed positions. */
  public BatchCommitter committer() {
    return committer;
  }

  /** Adds a listener told of each batch's output and commit. */
  public void addListener(BatchListener listener) {
    committer.addListener(listener);
  }

  /** The batch that failed, if one did. */
  public Optional<BatchFailedException> failure() {
    return committer.failure();
  }

  /**
   * Waits until the streaming context stops. After a failed batch it stops the context itself
   * (not gracefully), closes the store if this stream opened it, and throws that batch's
   * {@link BatchFailedException}; other errors Spark reports are rethrown as they are.
   */
  public void awaitTermination() throws InterruptedException {
    try {
      ssc.awaitTermination();
    } catch (RuntimeException e) {
      if (committer.failure().isEmpty()) {
        if (ssc.getState() == org.apache.spark.streaming.StreamingContextState.STOPPED) {
          close();
        }
        throw e;
      }
    }
    if (committer.failure().isPresent()) {
      ssc.stop(false, false); // Spark reports the error before the stop that the failure started is done
      close();
      throw committer.failure().get();
    }
    if (ssc.getState() == org.apache.spark.streaming.StreamingContextState.STOPPED) {
      close();
    }
  }

  /**
   * Removes the job's metrics source, and closes the store if this stream opened it from a URI
   * (idempotent); the streaming context is the caller's.
   */
  public void close() {
    metrics.close();
    if (ownsStore) {
      store.close();
    }
  }

  void stopAfterFailure() {
    Thread stopper = new Thread(() -> {
      try {
        ssc.stop(false, false);
      } catch (RuntimeException e) {
        LOG.warn("stopping the streaming context after a failed batch: {}", e.toString());
      }
    }, "tidemark-stop-" + committer.job());
    stopper.setDaemon(true);
    stopper.start();
  }

  /** Runs on the driver for each batch; holds the committer only in this JVM. */
  private static final class Handler<K, V> implements VoidFunction2<JavaRDD<ConsumerRecord<K, V>>, Time>, Serializable {
    private static final long serialVersionUID = 1L;
    private final transient TidemarkDirectStream<K, V> owner;
    private final transient java.util.function.Function<KafkaBatch<K, V>, BatchCommitter.BatchWork> work;

    Handler(TidemarkDirectStream<K, V> owner,
        java.util.function.Function<KafkaBatch<K, V>, BatchCommitter.BatchWork> work) {
      this.owner = owner;
      this.work = work;
    }

    @Override
    public void call(JavaRDD<ConsumerRecord<K, V>> rdd, Time time) {
      if (owner == null) {
        throw new IllegalStateException("a TidemarkDirectStream cannot be recovered from a Spark checkpoint: its"
            + " positions are in the offset store. Build it anew at every start (checkpointing may stay on for"
            + " stateful operations).");
      }
      List<OffsetRange> ranges = new ArrayList<>();
      for (org.apache.spark.streaming.kafka010.OffsetRange r : ((HasOffsetRanges) rdd.rdd()).offsetRanges()) {
        ranges.add(new OffsetRange(r.topic(), r.partition(), r.fromOffset(), r.untilOffset()));
      }
      BatchCommitter committer = owner.committer;
      KafkaBatch<K, V> batch = new KafkaBatch<>(rdd, ranges, committer.nextBatchId(), time.milliseconds());
      try {
        committer.runBatch(ranges, batch.commitMetadata(), work.apply(batch));
      } catch (BatchFailedException e) {
        LOG.error("{}; stopping the streaming context", e.getMessage());
        owner.stopAfterFailure();
        throw e;
      }
    }
  }

  /** Options of a {@link TidemarkDirectStream}; everything is checked by {@link #build()}. */
  public static final class Builder<K, V> {
    private final JavaStreamingContext ssc;
    private String job;
    private List<String> topics;
    private java.util.regex.Pattern topicPattern;
    private Map<String, Object> kafkaParams;
    private OffsetStore store;
    private String storeUri;
    private DeliveryGuarantee guarantee;
    private StartPositionResolver resolver = StartPositionResolver.builder().build();
    private final List<BatchListener> listeners = new ArrayList<>();

    private Builder(JavaStreamingContext ssc) {
      this.ssc = Objects.requireNonNull(ssc, "ssc");
    }

    /** The job id: the key of its positions in the store. */
    public Builder<K, V> job(String job) {
      this.job = job;
      return this;
    }

    /** The topics read. */
    public Builder<K, V> topics(List<String> topics) {
      this.topics = List.copyOf(topics);
      this.topicPattern = null;
      return this;
    }

    /**
     * The topics read: every existing topic whose whole name matches {@code pattern}, listed at
     * {@link #build()}. Topics created later that match are read from the job's next start.
     */
    public Builder<K, V> topicPattern(java.util.regex.Pattern pattern) {
      this.topicPattern = Objects.requireNonNull(pattern, "pattern");
      this.topics = null;
      return this;
    }

    /** The Kafka consumer parameters (see the class doc for what is required). */
    public Builder<K, V> kafkaParams(Map<String, ?> params) {
      this.kafkaParams = new HashMap<>(params);
      return this;
    }

    /** The store, owned by the caller (not closed by the stream). */
    public Builder<K, V> store(OffsetStore store) {
      this.store = Objects.requireNonNull(store, "store");
      this.storeUri = null;
      return this;
    }

    /** The store's URI ({@code zk://...}, {@code hbase://...}, {@code file:...}); opened and closed by the stream. */
    public Builder<K, V> store(String uri) {
      this.storeUri = Objects.requireNonNull(uri, "uri");
      this.store = null;
      return this;
    }

    /** The delivery guarantee (required: there is no default to fall into by accident). */
    public Builder<K, V> guarantee(DeliveryGuarantee guarantee) {
      this.guarantee = guarantee;
      return this;
    }

    /** Where to start without a stored position, and what to do with new partitions and lost offsets. */
    public Builder<K, V> startPolicies(StartPositionResolver resolver) {
      this.resolver = Objects.requireNonNull(resolver, "resolver");
      return this;
    }

    /** Adds a listener told of each batch's output and commit. */
    public Builder<K, V> listener(BatchListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Checks the options, resolves the start from the store and the cluster, claims the job
     * (fencing any other driver of it) and creates the Spark stream.
     *
     * @throws IllegalArgumentException naming every missing or contradictory option
     */
    public TidemarkDirectStream<K, V> build() {
      List<String> problems = new ArrayList<>();
      Map<String, Object> params = kafkaParams == null ? new HashMap<>() : new HashMap<>(kafkaParams);
      List<String> read = topics;
      if (topicPattern != null && params.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG) != null) {
        read = matchingTopics(topicPattern, adminProps(params));
        if (read.isEmpty()) {
          problems.add("no topic matches the pattern " + topicPattern.pattern());
        }
      }
      JobStart.checkCommon(problems, job, read, guarantee, store != null || storeUri != null);
      for (String required : List.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, ConsumerConfig.GROUP_ID_CONFIG,
          ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG)) {
        if (params.get(required) == null) {
          problems.add("kafkaParams needs " + required);
        }
      }
      if (ssc.sparkContext().getConf().getInt("spark.streaming.concurrentJobs", 1) > 1) {
        problems.add("spark.streaming.concurrentJobs is above 1: batches must run one at a time, each committed"
            + " before the next starts");
      }
      Object autoCommit = params.get(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG);
      if (autoCommit != null && Boolean.parseBoolean(autoCommit.toString())) {
        problems.add("kafkaParams has enable.auto.commit=true: the consumer group would move on its own while"
            + " the store holds the positions. Set it to false (or leave it out)");
      }
      JobStart.failOn(problems);
      if (autoCommit == null) {
        params.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        LOG.warn("enable.auto.commit was not set: set to false (the store holds the positions, not the group)");
      }
      JobStart.Started started = JobStart.start(store, storeUri, job, read, adminProps(params), resolver, guarantee,
          listeners);
      try {
        JavaInputDStream<ConsumerRecord<K, V>> stream = KafkaUtils.createDirectStream(ssc,
            LocationStrategies.PreferConsistent(),
            ConsumerStrategies.<K, V>Assign(started.start().positions().keySet(), params,
                new HashMap<>(started.start().positions())));
        return new TidemarkDirectStream<>(ssc, stream, started.committer(), started.store(), started.ownsStore(),
            started.metrics());
      } catch (RuntimeException e) {
        started.metrics().close();
        if (started.ownsStore()) {
          started.store().close();
        }
        throw e;
      }
    }

    private static List<String> matchingTopics(java.util.regex.Pattern pattern, Properties admin) {
      try (org.apache.kafka.clients.admin.Admin client = org.apache.kafka.clients.admin.Admin.create(admin)) {
        return client.listTopics().names().get(30, java.util.concurrent.TimeUnit.SECONDS).stream()
            .filter(t -> pattern.matcher(t).matches()).sorted().toList();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while listing topics for " + pattern.pattern(), e);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        throw new IllegalStateException("cannot list the topics to match " + pattern.pattern() + ": " + e, e);
      }
    }

    private static Properties adminProps(Map<String, Object> params) {
      Properties p = new Properties();
      for (String key : AdminClientConfig.configNames()) {
        Object v = params.get(key);
        if (v != null) {
          p.put(key, v);
        }
      }
      return p;
    }
  }
}
