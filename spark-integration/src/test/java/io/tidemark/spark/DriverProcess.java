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
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.awaitility.Awaitility;

/**
 * A {@link CrashTestJob} driver in its own JVM, on this test's class path and with its
 * {@code --add-opens} flags; its output goes to a log file and is watched line by line.
 *
 * <p>Every wait follows the driver's own progress, not a wall clock: it gives up only when the
 * driver exits, or when it has made no progress for {@link #STALL} (a new line while it starts;
 * after {@code STARTED}, a {@code POINT}, {@code PAUSED}, {@code RESUMED} or an exit line; or a
 * change of what the caller watches, such as the store's position). A wait that gives up says what
 * it saw: the driver's state, the caller's {@linkplain #describeWith description} (the store),
 * the last batch step and the last lines.
 */
final class DriverProcess implements AutoCloseable {
  /** How long a driver may make no progress before a wait gives up ({@code -Dtidemark.crash.stall}, ISO-8601). */
  static final Duration STALL = Duration.parse(System.getProperty("tidemark.crash.stall", "PT2M"));
  private static final int SHOWN_LINES = 15;

  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final Path log;
  private final Thread reader;
  private final long startNanos = System.nanoTime();
  private volatile long progressNanos = startNanos;
  private volatile boolean started;
  private volatile Supplier<String> description = () -> "";

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
    // a driver lives seconds to a minute: C1 alone and the serial collector start it faster on 2 cores
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
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
        if (!started || isProgress(line)) {
          progressNanos = System.nanoTime();
        }
        if (line.startsWith("STARTED")) {
          started = true;
        }
        Files.writeString(log, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      }
    } catch (IOException e) {
      // the process died
    }
  }

  private static boolean isProgress(String line) {
    return line.startsWith("POINT ") || line.startsWith("PAUSED ") || line.startsWith("RESUMED ")
        || line.startsWith("FENCED ") || line.startsWith("FAILED ") || line.startsWith("EXIT ");
  }

  /** What the waits' failure messages add about the world outside the driver (typically the store's position). */
  void describeWith(Supplier<String> description) {
    this.description = Objects.requireNonNull(description, "description");
  }

  /**
   * Waits for a line matching {@code test} while the driver makes progress; fails with what it saw
   * if the driver exits first or stalls.
   */
  String awaitLine(Predicate<String> test, String what) {
    awaitUntil(what, () -> lines.stream().anyMatch(test), () -> null);
    return lines.stream().filter(test).findFirst().orElseThrow();
  }

  /**
   * Waits until {@code done} holds while the driver makes progress; a change of {@code watched}
   * (compared with {@code equals}) counts as progress too. Fails with what it saw if the driver
   * exits before {@code done} holds, or when it makes no progress for {@link #STALL}.
   */
  void awaitUntil(String what, Callable<Boolean> done, Callable<?> watched) {
    long t0 = System.nanoTime();
    AtomicReference<Object> last = new AtomicReference<>();
    AtomicReference<Long> watchedNanos = new AtomicReference<>(t0);
    AtomicReference<String> gaveUp = new AtomicReference<>();
    Awaitility.await(what).forever().pollInterval(Duration.ofMillis(50)).until(() -> {
      boolean alive = process.isAlive();
      if (done.call()) {
        return true;
      }
      Object now = watched.call();
      if (!Objects.equals(now, last.getAndSet(now))) {
        watchedNanos.set(System.nanoTime());
      }
      if (!alive) {
        reader.join(5_000); // the lines it printed before it exited
        if (done.call()) {
          return true;
        }
        gaveUp.set("the driver exited (exit " + process.exitValue() + ") before " + what);
        return true;
      }
      Duration quiet = Duration.ofNanos(System.nanoTime() - Math.max(progressNanos, watchedNanos.get()));
      if (quiet.compareTo(STALL) > 0) {
        gaveUp.set("no " + what + ": the driver made no progress for " + quiet.toSeconds() + " s (limit " + STALL
            + ")");
        return true;
      }
      return false;
    });
    if (gaveUp.get() != null) {
      throw new AssertionError(gaveUp.get() + " after waiting " + Duration.ofNanos(System.nanoTime() - t0).toSeconds()
          + " s; " + report() + (last.get() == null ? "" : "; last watched: " + last.get()));
    }
  }

  /** What a failure shows: the driver's state, the caller's description, its last step and last lines. */
  String report() {
    List<String> all = lines();
    String extra;
    try {
      extra = description.get();
    } catch (RuntimeException e) {
      extra = "(could not describe: " + e + ")";
    }
    return "driver " + state() + ", " + Duration.ofNanos(System.nanoTime() - startNanos).toSeconds() + " s since its"
        + " start" + (extra.isEmpty() ? "" : "; " + extra) + "; last step: " + lastPoint(all) + "; last "
        + Math.min(SHOWN_LINES, all.size()) + " of " + all.size() + " lines:\n    "
        + String.join("\n    ", all.subList(Math.max(0, all.size() - SHOWN_LINES), all.size())) + "\n  log: " + log;
  }

  /** The last {@code POINT} line in {@code lines}, or a note that there is none. */
  static String lastPoint(List<String> lines) {
    for (int i = lines.size() - 1; i >= 0; i--) {
      if (lines.get(i).startsWith("POINT")) {
        return lines.get(i);
      }
    }
    return "(no batch step yet)";
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

  /** Waits for the driver to exit while it makes progress (see {@link #awaitUntil}); its exit code. */
  int awaitExit() throws InterruptedException {
    awaitUntil("the driver's exit", () -> !process.isAlive(), () -> null);
    process.waitFor();
    reader.join(5_000);
    return process.exitValue();
  }

  private String state() {
    return process.isAlive() ? "running" : "exited (" + process.exitValue() + ")";
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
