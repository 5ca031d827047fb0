package io.tidemark.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/** The {@code Shipment} schemas ({@code src/main/resources/avro}) and records of them. */
public final class Shipments {
  /** Version 1: order, product, quantity, warehouse, time. */
  public static final Schema V1 = load("shipment-v1.avsc");
  /** Version 2: v1 and an optional {@code carrier} (default null): readers of either read both. */
  public static final Schema V2 = load("shipment-v2.avsc");
  /** An incompatible version: {@code quantity} becomes a string. */
  public static final Schema V3_INCOMPATIBLE = load("shipment-v3-incompatible.avsc");
  /** The products the demo and the tests ship. */
  public static final List<String> PRODUCTS = List.of("anchor", "buoy", "compass", "lantern", "rope");

  private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm").withZone(ZoneOffset.UTC);

  private Shipments() {}

  /** A schema from the class path's {@code avro/} directory. */
  public static Schema load(String file) {
    try (InputStream in = Shipments.class.getResourceAsStream("/avro/" + file)) {
      if (in == null) {
        throw new IllegalStateException("no avro/" + file + " on the class path");
      }
      return new Schema.Parser().parse(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A v1 shipment. */
  public static GenericRecord v1(String orderId, String product, int quantity, String warehouse, Instant shippedAt) {
    return shipment(V1, orderId, product, quantity, warehouse, shippedAt);
  }

  /** A v2 shipment ({@code carrier} may be null). */
  public static GenericRecord v2(String orderId, String product, int quantity, String warehouse, Instant shippedAt,
      String carrier) {
    GenericRecord r = shipment(V2, orderId, product, quantity, warehouse, shippedAt);
    r.put("carrier", carrier);
    return r;
  }

  private static GenericRecord shipment(Schema schema, String orderId, String product, int quantity, String warehouse,
      Instant shippedAt) {
    GenericRecord r = new GenericData.Record(schema);
    r.put("orderId", orderId);
    r.put("product", product);
    r.put("quantity", quantity);
    r.put("warehouse", warehouse);
    r.put("shippedAt", shippedAt.toEpochMilli());
    return r;
  }

  /** The UTC minute of an epoch-millisecond time, as {@code 2026-11-26T07:01}. */
  public static String minute(long epochMillis) {
    return MINUTE.format(Instant.ofEpochMilli(epochMillis).truncatedTo(ChronoUnit.MINUTES));
  }
}
