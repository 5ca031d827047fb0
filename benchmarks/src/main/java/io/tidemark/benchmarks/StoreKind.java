package io.tidemark.benchmarks;

import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/** The stores a benchmark can run against, by the label its {@code store} parameter takes. */
enum StoreKind {
  /** {@code memory:}, state in this JVM. */
  MEMORY("memory"),
  /** {@code file:} with its default {@code file.fsync=true}: each file and its directory fsynced before a commit returns. */
  FILE("file"),
  /** {@code file:} with {@code file.fsync=false}: durable against a process crash, not a power loss. */
  FILE_NOFSYNC("file-nofsync");

  /**
   * History entries every benchmarked store keeps ({@code history.max.entries}, default 1000).
   * Lower than the default so that a run reaches the steady state of a long-running job, where
   * each commit prunes the oldest entry, within a few iterations, and so that 10,000-partition
   * histories stay small in the heap and on disk.
   */
  static final int HISTORY_MAX_ENTRIES = 100;

  private final String label;

  StoreKind(String label) {
    this.label = label;
  }

  /** The kind labelled {@code label}. */
  static StoreKind of(String label) {
    for (StoreKind k : values()) {
      if (k.label.equals(label)) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown store '" + label + "'; use memory, file or file-nofsync");
  }

  /** Whether the store lives in a directory. */
  boolean usesFiles() {
    return this != MEMORY;
  }

  /** The {@code file.fsync} setting of a file store. */
  boolean fsync() {
    return this == FILE;
  }

  /**
   * Opens a store of this kind. A memory store is new and empty at each open; a file store
   * lives in {@code dir} (ignored for memory), which it creates if missing.
   */
  OffsetStore open(Path dir) {
    if (this == MEMORY) {
      return OffsetStores.open(URI.create("memory:benchmark"), Map.of("history.max.entries", HISTORY_MAX_ENTRIES));
    }
    return OffsetStores.open(dir.toUri(), Map.of("history.max.entries", HISTORY_MAX_ENTRIES, "file.fsync", fsync()));
  }

  @Override
  public String toString() {
    return label;
  }
}
