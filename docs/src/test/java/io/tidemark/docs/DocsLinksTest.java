package io.tidemark.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every relative link in README.md and docs/ resolves: the file exists, and a {@code #fragment}
 * names a heading of that file (GitHub's anchors). Links to the web are not followed.
 */
class DocsLinksTest {
  private static final Path ROOT = Path.of(System.getProperty("tidemark.root", "..")).toAbsolutePath().normalize();
  private static final Pattern LINK = Pattern.compile("!?\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
  private static final Pattern FENCE = Pattern.compile("(?ms)^```.*?^```");

  static List<Path> documents() throws IOException {
    List<Path> docs = new ArrayList<>(List.of(ROOT.resolve("README.md")));
    try (Stream<Path> all = Files.walk(ROOT.resolve("docs"))) {
      all.filter(p -> p.toString().endsWith(".md") && !p.toString().contains("/target/")).sorted().forEach(docs::add);
    }
    return docs;
  }

  /** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
  static String anchor(String heading) {
    String text = heading.replaceAll("`", "").trim().toLowerCase(Locale.ROOT);
    StringBuilder b = new StringBuilder();
    for (char c : text.toCharArray()) {
      if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
        b.append(c);
      } else if (c == ' ') {
        b.append('-');
      }
    }
    return b.toString();
  }

  static Set<String> anchors(Path doc) throws IOException {
    Set<String> anchors = new HashSet<>();
    String text = FENCE.matcher(Files.readString(doc, StandardCharsets.UTF_8)).replaceAll("");
    for (String line : text.split("\n")) {
      if (line.startsWith("#")) {
        anchors.add(anchor(line.replaceFirst("^#+", "")));
      }
    }
    return anchors;
  }

  @Test
  void everyRelativeLinkResolves() throws IOException {
    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (Path doc : documents()) {
      String text = FENCE.matcher(Files.readString(doc, StandardCharsets.UTF_8)).replaceAll("");
      Matcher m = LINK.matcher(text);
      while (m.find()) {
        String link = m.group(1);
        if (link.matches("^[a-z]+:.*")) {
          continue; // https:, mailto:
        }
        checked++;
        int hash = link.indexOf('#');
        String file = hash < 0 ? link : link.substring(0, hash);
        Path target = file.isEmpty() ? doc : doc.getParent().resolve(file).normalize();
        String where = ROOT.relativize(doc) + ": " + link;
        if (!Files.exists(target)) {
          broken.add(where + " (no such file)");
        } else if (hash >= 0 && target.toString().endsWith(".md") && !anchors(target).contains(link.substring(hash + 1))) {
          broken.add(where + " (no such heading; headings: " + anchors(target) + ")");
        }
      }
    }
    assertThat(checked).as("links checked").isGreaterThan(30);
    assertThat(broken).as("broken links").isEmpty();
  }

  @Test
  void anchorsFollowGitHub() {
    assertThat(anchor(" The `file:` store on disk")).isEqualTo("the-file-store-on-disk");
    assertThat(anchor(" Try it: one command")).isEqualTo("try-it-one-command");
  }
}
