package io.tidemark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.spark.sink.FileBatchSink;
import io.tidemark.spark.sink.HBaseRecordWriter;
import io.tidemark.testkit.HBaseCluster;
import io.tidemark.testkit.KafkaBroker;
import io.tidemark.testkit.ZooKeeperServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.hadoop.hbase.NamespaceDescriptor;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Admin;
import org.apache.hadoop.hbase.client.ColumnFamilyDescriptorBuilder;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.client.ResultScanner;
import org.apache.hadoop.hbase.client.Scan;
import org.apache.hadoop.hbase.client.Table;
import org.apache.hadoop.hbase.client.TableDescriptorBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proof of the guarantees: a DStream job in its own JVM reads 100,000 records (8 partitions)
 * while the test SIGKILLs it at seeded points (before the output, between output and commit,
 * between commit and publish, after publish, and at random moments), restarting it each time.
 * Offsets live in ZooKeeper. The seed is {@code -Dtidemark.crash.seed} (logged); every kill is
 * logged with its point and batch.
 */
class DriverCrashIT {
  private static final Logger LOG = LoggerFactory.getLogger(DriverCrashIT.class);
  private static final long SEED = Long.getLong("tidemark.crash.seed", 20261126L);
  private static final int KILLS = Integer.getInteger("tidemark.crash.kills", 10);
  private static final int PARTITIONS = 8;
  private static final int PER_PARTITION = 12_500;
  private static final String TOPIC = "crash-input";
  private static final List<String> STEPS = List.of("before-output", "after-output", "after-commit", "after-publish",
      "random-moment");

  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().build();

  @RegisterExtension
  static final ZooKeeperServer zk = ZooKeeperServer.create();

  /** The drivers' logs and outputs: kept after the run (under the failsafe working directory) to read. */
  private static Path work;

  @BeforeAll
  static void input() throws IOException {
    work = Path.of("crash-test").toAbsolutePath();
    if (Files.exists(work)) {
      try (Stream<Path> old = Files.walk(work)) {
        old.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    Files.createDirectories(work);
    broker.createTopic(TOPIC, PARTITIONS);
    for (int from = 0; from < PER_PARTITION; from += 2_500) {
      SparkTestSupport.produce(broker, TOPIC, PARTITIONS, from, 2_500);
    }
  }

  private static String storeUri() {
    return "zk://" + zk.connectString() + "/tidemark-crash";
  }

  /** One kill: where, and at which occurrence of that point in the run. */
  private record Kill(String step, int occurrence, long delayMs) {}

  /** {@code count} kills, every step in turn, order and occurrences from the seed. */
  private static List<Kill> plan(Random random, int count) {
    List<String> steps = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      steps.add(STEPS.get(i % STEPS.size())); // each step at least count / 5 times
    }
    Collections.shuffle(steps, random);
    List<Kill> plan = new ArrayList<>();
    for (String s : steps) {
      plan.add(new Kill(s, 1 + random.nextInt(3), 1_000 + random.nextInt(4_000)));
    }
    return plan;
  }

  private static List<String> args(String job, DeliveryGuarantee guarantee, Path out, String pauseAt, String maxRate) {
    return args(storeUri(), List.of(), job, guarantee, out, pauseAt, maxRate);
  }

  private static List<String> args(String store, List<String> extra, String job, DeliveryGuarantee guarantee, Path out,
      String pauseAt, String maxRate) {
    List<String> args = new ArrayList<>(List.of("--bootstrap", broker.bootstrapServers(), "--store", store,
        "--job", job, "--topic", TOPIC, "--out", out.toString(), "--guarantee", guarantee.name(),
        "--pause-at", pauseAt, "--max-rate", maxRate));
    args.addAll(extra);
    return args;
  }

  /** Runs the job through every kill of the plan, then to the end, and stops it gracefully. */
  private void runWithKills(String job, DeliveryGuarantee guarantee, Path out, List<Kill> plan) throws Exception {
    runWithKills(storeUri(), List.of(), job, guarantee, out, plan);
  }

  private void runWithKills(String store, List<String> extra, String job, DeliveryGuarantee guarantee, Path out,
      List<Kill> plan) throws Exception {
    LOG.info("{}: seed {}, {} kills: {}", job, SEED, plan.size(), plan);
    int run = 0;
    for (Kill kill : plan) {
      Path log = work.resolve(job + "-run-" + run++ + ".log");
      boolean random = kill.step().equals("random-moment");
      try (DriverProcess driver = DriverProcess.start(log,
          args(store, extra, job, guarantee, out, random ? "none:0" : kill.step() + ":" + kill.occurrence(), "1000"))) {
        String started = driver.awaitLine(l -> l.startsWith("STARTED"), Duration.ofSeconds(120), "start");
        String where;
        if (random) {
          // the point of this kill is a moment nobody chose: whatever the driver is doing then
          Thread.sleep(kill.delayMs());
          where = kill.delayMs() + " ms after start, last step: " + lastPoint(driver.lines());
        } else {
          where = driver.awaitLine(l -> l.startsWith("PAUSED"), Duration.ofSeconds(120), "the pause at " + kill);
        }
        driver.kill();
        LOG.info("{} kill {}: {} ({}) -> SIGKILL at {}", job, run, kill, started, where);
      }
    }
    try (OffsetStore offsets = OffsetStores.open(store);
        DriverProcess driver = DriverProcess.start(work.resolve(job + "-final.log"),
            args(store, extra, job, guarantee, out, "none:0", "4000"))) {
      driver.awaitLine(l -> l.startsWith("STARTED"), Duration.ofSeconds(120), "start");
      await("the store at the end of the input").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
          .until(() -> offsets.read(job).positions().equals(broker.endOffsets(TOPIC)));
      driver.send("stop");
      assertThat(driver.awaitExit(Duration.ofSeconds(60))).as("exit code; log %s", driver.log()).isZero();
    }
  }

  private static String lastPoint(List<String> lines) {
    for (int i = lines.size() - 1; i >= 0; i--) {
      if (lines.get(i).startsWith("POINT")) {
        return lines.get(i);
      }
    }
    return "(no batch yet)";
  }

  /** The lines of every part file under {@code batchDir}, in part order. */
  private static List<String> readBatch(Path batchDir) throws IOException {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> parts = Files.list(batchDir)) {
      for (Path part : parts.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList()) {
        lines.addAll(Files.readAllLines(part, StandardCharsets.UTF_8));
      }
    }
    return lines;
  }

  /** Per partition, the sequence numbers in the order the batches (in id order) hold them. */
  private static Map<Integer, List<Integer>> sequences(List<Path> batchDirs) throws IOException {
    Map<Integer, List<Integer>> seq = new TreeMap<>();
    for (Path dir : batchDirs) {
      for (String line : readBatch(dir)) {
        int colon = line.indexOf(':');
        seq.computeIfAbsent(Integer.parseInt(line.substring(0, colon)), p -> new ArrayList<>())
            .add(Integer.parseInt(line.substring(colon + 1)));
      }
    }
    return seq;
  }

  private static void assertExactlyTheInput(Map<Integer, List<Integer>> seq) {
    List<Integer> expected = java.util.stream.IntStream.range(0, PER_PARTITION).boxed().toList();
    assertThat(seq.keySet()).hasSize(PARTITIONS);
    seq.forEach((p, ns) -> {
      Set<Integer> distinct = new HashSet<>(ns);
      assertThat(ns.size() - distinct.size()).as("duplicates in partition %d", p).isZero();
      assertThat(PER_PARTITION - distinct.size()).as("losses in partition %d", p).isZero();
      assertThat(ns).as("order in partition %d", p).isEqualTo(expected);
    });
  }

  private static List<Path> dirs(Path out, String regex) throws IOException {
    try (Stream<Path> list = Files.list(out)) {
      return list.filter(p -> p.getFileName().toString().matches(regex)).sorted().toList();
    }
  }

  @Test
  void exactlyOnceWithZooKeeperAndTheFileSinkSurvivesTenKills() throws Exception {
    Path out = work.resolve("eo-out");
    runWithKills("eo-zk-file", DeliveryGuarantee.EXACTLY_ONCE, out, plan(new Random(SEED), KILLS));

    List<Path> batches = dirs(out, FileBatchSink.BATCH_PREFIX + "\\d{19}");
    assertExactlyTheInput(sequences(batches));
    LOG.info("exactly-once: {} batches, {} records, zero duplicates, zero losses, order kept", batches.size(),
        PARTITIONS * PER_PARTITION);
  }

  @Test
  void atLeastOnceLosesNothingAndRepeatsOnlyBatchesInFlightAtAKill() throws Exception {
    Path out = work.resolve("alo-out");
    String job = "alo-zk-file";
    List<Kill> plan = plan(new Random(SEED + 1), KILLS);
    runWithKills(job, DeliveryGuarantee.AT_LEAST_ONCE, out, plan);

    Set<String> committed = new HashSet<>();
    try (OffsetStore store = OffsetStores.open(storeUri())) {
      List<HistoryEntry> history = store.history(job, 10_000);
      long last = store.read(job).lastBatchId().orElseThrow();
      assertThat(history).as("the whole history is kept").hasSize((int) last + 1);
      for (HistoryEntry e : history) {
        HistoryEntry.Committed c = (HistoryEntry.Committed) e;
        committed.add("e" + c.epoch() + "-batch-" + c.commit().batchId());
      }
    }
    List<Path> all = dirs(out, "e\\d+-batch-\\d+");
    List<Path> kept = new ArrayList<>();
    List<Path> inFlight = new ArrayList<>();
    for (Path d : all) {
      (committed.contains(d.getFileName().toString()) ? kept : inFlight).add(d);
    }
    kept.sort((a, b) -> Long.compare(batchId(a), batchId(b)));
    // the committed outputs alone are the input exactly; everything else is a batch that was in
    // flight (output written, commit not made) when a kill came: at most one per kill
    assertExactlyTheInput(sequences(kept));
    assertThat(inFlight.size()).as("uncommitted outputs %s", inFlight).isLessThanOrEqualTo(plan.size());
    long duplicates = 0;
    for (Path d : inFlight) {
      duplicates += readBatch(d).size();
    }
    LOG.info("at-least-once: {} committed batches, {} batches in flight at kills, {} duplicated records, zero losses",
        kept.size(), inFlight.size(), duplicates);
  }

  @Test
  void exactlyOnceWithTheHBaseStoreAndTheHBaseSinkSurvivesTenKills() throws Exception {
    String job = "eo-hbase-hbase";
    TableName sink = TableName.valueOf("tidemark:crash_sink");
    try (HBaseCluster hbase = HBaseCluster.create().start()) {
      try (Admin admin = hbase.connection().getAdmin()) {
        admin.createNamespace(NamespaceDescriptor.create("tidemark").build());
        admin.createTable(TableDescriptorBuilder.newBuilder(sink)
            .setColumnFamily(ColumnFamilyDescriptorBuilder.of("d")).build());
      }
      String quorum = hbase.configuration().get("hbase.zookeeper.quorum");
      String port = hbase.configuration().get("hbase.zookeeper.property.clientPort");
      String store = "hbase://" + hbase.zookeeperQuorum() + "/tidemark:crash_offsets?hbase.create.table=true";
      runWithKills(store, List.of("--hbase-quorum", quorum, "--hbase-port", port, "--hbase-table",
          sink.getNameAsString()), job, DeliveryGuarantee.EXACTLY_ONCE, work.resolve("eo-hbase-out"),
          plan(new Random(SEED + 2), KILLS));

      // rows sort by partition and offset: reading them in order gives each partition's sequence
      Map<Integer, List<Integer>> seq = new TreeMap<>();
      long rows = 0;
      try (Table table = hbase.connection().getTable(sink);
          ResultScanner scanner = table.getScanner(new Scan().readVersions(Integer.MAX_VALUE))) {
        for (Result r : scanner) {
          rows++;
          assertThat(r.getColumnCells("d".getBytes(StandardCharsets.UTF_8), HBaseRecordWriter.VALUE))
              .as("versions of one row: a replay rewrites the same cell").hasSize(1);
          String line = new String(r.getValue("d".getBytes(StandardCharsets.UTF_8), HBaseRecordWriter.VALUE),
              StandardCharsets.UTF_8);
          int colon = line.indexOf(':');
          seq.computeIfAbsent(Integer.parseInt(line.substring(0, colon)), p -> new ArrayList<>())
              .add(Integer.parseInt(line.substring(colon + 1)));
        }
      }
      assertExactlyTheInput(seq);
      LOG.info("exactly-once on HBase: {} rows, zero duplicates, zero losses, order kept", rows);
    }
  }

  private static long batchId(Path dir) {
    Matcher m = Pattern.compile("batch-(\\d+)$").matcher(dir.getFileName().toString());
    if (!m.find()) {
      throw new IllegalArgumentException(dir.toString());
    }
    return Long.parseLong(m.group(1));
  }

  @Test
  void aSecondDriverFencesTheFirstAndTheOutputStaysExact() throws Exception {
    Path out = work.resolve("zombie-out");
    String job = "zombie-zk-file";
    try (DriverProcess first = DriverProcess.start(work.resolve(job + "-first.log"),
        args(job, DeliveryGuarantee.EXACTLY_ONCE, out, "before-output:3", "500"))) {
      String paused = first.awaitLine(l -> l.startsWith("PAUSED"), Duration.ofSeconds(120), "the first driver's pause");
      try (OffsetStore store = OffsetStores.open(storeUri());
          DriverProcess second = DriverProcess.start(work.resolve(job + "-second.log"),
              args(job, DeliveryGuarantee.EXACTLY_ONCE, out, "none:0", "4000"))) {
        second.awaitLine(l -> l.startsWith("POINT after-publish"), Duration.ofSeconds(120), "the second's first batch");
        // the first driver, still running, goes on with its batch: its commit must be refused
        first.send("resume");
        assertThat(first.awaitExit(Duration.ofSeconds(60))).as("the first driver's exit (log %s)", first.log())
            .isEqualTo(3);
        assertThat(first.lines()).anyMatch(l -> l.startsWith("FENCED") && l.contains("claimed by another driver"));
        LOG.info("zombie: first driver paused at {}, fenced after the second claimed", paused);

        await("the store at the end of the input").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
            .until(() -> store.read(job).positions().equals(broker.endOffsets(TOPIC)));
        second.send("stop");
        assertThat(second.awaitExit(Duration.ofSeconds(60))).isZero();
      }
    }
    assertExactlyTheInput(sequences(dirs(out, FileBatchSink.BATCH_PREFIX + "\\d{19}")));
  }
}
