package io.tidemark.benchmarks.charts;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.testkit.GeneratedDocs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The committed charts in docs/benchmarks/ are the ones the tables of docs/benchmarks.md give, and the page shows each. */
class RatioChartsTest {
  private static final Path DOCS = Path.of(System.getProperty("tidemark.root", ".."), "docs");

  @Test
  void everyChartIsCurrentAndShown() throws Exception {
    String markdown = Files.readString(DOCS.resolve("benchmarks.md"), StandardCharsets.UTF_8);
    Map<String, String> charts = RatioCharts.render(markdown);
    assertThat(charts).hasSize(RatioCharts.CHARTS.size());
    for (Map.Entry<String, String> c : charts.entrySet()) {
      GeneratedDocs.assertCurrent("benchmarks/" + c.getKey(), c.getValue());
      assertThat(markdown).as("docs/benchmarks.md shows %s", c.getKey()).contains("(benchmarks/" + c.getKey() + ")");
    }
  }

  @Test
  void tablesAreReadRowByRowWithTheAlignmentRowLeftOut() {
    String md = "\n## S\n\n| store | partitions | `commit / anchor` |\n|---|---:|---:|\n| `file` | 1 | 1.05 |\n"
        + "| `memory` | 1 | n/a |\n| `file` | 10,000 | 4.51 |\n";
    List<List<String>> table = RatioCharts.table(md, "## S", 1);
    assertThat(table).hasSize(4);
    assertThat(table.get(2)).containsExactly("`memory`", "1", "n/a");
  }
}
