package io.tidemark.offsets.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.HistoryEntry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Clock;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file store survives a writer process SIGKILLed at any instant: over 100 seeded trials, the
 * state read back is always a whole commit (the last acknowledged one or the one in flight),
 * never a torn one, and the history agrees with it.
 */
class FileOffsetStoreCrashIT {
  private static final Logger LOG = LoggerFactory.getLogger(FileOffsetStoreCrashIT.class);
  private static final int TRIALS = 100;
  private static final int PARTITIONS = 2000;

  @TempDir
  Path dir;

  @TempDir
  Path logs;

  @Test
  void aWriterKilledMidCommitNeverLeavesTornState() throws Exception {
    long acknowledgedTotal = 0;
    long tornFilesLeft = 0;
    int inFlightCommitsKept = 0;
    int killedBeforeFirstCommit = 0;
    for (int trial = 0; trial < TRIALS; trial++) {
      Random random = new Random(trial);
      Path log = logs.resolve("trial-" + trial + ".out");
      Process worker = Workers.startLogged(log, FileStoreWorker.class, "commit", dir.toString(), Integer.toString(PARTITIONS));
      try {
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(log).startsWith("ready")
            || !worker.isAlive());
        assertThat(worker.isAlive()).as("trial %d: worker alive after start; output: %s", trial, Files.readString(log)).isTrue();
        // the kill lands at a seeded moment while the worker commits as fast as it can
        Thread.sleep(random.nextInt(120));
      } finally {
        worker.destroyForcibly();
      }
      assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
      OptionalLong acked = OptionalLong.empty();
      for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
        if (line.startsWith("committed ")) {
          acked = OptionalLong.of(Long.parseLong(line.substring("committed ".length())));
          acknowledgedTotal++;
        }
      }
      if (acked.isEmpty()) {
        killedBeforeFirstCommit++;
      }
      try (var files = Files.walk(dir)) {
        tornFilesLeft += files.filter(f -> f.getFileName().toString().contains(".tmp-")).count();
      }
      if (verify(trial, acked)) {
        inFlightCommitsKept++;
      }
    }
    LOG.info("{} trials: {} commits acknowledged, {} half-written files left by kills, {} commits completed but"
        + " unacknowledged at the kill, {} kills before the first commit", TRIALS, acknowledgedTotal, tornFilesLeft,
        inFlightCommitsKept, killedBeforeFirstCommit);
    assertThat(acknowledgedTotal).as("commits acknowledged over all trials").isGreaterThan(TRIALS);
    assertThat(killedBeforeFirstCommit).as("trials killed before their first commit").isLessThan(TRIALS);
  }

  /** Checks the stored state; returns whether it holds a commit the worker had not acknowledged. */
  private boolean verify(int trial, OptionalLong acked) {
    try (FileOffsetStore store = new FileOffsetStore(dir, false, true, 50, Clock.systemUTC())) {
      CommittedOffsets state = store.read(FileStoreWorker.JOB);
      if (state.lastBatchId().isEmpty()) {
        assertThat(acked).as("trial %d: nothing stored but a commit was acknowledged", trial).isEmpty();
        return false;
      }
      long last = state.lastBatchId().getAsLong();
      if (acked.isPresent()) {
        assertThat(last).as("trial %d: stored batch vs acknowledged %d", trial, acked.getAsLong())
            .isBetween(acked.getAsLong(), acked.getAsLong() + 1);
      }
      assertThat(state.positions()).as("trial %d: every partition of batch %d", trial, last).hasSize(PARTITIONS);
      assertThat(state.positions().values()).as("trial %d: positions of batch %d", trial, last)
          .containsOnly((last + 1) * 10);
      List<HistoryEntry> history = store.history(FileStoreWorker.JOB, 3);
      assertThat(history).as("trial %d: history", trial).isNotEmpty();
      long expected = last;
      for (HistoryEntry e : history) {
        assertThat(((HistoryEntry.Committed) e).commit().batchId()).as("trial %d: history order", trial).isEqualTo(expected--);
      }
      return acked.isEmpty() || last > acked.getAsLong();
    }
  }
}
