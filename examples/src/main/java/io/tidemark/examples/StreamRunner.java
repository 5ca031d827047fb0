package io.tidemark.examples;

import io.tidemark.spark.BatchCommitter;
import io.tidemark.spark.BatchFailedException;
import io.tidemark.spark.DriverFencedException;
import io.tidemark.spark.dstream.TidemarkDirectStream;
import io.tidemark.spark.structured.TidemarkStructuredStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an example's stream to its end and turns the end into an exit code: 0 after a graceful
 * stop, 2 after a failed batch, 3 when another driver took the job over.
 *
 * <p>A graceful stop is asked for by creating a marker file (which must not exist when the job
 * starts; the usual way to stop a streaming job without killing it): the running batch finishes
 * and is committed, then the job exits.
 */
public final class StreamRunner {
  private static final Logger LOG = LoggerFactory.getLogger(StreamRunner.class);

  /** Exit code after a graceful stop. */
  public static final int STOPPED = 0;
  /** Exit code after a failed batch (its error is logged; the batch was not committed unless it says so). */
  public static final int FAILED = 2;
  /** Exit code when another driver claimed the job. */
  public static final int FENCED = 3;

  private StreamRunner() {}

  /** How one adapter's stream is started, awaited (throwing the failure that ended it) and stopped. */
  private interface Run {
    void start() throws Exception;

    void await() throws Exception;

    void stopGracefully() throws Exception;

    void close();
  }

  /**
   * Starts {@code ssc} and waits for its end; stops gracefully once {@code stopMarker} exists (null:
   * only a failure or a kill ends it).
   */
  public static int run(JavaStreamingContext ssc, TidemarkDirectStream<?, ?> stream, Path stopMarker)
      throws Exception {
    return run(stream.committer(), stopMarker, new Run() {
      @Override
      public void start() {
        ssc.start();
      }

      @Override
      public void await() throws InterruptedException {
        stream.awaitTermination();
      }

      @Override
      public void stopGracefully() {
        ssc.stop(true, true);
      }

      @Override
      public void close() {
        ssc.stop(true, false); // the SparkContext too, whoever stopped the streaming context (a no-op if done)
      }
    });
  }

  /**
   * Starts the query {@code start} makes (the stream's {@code readStream()}, written with its
   * {@code foreachBatch}) and waits for its end; stops it once {@code stopMarker} exists (null:
   * only a failure or a kill ends it). A stop lets the running batch finish and commit
   * ({@link TidemarkStructuredStream#stop}).
   */
  public static int run(TidemarkStructuredStream stream, Callable<StreamingQuery> start, Path stopMarker)
      throws Exception {
    AtomicReference<StreamingQuery> query = new AtomicReference<>();
    return run(stream.committer(), stopMarker, new Run() {
      @Override
      public void start() throws Exception {
        query.set(start.call());
      }

      @Override
      public void await() throws Exception {
        stream.awaitTermination(query.get());
      }

      @Override
      public void stopGracefully() throws Exception {
        stream.stop(query.get());
      }

      @Override
      public void close() {
        stream.close();
        org.apache.spark.sql.SparkSession.active().stop();
      }
    });
  }

  private static int run(BatchCommitter committer, Path stopMarker, Run run) throws Exception {
    if (stopMarker != null && Files.exists(stopMarker)) {
      run.close();
      throw new IllegalArgumentException("the stop marker " + stopMarker + " exists already (left by an earlier run?),"
          + " so the job would stop at once: delete it first");
    }
    run.start();
    LOG.info("job {} started: epoch {}, next batch {}", committer.job(), committer.epoch(), committer.nextBatchId());
    if (stopMarker != null) {
      Thread watcher = new Thread(() -> {
        try {
          while (!Files.exists(stopMarker)) {
            TimeUnit.MILLISECONDS.sleep(200); // polling a file: there is nothing to wait on
          }
          LOG.info("{} exists: stopping after the running batch", stopMarker);
          run.stopGracefully();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (Exception e) {
          LOG.error("stopping the stream: {}", e.toString(), e);
        }
      }, "stop-marker");
      watcher.setDaemon(true);
      watcher.start();
    }
    try {
      run.await();
      return STOPPED;
    } catch (DriverFencedException e) {
      LOG.error("another driver took the job over: {}", e.getMessage());
      return FENCED;
    } catch (BatchFailedException e) {
      LOG.error("a batch failed: {}", e.getMessage(), e);
      return FAILED;
    } finally {
      run.close();
    }
  }
}
