package io.tidemark.spark.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.tidemark.offsets.CommitResult;
import io.tidemark.offsets.ConsumerGroupMirror;
import io.tidemark.offsets.DataLossEvent;
import io.tidemark.offsets.OffsetConflictException;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.PartitionOffsets;
import io.tidemark.spark.BatchCommitter;
import io.tidemark.spark.BatchFailedException;
import io.tidemark.spark.BatchListener;
import io.tidemark.spark.internal.TidemarkSource;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.SparkEnv;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One job's metrics on its driver, in the Spark metrics source {@code tidemark.job.<job>}:
 *
 * <table>
 *   <caption>Metrics of a job</caption>
 *   <tr><th>name</th><th>type</th><th>what</th></tr>
 *   <tr><td>{@code commit.latency}</td><td>timer</td><td>how long the store took to answer each commit,
 *       refused ones included</td></tr>
 *   <tr><td>{@code commits.applied}, {@code commits.already-applied}</td><td>counters</td><td>commits the store
 *       applied, and retries it recognised</td></tr>
 *   <tr><td>{@code commits.refused.<CONFLICT>}</td><td>counters</td><td>commits refused, by
 *       {@link OffsetConflictException.Conflict} ({@code STALE_EPOCH}: this driver was fenced)</td></tr>
 *   <tr><td>{@code batches.failed}</td><td>counter</td><td>batches that failed (a bad record under the FAIL
 *       policy, an output or store failure); the driver runs no batch after one</td></tr>
 *   <tr><td>{@code data-loss.events}, {@code data-loss.records}, {@code data-loss.skipped}</td><td>counters</td>
 *       <td>partitions whose stored position retention had deleted or a recreated topic had passed; the records
 *       lost so; the records the start policy skipped (lost ones included)</td></tr>
 *   <tr><td>{@code lag.total}, {@code lag.<topic>.<partition>}</td><td>gauges</td><td>log end minus committed
 *       position, read from the brokers every 5 seconds on a thread of its own (a slow broker never
 *       delays a sink); a partition's gauge appears with its first value</td></tr>
 *   <tr><td>{@code mirror.mirrored}, {@code mirror.failures}</td><td>gauges</td><td>consumer-group mirroring
 *       ({@code mirror.bootstrap.servers}), when the store has it</td></tr>
 * </table>
 *
 * <p>The adapters create it at start and close it when they close; {@link #registry()} reads the
 * values directly (for tests, or a job without Spark's metrics system). Closing removes exactly
 * this job's metrics from Spark's registry.
 */
public final class JobMetrics implements BatchListener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JobMetrics.class);
  static final int LAG_REFRESH_SECONDS = 5;
  /** The open metrics of each job in this JVM, by source name. */
  private static final Map<String, JobMetrics> LIVE = new ConcurrentHashMap<>();
  /** Numbers the admin clients: Kafka registers each under its client id in JMX. */
  private static final java.util.concurrent.atomic.AtomicInteger CLIENTS = new java.util.concurrent.atomic.AtomicInteger();

  private final String job;
  private final TidemarkSource source;
  private final MetricRegistry registry;
  private final Timer commitLatency;
  private final Counter applied;
  private final Counter alreadyApplied;
  private final Map<OffsetConflictException.Conflict, Counter> refused =
      new EnumMap<>(OffsetConflictException.Conflict.class);
  private final Counter batchesFailed;
  private final Counter dataLossEvents;
  private final Counter dataLossRecords;
  private final Counter dataLossSkipped;
  private final Admin admin;
  private final BatchCommitter committer;
  private final ScheduledExecutorService lagReader;
  private volatile Map<TopicPartition, Long> lag = Map.of();
  private final Set<TopicPartition> lagGauges = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;
  private final java.util.concurrent.atomic.AtomicBoolean lagFailing = new java.util.concurrent.atomic.AtomicBoolean();
  /** The Spark environment of the driver that registered these metrics; they close when it is gone. */
  private final SparkEnv sparkEnv = SparkEnv.get();

  private JobMetrics(BatchCommitter committer, OffsetStore store, Admin admin) {
    this.committer = committer;
    this.job = committer.job();
    this.admin = admin;
    this.source = new TidemarkSource("tidemark.job." + job);
    this.registry = source.metricRegistry();
    commitLatency = registry.timer("commit.latency");
    applied = registry.counter("commits.applied");
    alreadyApplied = registry.counter("commits.already-applied");
    for (OffsetConflictException.Conflict c : OffsetConflictException.Conflict.values()) {
      refused.put(c, registry.counter("commits.refused." + c.name()));
    }
    batchesFailed = registry.counter("batches.failed");
    dataLossEvents = registry.counter("data-loss.events");
    dataLossRecords = registry.counter("data-loss.records");
    dataLossSkipped = registry.counter("data-loss.skipped");
    registry.register("lag.total", (Gauge<Long>) () -> lag.values().stream().mapToLong(Long::longValue).sum());
    ConsumerGroupMirror.of(store).ifPresent(m -> {
      registry.register("mirror.mirrored", (Gauge<Long>) m::mirrored);
      registry.register("mirror.failures", (Gauge<Long>) m::failures);
    });
    committer.start().dataLossEvents().forEach(this::dataLoss);
    lagReader = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tidemark-lag-" + job);
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Creates the metrics of {@code committer}'s job, listens to its batches, and registers them
   * with this JVM's Spark metrics system (when there is one).
   *
   * @param admin settings of an admin client for the log ends behind the lag gauges
   */
  public static JobMetrics start(BatchCommitter committer, OffsetStore store, Properties admin) {
    Properties props = new Properties();
    props.putAll(admin);
    props.putIfAbsent("client.id", "tidemark-lag-" + committer.job() + "-" + CLIENTS.incrementAndGet());
    JobMetrics metrics = new JobMetrics(committer, store, Admin.create(props));
    try {
      // an earlier stream of the same job in this JVM that was not closed: this one replaces it
      JobMetrics earlier = LIVE.put(metrics.source.sourceName(), metrics);
      if (earlier != null) {
        earlier.close();
      }
      metrics.source.register();
      committer.addListener(metrics);
      metrics.lagReader.scheduleWithFixedDelay(metrics::refreshLag, 0, LAG_REFRESH_SECONDS, TimeUnit.SECONDS);
      return metrics;
    } catch (RuntimeException e) {
      metrics.close();
      throw e;
    }
  }

  /** The job. */
  public String job() {
    return job;
  }

  /** The Dropwizard registry behind the Spark source {@code tidemark.job.<job>}. */
  public MetricRegistry registry() {
    return registry;
  }

  private void dataLoss(DataLossEvent e) {
    dataLossEvents.inc();
    dataLossRecords.inc(e.lostRange().count());
    dataLossSkipped.inc(e.skippedRange().count());
  }

  private void refreshLag() {
    if (sparkEnv != null && SparkEnv.get() != sparkEnv) {
      LOG.info("job {}: the Spark context its metrics were registered with has stopped; closing them", job);
      close();
      return;
    }
    try {
      Optional<Map<TopicPartition, Long>> read = readLag();
      synchronized (this) { // not while close() empties the registry
        if (!closed) {
          read.ifPresent(this::showLag);
        }
      }
    } catch (RuntimeException e) { // a scheduled task that throws is never run again
      LOG.warn("job {}: the lag gauges were not refreshed: {}", job, e.toString());
    }
  }

  private void showLag(Map<TopicPartition, Long> read) {
    lag = read;
    for (TopicPartition tp : read.keySet()) {
      if (lagGauges.add(tp)) {
        registry.register("lag." + tp.topic() + "." + tp.partition(), (Gauge<Long>) () -> lag.getOrDefault(tp, 0L));
      }
    }
  }

  private Optional<Map<TopicPartition, Long>> readLag() {
    Map<TopicPartition, Long> committed = committer.positions();
    if (committed.isEmpty()) {
      return Optional.of(Map.of());
    }
    try {
      Map<TopicPartition, Long> ends = PartitionOffsets.of(admin).latest(committed.keySet());
      Map<TopicPartition, Long> result = new HashMap<>();
      committed.forEach((tp, position) -> {
        Long end = ends.get(tp);
        if (end != null) {
          result.put(tp, Math.max(0, end - position));
        }
      });
      if (lagFailing.compareAndSet(true, false)) {
        LOG.info("job {}: the lag gauges are read again", job);
      }
      return Optional.of(result);
    } catch (RuntimeException e) {
      if (lagFailing.compareAndSet(false, true)) {
        LOG.warn("job {}: cannot read the log ends for the lag gauges, keeping the last values until it can: {}", job,
            e.toString());
      }
      return Optional.empty();
    }
  }

  @Override
  public void commitAnswered(String job, long batchId, CommitResult result, Duration took) {
    commitLatency.update(took.toNanos(), TimeUnit.NANOSECONDS);
    (result == CommitResult.ALREADY_APPLIED ? alreadyApplied : applied).inc();
  }

  @Override
  public void commitRefused(String job, long batchId, OffsetConflictException.Conflict conflict, Duration took) {
    commitLatency.update(took.toNanos(), TimeUnit.NANOSECONDS);
    refused.get(conflict).inc();
  }

  @Override
  public void batchFailed(String job, long batchId, BatchFailedException failure) {
    batchesFailed.inc();
  }

  /** Removes this job's metrics from Spark's metrics system, stops reading lag and closes the admin client. Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      source.remove();
      LIVE.remove(source.sourceName(), this);
    }
    lagReader.shutdownNow();
    admin.close(Duration.ofSeconds(5));
  }

  @Override
  public String toString() {
    return "JobMetrics[" + job + ", " + List.copyOf(registry.getNames()).size() + " metrics]";
  }
}
