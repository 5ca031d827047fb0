package io.tidemark.offsets.hbase;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.testkit.GeneratedDocs;
import org.junit.jupiter.api.Test;

/** docs/configuration/offsets-hbase.md is generated from the hbase: store's settings; this fails when it is stale. */
class HBaseConfigDocsTest {

  static String render() {
    return "# HBase offset store settings\n\n"
        + "Generated from the settings the `hbase:` store declares; do not edit by hand. Settings go in the store URI's\n"
        + "query (`hbase://zk1:2181,zk2:2181/tidemark:offsets?hbase.create.table=true`) or in the map passed to\n"
        + "`OffsetStores.open(uri, config)`. The table design and the guarantees are in\n"
        + "[the HBase store guide](../offsets-hbase.md).\n\n"
        + new HBaseStoreProvider().configDef().markdownTable();
  }

  @Test
  void theCommittedReferenceMatchesTheDeclaredSettings() {
    String fresh = render();
    assertThat(fresh).contains("| `history.ttl` | duration | `30d` |").contains("| `hbase.create.table` | boolean | `false` |");
    GeneratedDocs.assertCurrent("configuration/offsets-hbase.md", fresh);
  }
}
