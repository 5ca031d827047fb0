package io.tidemark.testkit.internal;

import io.tidemark.testkit.ServerStartException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/** Unpacks a {@code .zip} or {@code .tar.gz} once into a shared cache directory, safely across processes. */
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

  /** A short fingerprint of a file's size and modification time, so a rebuilt archive is unpacked anew. */
  public static String fingerprint(Path file) {
    try {
      return Long.toHexString(Files.size(file) * 31 + Files.getLastModifiedTime(file).toMillis());
    } catch (IOException e) {
      throw new ServerStartException("cannot read " + file + ": " + e, e);
    }
  }

  /**
   * Returns {@code cacheRoot()/name}, unpacking {@code archive} there first if it is not yet.
   * Concurrent callers (threads or processes) wait for one unpack; a half-written directory is
   * never visible, since the unpack goes to a temporary directory that is renamed at the end.
   * {@code .zip} is unpacked in Java; {@code .tar.gz} with the system's {@code tar}.
   *
   * @throws ServerStartException naming the archive and the cause when it cannot be unpacked
   */
  @SuppressWarnings("try") // the lock is held for the try block's duration, never referenced
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
        try {
          if (archive.getFileName().toString().endsWith(".zip")) {
            unzip(archive, tmp);
          } else {
            untar(archive, tmp);
          }
        } catch (IOException | RuntimeException e) {
          TempDirs.deleteRecursively(tmp);
          throw e;
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        Files.createFile(done);
        return target;
      }
    } catch (ServerStartException e) {
      throw e;
    } catch (IOException e) {
      throw new ServerStartException("cannot unpack " + archive + " into " + target + ": " + e
          + ". Delete it from the local Maven repository to fetch it again.", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServerStartException("interrupted while unpacking " + archive, e);
    }
  }

  private static void unzip(Path archive, Path into) throws IOException {
    int entries = 0;
    try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(archive))) {
      for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
        Path out = into.resolve(e.getName()).normalize();
        if (!out.startsWith(into)) {
          throw new IOException("entry " + e.getName() + " points outside the archive");
        }
        if (e.isDirectory()) {
          Files.createDirectories(out);
        } else {
          Files.createDirectories(out.getParent());
          Files.copy(zip, out);
          entries++;
        }
      }
    }
    if (entries == 0) {
      throw new IOException("the archive has no files (corrupt or not a zip)");
    }
  }

  private static void untar(Path archive, Path into) throws IOException, InterruptedException {
    Path output = into.resolveSibling(into.getFileName() + ".tar-output");
    Process tar;
    try {
      tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", into.toString())
          .redirectErrorStream(true).redirectOutput(output.toFile()).start();
    } catch (IOException e) {
      throw new IOException("cannot run tar to unpack it (" + e.getMessage() + "); install tar", e);
    }
    try {
      if (!tar.waitFor(5, TimeUnit.MINUTES)) {
        tar.destroyForcibly();
        throw new IOException("tar took over 5 minutes");
      }
      if (tar.exitValue() != 0) {
        throw new IOException("tar exited with " + tar.exitValue() + ": "
            + Files.readString(output, StandardCharsets.UTF_8).strip());
      }
    } finally {
      Files.deleteIfExists(output);
    }
  }
}
