package io.tidemark.offsets.internal;

import io.tidemark.offsets.spi.ConfigDef;
import io.tidemark.offsets.spi.ConfigKey;

/** The settings of the built-in stores. */
public final class CoreSettings {
  private CoreSettings() {}

  /** History entries kept per job. */
  public static final ConfigKey<Integer> HISTORY_MAX_ENTRIES = ConfigKey.integer("history.max.entries", 1000, 1,
      1_000_000, "History entries kept per job (commits and rewinds); older ones are pruned. A rewind to a batch"
          + " needs every entry after it.");

  /** Whether the file store fsyncs. */
  public static final ConfigKey<Boolean> FILE_FSYNC = ConfigKey.bool("file.fsync", true,
      "fsync each written file and its directory before a commit returns. With false a commit survives a"
          + " process crash but not a power loss or kernel crash.");

  /** Whether the file store creates its directory. */
  public static final ConfigKey<Boolean> FILE_CREATE = ConfigKey.bool("file.create", true,
      "Create the store directory if it does not exist; with false a missing directory is an error.");

  /** The settings of {@code memory:}. */
  public static ConfigDef memory() {
    return new ConfigDef("memory: store").define(HISTORY_MAX_ENTRIES);
  }

  /** The settings of {@code file:}. */
  public static ConfigDef file() {
    return new ConfigDef("file: store").define(HISTORY_MAX_ENTRIES).define(FILE_FSYNC).define(FILE_CREATE);
  }
}
