package io.tidemark.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The README's first command, {@code bin/demo}, run as a user runs it (the build has just made
 * what it needs, so the script starts the demo at once): a short run must pass its own
 * verification after a kill; a bad option and {@code --help} answer at once; and Ctrl-C leaves
 * nothing running.
 */
class DemoIT {
  private static final Path ROOT = Path.of(System.getProperty("tidemark.root", "..")).toAbsolutePath().normalize();

  private record Run(int exitCode, String output) {}

  /** A working directory of this test's, empty (runs of an earlier build may have left one). */
  private static String fresh(String name) throws IOException {
    Path dir = Path.of("demo-it", name).toAbsolutePath();
    if (Files.exists(dir)) {
      try (java.util.stream.Stream<Path> all = Files.walk(dir)) {
        for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    return dir.toString();
  }

  private static Process start(Path log, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of("bash", ROOT.resolve("bin/demo").toString()));
    command.addAll(List.of(args));
    Files.createDirectories(log.getParent());
    return new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile())
        .start();
  }

  private static Run run(Duration timeout, String name, String... args) throws Exception {
    Path log = Path.of("demo-it", name + ".log").toAbsolutePath();
    Process p = start(log, args);
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("bin/demo did not end within " + timeout + "; its output: " + log);
    }
    return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @ValueSource(strings = {"dstream", "structured"})
  void aShortRunWithOneKillPassesItsVerification(String adapter) throws Exception {
    // a Structured Streaming driver takes longer to start its query: more records, produced more
    // slowly, so that the kill still comes mid-stream
    boolean structured = adapter.equals("structured");
    int records = structured ? 6000 : 3000;
    Run r = run(Duration.ofMinutes(5), "short-" + adapter, "--adapter", adapter, "--records", String.valueOf(records),
        "--rate", structured ? "150" : "200", "--kills", "1", "--seed", "26", "--work", fresh("short-" + adapter));
    assertThat(r.output()).contains(structured ? "Structured Streaming adapter" : "DStream adapter",
        "the job: " + (structured ? "StructuredDashboardJob" : "DashboardJob"));
    assertThat(r.output()).contains("the driver stopped gracefully", "PASS: the output keeps the exactly-once promise");
    java.util.regex.Matcher kill = java.util.regex.Pattern
        .compile("KILLED the driver \\(SIGKILL\\) after batch \\d+, ([\\d,]+) committed").matcher(r.output());
    assertThat(kill.find()).as("a kill; the output: %s", r.output()).isTrue();
    assertThat(Long.parseLong(kill.group(1).replace(",", ""))).as("the kill came mid-stream").isLessThan(records);
    String n = String.format("%,d", records);
    assertThat(r.output()).containsPattern("produced\\s+" + n + "\\s+" + n + "\\s+ok")
        .containsPattern("consumed \\(distinct\\)\\s+" + n).containsPattern("duplicated\\s+0 ")
        .containsPattern("lost\\s+0 ");
    assertThat(r.exitCode()).as(r.output()).isZero();
  }

  @Test
  void helpListsEveryOptionAndABadOptionIsRefused() throws Exception {
    Run help = run(Duration.ofMinutes(2), "help", "--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.output()).contains("--store", "--records", "--guarantee", "--kills", "zk (default), hbase");
    Run bad = run(Duration.ofMinutes(2), "bad", "--store", "cassandra");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.output()).contains("--store must be zk, hbase or file, not cassandra");
    Run notANumber = run(Duration.ofMinutes(2), "nan", "--records", "many");
    assertThat(notANumber.exitCode()).isEqualTo(2);
    assertThat(notANumber.output()).contains("--records must be a whole number, not 'many'");
    Path occupied = Files.createDirectories(Path.of(fresh("occupied")));
    Files.writeString(occupied.resolve("keep.txt"), "not the demo's");
    Run refused = run(Duration.ofMinutes(2), "occupied", "--work", occupied.toString());
    assertThat(refused.exitCode()).isEqualTo(2);
    assertThat(refused.output()).contains("is not empty and is not a demo's working directory");
    assertThat(occupied.resolve("keep.txt")).exists();
  }

  @Test
  void ctrlCLeavesNothingRunning() throws Exception {
    Path log = Path.of("demo-it", "interrupted.log").toAbsolutePath();
    Process demo = start(log, "--records", "100000", "--rate", "500", "--work", fresh("interrupted"));
    // the broker, the registry and the driver are running: the demo's progress line is out
    await("the demo's first progress line").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
        .until(() -> !demo.isAlive() || Files.readString(log).contains(" committed "));
    assertThat(demo.isAlive()).as("the demo runs; its output: %s", log).isTrue();
    List<ProcessHandle> children = demo.descendants().toList();
    assertThat(children).as("the broker, the registry and the driver").hasSizeGreaterThanOrEqualTo(3);

    new ProcessBuilder("kill", "-INT", String.valueOf(demo.pid())).start().waitFor(); // what Ctrl-C sends
    assertThat(demo.waitFor(60, TimeUnit.SECONDS)).as("the demo ends after Ctrl-C").isTrue();
    await("every process the demo started to end").atMost(Duration.ofSeconds(30))
        .until(() -> children.stream().noneMatch(ProcessHandle::isAlive));
  }
}
