package io.tidemark.testkit.internal;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Optional;

/**
 * Entry point of every child JVM the testkit starts: it halts the child as soon as the parent
 * (the test JVM) is gone, then runs the real main class.
 *
 * <p>A shutdown hook in the parent stops children on a normal exit or SIGTERM; this covers the
 * cases where no hook runs (SIGKILL, a crashed JVM), so no server outlives the test that started it.
 *
 * <p>Usage: {@code ParentWatchdog <parentPid> <mainClass> [args...]}. Only JDK classes are used:
 * this class runs on the child's classpath, not the testkit's.
 */
public final class ParentWatchdog {

  private ParentWatchdog() {}

  public static void main(String[] args) throws Throwable {
    if (args.length < 2) {
      System.err.println("usage: ParentWatchdog <parentPid> <mainClass> [args...]");
      System.exit(2);
    }
    long parentPid = Long.parseLong(args[0]);
    Optional<ProcessHandle> parent = ProcessHandle.of(parentPid);
    if (parent.isEmpty() || !parent.get().isAlive()) {
      System.err.println("parent process " + parentPid + " is gone; not starting");
      Runtime.getRuntime().halt(3);
    }
    parent.get().onExit().thenRun(() -> {
      System.err.println("parent process " + parentPid + " exited; halting this child");
      Runtime.getRuntime().halt(4);
    });
    Class<?> main = Class.forName(args[1], true, ClassLoader.getSystemClassLoader());
    Method method = main.getMethod("main", String[].class);
    try {
      method.invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
