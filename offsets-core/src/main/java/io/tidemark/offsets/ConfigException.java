package io.tidemark.offsets;

import java.util.Optional;

/** A setting has a bad value, an unknown name, or conflicts with another. The message names the setting and the fix. */
public class ConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final String name;

  /** A problem with setting {@code name} whose value is {@code value}. */
  public ConfigException(String name, Object value, String message) {
    super("invalid value " + (value == null ? "null" : "'" + value + "'") + " for setting '" + name + "': " + message);
    this.name = name;
  }

  /** A problem that is not about one setting's value. */
  public ConfigException(String message) {
    super(message);
    this.name = null;
  }

  private ConfigException(String name, String message, boolean withoutValue) {
    super(message);
    this.name = name;
  }

  /** A problem with setting {@code name} whose message must not show its value (it may be a secret). */
  public static ConfigException withoutValue(String name, String message) {
    return new ConfigException(name, message, true);
  }

  /** The setting, where the problem is about one. */
  public Optional<String> name() {
    return Optional.ofNullable(name);
  }
}
