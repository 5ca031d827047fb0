package io.tidemark.offsets.spi;

import io.tidemark.offsets.ConfigException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The settings a component accepts, in declaration order. {@link #parse} turns raw values (from a
 * URI's query and a config map) into a {@link StoreConfig}, refusing unknown names so that a typo
 * never goes unnoticed.
 */
public final class ConfigDef {
  private final String component;
  private final Map<String, ConfigKey<?>> keys = new LinkedHashMap<>();

  /** Settings of {@code component} (a heading in the generated docs, for example "file: store"). */
  public ConfigDef(String component) {
    this.component = Objects.requireNonNull(component, "component");
  }

  /** Adds a setting; names are unique. */
  public ConfigDef define(ConfigKey<?> key) {
    if (keys.putIfAbsent(key.name(), key) != null) {
      throw new IllegalArgumentException("setting " + key.name() + " is declared twice in " + component);
    }
    return this;
  }

  /** Adds every setting of {@code other}. */
  public ConfigDef defineAll(ConfigDef other) {
    other.keys().forEach(this::define);
    return this;
  }

  /** The component these settings belong to. */
  public String component() {
    return component;
  }

  /** The settings, in declaration order. */
  public List<ConfigKey<?>> keys() {
    return Collections.unmodifiableList(new ArrayList<>(keys.values()));
  }

  /**
   * The settings as a Markdown table (setting, type, default, valid values, description), for
   * generated configuration references.
   */
  public String markdownTable() {
    StringBuilder b = new StringBuilder();
    b.append("| setting | type | default | valid values | description |\n");
    b.append("|---|---|---|---|---|\n");
    for (ConfigKey<?> key : keys.values()) {
      b.append("| `").append(key.name()).append("` | ").append(key.type().name().toLowerCase(Locale.ROOT))
          .append(" | ").append(key.defaultForDocs().isEmpty() ? "" : "`" + key.defaultForDocs() + "`")
          .append(" | ").append(key.validValues())
          .append(" | ").append(key.doc().replace("|", "\\|")).append(" |\n");
    }
    return b.toString();
  }

  /**
   * Parses raw values. Names not declared here are refused with the list of known ones.
   *
   * @throws ConfigException for an unknown name or a bad value
   */
  public StoreConfig parse(Map<String, ?> raw) {
    Map<String, Object> values = new LinkedHashMap<>();
    for (Map.Entry<String, ?> e : raw.entrySet()) {
      ConfigKey<?> key = keys.get(e.getKey());
      if (key == null) {
        throw ConfigException.withoutValue(e.getKey(), "unknown setting '" + e.getKey() + "' for " + component
            + " (its value is not shown, in case it is a secret); known settings: " + String.join(", ", keys.keySet()));
      }
      if (e.getValue() == null) {
        throw new ConfigException(e.getKey(), null, "a value is required");
      }
      values.put(key.name(), key.parse(e.getValue()));
    }
    return new StoreConfig(this, values);
  }

  ConfigKey<?> key(String name) {
    return keys.get(name);
  }
}
