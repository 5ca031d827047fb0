package io.tidemark.spark.sink;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.HBaseConfiguration;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.BufferedMutator;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.ConnectionFactory;
import org.apache.hadoop.hbase.client.Put;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function;

/**
 * An idempotent HBase output for {@link io.tidemark.spark.DeliveryGuarantee#EXACTLY_ONCE}: each
 * Kafka record becomes one row whose key is its source ({@code <topic>/<partition>/<offset>},
 * fixed-width, so rows sort by partition and offset) and whose cells carry the record's offset as
 * their timestamp. A replayed batch, or a fenced driver's late write, puts exactly the same cells
 * again: the table ends the same. Executors write through one connection per JVM and cluster,
 * created on first use and again after it closed (one shutdown hook per JVM closes them at exit);
 * each partition's puts are flushed before its task ends, so a batch whose output returned is in
 * HBase before its commit.
 *
 * <p>{@link #writeCells} writes aggregate rows the same way: each cell is keyed by its source
 * record, so a row grouping many records (shipments per minute, say) is exact after replays too.
 *
 * <p>Needs {@code hbase-shaded-client} on the job's class path (an optional dependency of this
 * module), and a column family without a TTL (cell timestamps are offsets: see {@link #write}).
 */
public final class HBaseRecordWriter implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Map<Map<String, String>, Connection> CONNECTIONS = new ConcurrentHashMap<>();
  /** Whether the one shutdown hook that closes {@link #CONNECTIONS} is registered (guarded by CONNECTIONS). */
  private static boolean closeHookAdded;

  /** The column qualifier of the value cell. */
  public static final byte[] VALUE = "v".getBytes(StandardCharsets.UTF_8);

  private final Map<String, String> hbaseConf;
  private final String table;
  private final byte[] family;
  private final Function<ConsumerRecord<byte[], byte[]>, byte[]> value;
  private transient volatile boolean checked;

  private HBaseRecordWriter(Map<String, String> hbaseConf, String table, String family,
      Function<ConsumerRecord<byte[], byte[]>, byte[]> value) {
    this.hbaseConf = Map.copyOf(hbaseConf);
    this.table = Objects.requireNonNull(table, "table");
    this.family = family.getBytes(StandardCharsets.UTF_8);
    this.value = Objects.requireNonNull(value, "value");
  }

  /**
   * A writer to {@code table} (an existing table with column family {@code family}) of the cluster
   * that {@code hbaseConf} names ({@code hbase.zookeeper.quorum} at least); the value cell holds
   * {@code value} of each record (a serializable function; the record's own value bytes for
   * {@code ConsumerRecord::value}).
   */
  public static HBaseRecordWriter of(Map<String, String> hbaseConf, String table, String family,
      Function<ConsumerRecord<byte[], byte[]>, byte[]> value) {
    if (!hbaseConf.containsKey("hbase.zookeeper.quorum")) {
      throw new IllegalArgumentException("hbaseConf needs hbase.zookeeper.quorum");
    }
    return new HBaseRecordWriter(new TreeMap<>(hbaseConf), table, family, value);
  }

  /**
   * A writer to {@code table}'s family {@code family}, whose {@link #write} stores each record's own
   * value bytes (and whose {@link #writeCells} stores the cells' values).
   */
  public static HBaseRecordWriter of(Map<String, String> hbaseConf, String table, String family) {
    return of(hbaseConf, table, family, ConsumerRecord::value);
  }

  /** The row key of a record: {@code <topic>/<partition, 10 digits>/<offset, 20 digits>}. */
  public static byte[] rowKey(String topic, int partition, long offset) {
    return String.format("%s/%010d/%020d", topic, partition, offset).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * One cell of an aggregate row, tied to the Kafka record it comes from: {@link #writeCells} puts
   * {@code value} into row {@code row} under the qualifier {@link #rowKey rowKey(topic, partition,
   * offset)}, stamped with the offset. Rows can group records any way (per minute and product,
   * per customer); a replay puts the same cells again, so reading a row (its cells, or the sum of
   * their values) counts each source record once.
   *
   * @param row the row key
   * @param topic the source topic
   * @param partition the source partition
   * @param offset the source offset
   * @param value the cell's value
   */
  public record SourcedCell(byte[] row, String topic, int partition, long offset, byte[] value) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Checks the fields (the arrays are not copied: do not change them after). */
    public SourcedCell {
      Objects.requireNonNull(row, "row");
      Objects.requireNonNull(topic, "topic");
      Objects.requireNonNull(value, "value");
      if (partition < 0 || offset < 0) {
        throw new IllegalArgumentException("a source partition and offset are never negative: " + partition + "/"
            + offset);
      }
    }
  }

  /**
   * Writes {@code records}, one row per record (runs a Spark job; returns when every partition's
   * puts are flushed).
   *
   * @throws IllegalStateException when the family keeps cells for a limited time: cell timestamps
   *     are offsets, which HBase reads as times near 1970, so such cells would expire at once
   */
  public void write(JavaRDD<ConsumerRecord<byte[], byte[]>> records) throws IOException {
    Function<ConsumerRecord<byte[], byte[]>, byte[]> valueOf = value;
    put(records.map(r -> new Cell(rowKey(r.topic(), r.partition(), r.offset()), VALUE, r.offset(), valueOf.call(r))));
  }

  /**
   * Writes {@code cells}, each in its row under the qualifier of its source record (runs a
   * Spark job; returns when every partition's puts are flushed). The writer's value function is
   * not used.
   *
   * @throws IllegalStateException when the family has a TTL (see {@link #write})
   */
  public void writeCells(JavaRDD<SourcedCell> cells) throws IOException {
    put(cells.map(c -> new Cell(c.row(), rowKey(c.topic(), c.partition(), c.offset()), c.offset(), c.value())));
  }

  private record Cell(byte[] row, byte[] qualifier, long timestamp, byte[] value) implements Serializable {}

  private void put(JavaRDD<Cell> cells) throws IOException {
    if (!checked) {
      try (org.apache.hadoop.hbase.client.Admin admin = connection().getAdmin()) {
        int ttl = admin.getDescriptor(TableName.valueOf(table)).getColumnFamily(family).getTimeToLive();
        if (ttl != org.apache.hadoop.hbase.HConstants.FOREVER) {
          throw new IllegalStateException("column family " + new String(family, StandardCharsets.UTF_8) + " of "
              + table + " has a TTL of " + ttl + " s; HBaseRecordWriter stamps cells with source offsets, which"
              + " HBase reads as times near 1970, so they would expire at once. Use a family without a TTL.");
        }
      }
      checked = true;
    }
    HBaseRecordWriter self = this;
    cells.foreachPartition(it -> {
      try (BufferedMutator mutator = self.connection().getBufferedMutator(TableName.valueOf(self.table))) {
        while (it.hasNext()) {
          Cell c = it.next();
          mutator.mutate(new Put(c.row()).addColumn(self.family, c.qualifier(), c.timestamp(), c.value()));
        }
        mutator.flush();
      }
    });
  }

  private Connection connection() throws IOException {
    Connection existing = CONNECTIONS.get(hbaseConf);
    if (existing != null && !existing.isClosed()) {
      return existing;
    }
    synchronized (CONNECTIONS) {
      Connection c = CONNECTIONS.get(hbaseConf);
      if (c == null || c.isClosed()) {
        Configuration conf = HBaseConfiguration.create();
        hbaseConf.forEach(conf::set);
        c = ConnectionFactory.createConnection(conf);
        CONNECTIONS.put(hbaseConf, c);
        if (!closeHookAdded) {
          Runtime.getRuntime().addShutdownHook(new Thread(HBaseRecordWriter::closeConnections,
              "tidemark-hbase-writer-close"));
          closeHookAdded = true;
        }
      }
      return c;
    }
  }

  /** At JVM exit: closes the connections the writers of this JVM share, whichever they are then. */
  private static void closeConnections() {
    for (Connection c : CONNECTIONS.values()) {
      try {
        c.close();
      } catch (IOException | RuntimeException ignored) {
        // the JVM is exiting
      }
    }
  }

  @Override
  public String toString() {
    return "HBaseRecordWriter[" + table + "]";
  }
}
