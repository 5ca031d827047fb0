package io.tidemark.serde.avro.compat;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

/**
 * Checks a new schema against registered ones at a {@link CompatibilityLevel}, locally, before
 * registering: on Avro's {@link SchemaCompatibility}. The result lists every incompatibility with
 * its location in the schema (a JSON pointer such as {@code /fields/2/type}).
 */
public final class CompatibilityChecker {
  private CompatibilityChecker() {}

  /** One reason the schemas are incompatible. */
  public record Incompatibility(String direction, int againstVersion, String type, String location, String message) {
    @Override
    public String toString() {
      return direction + " against version " + againstVersion + ": " + type + " at " + location + ": " + message;
    }
  }

  /** The outcome: compatible when there is no incompatibility. */
  public record Result(CompatibilityLevel level, List<Incompatibility> incompatibilities) {
    public boolean compatible() {
      return incompatibilities.isEmpty();
    }
  }

  /**
   * Checks {@code candidate} against {@code registered} (oldest first; versions are numbered from
   * 1 in that order) at {@code level}.
   */
  public static Result check(Schema candidate, List<Schema> registered, CompatibilityLevel level) {
    Objects.requireNonNull(candidate, "candidate");
    List<Incompatibility> found = new ArrayList<>();
    if (level != CompatibilityLevel.NONE && !registered.isEmpty()) {
      int first = level.transitive() ? 0 : registered.size() - 1;
      for (int i = first; i < registered.size(); i++) {
        Schema existing = registered.get(i);
        if (level.backward()) {
          collect("backward (the new schema reading data of the old)", i + 1, candidate, existing, found);
        }
        if (level.forward()) {
          collect("forward (the old schema reading data of the new)", i + 1, existing, candidate, found);
        }
      }
    }
    return new Result(level, List.copyOf(found));
  }

  private static void collect(String direction, int version, Schema reader, Schema writer, List<Incompatibility> out) {
    SchemaCompatibility.SchemaPairCompatibility pair = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
    for (SchemaCompatibility.Incompatibility i : pair.getResult().getIncompatibilities()) {
      out.add(new Incompatibility(direction, version, i.getType().name(), i.getLocation(), i.getMessage()));
    }
  }
}
