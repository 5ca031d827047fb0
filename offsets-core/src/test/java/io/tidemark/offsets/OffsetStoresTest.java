package io.tidemark.offsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.internal.MemoryOffsetStore;
import io.tidemark.offsets.spi.ConfigDef;
import io.tidemark.offsets.spi.ConfigKey;
import io.tidemark.offsets.spi.OffsetStoreProvider;
import io.tidemark.offsets.spi.StoreConfig;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Opening stores from URIs: schemes, settings from the query and the map, redaction. */
class OffsetStoresTest {

  private static final String JOB = "orders-job";

  @TempDir
  Path tmp;

  // ---- schemes

  @Test
  void theCoreProvidersAreFound() {
    assertThat(OffsetStores.providers()).containsOnlyKeys("file", "memory");
  }

  @Test
  void anUnknownSchemeListsTheAvailableOnes() {
    assertThatThrownBy(() -> OffsetStores.open("nope:x"))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessage("no offset store for scheme 'nope' (nope:x); available: file, memory.");
  }

  static Stream<Arguments> otherModules() {
    return Stream.of(
        Arguments.of("zk://h:1/x", "zk", "io.tidemark:tidemark-offsets-zookeeper"),
        Arguments.of("zk://zk1:2181,zk2:2181/tidemark", "zk", "io.tidemark:tidemark-offsets-zookeeper"),
        Arguments.of("hbase://quorum:2181/tidemark:offsets", "hbase", "io.tidemark:tidemark-offsets-hbase"),
        Arguments.of("kafka://broker:9092", "kafka", "io.tidemark:tidemark-offsets-kafka"));
  }

  @ParameterizedTest
  @MethodSource("otherModules")
  void aKnownSchemeOfAnotherModuleNamesTheModule(String uri, String scheme, String module) {
    assertThatThrownBy(() -> OffsetStores.open(uri))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessage("no offset store for scheme '" + scheme + "' (" + uri + "); available: file, memory. Add " + module
            + " to the classpath.");
  }

  /** A scheme no Tidemark module serves gets the list of available ones and no module to add. */
  @Test
  void noModuleIsSuggestedThatTidemarkDoesNotPublish() {
    assertThatThrownBy(() -> OffsetStores.open("s3://bucket/offsets"))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessage("no offset store for scheme 's3' (s3://bucket/offsets); available: file, memory.");
  }

  @Test
  void aUriWithoutSchemeIsRefused() {
    assertThatThrownBy(() -> OffsetStores.open("/var/lib/tidemark/offsets"))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessage("offset store URI '/var/lib/tidemark/offsets' has no scheme; use one of [file, memory], for example"
            + " file:/var/lib/tidemark/offsets");
  }

  @Test
  void theUnknownSchemeMessageHidesCredentials() {
    assertThatThrownBy(() -> OffsetStores.open("zk://alice:s3cret@zk1:2181/tidemark?auth.password=s3cret"))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessage("no offset store for scheme 'zk' (zk://***@zk1:2181/tidemark); available: file, memory. Add"
            + " io.tidemark:tidemark-offsets-zookeeper to the classpath.");
  }

  static Stream<Arguments> redactions() {
    return Stream.of(
        Arguments.of("zk://alice:s3cret@zk1:2181/tidemark?digest=alice:s3cret", "zk://***@zk1:2181/tidemark"),
        Arguments.of("zk://alice@zk1:2181/tidemark", "zk://***@zk1:2181/tidemark"),
        Arguments.of("zk://zk1:2181/tidemark?session.timeout=30s", "zk://zk1:2181/tidemark"),
        Arguments.of("hbase://quorum:2181/ns:offsets", "hbase://quorum:2181/ns:offsets"),
        Arguments.of("memory:test?auth.password=x", "memory:test"),
        Arguments.of("file:/var/lib/tidemark", "file:/var/lib/tidemark"),
        Arguments.of("zk://alice:s3cret@zk1:2181,zk2:2181,zk3:2181/tidemark", "zk://***@zk1:2181,zk2:2181,zk3:2181/tidemark"));
  }

  @ParameterizedTest
  @MethodSource("redactions")
  void redactHidesUserInfoAndQuery(String uri, String redacted) {
    assertThat(OffsetStores.redact(URI.create(uri))).isEqualTo(redacted);
  }

  // ---- memory:

  @Test
  void memoryHonoursHistoryMaxEntriesFromTheUri() {
    try (OffsetStore store = OffsetStores.open("memory:name?history.max.entries=5")) {
      assertThat(store.description()).isEqualTo("memory:name");
      commitBatches(store, 7);

      assertThat(store.history(JOB, 100)).extracting(e -> ((HistoryEntry.Committed) e).commit().batchId())
          .containsExactly(6L, 5L, 4L, 3L, 2L);
      assertThat(store.rewind(JOB, RewindTarget.toBatch(1)).positions())
          .isEqualTo(Map.of(new TopicPartition("orders", 0), 20L));
    }
    try (OffsetStore store = OffsetStores.open("memory:name?history.max.entries=5")) {
      commitBatches(store, 7);
      assertThatThrownBy(() -> store.rewind(JOB, RewindTarget.toBatch(0)))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessage("batch 0 of job orders-job is older than the retained history (5 entries); rewind to explicit"
              + " offsets instead");
    }
  }

  @Test
  void memoryKeepsAThousandEntriesByDefault() {
    try (OffsetStore store = OffsetStores.open("memory:default")) {
      commitBatches(store, 7);

      assertThat(store.history(JOB, 100)).hasSize(7);
    }
  }

  @Test
  void memoryTakesSettingsFromTheMap() {
    try (OffsetStore store = OffsetStores.open(URI.create("memory:mapped"), Map.of("history.max.entries", 2))) {
      commitBatches(store, 4);

      assertThat(store.history(JOB, 100)).hasSize(2);
    }
  }

  /** The class doc names {@code memory:} as a valid URI. */
  @Test
  void memoryWithoutANameOpens() {
    try (OffsetStore store = OffsetStores.open("memory:")) {
      assertThat(store.description()).isEqualTo("memory:default");
    }
  }

  private static void commitBatches(OffsetStore store, int n) {
    long epoch = store.claim(JOB);
    for (int i = 0; i < n; i++) {
      assertThat(store.commit(OffsetCommit.builder(JOB, i, epoch).range("orders", 0, 10L * i, 10L * i + 10)
          .starts(Map.of(new TopicPartition("orders", 0), 0L)).build()))
          .isEqualTo(CommitResult.APPLIED);
    }
  }

  // ---- settings

  @Test
  void aSettingGivenInTheUriAndTheMapWithDifferentValuesIsRefused() {
    assertThatThrownBy(() -> OffsetStores.open(URI.create("memory:x?history.max.entries=5"),
        Map.of("history.max.entries", "7")))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessage("invalid value '7' for setting 'history.max.entries': the store URI sets it to '5'; give it in one"
            + " place only")
        .satisfies(e -> assertThat(((ConfigException) e).name()).contains("history.max.entries"));
  }

  @Test
  void aSettingGivenInTheUriAndTheMapWithTheSameValueIsAccepted() {
    try (OffsetStore store = OffsetStores.open(URI.create("memory:x?history.max.entries=3"),
        Map.of("history.max.entries", 3))) {
      commitBatches(store, 5);

      assertThat(store.history(JOB, 100)).hasSize(3);
    }
  }

  @Test
  void aSettingGivenTwiceInTheUriIsRefused() {
    assertThatThrownBy(() -> OffsetStores.open("memory:x?history.max.entries=5&history.max.entries=6"))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessage("setting 'history.max.entries' is given twice in the store URI memory:x");
  }

  @Test
  void anUnknownSettingListsTheKnownOnes() {
    assertThatThrownBy(() -> OffsetStores.open("memory:x?histroy.max.entries=5"))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessage("unknown setting 'histroy.max.entries' for memory: store (its value is not shown, in case it is a"
            + " secret); known settings: history.max.entries");
    assertThatThrownBy(() -> OffsetStores.open(URI.create(tmp.toUri() + "?fsync=false"), Map.of()))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessage("unknown setting 'fsync' for file: store (its value is not shown, in case it is a secret); known settings:"
            + " history.max.entries, file.fsync, file.create");
  }

  static Stream<Arguments> badUriValues() {
    return Stream.of(
        Arguments.of("memory:x?history.max.entries=0",
            "invalid value '0' for setting 'history.max.entries': must be between 1 and 1000000"),
        Arguments.of("memory:x?history.max.entries=lots",
            "invalid value 'lots' for setting 'history.max.entries': expected a 32-bit integer (For input string:"
                + " \"lots\")"),
        Arguments.of("memory:x?history.max.entries=1%2C5",
            "invalid value '1,5' for setting 'history.max.entries': expected a 32-bit integer (For input string:"
                + " \"1,5\")"),
        Arguments.of("file:/tmp/never-created?file.fsync=sometimes",
            "invalid value 'sometimes' for setting 'file.fsync': expected true or false (expected true or false)"));
  }

  @ParameterizedTest
  @MethodSource("badUriValues")
  void badValuesInTheUriNameTheSetting(String uri, String message) {
    assertThatThrownBy(() -> OffsetStores.open(uri))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessage(message);
  }

  // ---- file:

  @Test
  void fileUrisWithAHostAreRefused() {
    assertThatThrownBy(() -> OffsetStores.open("file://backup-host/var/lib/tidemark"))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessage("file: store URI 'file://backup-host/var/lib/tidemark' names host 'backup-host'; the file store is"
            + " local: use file:/path or file:///path");
  }

  @Test
  void fileStoresOpenLocalDirectoriesWithQuerySettings() throws IOException {
    Path dir = tmp.resolve("offsets");
    try (OffsetStore store = OffsetStores.open(URI.create(dir.toUri() + "?history.max.entries=3&file.fsync=false"),
        Map.of())) {
      assertThat(store.description()).isEqualTo("file:" + dir.toAbsolutePath());
      commitBatches(store, 5);

      assertThat(store.history(JOB, 100)).hasSize(3);
    }
    assertThat(Files.isRegularFile(dir.resolve(JOB).resolve("state"))).isTrue();
  }

  @Test
  void fileStoresDoNotCreateTheirDirectoryWhenToldNotTo() {
    Path missing = tmp.resolve("missing");

    assertThatThrownBy(() -> OffsetStores.open(URI.create(missing.toUri().toString()), Map.of("file.create", false)))
        .isExactlyInstanceOf(StoreUnavailableException.class)
        .hasMessage("offset store directory " + missing.toAbsolutePath() + " does not exist; create it or set"
            + " file.create=true");
    assertThat(missing).doesNotExist();
  }

  // ---- secrets, with a provider that declares a PASSWORD setting

  /** A store with a secret setting, found through the context class loader. */
  public static final class SecretStoreProvider implements OffsetStoreProvider {
    static final ConfigKey<String> PASSWORD = ConfigKey.password("secret.password", "The store's password.");
    static final AtomicReference<StoreConfig> LAST = new AtomicReference<>();

    @Override
    public String scheme() {
      return "secret";
    }

    @Override
    public ConfigDef configDef() {
      return new ConfigDef("secret: store").define(PASSWORD);
    }

    @Override
    public OffsetStore open(URI uri, StoreConfig config) {
      LAST.set(config);
      return new MemoryOffsetStore("secret", 10, Clock.systemUTC());
    }
  }

  private interface Body {
    void run() throws Exception;
  }

  private void withSecretProvider(Body body) throws Exception {
    Path services = tmp.resolve("services/META-INF/services/" + OffsetStoreProvider.class.getName());
    Files.createDirectories(services.getParent());
    Files.writeString(services, SecretStoreProvider.class.getName() + "\n");
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {tmp.resolve("services").toUri().toURL()},
        OffsetStoresTest.class.getClassLoader())) {
      thread.setContextClassLoader(loader);
      body.run();
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  @Test
  void providersAreAlsoFoundThroughTheContextClassLoader() throws Exception {
    withSecretProvider(() -> {
      assertThat(OffsetStores.providers()).containsOnlyKeys("file", "memory", "secret");
      assertThatThrownBy(() -> OffsetStores.open("nope:x"))
          .hasMessage("no offset store for scheme 'nope' (nope:x); available: file, memory, secret.");

      try (OffsetStore store = OffsetStores.open("secret:x?secret.password=hunter2-s3cret")) {
        assertThat(store.description()).isEqualTo("memory:secret");
      }
      StoreConfig config = SecretStoreProvider.LAST.get();
      assertThat(config.get(SecretStoreProvider.PASSWORD)).isEqualTo("hunter2-s3cret");
      assertThat(config.toString()).isEqualTo("{secret.password=[hidden]}");
    });
  }

  @Test
  void aPasswordGivenInTheUriAndTheMapNeverAppearsInTheMessage() throws Exception {
    withSecretProvider(() -> assertThatThrownBy(() -> OffsetStores.open(
        URI.create("secret:x?secret.password=uri-s3cret"), Map.of("secret.password", "map-s3cret")))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessageContaining("'secret.password'")
        .hasMessageContaining("give it in one place only")
        .hasMessageNotContaining("uri-s3cret")
        .hasMessageNotContaining("map-s3cret"));
  }

  @Test
  void aPasswordGivenTwiceInTheUriNeverAppearsInTheMessage() throws Exception {
    withSecretProvider(() -> assertThatThrownBy(() -> OffsetStores.open(
        "secret:x?secret.password=first-s3cret&secret.password=second-s3cret"))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessageContaining("'secret.password'")
        .hasMessageContaining("given twice in the store URI")
        .hasMessageNotContaining("first-s3cret")
        .hasMessageNotContaining("second-s3cret"));
  }
}
