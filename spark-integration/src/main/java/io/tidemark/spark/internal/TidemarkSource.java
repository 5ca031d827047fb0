package io.tidemark.spark.internal;

import com.codahale.metrics.MetricFilter;
import com.codahale.metrics.MetricRegistry;
import java.util.Objects;
import org.apache.spark.SparkEnv;
import org.apache.spark.metrics.source.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A metric registry handed to Spark's metrics system as a source, so that every configured sink
 * reports its metrics as {@code <app id>.driver.<source name>.<metric>}. Spark's {@code Source} is
 * the interface its own sources (the DAG scheduler, the block manager, streaming) implement; it
 * is marked internal in Scala, and stable since Spark 1.x. Metrics may be added after
 * registration: Dropwizard forwards them to the application's registry.
 */
public final class TidemarkSource implements Source {
  private static final Logger LOG = LoggerFactory.getLogger(TidemarkSource.class);

  private final String name;
  private final MetricRegistry registry = new MetricRegistry();

  /** A source named {@code name}, not registered yet. */
  public TidemarkSource(String name) {
    this.name = Objects.requireNonNull(name, "name");
  }

  @Override
  public String sourceName() {
    return name;
  }

  @Override
  public MetricRegistry metricRegistry() {
    return registry;
  }

  /**
   * Registers with this JVM's Spark environment, if there is one; false when there is none. The
   * owner first closes an earlier source of the same name (a stream of the same job that was not
   * closed); one still holding metrics is emptied here, so that names never clash.
   */
  public synchronized boolean register() {
    SparkEnv env = SparkEnv.get();
    if (env == null) {
      LOG.info("no Spark environment in this JVM: metrics source {} is kept but not reported", name);
      return false;
    }
    for (Source old : CollectionConverters.asJava(env.metricsSystem().getSourcesByName(name))) {
      old.metricRegistry().removeMatching(MetricFilter.ALL);
    }
    env.metricsSystem().registerSource(this);
    return true;
  }

  /**
   * Removes this source's metrics from Spark's registry, each by its exact name (Spark's own
   * {@code removeSource} removes every metric whose name merely starts with the source's, which
   * would take {@code tidemark.job.orders-eu} with {@code tidemark.job.orders}). Metrics added
   * later are reported again; owners stop adding them once closed.
   */
  public synchronized void remove() {
    registry.removeMatching(MetricFilter.ALL);
  }

  @Override
  public String toString() {
    return "TidemarkSource[" + name + "]";
  }
}
