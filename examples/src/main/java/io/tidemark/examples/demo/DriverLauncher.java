package io.tidemark.examples.demo;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Optional;

/**
 * Starts a job's {@code main} in a driver JVM that the demo launched, and halts that JVM as soon as
 * the demo's JVM is gone, however it ended (Ctrl-C, a kill, a crash), so that no driver outlives
 * the demo.
 *
 * <p>Usage: {@code DriverLauncher <demoPid> <mainClass> [args...]}.
 */
public final class DriverLauncher {
  private DriverLauncher() {}

  public static void main(String[] args) throws Throwable {
    if (args.length < 2) {
      System.err.println("usage: DriverLauncher <demoPid> <mainClass> [args...]");
      System.exit(2);
    }
    long demoPid = Long.parseLong(args[0]);
    Optional<ProcessHandle> demo = ProcessHandle.of(demoPid).filter(ProcessHandle::isAlive);
    if (demo.isEmpty()) {
      System.err.println("the demo (pid " + demoPid + ") is gone; not starting");
      Runtime.getRuntime().halt(4);
    }
    demo.get().onExit().thenRun(() -> {
      System.err.println("the demo (pid " + demoPid + ") ended; halting its driver");
      Runtime.getRuntime().halt(4);
    });
    Method main = Class.forName(args[1]).getMethod("main", String[].class);
    try {
      main.invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
