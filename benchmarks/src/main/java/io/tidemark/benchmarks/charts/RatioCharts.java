package io.tidemark.benchmarks.charts;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Draws the ratio charts of {@code docs/benchmarks.md} as SVG: for each chart below, the ratio
 * columns of one results table, one bar per row, with a line at 1 (the anchor measured in the
 * same run). The figures come from the tables themselves, so a chart never disagrees with the
 * text beside it; re-run this after updating a table:
 *
 * <pre>{@code java -cp benchmarks/target/classes io.tidemark.benchmarks.charts.RatioCharts docs}</pre>
 */
public final class RatioCharts {
  private RatioCharts() {}

  /**
   * One chart: the {@code table}-th results table (from 1) under the heading {@code section},
   * labelled by {@code labels}, with a bar per {@code ratios} column.
   */
  record Chart(String file, String section, int table, List<String> labels, List<String> ratios, String title,
      String reading) {}

  static final List<Chart> CHARTS = List.of(
      new Chart("file-store-commit.svg", "## Offset stores: commit and read latency", 2, List.of("store", "partitions"),
          List.of("`commit / anchor`"), "File store commit / raw durable write of the same bytes",
          "time ratio: below 1 is faster than the anchor"),
      new Chart("zookeeper-vs-commitsync.svg", "## ZooKeeper store: commit latency against Kafka `commitSync`", 1,
          List.of("partitions"), List.of("p50 zk/kafka", "p99 zk/kafka"),
          "ZooKeeper commit / Kafka commitSync (broker default linger)", "latency ratio: below 1 is faster than Kafka"),
      new Chart("zookeeper-vs-commitsync-linger0.svg", "## ZooKeeper store: commit latency against Kafka `commitSync`", 2,
          List.of("partitions"), List.of("p50 zk/kafka", "p99 zk/kafka"),
          "ZooKeeper commit / Kafka commitSync (append linger 0)", "latency ratio: below 1 is faster than Kafka"),
      new Chart("hbase-vs-commitsync.svg", "## HBase store: commit latency against Kafka `commitSync`", 1,
          List.of("partitions"), List.of("p50 hbase/kafka", "p99 hbase/kafka"),
          "HBase commit / Kafka commitSync (broker default linger)", "latency ratio: below 1 is faster than Kafka"),
      new Chart("hbase-vs-commitsync-linger0.svg", "## HBase store: commit latency against Kafka `commitSync`", 2,
          List.of("partitions"), List.of("p50 hbase/kafka", "p99 hbase/kafka"),
          "HBase commit / Kafka commitSync (append linger 0)", "latency ratio: below 1 is faster than Kafka"),
      new Chart("serde-vs-raw-avro.svg", "## Avro serdes against raw Avro", 1, List.of("record", "operation"),
          List.of("ours / anchor"), "Tidemark serde / raw Avro binary encoding (throughput)",
          "throughput ratio: above 1 is faster than raw Avro"),
      new Chart("serde-vs-apicurio.svg", "## Avro serdes against a peer: Apicurio's serde", 1,
          List.of("record", "operation"), List.of("ours / Apicurio"), "Tidemark serde / Apicurio serde (throughput)",
          "throughput ratio: above 1 is faster than Apicurio"));

  /** Renders every chart from the markdown of {@code docs/benchmarks.md}: file name to SVG. */
  public static Map<String, String> render(String markdown) {
    Map<String, String> svgs = new LinkedHashMap<>();
    for (Chart c : CHARTS) {
      List<List<String>> table = table(markdown, c.section(), c.table());
      List<String> header = table.get(0);
      List<String> labels = new ArrayList<>();
      List<double[]> values = new ArrayList<>();
      for (List<String> row : table.subList(1, table.size())) {
        double[] v = new double[c.ratios().size()];
        boolean numeric = true;
        for (int i = 0; i < v.length; i++) {
          String cell = row.get(column(header, c.ratios().get(i), c)).replace(",", "").replace("×", "");
          try {
            v[i] = Double.parseDouble(cell);
          } catch (NumberFormatException e) {
            numeric = false; // "n/a": the row has no anchor
          }
        }
        if (numeric) {
          List<String> label = new ArrayList<>();
          for (String l : c.labels()) {
            String cell = row.get(column(header, l, c)).replace("`", "");
            label.add(l.equals("partitions") ? cell + (cell.equals("1") ? " partition" : " partitions") : cell);
          }
          labels.add(String.join(", ", label));
          values.add(v);
        }
      }
      svgs.put(c.file(), svg(c, labels, values));
    }
    return svgs;
  }

  private static int column(List<String> header, String name, Chart c) {
    int i = header.indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException(c.file() + ": no column " + name + " in " + header);
    }
    return i;
  }

  /** The n-th table (from 1) after {@code section}'s heading and before the next {@code ## } heading. */
  static List<List<String>> table(String markdown, String section, int n) {
    int start = markdown.indexOf("\n" + section + "\n");
    if (start < 0) {
      throw new IllegalArgumentException("no heading " + section + " in docs/benchmarks.md");
    }
    int end = markdown.indexOf("\n## ", start + 1);
    String[] lines = markdown.substring(start, end < 0 ? markdown.length() : end).split("\n");
    int seen = 0;
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].startsWith("|") && (i == 0 || !lines[i - 1].startsWith("|")) && ++seen == n) {
        List<List<String>> rows = new ArrayList<>();
        for (int j = i; j < lines.length && lines[j].startsWith("|"); j++) {
          if (j != i + 1) { // the alignment row
            List<String> cells = new ArrayList<>();
            for (String cell : lines[j].substring(1, lines[j].lastIndexOf('|')).split("\\|")) {
              cells.add(cell.trim());
            }
            rows.add(cells);
          }
        }
        return rows;
      }
    }
    throw new IllegalArgumentException("no table " + n + " under " + section);
  }

  private static final String[] COLOURS = {"#2f6f9f", "#e0892b"};

  private static String svg(Chart c, List<String> labels, List<double[]> values) {
    int labelWidth = 190;
    int plotWidth = 440;
    int barHeight = 14;
    int series = c.ratios().size();
    int rowHeight = barHeight * series + 10;
    int top = 58;
    int height = top + rowHeight * labels.size() + 40;
    double max = 1.0;
    for (double[] v : values) {
      for (double x : v) {
        max = Math.max(max, x);
      }
    }
    max = Math.ceil(max * 1.15 * 2) / 2;
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
        + " font-family=\"sans-serif\" font-size=\"12\">%n", labelWidth + plotWidth + 60, height));
    s.append(String.format(Locale.ROOT, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n"));
    s.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">%s</text>%n",
        escape(c.title())));
    s.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"38\" fill=\"#555\">%s; from docs/benchmarks.md</text>%n",
        escape(c.reading())));
    for (int k = 0; k < series; k++) {
      int lx = labelWidth + k * 150;
      s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"44\" width=\"10\" height=\"10\" fill=\"%s\"/>"
          + "<text x=\"%d\" y=\"53\">%s</text>%n", lx, COLOURS[k], lx + 14, escape(c.ratios().get(k).replace("`", ""))));
    }
    for (int r = 0; r < labels.size(); r++) {
      int y = top + r * rowHeight;
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n", labelWidth - 8,
          y + rowHeight / 2 + 4, escape(labels.get(r))));
      for (int k = 0; k < series; k++) {
        double v = values.get(r)[k];
        int w = (int) Math.round(v / max * plotWidth);
        int by = y + 5 + k * barHeight;
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>"
            + "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>%n", labelWidth, by, w, barHeight - 2, COLOURS[k],
            labelWidth + w + 4, by + barHeight - 3, format(v)));
      }
    }
    int one = labelWidth + (int) Math.round(1.0 / max * plotWidth);
    int bottom = top + rowHeight * labels.size();
    s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#c00\""
        + " stroke-dasharray=\"4 3\"/>%n", one, top - 2, one, bottom + 4));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#c00\" text-anchor=\"middle\">anchor = 1</text>%n",
        one, bottom + 18));
    s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n",
        labelWidth, top - 2, labelWidth, bottom + 4));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#555\" text-anchor=\"end\">%s</text>%n",
        labelWidth + plotWidth, bottom + 18, "axis 0 to " + format(max)));
    s.append("</svg>\n");
    return s.toString();
  }

  private static String format(double v) {
    return String.format(Locale.ROOT, v >= 10 ? "%.1f×" : "%.2f×", v);
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  /** Writes every chart into {@code <docs>/benchmarks/}, reading {@code <docs>/benchmarks.md}. */
  public static void main(String[] args) throws IOException {
    Path docs = Path.of(args.length > 0 ? args[0] : "docs");
    String markdown = Files.readString(docs.resolve("benchmarks.md"), StandardCharsets.UTF_8);
    Files.createDirectories(docs.resolve("benchmarks"));
    for (Map.Entry<String, String> e : render(markdown).entrySet()) {
      Files.writeString(docs.resolve("benchmarks").resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
      System.out.println("wrote " + docs.resolve("benchmarks").resolve(e.getKey()));
    }
  }
}
