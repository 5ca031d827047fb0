package io.tidemark.examples.dashboard;

import io.tidemark.examples.Shipments;
import io.tidemark.spark.avro.DecodedRecord;
import io.tidemark.spark.sink.HBaseRecordWriter.SourcedCell;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import org.apache.avro.generic.GenericRecord;

/**
 * What the dashboard keeps of one shipment: its minute, product and quantity, and the Kafka record
 * it came from (so that outputs can be checked record by record, and replays overwrite).
 *
 * @param minute the UTC minute it shipped, {@code yyyy-MM-ddTHH:mm}
 * @param product the product
 * @param quantity the units shipped
 * @param topic the source topic
 * @param partition the source partition
 * @param offset the source offset
 */
public record ShipmentLine(String minute, String product, int quantity, String topic, int partition, long offset)
    implements Serializable {

  /** From a decoded {@code Shipment} (any version). */
  public static ShipmentLine of(DecodedRecord<GenericRecord> r) {
    GenericRecord s = r.value();
    return new ShipmentLine(Shipments.minute((Long) s.get("shippedAt")), s.get("product").toString(),
        (Integer) s.get("quantity"), r.topic(), r.partition(), r.offset());
  }

  /** The line in a file output: {@code minute,product,quantity,topic,partition,offset}. */
  public String format() {
    return String.join(",", minute, product, String.valueOf(quantity), topic, String.valueOf(partition),
        String.valueOf(offset));
  }

  /** The inverse of {@link #format()}. */
  public static ShipmentLine parse(String line) {
    String[] f = line.split(",", -1);
    if (f.length != 6) {
      throw new IllegalArgumentException("not a shipment line: " + line);
    }
    return new ShipmentLine(f[0], f[1], Integer.parseInt(f[2]), f[3], Integer.parseInt(f[4]), Long.parseLong(f[5]));
  }

  /** The HBase cell: row {@code minute/product}, one cell per source record holding the quantity. */
  public SourcedCell cell() {
    return new SourcedCell((minute + "/" + product).getBytes(StandardCharsets.UTF_8), topic, partition, offset,
        String.valueOf(quantity).getBytes(StandardCharsets.UTF_8));
  }
}
