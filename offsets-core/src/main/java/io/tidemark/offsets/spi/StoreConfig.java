package io.tidemark.offsets.spi;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/** Parsed, validated settings; values not given fall back to each setting's default. Immutable. */
public final class StoreConfig {
  private final ConfigDef def;
  private final Map<String, Object> values;

  StoreConfig(ConfigDef def, Map<String, Object> values) {
    this.def = def;
    this.values = Map.copyOf(values);
  }

  /** The value of {@code key}: the one given, else its default. */
  public <T> T get(ConfigKey<T> key) {
    return find(key).orElseThrow(() -> new io.tidemark.offsets.ConfigException(key.name(), null,
        "this setting has no default and must be given (" + key.doc() + ")"));
  }

  /** The value of {@code key} if given or defaulted. */
  @SuppressWarnings("unchecked")
  public <T> Optional<T> find(ConfigKey<T> key) {
    if (def.key(key.name()) == null) {
      throw new IllegalArgumentException("setting " + key.name() + " is not declared for " + def.component());
    }
    Object v = values.get(key.name());
    return v != null ? Optional.of((T) v) : key.defaultValue();
  }

  /** Whether the user gave {@code key} explicitly. */
  public boolean isSet(ConfigKey<?> key) {
    return values.containsKey(key.name());
  }

  @Override
  public String toString() {
    return values.entrySet().stream()
        .map(e -> e.getKey() + "=" + (def.key(e.getKey()).type() == ConfigKey.Type.PASSWORD ? "[hidden]" : e.getValue()))
        .collect(Collectors.joining(", ", "{", "}"));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StoreConfig c && c.values.equals(values) && c.def == def;
  }

  @Override
  public int hashCode() {
    return Objects.hash(values);
  }
}
