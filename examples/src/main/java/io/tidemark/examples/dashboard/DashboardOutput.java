package io.tidemark.examples.dashboard;

import io.tidemark.spark.sink.FileBatchSink;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.hbase.Cell;
import org.apache.hadoop.hbase.CellUtil;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.client.ResultScanner;
import org.apache.hadoop.hbase.client.Scan;
import org.apache.hadoop.hbase.client.Table;

/** Reads what {@link DashboardJob} wrote, and shows it as the dashboard's table. */
public final class DashboardOutput {
  /** The prefix of the directories that at-least-once and at-most-once runs write, one per batch attempt. */
  public static final String ATTEMPT_PREFIX = "attempt-";

  private DashboardOutput() {}

  /**
   * Every line of a files output: the published batches ({@code batch-*}) of an exactly-once run
   * and the batch attempts ({@code attempt-*}) of the others; pending and replaced batches are not
   * output. A record written by two attempts is read twice.
   */
  public static List<ShipmentLine> readFiles(Path root) throws IOException {
    List<ShipmentLine> lines = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return lines;
    }
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path dir : dirs.filter(d -> {
        String n = d.getFileName().toString();
        return n.startsWith(FileBatchSink.BATCH_PREFIX) || n.startsWith(ATTEMPT_PREFIX);
      }).sorted().toList()) {
        try (Stream<Path> parts = Files.list(dir)) {
          for (Path part : parts.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList()) {
            for (String line : Files.readAllLines(part, StandardCharsets.UTF_8)) {
              lines.add(ShipmentLine.parse(line));
            }
          }
        }
      }
    }
    return lines;
  }

  /** Every cell of the dashboard's HBase table, as lines (a record is one cell: it is read once). */
  public static List<ShipmentLine> readHBase(Connection connection, TableName table) throws IOException {
    List<ShipmentLine> lines = new ArrayList<>();
    try (Table t = connection.getTable(table); ResultScanner scanner = t.getScanner(new Scan())) {
      for (Result row : scanner) {
        String key = new String(row.getRow(), StandardCharsets.UTF_8);
        int slash = key.lastIndexOf('/');
        for (Cell c : row.rawCells()) {
          String source = new String(CellUtil.cloneQualifier(c), StandardCharsets.UTF_8);
          int b = source.lastIndexOf('/');
          int a = source.lastIndexOf('/', b - 1);
          lines.add(new ShipmentLine(key.substring(0, slash), key.substring(slash + 1),
              Integer.parseInt(new String(CellUtil.cloneValue(c), StandardCharsets.UTF_8)), source.substring(0, a),
              Integer.parseInt(source.substring(a + 1, b)), Long.parseLong(source.substring(b + 1))));
        }
      }
    }
    return lines;
  }

  /** Units shipped per minute and product. */
  public static NavigableMap<String, Map<String, Long>> unitsPerMinute(Collection<ShipmentLine> lines) {
    NavigableMap<String, Map<String, Long>> units = new TreeMap<>();
    for (ShipmentLine l : lines) {
      units.computeIfAbsent(l.minute(), m -> new TreeMap<>()).merge(l.product(), (long) l.quantity(), Long::sum);
    }
    return units;
  }

  /** The dashboard: units shipped per minute (the last {@code minutes} minutes) and product, as a text table. */
  public static String table(Collection<ShipmentLine> lines, List<String> products, int minutes) {
    NavigableMap<String, Map<String, Long>> units = unitsPerMinute(lines);
    StringBuilder b = new StringBuilder(String.format("%-17s", "minute (UTC)"));
    products.forEach(p -> b.append(String.format(" %9s", p)));
    b.append('\n');
    List<String> shown = new ArrayList<>(units.descendingKeySet()).subList(0, Math.min(minutes, units.size()));
    java.util.Collections.reverse(shown);
    for (String minute : shown) {
      b.append(String.format("%-17s", minute));
      products.forEach(p -> b.append(String.format(" %,9d", units.get(minute).getOrDefault(p, 0L))));
      b.append('\n');
    }
    return b.toString();
  }
}
