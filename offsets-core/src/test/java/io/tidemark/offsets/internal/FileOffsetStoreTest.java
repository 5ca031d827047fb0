package io.tidemark.offsets.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.StoreCorruptedException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file store's handling of files it did not write itself, and of its own leftovers. */
class FileOffsetStoreTest {

  @TempDir
  Path dir;

  private FileOffsetStore open(int historyMax) {
    return new FileOffsetStore(dir, true, true, historyMax, Clock.systemUTC());
  }

  private static void commit(FileOffsetStore store, String job, long epoch, long batch) {
    store.commit(OffsetCommit.builder(job, batch, epoch).range("orders", 0, batch * 10, batch * 10 + 10)
        .starts(Map.of(new TopicPartition("orders", 0), 0L)).build());
  }

  @Test
  void aCopiedJobDirectoryIsRefusedAndNothingIsWritten() throws Exception {
    try (FileOffsetStore store = open(10)) {
      commit(store, "a", store.claim("a"), 0);
    }
    Files.createDirectories(dir.resolve("b"));
    Files.copy(dir.resolve("a/state"), dir.resolve("b/state"));
    String before = Files.readString(dir.resolve("a/state"), StandardCharsets.UTF_8);

    try (FileOffsetStore store = open(10)) {
      assertThatThrownBy(() -> store.read("b"))
          .isInstanceOf(StoreCorruptedException.class)
          .hasMessageContaining("holds the state of job a, not of job b: was a job directory copied or renamed?");
      assertThatThrownBy(() -> store.claim("b")).isInstanceOf(StoreCorruptedException.class);
      // the failed lock attempt released its lock: the same error again, not "held by another instance"
      assertThatThrownBy(() -> store.claim("b")).isInstanceOf(StoreCorruptedException.class);
    }
    assertThat(Files.readString(dir.resolve("a/state"), StandardCharsets.UTF_8)).isEqualTo(before);
  }

  @Test
  void deleteKeepsTheLockFileSoTwoWritersNeverLockDifferentFiles() {
    try (FileOffsetStore store = open(10)) {
      commit(store, "gone", store.claim("gone"), 0);
      assertThat(store.delete("gone")).isTrue();

      assertThat(dir.resolve("gone/lock")).exists();
      assertThat(dir.resolve("gone/state")).doesNotExist();
      assertThat(store.listJobs()).doesNotContain("gone");
      // claim took epoch 1 and the delete epoch 2, which the job directory keeps
      assertThat(dir.resolve("gone/deleted")).hasContent("2");
      assertThat(store.read("gone").epoch()).isEqualTo(2);
      assertThat(store.claim("gone")).isEqualTo(3);
    }
    try (FileOffsetStore reopened = open(10)) {
      assertThat(reopened.read("gone").epoch()).isEqualTo(3);
    }
  }

  @Test
  void aRetryAfterAFailedDirectoryFsyncIsAlreadyAppliedNotAStaleBatch() {
    Path jobDir = dir.resolve("fsync");
    java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
    FileOffsetStore.Faults failOnce = d -> {
      if (d.equals(jobDir) && armed.compareAndSet(true, false)) {
        throw new java.io.IOException("injected: fsync of " + d + " failed");
      }
    };
    try (FileOffsetStore store = new FileOffsetStore(dir, true, true, 10, Clock.systemUTC(), failOnce)) {
      long epoch = store.claim("fsync");
      commit(store, "fsync", epoch, 0);
      OffsetCommit batch1 = OffsetCommit.builder("fsync", 1, epoch).range("orders", 0, 10, 20).build();
      armed.set(true);
      // the state file was renamed into place, then the directory's fsync failed: the outcome is unknown
      assertThatThrownBy(() -> store.commit(batch1)).isInstanceOf(io.tidemark.offsets.StoreUnavailableException.class)
          .hasMessageContaining("injected: fsync");

      assertThat(store.commit(batch1)).isEqualTo(io.tidemark.offsets.CommitResult.ALREADY_APPLIED);
      assertThat(store.read("fsync").positions()).containsEntry(new TopicPartition("orders", 0), 20L);
      commit(store, "fsync", epoch, 2);
      assertThat(store.read("fsync").lastBatchId()).hasValue(2);
    }
  }

  @Test
  void lockingAJobSweepsHistoryNoStateRefersTo() throws Exception {
    try (FileOffsetStore store = open(50)) {
      long epoch = store.claim("swept");
      for (int b = 0; b < 8; b++) {
        commit(store, "swept", epoch, b);
      }
    }
    Path history = dir.resolve("swept/history");
    Files.writeString(history.resolve(String.format("%020d", 99)), "an unfinished commit");
    Files.writeString(dir.resolve("swept/state.tmp-abc"), "half");

    try (FileOffsetStore store = open(3)) {
      store.claim("swept");
      try (Stream<Path> files = Files.list(history)) {
        assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder(
            String.format("%020d", 6), String.format("%020d", 7), String.format("%020d", 8));
      }
      assertThat(dir.resolve("swept/state.tmp-abc")).doesNotExist();
      assertThat(store.history("swept", 10)).hasSize(3);
    }
  }
}
