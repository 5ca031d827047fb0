package io.tidemark.examples.demo;

import io.tidemark.examples.dashboard.ShipmentLine;
import io.tidemark.spark.DeliveryGuarantee;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * The demo's check of an output against what was produced, record by record (by source
 * partition and offset): how many were consumed, duplicated, lost, or written with other content
 * than produced; and whether that is what the guarantee allows.
 *
 * @param guarantee the guarantee the job ran with
 * @param expected records the demo set out to produce
 * @param produced records produced (acknowledged by the broker)
 * @param consumed distinct produced records found in the output
 * @param duplicated extra copies of records in the output
 * @param lost produced records missing from the output
 * @param wrong output lines that match no produced record, or differ from it
 */
public record Verification(DeliveryGuarantee guarantee, long expected, long produced, long consumed, long duplicated, long lost,
    long wrong) {

  /**
   * Compares {@code output} with {@code produced} (partition, then offset, to the line it should
   * give), of the {@code expected} records the demo meant to produce.
   */
  public static Verification of(long expected, Map<TopicPartition, Map<Long, ShipmentLine>> produced,
      Collection<ShipmentLine> output, DeliveryGuarantee guarantee) {
    Map<ShipmentLine, Integer> seen = new HashMap<>();
    long wrong = 0;
    for (ShipmentLine line : output) {
      Map<Long, ShipmentLine> partition = produced.get(new TopicPartition(line.topic(), line.partition()));
      ShipmentLine source = partition == null ? null : partition.get(line.offset());
      if (!line.equals(source)) {
        wrong++;
      } else {
        seen.merge(line, 1, Integer::sum);
      }
    }
    long total = produced.values().stream().mapToLong(Map::size).sum();
    long duplicated = seen.values().stream().mapToLong(n -> n - 1).sum();
    return new Verification(guarantee, expected, total, seen.size(), duplicated, total - seen.size(), wrong);
  }

  private boolean duplicatesAllowed() {
    return guarantee == DeliveryGuarantee.AT_LEAST_ONCE;
  }

  private boolean lossesAllowed() {
    return guarantee == DeliveryGuarantee.AT_MOST_ONCE;
  }

  /** Whether the output is what the guarantee promises. */
  public boolean passed() {
    return produced == expected && wrong == 0 && (duplicated == 0 || duplicatesAllowed()) && (lost == 0 || lossesAllowed());
  }

  /** The verification table. */
  public String table(int restarts) {
    String name = guarantee.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    StringBuilder b = new StringBuilder();
    b.append(String.format("Verification (%s, %d driver kill%s)%n", name, restarts, restarts == 1 ? "" : "s"));
    b.append(String.format("  %-22s %10s   %-12s%n", "", "records", "allowed"));
    b.append(String.format("  %-22s %,10d   %-12s %s%n", "produced", produced, String.format("%,d", expected),
        produced == expected ? "ok" : "NOT OK"));
    b.append(String.format("  %-22s %,10d%n", "consumed (distinct)", consumed));
    b.append(row("duplicated", duplicated, duplicatesAllowed() ? "any" : "0"));
    b.append(row("lost", lost, lossesAllowed() ? "any" : "0"));
    b.append(row("wrong content", wrong, "0"));
    b.append(String.format("  %s%n", passed() ? "PASS: the output keeps the " + name + " promise"
        : "FAIL: the output breaks the " + name + " promise"));
    return b.toString();
  }

  private static String row(String what, long n, String allowed) {
    boolean ok = allowed.equals("any") || n == 0;
    return String.format("  %-22s %,10d   %-12s %s%n", what, n, allowed, ok ? "ok" : "NOT OK");
  }
}
