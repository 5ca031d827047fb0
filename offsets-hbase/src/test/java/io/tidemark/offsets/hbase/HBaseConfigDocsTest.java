package io.tidemark.offsets.hbase;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration/offsets-hbase.md is generated from the hbase: store's settings; this fails when it is stale. */
class HBaseConfigDocsTest {
  private static final Path DOC = Path.of(System.getProperty("tidemark.root", ".."), "docs", "configuration",
      "offsets-hbase.md");

  static String render() {
    return "# HBase offset store settings\n\n"
        + "Generated from the settings the `hbase:` store declares; do not edit by hand. Settings go in the store URI's\n"
        + "query (`hbase://zk1:2181,zk2:2181/tidemark:offsets?hbase.create.table=true`) or in the map passed to\n"
        + "`OffsetStores.open(uri, config)`. The table design and the guarantees are in\n"
        + "[the HBase store guide](../offsets-hbase.md).\n\n"
        + new HBaseStoreProvider().configDef().markdownTable();
  }

  @Test
  void theCommittedReferenceMatchesTheDeclaredSettings() throws Exception {
    String fresh = render();
    Path generated = Path.of("target", "configuration", "offsets-hbase.md");
    Files.createDirectories(generated.getParent());
    Files.writeString(generated, fresh, StandardCharsets.UTF_8);

    assertThat(fresh).contains("| `history.ttl` | duration | `30d` |").contains("| `hbase.create.table` | boolean | `false` |");
    assertThat(DOC).as("the configuration reference").exists();
    assertThat(Files.readString(DOC, StandardCharsets.UTF_8))
        .as("%s is stale: copy offsets-hbase/%s over it (it was just generated)", DOC.normalize(), generated)
        .isEqualTo(fresh);
  }
}
