package io.tidemark.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * For tests that keep a generated document in {@code docs/} current: the test renders it from
 * the code, writes it under {@code target/}, and fails with the command that refreshes the
 * committed copy when the two differ. The repository root comes from the system property
 * {@code tidemark.root} (Tidemark's build sets it), else the module's parent directory.
 */
public final class GeneratedDocs {
  private GeneratedDocs() {}

  /**
   * Asserts that {@code docs/<relative>} equals {@code fresh}.
   *
   * @param relative the document's path under {@code docs/}, for example {@code configuration/serde-avro.md}
   */
  public static void assertCurrent(String relative, String fresh) {
    Path doc = Path.of(System.getProperty("tidemark.root", ".."), "docs").resolve(relative);
    Path generated = Path.of("target", "docs").resolve(relative);
    try {
      Files.createDirectories(generated.getParent());
      Files.writeString(generated, fresh, StandardCharsets.UTF_8);
      assertThat(doc).as("the generated document %s", relative).exists();
      assertThat(Files.readString(doc, StandardCharsets.UTF_8))
          .as("%s is stale: cp %s %s (it was just generated)", doc.normalize(), generated.toAbsolutePath(),
              doc.toAbsolutePath().normalize())
          .isEqualTo(fresh);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
