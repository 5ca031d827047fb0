package io.tidemark.testkit.internal;

import io.tidemark.testkit.ServerStartException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/** Unpacks a {@code .tar.gz} once into a shared cache directory, safely across processes. */
public final class Archives {
  private Archives() {}

  /**
   * The cache directory for unpacked archives: system property {@code tidemark.testkit.cache},
   * else {@code java.io.tmpdir}/tidemark-testkit-cache.
   */
  public static Path cacheRoot() {
    String configured = System.getProperty("tidemark.testkit.cache");
    return configured != null && !configured.isBlank()
        ? Path.of(configured)
        : Path.of(System.getProperty("java.io.tmpdir"), "tidemark-testkit-cache");
  }

  /**
   * Returns {@code cacheRoot()/name}, unpacking {@code archive} there first if it is not yet.
   * Concurrent callers (threads or processes) wait for one unpack; a half-written directory is
   * never visible, since the unpack goes to a temporary directory that is renamed at the end.
   */
  public static Path unpackOnce(Path archive, String name) {
    Path root = cacheRoot();
    Path target = root.resolve(name);
    Path done = root.resolve(name + ".done");
    if (Files.exists(done)) {
      return target;
    }
    try {
      Files.createDirectories(root);
      try (FileChannel lockFile = FileChannel.open(root.resolve(name + ".lock"),
          StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock lock = lockFile.lock()) {
        if (Files.exists(done)) {
          return target;
        }
        TempDirs.deleteRecursively(target);
        Path tmp = Files.createTempDirectory(root, name + ".unpacking-");
        Process tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", tmp.toString())
            .redirectErrorStream(true).start();
        if (!tar.waitFor(5, TimeUnit.MINUTES)) {
          tar.destroyForcibly();
          throw new ServerStartException("unpacking " + archive + " into " + tmp + " took over 5 minutes");
        }
        String output = new String(tar.getInputStream().readAllBytes());
        if (tar.exitValue() != 0) {
          TempDirs.deleteRecursively(tmp);
          throw new ServerStartException("cannot unpack " + archive + " (tar exit " + tar.exitValue()
              + "): " + output.strip() + ". Delete it from the local Maven repository to fetch it again.");
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        Files.createFile(done);
        return target;
      }
    } catch (IOException e) {
      throw new ServerStartException("cannot unpack " + archive + " into " + target + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServerStartException("interrupted while unpacking " + archive, e);
    }
  }
}
