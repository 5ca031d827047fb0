package io.tidemark.spark;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A {@link CrashTestJob} driver in its own JVM, on this test's class path and with its
 * {@code --add-opens} flags; its output goes to a log file and is watched line by line.
 */
final class DriverProcess implements AutoCloseable {
  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final Path log;
  private final Thread reader;

  private DriverProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
    this.reader = new Thread(this::pump, "driver-" + process.pid());
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts a driver with {@code args} ({@code --key value} pairs), logging to {@code log}. */
  static DriverProcess start(Path log, List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx768m");
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("-XX:+IgnoreUnrecognized")) {
        command.add(a);
      }
    }
    command.add("-cp");
    command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    command.add(CrashTestJob.class.getName());
    command.addAll(args);
    Files.createDirectories(log.getParent());
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    return new DriverProcess(p, log);
  }

  private void pump() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        lines.add(line);
        Files.writeString(log, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      }
    } catch (IOException e) {
      // the process died
    }
  }

  /** Waits for a line matching {@code test}; fails with the log's path if the driver exits first. */
  String awaitLine(Predicate<String> test, Duration timeout, String what) {
    try {
      Awaitility.await(what).atMost(timeout).pollInterval(Duration.ofMillis(50))
          .until(() -> lines.stream().anyMatch(test) || !process.isAlive());
    } catch (ConditionTimeoutException e) {
      throw new AssertionError("no " + what + " within " + timeout + "; driver log: " + log, e);
    }
    return lines.stream().filter(test).findFirst().orElseThrow(() -> new AssertionError("the driver exited ("
        + exitCode() + ") before " + what + "; driver log: " + log));
  }

  /** Every line so far. */
  List<String> lines() {
    return List.copyOf(lines);
  }

  /** Sends a line to the driver's stdin. */
  void send(String line) throws IOException {
    OutputStream out = process.getOutputStream();
    PrintWriter w = new PrintWriter(out, true, StandardCharsets.UTF_8);
    w.println(line);
    w.flush();
  }

  /** SIGKILL, and waits for the process to be gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** Waits for the driver to exit; its exit code. */
  int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("the driver did not exit within " + timeout + "; log: " + log);
    }
    try {
      reader.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return process.exitValue();
  }

  private String exitCode() {
    return process.isAlive() ? "running" : "exit " + process.exitValue();
  }

  Path log() {
    return log;
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
