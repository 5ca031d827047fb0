package io.tidemark.offsets.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tidemark.offsets.JobLockedException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A second process cannot write a job the first one holds; reads stay open to everyone. */
class FileOffsetStoreLockIT {

  @TempDir
  Path dir;

  @Test
  void aSecondProcessIsRefusedUntilTheFirstExits() throws Exception {
    Process holder = Workers.start(FileStoreWorker.class, "hold", dir.toString(), "locked-job");
    try (BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        FileOffsetStore store = new FileOffsetStore(dir, true, true, 50, Clock.systemUTC())) {
      assertThat(out.readLine()).isEqualTo("holding");

      assertThatThrownBy(() -> store.claim("locked-job"))
          .isInstanceOf(JobLockedException.class)
          .hasMessageContaining("job locked-job in file:" + dir.toRealPath())
          .hasMessageContaining("is being written by another process (pid " + holder.pid() + ")")
          .hasMessageContaining("stop that job first");
      assertThat(store.read("locked-job").epoch()).isEqualTo(1);
      assertThat(store.claim("other-job")).isEqualTo(1);

      holder.getOutputStream().close();
      assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(store.claim("locked-job")).isEqualTo(2));
    } finally {
      holder.destroyForcibly();
    }
  }

  @Test
  @SuppressWarnings("try") // closing the first store mid-block is the point of the test
  void aSecondStoreInTheSameJvmIsRefused() {
    try (FileOffsetStore first = new FileOffsetStore(dir, true, true, 50, Clock.systemUTC());
        FileOffsetStore second = new FileOffsetStore(dir, true, true, 50, Clock.systemUTC())) {
      first.claim("shared");
      assertThatThrownBy(() -> second.claim("shared"))
          .isInstanceOf(JobLockedException.class)
          .hasMessageContaining("held by another offset store instance in this JVM");
      first.close();
      assertThat(second.claim("shared")).isEqualTo(2);
    }
  }
}
