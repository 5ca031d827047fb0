package io.tidemark.testkit.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Finds an installed JDK of at least a given feature version. */
public final class Jdks {
  private static final Pattern VERSION = Pattern.compile("^JAVA_VERSION=\"(\\d+)", Pattern.MULTILINE);
  private static final List<Path> SEARCHED = List.of(Path.of("/usr/lib/jvm"), Path.of("/opt/java"),
      Path.of("/Library/Java/JavaVirtualMachines"));

  private Jdks() {}

  /**
   * The {@code java} launcher of a JDK whose feature version is at least {@code minimum}: the
   * running one if it is new enough, else the home named by {@code explicitHome}, else the newest
   * one under {@link #searched()}.
   */
  public static Optional<Path> find(int minimum, String explicitHome) {
    if (Runtime.version().feature() >= minimum) {
      return Optional.of(RuntimeArtifacts.currentJava());
    }
    if (explicitHome != null && !explicitHome.isBlank()) {
      Path home = Path.of(explicitHome);
      return featureVersion(home).filter(v -> v >= minimum).map(v -> home.resolve("bin/java"));
    }
    List<Path> homes = new ArrayList<>();
    for (Path root : SEARCHED) {
      if (Files.isDirectory(root)) {
        try (Stream<Path> list = Files.list(root)) {
          list.forEach(p -> homes.add(Files.isDirectory(p.resolve("Contents/Home")) ? p.resolve("Contents/Home") : p));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return homes.stream()
        .filter(h -> Files.isExecutable(h.resolve("bin/java")))
        .filter(h -> featureVersion(h).orElse(0) >= minimum)
        .max(Comparator.comparing(h -> featureVersion(h).orElse(0)))
        .map(h -> h.resolve("bin/java"));
  }

  /** The directories searched for JDKs. */
  public static List<Path> searched() {
    return SEARCHED;
  }

  private static Optional<Integer> featureVersion(Path home) {
    Path release = home.resolve("release");
    if (!Files.isRegularFile(release)) {
      return Optional.empty();
    }
    try {
      Matcher m = VERSION.matcher(Files.readString(release, StandardCharsets.UTF_8));
      return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
