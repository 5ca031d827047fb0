package io.tidemark.spark.sink;

import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes each batch as text into one directory per batch, {@code <root>/batch-<id>}, published by
 * an atomic rename: an exactly-once file output. {@link #prepare} writes the batch's lines with
 * {@code saveAsTextFile} into {@code <root>/_pending/batch-<id>-<random>} (one part file per
 * Spark partition); after the commit, {@link #publish} renames that directory to
 * {@code batch-<id>}. Readers list only {@code batch-*}: every one holds exactly one batch, once.
 *
 * <p>The rename goes through Hadoop's {@code FileSystem} for the root's scheme ({@code file:},
 * {@code hdfs:}, ...), so it is atomic where that filesystem's directory rename is (local disks
 * and HDFS; not object stores such as S3). Executors must see the root at the same path (a local
 * disk in local mode, a shared filesystem on a cluster). Give each job its own root: at start the
 * sink discards every prepared directory in it that its job did not commit.
 *
 * <p>Each batch directory holds a marker ({@value #MARKER}) naming what it was prepared as. A
 * batch id published again with other output (after an operator rewound the job) replaces the
 * old directory, which is moved to {@code <root>/_replaced/}.
 *
 * @param <B> the adapter's batch type
 */
public final class FileBatchSink<B> implements TransactionalOutput<B> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(FileBatchSink.class);

  /** The directory readers look into holds only these; each is one whole batch. */
  public static final String BATCH_PREFIX = "batch-";
  /** Where batches are written before their commit. */
  public static final String PENDING = "_pending";
  /** Where a batch's earlier output goes when the batch is published again differently (after a rewind). */
  public static final String REPLACED = "_replaced";
  /** Inside each batch directory: the name it was prepared under, which tells one output of a batch id from another. */
  public static final String MARKER = "_tidemark_prepared";

  private final String root;
  private final Function<B, JavaRDD<String>> lines;

  private FileBatchSink(String root, Function<B, JavaRDD<String>> lines) {
    this.root = Objects.requireNonNull(root, "root");
    this.lines = Objects.requireNonNull(lines, "lines");
  }

  /**
   * A sink writing under {@code root} (a path or URI) the lines {@code lines} makes of each batch
   * (a serializable function, run on the driver, typically {@code batch.rdd().map(...)}).
   */
  public static <B> FileBatchSink<B> of(String root, Function<B, JavaRDD<String>> lines) {
    return new FileBatchSink<>(root, lines);
  }

  /** The directory name of batch {@code batchId}: zero-padded, so names sort by batch. */
  public static String batchDirectory(long batchId) {
    return String.format("%s%019d", BATCH_PREFIX, batchId);
  }

  @Override
  public Map<String, String> prepare(B batch, long batchId) throws Exception {
    String name = batchDirectory(batchId) + "-" + UUID.randomUUID();
    Path pending = new Path(new Path(root, PENDING), name);
    lines.call(batch).saveAsTextFile(pending.toString());
    FileSystem fs = pending.getFileSystem(hadoopConf());
    try (var out = fs.create(new Path(pending, MARKER), false)) {
      out.write(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    return Map.of("dir", name);
  }

  @Override
  public void publish(long batchId, Map<String, String> prepared) throws IOException {
    String name = prepared.get("dir");
    if (name == null) {
      throw new IllegalArgumentException("batch " + batchId + " has no prepared directory to publish: " + prepared);
    }
    Path from = new Path(new Path(root, PENDING), name);
    Path to = new Path(root, batchDirectory(batchId));
    FileSystem fs = to.getFileSystem(hadoopConf());
    if (fs.exists(to)) {
      String published = marker(fs, to);
      if (name.equals(published) || (published == null && !fs.exists(from))) {
        return; // published already (a publish repeated after a restart; or by a version without markers)
      }
      if (!fs.exists(from)) {
        throw new IOException("cannot publish batch " + batchId + ": " + to + " holds other output (prepared as "
            + marker(fs, to) + ") and this batch's prepared output " + from + " is gone");
      }
      // the job was rewound and ran this batch id again: its new output replaces the old
      Path aside = new Path(new Path(root, REPLACED), batchDirectory(batchId) + "-" + System.currentTimeMillis());
      fs.mkdirs(aside.getParent());
      if (!fs.rename(to, aside)) {
        throw new IOException("cannot move the earlier output of batch " + batchId + " from " + to + " to " + aside);
      }
      LOG.warn("batch {} was published before with other output (the job was rewound): that output moved to {}",
          batchId, aside);
    }
    if (!fs.exists(from)) {
      throw new IOException("cannot publish batch " + batchId + ": its prepared output " + from + " is gone and "
          + to + " does not exist. Something deleted it: the batch's output is lost; rewind the job to a batch"
          + " before " + batchId + " to write it again.");
    }
    if (!fs.rename(from, to)) {
      throw new IOException("cannot rename " + from + " to " + to + " (the filesystem refused)");
    }
    LOG.debug("published batch {} as {}", batchId, to);
  }

  @Override
  public void discardUncommitted(long lastCommittedBatchId, Map<String, String> lastPrepared) throws IOException {
    Path pending = new Path(root, PENDING);
    FileSystem fs = pending.getFileSystem(hadoopConf());
    if (!fs.exists(new Path(root))) {
      return;
    }
    fs.mkdirs(pending);
    String keep = lastPrepared.get("dir");
    for (FileStatus s : fs.listStatus(pending)) {
      if (!s.getPath().getName().equals(keep)) {
        LOG.info("discarding {}: prepared, never committed", s.getPath());
        fs.delete(s.getPath(), true);
      }
    }
    // batches above the last committed one were published before the job was rewound: the
    // batches that follow write their records again, so the old ones leave readers' view
    for (FileStatus s : fs.listStatus(new Path(root))) {
      String n = s.getPath().getName();
      if (n.matches(BATCH_PREFIX + "\\d{19}")
          && Long.parseLong(n.substring(BATCH_PREFIX.length())) > lastCommittedBatchId) {
        Path aside = new Path(new Path(root, REPLACED), n + "-" + System.currentTimeMillis());
        fs.mkdirs(aside.getParent());
        fs.rename(s.getPath(), aside);
        LOG.warn("{} is above the last committed batch {} (the job was rewound): moved to {}", s.getPath(),
            lastCommittedBatchId, aside);
      }
    }
  }

  private static String marker(FileSystem fs, Path batchDir) throws IOException {
    Path m = new Path(batchDir, MARKER);
    if (!fs.exists(m)) {
      return null;
    }
    try (var in = fs.open(m)) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** The running job's Hadoop settings (the driver always has a SparkContext when the adapters call in). */
  private static Configuration hadoopConf() {
    return SparkContext.getOrCreate().hadoopConfiguration();
  }

  @Override
  public String toString() {
    return "FileBatchSink[" + root + "]";
  }
}
