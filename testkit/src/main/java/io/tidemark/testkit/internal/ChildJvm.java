package io.tidemark.testkit.internal;

import io.tidemark.testkit.ServerStartException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server process in its own JVM, started through {@link ParentWatchdog} so it dies with the test
 * JVM, with its output in a log file whose last lines go into every failure message.
 */
public final class ChildJvm implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ChildJvm.class);
  private static final Set<ChildJvm> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (ChildJvm child : LIVE) {
        child.process.destroyForcibly();
      }
    }, "tidemark-testkit-child-reaper"));
  }

  private final String name;
  private final Process process;
  private final Path logFile;

  private ChildJvm(String name, Process process, Path logFile) {
    this.name = name;
    this.process = process;
    this.logFile = logFile;
  }

  /**
   * Starts {@code mainClass} in a new JVM.
   *
   * @param name short name used in messages and thread names
   * @param javaExecutable the {@code java} launcher to use
   * @param classpath the child's classpath (the watchdog's location is appended)
   * @param jvmArgs JVM options
   * @param mainClass the class whose {@code main} runs
   * @param args its arguments
   * @param workDir working directory; the log file {@code <name>.log} is written there
   */
  public static ChildJvm start(String name, Path javaExecutable, List<Path> classpath,
      List<String> jvmArgs, String mainClass, List<String> args, Path workDir) {
    List<String> command = new ArrayList<>();
    command.add(javaExecutable.toString());
    command.addAll(jvmArgs);
    List<Path> cp = new ArrayList<>(classpath);
    cp.add(watchdogLocation());
    command.add("-cp");
    command.add(cp.stream().map(Path::toString).collect(Collectors.joining(java.io.File.pathSeparator)));
    command.add(ParentWatchdog.class.getName());
    command.add(Long.toString(ProcessHandle.current().pid()));
    command.add(mainClass);
    command.addAll(args);
    try {
      Files.createDirectories(workDir);
      Path log = workDir.resolve(name + ".log");
      Process process = new ProcessBuilder(command)
          .directory(workDir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .redirectInput(ProcessBuilder.Redirect.PIPE)
          .start();
      ChildJvm child = new ChildJvm(name, process, log);
      LIVE.add(child);
      LOG.debug("started {} (pid {}): {}", name, process.pid(), command);
      return child;
    } catch (IOException e) {
      throw new ServerStartException("cannot start " + name + " with " + javaExecutable + ": " + e.getMessage(), e);
    }
  }

  /**
   * A directory holding only the watchdog's class. Not the testkit's own code source: that may be
   * a fat jar (a benchmark's) whose other classes would shadow the child's own libraries.
   */
  private static synchronized Path watchdogLocation() {
    String resource = ParentWatchdog.class.getName().replace('.', '/') + ".class";
    try (InputStream in = ParentWatchdog.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("cannot read the testkit's " + resource);
      }
      byte[] bytes = in.readAllBytes();
      Path dir = Path.of(System.getProperty("java.io.tmpdir"), "tidemark-testkit-watchdog-"
          + Integer.toHexString(java.util.Arrays.hashCode(bytes)));
      Path file = dir.resolve(resource);
      if (!Files.isRegularFile(file) || Files.size(file) != bytes.length) {
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), "watchdog", ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the testkit's watchdog class under java.io.tmpdir", e);
    }
  }

  /** The child's process id. */
  public long pid() {
    return process.pid();
  }

  /**
   * Waits at most {@code timeout} for the child to exit.
   *
   * @return its exit code, or empty if it is still running
   */
  public java.util.OptionalInt waitForExit(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)
          ? java.util.OptionalInt.of(process.exitValue()) : java.util.OptionalInt.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return java.util.OptionalInt.empty();
    }
  }

  /** Whether the child process is still running. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** The file the child's stdout and stderr go to. */
  public Path logFile() {
    return logFile;
  }

  /**
   * Waits until {@code ready} returns true, polling every 100 ms, for at most {@code timeout}.
   *
   * @throws ServerStartException when the child exits first or the timeout passes; the message
   *     names the reason and carries the last lines of the child's log
   */
  public void awaitReady(Probe ready, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new ServerStartException(name + " exited with code " + process.exitValue()
            + " before it was ready." + tailForMessage());
      }
      try {
        if (ready.ready()) {
          return;
        }
      } catch (Exception e) {
        last = e;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
        throw new ServerStartException("interrupted while waiting for " + name, e);
      }
    }
    close();
    throw new ServerStartException(name + " was not ready within " + timeout
        + (last == null ? "" : " (last probe error: " + last + ")") + "." + tailForMessage(), last);
  }

  /** The last {@code n} lines of the child's log. */
  public List<String> tail(int n) {
    try {
      if (!Files.exists(logFile)) {
        return List.of();
      }
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return Collections.unmodifiableList(lines.subList(Math.max(0, lines.size() - n), lines.size()));
    } catch (IOException | UncheckedIOException e) {
      return List.of("<cannot read " + logFile + ": " + e.getMessage() + ">");
    }
  }

  private String tailForMessage() {
    return " Log " + logFile + ", last lines:\n  " + String.join("\n  ", tail(30));
  }

  /** Stops the child: SIGTERM, then SIGKILL if it has not exited within {@code grace}. */
  public void stop(Duration grace) {
    process.destroy();
    try {
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("{} (pid {}) did not stop within {}; killing it", name, process.pid(), grace);
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    } finally {
      LIVE.remove(this);
    }
  }

  /** Kills the child at once (SIGKILL), as a crash would. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      LIVE.remove(this);
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      stop(Duration.ofSeconds(30));
    }
    LIVE.remove(this);
  }

  /** A readiness check; an exception counts as "not yet". */
  @FunctionalInterface
  public interface Probe {
    boolean ready() throws Exception;
  }
}
