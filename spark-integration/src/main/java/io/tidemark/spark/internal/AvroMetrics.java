package io.tidemark.spark.internal;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import io.tidemark.spark.avro.BadRecordPolicy;
import java.util.Map;
import java.util.WeakHashMap;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The Avro decoding's metrics, per application, in the Spark metrics source {@code tidemark.avro}
 * on the driver ({@code AvroDecoding} registers it at its first decoding):
 *
 * <table>
 *   <caption>Metrics of Avro decoding</caption>
 *   <tr><th>name</th><th>type</th><th>what</th></tr>
 *   <tr><td>{@code bad-records.SKIP}, {@code bad-records.DEAD_LETTER}</td><td>counters</td><td>records that
 *       could not be decoded, by the policy that handled them (under {@code FAIL} the first one fails its
 *       batch: see the job's {@code batches.failed})</td></tr>
 *   <tr><td>{@code registry.lookups}</td><td>counter</td><td>records whose writer schema was looked up</td></tr>
 *   <tr><td>{@code registry.calls}</td><td>counter</td><td>of those, lookups that went to the schema registry</td></tr>
 *   <tr><td>{@code registry.cache-hit-rate}</td><td>gauge</td><td>the share of lookups answered without the
 *       registry (1 before the first lookup)</td></tr>
 * </table>
 *
 * <p>The counting happens in the executors' tasks, into Spark accumulators; the driver adds each
 * successful task's counts when Spark reports the task's end (shortly after it, on Spark's
 * listener bus). A failed task's counts are dropped with its accumulator updates, and its retry
 * counts again, as Spark does for accumulators. Registry calls are counted per executor JVM and
 * reported by the next task that ends there.
 */
public final class AvroMetrics {
  private static final Map<SparkContext, AvroMetrics> BY_CONTEXT = new WeakHashMap<>();
  /** Accumulators followed at most: those of the last 1,000 decodings, far more than run at once. */
  private static final int TRACKED_MAX = 3_000;

  /** What an accumulator counts. */
  private enum Kind { BAD_SKIP, BAD_DEAD_LETTER, LOOKUPS, CALLS }

  private final TidemarkSource source = new TidemarkSource("tidemark.avro");
  private final MetricRegistry registry = source.metricRegistry();
  private final Counter badSkip = registry.counter("bad-records." + BadRecordPolicy.SKIP.name());
  private final Counter badDeadLetter = registry.counter("bad-records." + BadRecordPolicy.DEAD_LETTER.name());
  private final Counter lookups = registry.counter("registry.lookups");
  private final Counter calls = registry.counter("registry.calls");
  /** The accumulators of the latest decodings (a DStream job makes new ones each batch): ids increase. */
  private final Map<Long, Kind> tracked = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>() {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, Kind> eldest) {
      return size() > TRACKED_MAX;
    }
  });

  private AvroMetrics() {
    registry.register("registry.cache-hit-rate", (Gauge<Double>) () -> {
      long l = lookups.getCount();
      return l == 0 ? 1.0 : Math.max(0.0, (double) (l - calls.getCount()) / l);
    });
  }

  /** The metrics of {@code sc}'s application: registered with its metrics system on first use. */
  public static AvroMetrics of(SparkContext sc) {
    synchronized (BY_CONTEXT) {
      return BY_CONTEXT.computeIfAbsent(sc, c -> {
        AvroMetrics m = new AvroMetrics();
        c.addSparkListener(m.new TaskCounts());
        m.source.register();
        return m;
      });
    }
  }

  /** The Dropwizard registry behind the Spark source {@code tidemark.avro}. */
  public MetricRegistry registry() {
    return registry;
  }

  /**
   * Counts what the tasks add to these accumulators (created on the driver by one decoding):
   * bad records handled by {@code policy}, schema lookups and registry calls.
   */
  public void track(LongAccumulator badRecords, BadRecordPolicy policy, LongAccumulator schemaLookups,
      LongAccumulator registryCalls) {
    if (policy == BadRecordPolicy.SKIP) {
      tracked.put(badRecords.id(), Kind.BAD_SKIP);
    } else if (policy == BadRecordPolicy.DEAD_LETTER) {
      tracked.put(badRecords.id(), Kind.BAD_DEAD_LETTER);
    }
    tracked.put(schemaLookups.id(), Kind.LOOKUPS);
    tracked.put(registryCalls.id(), Kind.CALLS);
  }

  /** Adds each finished task's accumulator updates to the counters. */
  private final class TaskCounts extends SparkListener {
    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
      if (end.taskInfo() == null) {
        return;
      }
      for (AccumulableInfo info : CollectionConverters.asJava(end.taskInfo().accumulables())) {
        Kind kind = tracked.get(info.id());
        if (kind == null || info.update().isEmpty() || !(info.update().get() instanceof Long n)) {
          continue;
        }
        switch (kind) {
          case BAD_SKIP -> badSkip.inc(n);
          case BAD_DEAD_LETTER -> badDeadLetter.inc(n);
          case LOOKUPS -> lookups.inc(n);
          case CALLS -> calls.inc(n);
          default -> throw new IllegalStateException(kind.toString());
        }
      }
    }
  }
}
