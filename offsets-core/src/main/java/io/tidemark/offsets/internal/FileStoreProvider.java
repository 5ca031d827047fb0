package io.tidemark.offsets.internal;

import io.tidemark.offsets.ConfigException;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.spi.ConfigDef;
import io.tidemark.offsets.spi.OffsetStoreProvider;
import io.tidemark.offsets.spi.StoreConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;

/** Opens {@code file:} stores: {@code file:/absolute/dir} or {@code file:relative/dir}. */
public final class FileStoreProvider implements OffsetStoreProvider {
  @Override
  public String scheme() {
    return "file";
  }

  @Override
  public ConfigDef configDef() {
    return CoreSettings.file();
  }

  @Override
  public OffsetStore open(URI uri, StoreConfig config) {
    String path = uri.getPath() != null ? uri.getPath() : uri.getSchemeSpecificPart().replaceFirst("\\?.*$", "");
    if (path == null || path.isEmpty()) {
      throw new ConfigException("file: store URI '" + uri + "' names no directory; use file:/var/lib/tidemark/offsets");
    }
    if (uri.getAuthority() != null && !uri.getAuthority().isEmpty()) {
      throw new ConfigException("file: store URI '" + uri + "' names host '" + uri.getAuthority()
          + "'; the file store is local: use file:/path or file:///path");
    }
    return new FileOffsetStore(Path.of(path), config.get(CoreSettings.FILE_CREATE), config.get(CoreSettings.FILE_FSYNC),
        config.get(CoreSettings.HISTORY_MAX_ENTRIES), Clock.systemUTC());
  }
}
