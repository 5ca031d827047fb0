package io.tidemark.offsets.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts a test class's main in a second JVM with this JVM's classpath. */
final class Workers {
  private Workers() {}

  static Process start(Class<?> main, String... args) throws IOException {
    return new ProcessBuilder(command(main, args)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  /** Like {@link #start} with stdout going to {@code out}, which stays readable after a kill. */
  static Process startLogged(Path out, Class<?> main, String... args) throws IOException {
    return new ProcessBuilder(command(main, args)).redirectError(ProcessBuilder.Redirect.INHERIT)
        .redirectOutput(out.toFile()).start();
  }

  private static List<String> command(Class<?> main, String... args) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
        "-cp", System.getProperty("java.class.path"), main.getName()));
    command.addAll(List.of(args));
    return command;
  }
}
