package io.tidemark.offsets.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.testkit.GeneratedDocs;
import org.junit.jupiter.api.Test;

/** docs/configuration/offsets-zookeeper.md is generated from the zk: store's settings; this fails when it is stale. */
class ZooKeeperConfigDocsTest {

  static String render() {
    return "# ZooKeeper offset store settings\n\n"
        + "Generated from the settings the `zk:` store declares; do not edit by hand. Settings go in the store URI's\n"
        + "query (`zk://zk1:2181,zk2:2181/tidemark?zk.session.timeout=20s`) or in the map passed to\n"
        + "`OffsetStores.open(uri, config)`. Secrets (`zk.auth.digest`, `zk.acl.read-only`) are better passed in\n"
        + "the map than in the URI, which may end up in logs of other tools. The layout and the guarantees are in\n"
        + "[the ZooKeeper store guide](../offsets-zookeeper.md).\n\n"
        + new ZooKeeperStoreProvider().configDef().markdownTable();
  }

  @Test
  void theCommittedReferenceMatchesTheDeclaredSettings() {
    String fresh = render();
    assertThat(fresh).contains("| `zk.session.timeout` | duration | `30s` |").contains("| `zk.auth.digest` | password |");
    GeneratedDocs.assertCurrent("configuration/offsets-zookeeper.md", fresh);
  }
}
