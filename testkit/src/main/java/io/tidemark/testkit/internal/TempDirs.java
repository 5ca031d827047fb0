package io.tidemark.testkit.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Temporary directories under the testkit's work directory, removed with their contents. */
public final class TempDirs {
  private TempDirs() {}

  /**
   * The root for the testkit's files: the system property {@code tidemark.testkit.workdir} (the
   * build sets it under {@code target/}), else {@code java.io.tmpdir}/tidemark-testkit.
   */
  public static Path root() {
    String configured = System.getProperty("tidemark.testkit.workdir");
    Path root = configured != null && !configured.isBlank()
        ? Path.of(configured)
        : Path.of(System.getProperty("java.io.tmpdir"), "tidemark-testkit");
    try {
      return Files.createDirectories(root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the testkit work directory " + root, e);
    }
  }

  /** A new empty directory under {@link #root()} whose name starts with {@code prefix}. */
  public static Path create(String prefix) {
    try {
      return Files.createTempDirectory(root(), prefix + "-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory under " + root(), e);
    }
  }

  /** Deletes {@code dir} and everything below it; missing files are ignored. */
  public static void deleteRecursively(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e instanceof IOException io ? io : ((UncheckedIOException) e).getCause());
    }
  }
}
