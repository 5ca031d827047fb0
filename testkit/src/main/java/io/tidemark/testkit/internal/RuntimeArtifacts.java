package io.tidemark.testkit.internal;

import io.tidemark.testkit.ServerStartException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * Reads what tidemark-testkit-runtime recorded at build time (the Kafka broker's classpath, the
 * registry archives) and finds those files in the local Maven repository.
 */
public final class RuntimeArtifacts {
  private static final String BASE = "/io/tidemark/testkit/runtime/";

  private RuntimeArtifacts() {}

  /**
   * The local Maven repository: system property {@code tidemark.testkit.m2} (the build passes
   * {@code settings.localRepository}), else {@code maven.repo.local}, else {@code ~/.m2/repository}.
   */
  public static Path localRepository() {
    for (String key : List.of("tidemark.testkit.m2", "maven.repo.local")) {
      String value = System.getProperty(key);
      if (value != null && !value.isBlank()) {
        return Path.of(value);
      }
    }
    return Path.of(System.getProperty("user.home"), ".m2", "repository");
  }

  /** The runtime properties written by tidemark-testkit-runtime. */
  public static Properties properties() {
    Properties props = new Properties();
    try (InputStream in = resource("runtime.properties")) {
      props.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return props;
  }

  /**
   * The Kafka broker's jars: the archive tidemark-testkit-runtime attaches (system property
   * {@code tidemark.testkit.kafka.archive}, which Tidemark's own build sets, else the local Maven
   * repository), unpacked once into the cache.
   */
  public static List<Path> kafkaBrokerClasspath() {
    String configured = System.getProperty("tidemark.testkit.kafka.archive");
    Path archive = configured != null && !configured.isBlank() && !configured.startsWith("${")
        ? requireFile(Path.of(configured), "the Kafka broker")
        : artifact("kafka.broker.archive", "the Kafka broker");
    Path home = Archives.unpackOnce(archive, "kafka-broker-" + properties().getProperty("kafka.broker.version") + "-"
        + Archives.fingerprint(archive));
    try (var files = Files.list(home.resolve("lib"))) {
      List<Path> jars = files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().collect(Collectors.toList());
      if (jars.isEmpty()) {
        throw new ServerStartException("no jars under " + home.resolve("lib") + " (unpacked from " + archive
            + "); delete that directory to unpack again");
      }
      return jars;
    } catch (IOException e) {
      throw new ServerStartException("cannot list " + home.resolve("lib") + ": " + e, e);
    }
  }

  /** An artifact recorded under {@code key} in the runtime properties, checked to exist. */
  public static Path artifact(String key, String what) {
    String relative = properties().getProperty(key);
    if (relative == null) {
      throw new ServerStartException("unknown " + what + " (no '" + key + "' in tidemark-testkit-runtime); known: "
          + properties().getProperty("registry.versions"));
    }
    return requireFile(localRepository().resolve(relative), what);
  }

  private static Path requireFile(Path file, String what) {
    if (!Files.isRegularFile(file)) {
      Path repo = localRepository();
      String coordinates = coordinates(repo, file);
      throw new ServerStartException("cannot start " + what + ": " + file + " is missing from the local Maven repository "
          + repo + ". Fetch it with: mvn dependency:get -Dartifact=" + coordinates
          + " (it comes with io.tidemark:tidemark-testkit; set -Dtidemark.testkit.m2=<dir> for another local repository)");
    }
    return file;
  }

  private static String coordinates(Path repo, Path file) {
    try {
      Path rel = repo.relativize(file);
      int n = rel.getNameCount();
      String version = rel.getName(n - 2).toString();
      String artifactId = rel.getName(n - 3).toString();
      String groupId = rel.subpath(0, n - 3).toString().replace('/', '.');
      String fileName = rel.getFileName().toString();
      String rest = fileName.substring((artifactId + "-" + version).length());
      for (String type : List.of("tar.gz", "zip")) {
        if (rest.endsWith("." + type)) {
          String classifier = rest.substring(Math.min(1, rest.length()), rest.length() - type.length() - 1);
          return groupId + ":" + artifactId + ":" + version + ":" + type + (classifier.isEmpty() ? "" : ":" + classifier);
        }
      }
      return groupId + ":" + artifactId + ":" + version;
    } catch (RuntimeException e) {
      return file.getFileName().toString();
    }
  }

  private static InputStream resource(String name) {
    InputStream in = RuntimeArtifacts.class.getResourceAsStream(BASE + name);
    if (in == null) {
      throw new ServerStartException("tidemark-testkit-runtime is not on the classpath (no " + BASE + name
          + "); add io.tidemark:tidemark-testkit-runtime as a test dependency");
    }
    return in;
  }

  /** The {@code java} launcher of the running JVM. */
  public static Path currentJava() {
    return Path.of(System.getProperty("java.home"), "bin", "java");
  }
}
