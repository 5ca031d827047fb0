package io.tidemark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/tidemark} as an operator runs it: a separate process over the packaged jar, its
 * output on the process's streams, and its exit code as the shell sees it.
 */
class TidemarkScriptIT {
  private static final Path ROOT = Path.of(System.getProperty("tidemark.root", "..")).toAbsolutePath().normalize();

  @TempDir
  Path dir;

  private record Run(int code, String out, String err) {}

  private static Run tidemark(String... args) throws IOException, InterruptedException {
    return tidemark(Map.of(), args);
  }

  private static Run tidemark(Map<String, String> environment, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(ROOT.resolve("bin/tidemark").toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile());
    builder.environment().putAll(environment);
    Process p = builder.start();
    p.getOutputStream().close();
    // the outputs are small; read them after the exit, with a bound on the wait
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("bin/tidemark " + String.join(" ", args) + " did not end within 120 s");
    }
    Run run = new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    assertThat(run.err()).as("the jar was built by the build, not by the script").doesNotContain("building the tidemark");
    return run;
  }

  @Test
  void theScriptRunsTheJarWithItsOutputAndExitCodes() throws Exception {
    String store = "file:" + dir.resolve("offsets");
    try (OffsetStore s = OffsetStores.open(store)) {
      long epoch = s.claim("nightly-export");
      s.commit(OffsetCommit.builder("nightly-export", 0, epoch).range("orders", 0, 0, 42)
          .starts(Map.of(new TopicPartition("orders", 0), 0L)).build());
    }

    Run help = tidemark("--help");
    assertThat(help.code()).isZero();
    assertThat(help.out()).startsWith("Usage: tidemark").contains("offsets", "schemas", "Exit codes:");

    Run list = tidemark("offsets", "list", "--store", store, "--json");
    assertThat(list.code()).as(list.err()).isZero();
    JsonNode jobs = new ObjectMapper().readTree(list.out());
    assertThat(jobs.findValuesAsText("job")).containsExactly("nightly-export");

    Run missing = tidemark("offsets", "show", "--store", store, "--job", "nobody");
    assertThat(missing.code()).isEqualTo(ExitCodes.NOT_FOUND);
    assertThat(missing.err()).contains("no job 'nobody'");
    assertThat(missing.out()).isEmpty();

    Run usage = tidemark("offsets", "reset", "--store", store, "--job", "nightly-export");
    assertThat(usage.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(usage.err()).contains("--to-earliest");

    Run down = tidemark("offsets", "list", "--store", "zk://127.0.0.1:1/tidemark", "--store-config",
        "zk.operation.deadline=1s", "--store-config", "zk.connection.timeout=500ms");
    assertThat(down.code()).as(down.err()).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(down.err()).contains("did not accept a connection");
  }

  /**
   * A rewind reads only the history it needs. The job has 20,000 batches of 200 partitions, each
   * with 1,500 characters of metadata, in its history (far more than 256 MB once read); in a command-line JVM of 256 MB the dry run and
   * the rewind to a batch near the newest, and a reset to the positions of a file, all succeed.
   */
  @Test
  void aRewindOfAJobWithALongHistoryRunsInAJvmOf256Megabytes() throws Exception {
    int batches = 20_000;
    int partitions = 200;
    String manifest = "part-".repeat(300); // 1,500 characters of output metadata per batch
    String store = "file:" + dir.resolve("offsets") + "?history.max.entries=" + (batches + 10) + "&file.fsync=false";
    Map<TopicPartition, Long> starts = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      starts.put(new TopicPartition("clicks", p), 0L);
    }
    Instant first = Instant.parse("2026-11-02T00:00:00Z"); // long ago for the live-driver check
    try (OffsetStore s = OffsetStores.open(store)) {
      long epoch = s.claim("clickstream");
      for (long id = 0; id < batches; id++) {
        OffsetCommit.Builder b = OffsetCommit.builder("clickstream", id, epoch).commitTime(first.plusSeconds(id))
            .metadata("manifest", manifest);
        for (int p = 0; p < partitions; p++) {
          b.range("clicks", p, id * 10, id * 10 + 10);
        }
        s.commit((id == 0 ? b.starts(starts) : b).build());
      }
      assertThat(s.history("clickstream", batches + 10)).hasSize(batches);
    }
    Map<String, String> smallHeap = Map.of("TIDEMARK_JAVA_OPTS", "-Xmx256m -XX:+PrintCommandLineFlags");
    long target = batches - 3;
    Run flags = tidemark(smallHeap, "--version");
    assertThat(flags.out()).as("the JVM's flags: TIDEMARK_JAVA_OPTS reached it").contains("-XX:MaxHeapSize=268435456");

    Run dryRun = tidemark(smallHeap, "offsets", "rewind", "--store", store, "--job", "clickstream", "--to-batch",
        Long.toString(target));
    assertThat(dryRun.code()).as(dryRun.err()).isZero();
    assertThat(dryRun.out()).contains("would rewind job clickstream from batch " + (batches - 1) + " to batch " + target);

    Run rewind = tidemark(smallHeap, "offsets", "rewind", "--store", store, "--job", "clickstream", "--to-batch",
        Long.toString(target), "--execute");
    assertThat(rewind.code()).as(rewind.err()).isZero();
    Path positions = dir.resolve("positions.csv");
    Files.writeString(positions, "clicks,0,5\n");
    Run reset = tidemark(smallHeap, "offsets", "reset", "--store", store, "--job", "clickstream", "--from-file",
        positions.toString(), "--execute", "--force");
    assertThat(reset.code()).as(reset.err()).isZero();

    try (OffsetStore s = OffsetStores.open(store)) {
      CommittedOffsets after = s.read("clickstream");
      assertThat(after.lastBatchId()).hasValue(target);
      assertThat(after.positions()).hasSize(partitions).containsEntry(new TopicPartition("clicks", 0), 5L)
          .containsEntry(new TopicPartition("clicks", 1), target * 10 + 10);
    }
  }
}
