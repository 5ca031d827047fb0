package io.tidemark.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tidemark.testkit.internal.ChildJvm;
import io.tidemark.testkit.internal.RuntimeArtifacts;
import io.tidemark.testkit.internal.TempDirs;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** A child JVM must not outlive a test JVM that is SIGKILLed (no shutdown hook runs then). */
class ChildJvmOrphanIT {

  /** Plays the test JVM: starts a child server JVM, prints its pid, then waits to be killed. */
  public static final class FakeTestJvm {
    public static void main(String[] args) throws Exception {
      List<Path> classpath = Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
          .map(Path::of).collect(Collectors.toList());
      ChildJvm child = ChildJvm.start("sleeper", RuntimeArtifacts.currentJava(), classpath, List.of(),
          Sleeper.class.getName(), List.of(), Path.of(args[0]));
      System.out.println("child-pid=" + child.pid());
      System.out.flush();
      Thread.sleep(TimeUnit.MINUTES.toMillis(5));
    }
  }

  /** Plays the server: runs until killed. */
  public static final class Sleeper {
    public static void main(String[] args) throws Exception {
      Thread.sleep(TimeUnit.MINUTES.toMillis(5));
    }
  }

  @Test
  void theChildDiesWhenTheTestJvmIsKilled() throws Exception {
    Path work = TempDirs.create("orphan");
    String classpath = System.getProperty("java.class.path");
    Process testJvm = new ProcessBuilder(RuntimeArtifacts.currentJava().toString(), "-cp", classpath,
        FakeTestJvm.class.getName(), work.toString()).redirectErrorStream(true).start();
    long childPid;
    try {
      childPid = readChildPid(testJvm);
      ProcessHandle child = ProcessHandle.of(childPid).orElseThrow();
      assertThat(child.isAlive()).isTrue();

      testJvm.destroyForcibly().waitFor(30, TimeUnit.SECONDS);

      await().atMost(Duration.ofSeconds(20)).until(() -> !child.isAlive());
    } finally {
      testJvm.destroyForcibly();
      TempDirs.deleteRecursively(work);
    }
  }

  private static long readChildPid(Process testJvm) throws Exception {
    try (BufferedReader out = new BufferedReader(new InputStreamReader(testJvm.getInputStream(), StandardCharsets.UTF_8))) {
      String line = out.readLine();
      while (line != null && !line.startsWith("child-pid=")) {
        line = out.readLine();
      }
      assertThat(line).as("the fake test JVM's output").isNotNull();
      return Long.parseLong(line.substring("child-pid=".length()));
    }
  }
}
