package io.tidemark.offsets.internal;

import io.tidemark.offsets.OffsetStores;
import io.tidemark.offsets.spi.OffsetStoreProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Generates the configuration reference of the offset stores from their declared settings, so
 * the docs cannot drift from the code. {@code main(outputFile)} writes it; a test fails when the
 * committed file differs.
 */
public final class ConfigDocs {
  private ConfigDocs() {}

  /** The reference for every provider on the classpath, in scheme order. */
  public static String render(Map<String, OffsetStoreProvider> providers) {
    StringBuilder b = new StringBuilder();
    b.append("# Offset store settings\n\n");
    b.append("Generated from the settings each store declares; do not edit by hand. Settings go in the store URI's\n");
    b.append("query (`file:/var/lib/tidemark/offsets?history.max.entries=100`) or in the map passed to\n");
    b.append("`OffsetStores.open(uri, config)`; an unknown setting is refused with the list of known ones.\n");
    for (OffsetStoreProvider p : providers.values()) {
      b.append("\n## ").append(p.configDef().component()).append(" (`").append(p.scheme()).append(":`)\n\n");
      b.append(p.configDef().markdownTable());
    }
    b.append("\n## ").append(MirrorSettings.def().component()).append(" (`mirror.*`)\n\n");
    b.append("These go with any store's settings, `zk://` and `hbase://` included; see `ConsumerGroupMirror`.\n\n");
    b.append(MirrorSettings.def().markdownTable());
    return b.toString();
  }

  /** Writes the reference of the providers on the classpath to {@code args[0]}. */
  public static void main(String[] args) throws IOException {
    Path out = Path.of(args[0]);
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, render(OffsetStores.providers()), StandardCharsets.UTF_8);
  }
}
