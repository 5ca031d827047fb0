package io.tidemark.offsets.internal;

import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.spi.ConfigDef;
import io.tidemark.offsets.spi.OffsetStoreProvider;
import io.tidemark.offsets.spi.StoreConfig;
import java.net.URI;
import java.time.Clock;

/** Opens {@code memory:} stores; each open is a new, empty store. */
public final class MemoryStoreProvider implements OffsetStoreProvider {
  @Override
  public String scheme() {
    return "memory";
  }

  @Override
  public ConfigDef configDef() {
    return CoreSettings.memory();
  }

  @Override
  public OffsetStore open(URI uri, StoreConfig config) {
    String name = uri.getSchemeSpecificPart() == null ? "" : uri.getSchemeSpecificPart().replaceFirst("\\?.*$", "");
    return new MemoryOffsetStore(name, config.get(CoreSettings.HISTORY_MAX_ENTRIES), Clock.systemUTC());
  }
}
