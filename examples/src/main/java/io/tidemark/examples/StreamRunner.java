package io.tidemark.examples;

import io.tidemark.spark.BatchFailedException;
import io.tidemark.spark.DriverFencedException;
import io.tidemark.spark.dstream.TidemarkDirectStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an example's stream to its end and turns the end into an exit code: 0 after a graceful
 * stop, 2 after a failed batch, 3 when another driver took the job over.
 *
 * <p>A graceful stop is asked for by creating a marker file (which must not exist when the job starts) (the usual way to stop a streaming job
 * without killing it): the running batch finishes and is committed, then the job exits.
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

  /**
   * Starts {@code ssc} and waits for its end; stops gracefully once {@code stopMarker} exists (null:
   * only a failure or a kill ends it).
   */
  public static int run(JavaStreamingContext ssc, TidemarkDirectStream<?, ?> stream, Path stopMarker)
      throws InterruptedException {
    if (stopMarker != null && Files.exists(stopMarker)) {
      stream.close();
      throw new IllegalArgumentException("the stop marker " + stopMarker + " exists already (left by an earlier run?),"
          + " so the job would stop at once: delete it first");
    }
    ssc.start();
    LOG.info("job {} started: epoch {}, next batch {}", stream.committer().job(), stream.committer().epoch(),
        stream.committer().nextBatchId());
    if (stopMarker != null) {
      Thread watcher = new Thread(() -> {
        try {
          while (!Files.exists(stopMarker)) {
            TimeUnit.MILLISECONDS.sleep(200); // polling a file: there is nothing to wait on
          }
          LOG.info("{} exists: stopping after the running batch", stopMarker);
          ssc.stop(true, true);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "stop-marker");
      watcher.setDaemon(true);
      watcher.start();
    }
    try {
      stream.awaitTermination();
      return STOPPED;
    } catch (DriverFencedException e) {
      LOG.error("another driver took the job over: {}", e.getMessage());
      return FENCED;
    } catch (BatchFailedException e) {
      LOG.error("a batch failed: {}", e.getMessage(), e);
      return FAILED;
    } finally {
      ssc.stop(true, false); // the SparkContext too, whoever stopped the streaming context (a no-op if done)
    }
  }
}
