package io.tidemark.examples;

import static org.awaitility.Awaitility.await;

import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs an example job in this JVM until everything is committed, then stops it with its marker. */
public final class Streams {
  private Streams() {}

  /** A job started on its own thread; {@link #stopWhenCommitted} ends it. */
  public interface Job {
    int run() throws Exception;
  }

  /** Starts {@code job} on its own thread. */
  public static CompletableFuture<Integer> start(Job job) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return job.run();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /** Waits until job {@code name} in {@code store} committed {@code records} in total (or ended). */
  public static void awaitCommitted(CompletableFuture<Integer> running, String store, String name, long records) {
    try (OffsetStore offsets = OffsetStores.open(store)) {
      await(name + " to commit " + records + " records").atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> running.isDone()
              || offsets.read(name).positions().values().stream().mapToLong(Long::longValue).sum() >= records);
    }
  }

  /** Waits until job {@code name} in {@code store} committed {@code records} in total, then stops it; its exit code. */
  public static int stopWhenCommitted(CompletableFuture<Integer> running, String store, String name, long records,
      Path stopMarker) throws Exception {
    awaitCommitted(running, store, name, records);
    Files.createFile(stopMarker);
    return running.get(2, TimeUnit.MINUTES);
  }
}
