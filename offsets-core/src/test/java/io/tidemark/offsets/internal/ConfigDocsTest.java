package io.tidemark.offsets.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.offsets.OffsetStores;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration/offsets-core.md is generated from the declared settings; this fails when it is stale. */
class ConfigDocsTest {
  private static final Path DOC = Path.of(System.getProperty("tidemark.root", ".."), "docs", "configuration",
      "offsets-core.md");

  @Test
  void theCommittedReferenceMatchesTheDeclaredSettings() throws Exception {
    String fresh = ConfigDocs.render(OffsetStores.providers());
    Path generated = Path.of("target", "configuration", "offsets-core.md");
    Files.createDirectories(generated.getParent());
    Files.writeString(generated, fresh, StandardCharsets.UTF_8);

    assertThat(fresh).contains("## file: store (`file:`)").contains("| `file.fsync` | boolean | `true` |")
        .contains("| `history.max.entries` | int | `1000` | [1, 1000000] |");
    assertThat(DOC).as("the configuration reference").exists();
    assertThat(Files.readString(DOC, StandardCharsets.UTF_8))
        .as("%s is stale: copy offsets-core/%s over it (it was just generated)", DOC.normalize(), generated)
        .isEqualTo(fresh);
  }
}
