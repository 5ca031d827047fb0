package io.tidemark.offsets.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.ConfigException;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Typed settings: parsing, validation, messages that name the setting, hidden secrets. */
class ConfigTest {

  private static final ConfigKey<Duration> TIMEOUT = ConfigKey.duration("session.timeout", Duration.ofSeconds(30),
      Duration.ofMillis(1), Duration.ofDays(365), "How long a session lives.");
  private static final ConfigKey<Integer> ENTRIES = ConfigKey.integer("history.max.entries", 1000, 1, 1_000_000,
      "History entries kept per job.");
  private static final ConfigKey<Boolean> FSYNC = ConfigKey.bool("file.fsync", true, "fsync each file.");
  private static final ConfigKey<String> USER = ConfigKey.string("auth.user", "tidemark", "The user.");
  private static final ConfigKey<String> SECRET = ConfigKey.password("auth.password", "The user's password.");

  private static ConfigDef def() {
    return new ConfigDef("test store").define(TIMEOUT).define(ENTRIES).define(FSYNC).define(USER).define(SECRET);
  }

  // ---- durations

  static Stream<Arguments> durations() {
    return Stream.of(
        Arguments.of("500ms", Duration.ofMillis(500)),
        Arguments.of("30s", Duration.ofSeconds(30)),
        Arguments.of("5m", Duration.ofMinutes(5)),
        Arguments.of("1h", Duration.ofHours(1)),
        Arguments.of("30d", Duration.ofDays(30)),
        Arguments.of("PT2S", Duration.ofSeconds(2)),
        Arguments.of("pt0.25s", Duration.ofMillis(250)),
        Arguments.of("P1DT2H", Duration.ofHours(26)),
        Arguments.of(" 45s ", Duration.ofSeconds(45)),
        Arguments.of("10 m", Duration.ofMinutes(10)),
        Arguments.of("1MS", Duration.ofMillis(1)));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("durations")
  void parsesDurations(String raw, Duration expected) {
    assertThat(TIMEOUT.parse(raw)).isEqualTo(expected);
  }

  @Test
  void acceptsDurationValues() {
    assertThat(TIMEOUT.parse(Duration.ofMinutes(3))).isEqualTo(Duration.ofMinutes(3));
  }

  @ParameterizedTest
  @ValueSource(strings = {"30", "5 minutes", "-5s", "1w", "", "s", "1.5s", "30sec"})
  void refusesUnknownDurationFormatsNamingTheSetting(String raw) {
    assertThatThrownBy(() -> TIMEOUT.parse(raw))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessage("invalid value '" + raw + "' for setting 'session.timeout': expected a duration such as 500ms, 30s,"
            + " 5m, 1h, 30d or PT30S (unknown duration format)")
        .satisfies(e -> assertThat(((ConfigException) e).name()).contains("session.timeout"));
  }

  @Test
  void refusesMalformedIsoDurations() {
    assertThatThrownBy(() -> TIMEOUT.parse("PT5X"))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessageStartingWith("invalid value 'PT5X' for setting 'session.timeout': expected a duration such as 500ms,"
            + " 30s, 5m, 1h, 30d or PT30S (Text cannot be parsed to a Duration");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0ms", "366d", "PT0S", "PT-1S"})
  void refusesDurationsOutOfRange(String raw) {
    assertThatThrownBy(() -> TIMEOUT.parse(raw))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessage("invalid value '" + raw + "' for setting 'session.timeout': must be between 1ms and 365d");
  }

  static Stream<Arguments> formats() {
    return Stream.of(
        Arguments.of(Duration.ofMillis(500), "500ms"),
        Arguments.of(Duration.ofMillis(1500), "1500ms"),
        Arguments.of(Duration.ofSeconds(30), "30s"),
        Arguments.of(Duration.ofSeconds(90), "90s"),
        Arguments.of(Duration.ofMinutes(5), "5m"),
        Arguments.of(Duration.ofMinutes(90), "90m"),
        Arguments.of(Duration.ofHours(1), "1h"),
        Arguments.of(Duration.ofHours(48), "2d"),
        Arguments.of(Duration.ofDays(30), "30d"),
        Arguments.of(Duration.ZERO, "0s"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("formats")
  void formatsDurationsAsTheyAreWritten(Duration d, String text) {
    assertThat(ConfigKey.format(d)).isEqualTo(text);
    assertThat(ConfigKey.parseDuration(text)).isEqualTo(d);
  }

  @Test
  void describesItselfForTheGeneratedDocs() {
    assertThat(TIMEOUT.name()).isEqualTo("session.timeout");
    assertThat(TIMEOUT.type()).isEqualTo(ConfigKey.Type.DURATION);
    assertThat(TIMEOUT.defaultValue()).contains(Duration.ofSeconds(30));
    assertThat(TIMEOUT.defaultForDocs()).isEqualTo("30s");
    assertThat(TIMEOUT.validValues()).isEqualTo("[1ms, 365d]");
    assertThat(TIMEOUT.doc()).isEqualTo("How long a session lives.");
    assertThat(TIMEOUT).hasToString("session.timeout");
    assertThat(ENTRIES.validValues()).isEqualTo("[1, 1000000]");
    assertThat(ENTRIES.defaultForDocs()).isEqualTo("1000");
    assertThat(FSYNC.validValues()).isEqualTo("true, false");
    assertThat(USER.validValues()).isEmpty();
    assertThat(SECRET.defaultValue()).isEmpty();
    assertThat(SECRET.defaultForDocs()).isEmpty();
    assertThat(SECRET.type()).isEqualTo(ConfigKey.Type.PASSWORD);
  }

  // ---- other types

  static Stream<Arguments> badValues() {
    return Stream.of(
        Arguments.of(ENTRIES, "abc", "invalid value 'abc' for setting 'history.max.entries': expected a 32-bit integer"
            + " (For input string: \"abc\")"),
        Arguments.of(ENTRIES, "0", "invalid value '0' for setting 'history.max.entries': must be between 1 and 1000000"),
        Arguments.of(ENTRIES, 1_000_001, "invalid value '1000001' for setting 'history.max.entries': must be between 1"
            + " and 1000000"),
        Arguments.of(ENTRIES, 3_000_000_000L, "invalid value '3000000000' for setting 'history.max.entries': expected a"
            + " 32-bit integer (integer overflow)"),
        Arguments.of(ENTRIES, "2.5", "invalid value '2.5' for setting 'history.max.entries': expected a 32-bit integer"
            + " (For input string: \"2.5\")"),
        Arguments.of(FSYNC, "yes", "invalid value 'yes' for setting 'file.fsync': expected true or false (expected true"
            + " or false)"),
        Arguments.of(FSYNC, "1", "invalid value '1' for setting 'file.fsync': expected true or false (expected true or"
            + " false)"));
  }

  @ParameterizedTest(name = "{0}={1}")
  @MethodSource("badValues")
  void badValuesNameTheSettingAndTheRule(ConfigKey<?> key, Object raw, String message) {
    assertThatThrownBy(() -> key.parse(raw))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessage(message)
        .satisfies(e -> assertThat(((ConfigException) e).name()).contains(key.name()));
  }

  @Test
  void parsesTheOtherTypes() {
    assertThat(ENTRIES.parse(" 42 ")).isEqualTo(42);
    assertThat(ENTRIES.parse(7L)).isEqualTo(7);
    assertThat(ENTRIES.parse(9)).isEqualTo(9);
    assertThat(FSYNC.parse("FALSE")).isFalse();
    assertThat(FSYNC.parse(" true")).isTrue();
    assertThat(FSYNC.parse(Boolean.FALSE)).isFalse();
    assertThat(USER.parse("  spaced  ")).isEqualTo("  spaced  ");
    assertThat(ConfigKey.string("s", null, "doc").defaultValue()).isEmpty();
  }

  /** A setting is never silently rewritten: 2.5 entries is refused, not truncated to 2. */
  @ParameterizedTest
  @ValueSource(doubles = {2.5, 0.9, 1e12})
  void refusesFractionalOrHugeNumbersForIntegerSettings(double raw) {
    assertThatThrownBy(() -> ENTRIES.parse(raw))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessageStartingWith("invalid value '" + raw + "' for setting 'history.max.entries': ");
  }

  @Test
  void anInvalidDefaultIsADeclarationError() {
    assertThatThrownBy(() -> ConfigKey.integer("retries", 0, 1, 10, "Retries."))
        .isExactlyInstanceOf(IllegalStateException.class)
        .hasMessage("default of retries is invalid: must be between 1 and 10");
  }

  // ---- ConfigDef and StoreConfig

  @Test
  void unknownSettingsListTheKnownOnes() {
    assertThatThrownBy(() -> def().parse(Map.of("history.max.entrys", "5")))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessage("unknown setting 'history.max.entrys' for test store (its value is not shown, in case it is a secret);"
            + " known settings: session.timeout, history.max.entries, file.fsync, auth.user, auth.password")
        .satisfies(e -> assertThat(((ConfigException) e).name()).contains("history.max.entrys"));
  }

  @Test
  void aNullValueIsRefused() {
    Map<String, Object> raw = new HashMap<>();
    raw.put("file.fsync", null);

    assertThatThrownBy(() -> def().parse(raw))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessage("invalid value null for setting 'file.fsync': a value is required");
  }

  @Test
  void aSettingIsDeclaredOnce() {
    assertThatThrownBy(() -> def().define(ConfigKey.bool("file.fsync", false, "again")))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("setting file.fsync is declared twice in test store");
    assertThatThrownBy(() -> new ConfigDef("other").define(FSYNC).defineAll(def()))
        .hasMessage("setting file.fsync is declared twice in other");
  }

  @Test
  void keysKeepTheirDeclarationOrder() {
    ConfigDef d = def();

    assertThat(d.component()).isEqualTo("test store");
    assertThat(d.keys()).extracting(ConfigKey::name)
        .containsExactly("session.timeout", "history.max.entries", "file.fsync", "auth.user", "auth.password");
    assertThat(new ConfigDef("copy").defineAll(d).keys()).containsExactlyElementsOf(d.keys());
  }

  @Test
  void givenValuesWinAndOthersFallBackToTheirDefaults() {
    Map<String, Object> raw = new LinkedHashMap<>();
    raw.put("history.max.entries", "5");
    raw.put("session.timeout", "PT2S");

    StoreConfig c = def().parse(raw);

    assertThat(c.get(ENTRIES)).isEqualTo(5);
    assertThat(c.get(TIMEOUT)).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.get(FSYNC)).isTrue();
    assertThat(c.get(USER)).isEqualTo("tidemark");
    assertThat(c.isSet(ENTRIES)).isTrue();
    assertThat(c.isSet(FSYNC)).isFalse();
    assertThat(c.find(SECRET)).isEmpty();
    assertThat(c.find(USER)).contains("tidemark");
  }

  @Test
  void aSettingWithoutDefaultMustBeGiven() {
    StoreConfig c = def().parse(Map.of());

    assertThatThrownBy(() -> c.get(SECRET))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessage("invalid value null for setting 'auth.password': this setting has no default and must be given"
            + " (The user's password.)");
  }

  @Test
  void askingForAnUndeclaredSettingIsAProgrammingError() {
    StoreConfig c = def().parse(Map.of());

    assertThatThrownBy(() -> c.get(ConfigKey.bool("file.create", true, "doc")))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("setting file.create is not declared for test store");
  }

  // ---- secrets

  @Test
  void passwordsAreHiddenInToString() {
    StoreConfig c = def().parse(Map.of("auth.password", "hunter2-s3cret", "auth.user", "alice"));

    assertThat(c.get(SECRET)).isEqualTo("hunter2-s3cret");
    assertThat(c.toString()).doesNotContain("hunter2-s3cret").contains("auth.password=[hidden]").contains("auth.user=alice");
    assertThat(SECRET.toString()).doesNotContain("hunter2");
  }

  @Test
  void passwordsNeverAppearInErrorsAboutOtherSettings() {
    Map<String, Object> raw = new LinkedHashMap<>();
    raw.put("auth.password", "hunter2-s3cret");
    raw.put("history.max.entries", "many");

    assertThatThrownBy(() -> def().parse(raw))
        .isExactlyInstanceOf(ConfigException.class)
        .hasMessageNotContaining("hunter2")
        .hasMessage("invalid value 'many' for setting 'history.max.entries': expected a 32-bit integer (For input"
            + " string: \"many\")");
  }

  @Test
  void passwordsOfOtherTypesAreText() {
    assertThat(SECRET.parse(12345)).isEqualTo("12345");
  }
}
