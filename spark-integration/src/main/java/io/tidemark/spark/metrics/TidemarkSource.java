package io.tidemark.spark.metrics;

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
final class TidemarkSource implements Source {
  private static final Logger LOG = LoggerFactory.getLogger(TidemarkSource.class);

  private final String name;
  private final MetricRegistry registry = new MetricRegistry();
  private SparkEnv registeredWith;

  TidemarkSource(String name) {
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

  /** Registers with this JVM's Spark environment, if there is one; false when there is none. */
  synchronized boolean register() {
    SparkEnv env = SparkEnv.get();
    if (env == null) {
      LOG.info("no Spark environment in this JVM: metrics source {} is kept but not reported", name);
      return false;
    }
    // a source of the same name is an earlier stream of the same job that was not closed: this one replaces it
    for (Source old : CollectionConverters.asJava(env.metricsSystem().getSourcesByName(name))) {
      env.metricsSystem().removeSource(old);
    }
    env.metricsSystem().registerSource(this);
    registeredWith = env;
    return true;
  }

  /** Removes it from the Spark environment it was registered with. */
  synchronized void remove() {
    if (registeredWith != null) {
      registeredWith.metricsSystem().removeSource(this);
      registeredWith = null;
    }
  }

  @Override
  public String toString() {
    return "TidemarkSource[" + name + "]";
  }
}
