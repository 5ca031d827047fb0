package io.tidemark.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A command's answer: rows under named columns, printed as an aligned table or as JSON. */
final class Output {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final ObjectMapper LINE = new ObjectMapper();

  private final List<String> columns;
  private final List<List<Object>> rows = new ArrayList<>();

  Output(String... columns) {
    this.columns = List.of(columns);
  }

  Output row(Object... cells) {
    if (cells.length != columns.size()) {
      throw new IllegalArgumentException("a row of " + cells.length + " cells under " + columns);
    }
    rows.add(java.util.Arrays.asList(cells));
    return this;
  }

  boolean isEmpty() {
    return rows.isEmpty();
  }

  /** The rows as JSON objects keyed by column (numbers stay numbers). */
  List<Map<String, Object>> objects() {
    List<Map<String, Object>> objects = new ArrayList<>();
    for (List<Object> row : rows) {
      Map<String, Object> o = new LinkedHashMap<>();
      for (int i = 0; i < columns.size(); i++) {
        o.put(columns.get(i), row.get(i));
      }
      objects.add(o);
    }
    return objects;
  }

  void print(PrintWriter out, boolean json) {
    if (json) {
      printJson(out, objects());
      return;
    }
    int[] widths = new int[columns.size()];
    for (int i = 0; i < widths.length; i++) {
      widths[i] = columns.get(i).length();
      for (List<Object> row : rows) {
        widths[i] = Math.max(widths[i], text(row.get(i)).length());
      }
    }
    line(out, widths, new ArrayList<>(columns));
    for (List<Object> row : rows) {
      line(out, widths, row);
    }
    out.flush();
  }

  static void printJson(PrintWriter out, Object value) {
    try {
      out.println(JSON.writeValueAsString(value));
      out.flush();
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code value} as JSON on one line. */
  static String json(Object value) {
    try {
      return LINE.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A JSON object of strings, as {@link #json} writes a {@code Map<String, String>}; IllegalArgumentException otherwise. */
  static Map<String, String> parseStringMap(String text) {
    try {
      return LINE.readValue(text, new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() {});
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a JSON object of strings: " + e.getOriginalMessage(), e);
    }
  }

  private static String text(Object cell) {
    return cell == null ? "-" : cell.toString();
  }

  private static void line(PrintWriter out, int[] widths, List<?> cells) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < widths.length; i++) {
      String t = text(cells.get(i));
      boolean number = cells.get(i) instanceof Number;
      b.append(number ? " ".repeat(widths[i] - t.length()) + t : t + " ".repeat(widths[i] - t.length()));
      if (i < widths.length - 1) {
        b.append("  ");
      }
    }
    out.println(b.toString().stripTrailing());
  }
}
