package io.tidemark.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.testkit.internal.Archives;
import io.tidemark.testkit.internal.ChildJvm;
import io.tidemark.testkit.internal.Jdks;
import io.tidemark.testkit.internal.RuntimeArtifacts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A server that cannot start says why, promptly; it never hangs. */
class FailureMessagesTest {

  @TempDir
  Path tmp;

  private String savedM2;
  private String savedArchive;
  private String savedCache;

  @BeforeEach
  void save() {
    savedM2 = System.getProperty("tidemark.testkit.m2");
    savedArchive = System.getProperty("tidemark.testkit.kafka.archive");
    savedCache = System.getProperty("tidemark.testkit.cache");
    System.setProperty("tidemark.testkit.cache", tmp.resolve("cache").toString());
  }

  @AfterEach
  void restore() {
    restore("tidemark.testkit.m2", savedM2);
    restore("tidemark.testkit.kafka.archive", savedArchive);
    restore("tidemark.testkit.cache", savedCache);
  }

  private static void restore(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }

  /** Plays a server that dies at once. */
  public static final class DiesAtOnce {
    public static void main(String[] args) {
      System.out.println("port 9092 is already in use");
      System.exit(1);
    }
  }

  /** Plays a server that never becomes ready. */
  public static final class NeverReady {
    public static void main(String[] args) throws InterruptedException {
      System.out.println("still starting");
      Thread.sleep(TimeUnit.MINUTES.toMillis(5));
    }
  }

  private List<Path> testClasspath() {
    return Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator)).map(Path::of)
        .collect(Collectors.toList());
  }

  @Test
  void aChildThatExitsReportsItsExitCodeAndLog() {
    try (ChildJvm child = ChildJvm.start("dies", RuntimeArtifacts.currentJava(), testClasspath(), List.of(),
        DiesAtOnce.class.getName(), List.of(), tmp)) {
      assertThatThrownBy(() -> child.awaitReady(() -> false, Duration.ofSeconds(60)))
          .isInstanceOf(ServerStartException.class)
          .hasMessageContaining("dies exited with code 1 before it was ready")
          .hasMessageContaining("port 9092 is already in use");
    }
  }

  @Test
  void aChildThatNeverGetsReadyTimesOutAndIsStopped() {
    ChildJvm child = ChildJvm.start("slow", RuntimeArtifacts.currentJava(), testClasspath(), List.of(),
        NeverReady.class.getName(), List.of(), tmp);
    try {
      assertThatThrownBy(() -> child.awaitReady(() -> false, Duration.ofMillis(1500)))
          .isInstanceOf(ServerStartException.class)
          .hasMessageContaining("slow was not ready within PT1.5S")
          .hasMessageContaining("still starting");
      assertThat(child.isAlive()).isFalse();
    } finally {
      child.kill();
    }
  }

  @Test
  void aMissingArtifactNamesTheFileAndTheCommandThatFetchesIt() {
    System.setProperty("tidemark.testkit.m2", tmp.resolve("empty-repo").toString());
    System.clearProperty("tidemark.testkit.kafka.archive");

    assertThatThrownBy(RuntimeArtifacts::kafkaBrokerClasspath)
        .isInstanceOf(ServerStartException.class)
        .hasMessageContaining("is missing from the local Maven repository " + tmp.resolve("empty-repo"))
        .hasMessageContaining("mvn dependency:get -Dartifact=io.tidemark:tidemark-testkit-runtime:")
        .hasMessageContaining(":zip:kafka-broker");
  }

  @Test
  void aCorruptArchiveSaysSo() throws Exception {
    Path zip = Files.writeString(tmp.resolve("broken.zip"), "not a zip");
    Path tgz = Files.writeString(tmp.resolve("broken.tar.gz"), "not a tarball");

    assertThatThrownBy(() -> Archives.unpackOnce(zip, "broken-zip"))
        .isInstanceOf(ServerStartException.class)
        .hasMessageContaining("cannot unpack " + zip)
        .hasMessageContaining("corrupt or not a zip")
        .hasMessageContaining("Delete it from the local Maven repository");
    assertThatThrownBy(() -> Archives.unpackOnce(tgz, "broken-tgz"))
        .isInstanceOf(ServerStartException.class)
        .hasMessageContaining("cannot unpack " + tgz)
        .hasMessageContaining("tar exited with");
    assertThat(Archives.cacheRoot().resolve("broken-zip")).doesNotExist();
  }

  @Test
  void aMissingJdkIsNamedWithTheWayOut() {
    assertThat(Jdks.find(99, null)).isEmpty();
    assertThat(Jdks.find(17, null)).contains(RuntimeArtifacts.currentJava());
    assertThat(Jdks.find(99, tmp.toString())).isEmpty();

    SchemaRegistry registry = SchemaRegistry.builder().version("3.3.3").build();
    String saved = System.getProperty("tidemark.registry.java");
    System.setProperty("tidemark.registry.java", tmp.toString());
    try {
      if (Runtime.version().feature() < 21) {
        assertThatThrownBy(registry::start)
            .isInstanceOf(ServerStartException.class)
            .hasMessageContaining("Apicurio Registry 3.3.3 needs Java 21+")
            .hasMessageContaining(tmp + " is not a JDK 21+")
            .hasMessageContaining("-Dtidemark.registry.java=<java home>");
      }
    } finally {
      restore("tidemark.registry.java", saved);
      registry.close();
    }
  }

  @Test
  void anUnknownRegistryVersionListsTheKnownOnes() {
    try (SchemaRegistry registry = SchemaRegistry.builder().version("9.9.9").build()) {
      assertThatThrownBy(registry::start)
          .isInstanceOf(ServerStartException.class)
          .hasMessageContaining("unknown Apicurio Registry version 9.9.9; known: 2.6.13.Final,3.3.3");
    }
  }

  @Test
  void builderOptionsAreValidated() {
    assertThatThrownBy(() -> KafkaBroker.builder().brokerProperty("listeners", "PLAINTEXT://0.0.0.0:9092"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("broker property listeners is set by the fixture");
    assertThatThrownBy(() -> KafkaBroker.builder().startTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("startTimeout must be positive");
    assertThatThrownBy(() -> HBaseCluster.create(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("startTimeout must be positive");
  }
}
