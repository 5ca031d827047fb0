package io.tidemark.offsets.spi;

import io.tidemark.offsets.ConfigException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * One setting, declared once: name, type, default, validator and documentation. The reference
 * tables in the docs are generated from these declarations.
 *
 * @param <T> the value type
 */
public final class ConfigKey<T> {

  /** The value types settings can have. */
  public enum Type {
    /** Text. */
    STRING(s -> s),
    /** {@code true} or {@code false}. */
    BOOLEAN(s -> switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "true" -> Boolean.TRUE;
      case "false" -> Boolean.FALSE;
      default -> throw new IllegalArgumentException("expected true or false");
    }),
    /** A 32-bit integer. */
    INT(s -> Integer.parseInt(s.trim())),
    /** A 64-bit integer. */
    LONG(s -> Long.parseLong(s.trim())),
    /** A duration: ISO-8601 ({@code PT30S}) or a number with a unit ({@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 30d}). */
    DURATION(ConfigKey::parseDuration),
    /** A secret: shown as {@code [hidden]} in messages, logs and {@code toString}. */
    PASSWORD(s -> s);

    private final Function<String, Object> parser;

    Type(Function<String, Object> parser) {
      this.parser = parser;
    }
  }

  /** Checks a parsed value; returns an explanation when it is bad. */
  @FunctionalInterface
  public interface Validator<T> {
    /** Empty when the value is fine, else what is wrong and what is allowed. */
    Optional<String> check(T value);
  }

  private final String name;
  private final Type type;
  private final Class<T> javaType;
  private final T defaultValue;
  private final Validator<T> validator;
  private final String validValues;
  private final String doc;

  private ConfigKey(String name, Type type, Class<T> javaType, T defaultValue, Validator<T> validator,
      String validValues, String doc) {
    this.name = Objects.requireNonNull(name, "name");
    this.type = Objects.requireNonNull(type, "type");
    this.javaType = javaType;
    this.defaultValue = defaultValue;
    this.validator = validator == null ? v -> Optional.empty() : validator;
    this.validValues = validValues == null ? "" : validValues;
    this.doc = Objects.requireNonNull(doc, "doc");
    if (defaultValue != null) {
      this.validator.check(defaultValue).ifPresent(problem -> {
        throw new IllegalStateException("default of " + name + " is invalid: " + problem);
      });
    }
  }

  /** A text setting. */
  public static ConfigKey<String> string(String name, String defaultValue, String doc) {
    return new ConfigKey<>(name, Type.STRING, String.class, defaultValue, null, null, doc);
  }

  /** A secret text setting, never shown. */
  public static ConfigKey<String> password(String name, String doc) {
    return new ConfigKey<>(name, Type.PASSWORD, String.class, null, null, null, doc);
  }

  /** A boolean setting. */
  public static ConfigKey<Boolean> bool(String name, boolean defaultValue, String doc) {
    return new ConfigKey<>(name, Type.BOOLEAN, Boolean.class, defaultValue, null, "true, false", doc);
  }

  /** An int setting within {@code [min, max]}. */
  public static ConfigKey<Integer> integer(String name, int defaultValue, int min, int max, String doc) {
    return new ConfigKey<>(name, Type.INT, Integer.class, defaultValue,
        v -> v < min || v > max ? Optional.of("must be between " + min + " and " + max) : Optional.empty(),
        "[" + min + ", " + max + "]", doc);
  }

  /** A duration setting within {@code [min, max]}. */
  public static ConfigKey<Duration> duration(String name, Duration defaultValue, Duration min, Duration max, String doc) {
    return new ConfigKey<>(name, Type.DURATION, Duration.class, defaultValue,
        v -> v.compareTo(min) < 0 || v.compareTo(max) > 0
            ? Optional.of("must be between " + format(min) + " and " + format(max)) : Optional.empty(),
        "[" + format(min) + ", " + format(max) + "]", doc);
  }

  /** The setting's name, as written in URIs and config maps. */
  public String name() {
    return name;
  }

  /** Its type. */
  public Type type() {
    return type;
  }

  /** Its default, if it has one (a setting without one is optional unless the store says otherwise). */
  public Optional<T> defaultValue() {
    return Optional.ofNullable(defaultValue);
  }

  /** The allowed values, for docs ({@code ""} when any value of the type is allowed). */
  public String validValues() {
    return validValues;
  }

  /** What the setting does. */
  public String doc() {
    return doc;
  }

  /** The default as the docs show it. */
  public String defaultForDocs() {
    if (defaultValue == null) {
      return "";
    }
    return defaultValue instanceof Duration d ? format(d) : String.valueOf(defaultValue);
  }

  /**
   * Parses and validates a raw value (a string, or already a value of the type).
   *
   * @throws ConfigException naming the setting, the value (hidden for passwords) and the rule
   */
  public T parse(Object raw) {
    Object shown = type == Type.PASSWORD ? "[hidden]" : raw;
    T value;
    try {
      if (javaType.isInstance(raw)) {
        value = javaType.cast(raw);
      } else if ((raw instanceof Long || raw instanceof Short || raw instanceof Byte) && javaType == Integer.class) {
        value = javaType.cast(Math.toIntExact(((Number) raw).longValue()));
      } else {
        value = javaType.cast(type.parser.apply(String.valueOf(raw)));
      }
    } catch (RuntimeException e) {
      throw new ConfigException(name, shown, "expected " + describeType() + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"));
    }
    Optional<String> problem = validator.check(value);
    if (problem.isPresent()) {
      throw new ConfigException(name, shown, problem.get());
    }
    return value;
  }

  private String describeType() {
    return switch (type) {
      case STRING, PASSWORD -> "text";
      case BOOLEAN -> "true or false";
      case INT -> "a 32-bit integer";
      case LONG -> "a 64-bit integer";
      case DURATION -> "a duration such as 500ms, 30s, 5m, 1h, 30d or PT30S";
    };
  }

  /**
   * Parses a duration as settings write it: ISO-8601 ({@code PT30S}) or a whole number with a unit
   * ({@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 30d}).
   *
   * @throws IllegalArgumentException (or {@link java.time.format.DateTimeParseException}) when it is neither
   */
  public static Duration parseDuration(String s) {
    String t = s.trim().toLowerCase(java.util.Locale.ROOT);
    if (t.startsWith("p")) {
      return Duration.parse(t.toUpperCase(java.util.Locale.ROOT));
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)").matcher(t);
    if (!m.matches()) {
      throw new IllegalArgumentException("unknown duration format");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  /** Formats a duration the way settings are written ({@code 30s}, {@code 500ms}, {@code 30d}). */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 86_400_000L == 0 && ms > 0) {
      return ms / 86_400_000L + "d";
    }
    if (ms % 3_600_000L == 0 && ms > 0) {
      return ms / 3_600_000L + "h";
    }
    if (ms % 60_000L == 0 && ms > 0) {
      return ms / 60_000L + "m";
    }
    if (ms % 1000L == 0) {
      return ms / 1000L + "s";
    }
    return ms + "ms";
  }

  @Override
  public String toString() {
    return name;
  }
}
