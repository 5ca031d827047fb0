package io.tidemark.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A directory under {@code java.io.tmpdir} that {@link #close()} deletes with everything in it.
 * Point {@code java.io.tmpdir} at the disk to measure: on a tmpfs an fsync costs nothing.
 */
final class TempDirectory implements AutoCloseable {
  private final Path path;

  private TempDirectory(Path path) {
    this.path = path;
  }

  /** Creates a new, empty directory. */
  static TempDirectory create() {
    try {
      return new TempDirectory(Files.createTempDirectory("tidemark-bench-"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a directory in java.io.tmpdir=" + System.getProperty("java.io.tmpdir"), e);
    }
  }

  /** The directory. */
  Path path() {
    return path;
  }

  /** Deletes the directory and its contents. */
  @Override
  public void close() {
    if (!Files.exists(path)) {
      return;
    }
    List<Path> all;
    try (Stream<Path> walk = Files.walk(path)) {
      all = walk.sorted(Comparator.reverseOrder()).collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + path + " to delete it", e);
    }
    for (Path p : all) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete " + p, e);
      }
    }
  }

  @Override
  public String toString() {
    return path.toString();
  }
}
