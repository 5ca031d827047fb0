package io.tidemark.spark;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.offsets.CommittedOffsets;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
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
import org.apache.kafka.common.TopicPartition;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proof of the guarantees: a job in its own JVM, on the DStream adapter and on the Structured
 * Streaming adapter, reads 100,000 records (8 partitions) while the test SIGKILLs it at seeded
 * points (during start-up, before the output, between output and commit, between commit and
 * publish, after publish, and at random moments), restarting it each time. Offsets live in
 * ZooKeeper (or HBase). The seed is {@code -Dtidemark.crash.seed} (logged); every kill is logged
 * with its point and batch. {@code -Dtidemark.crash.adapters} (default {@code DSTREAM,STRUCTURED})
 * names the adapters every scenario runs on; {@code -Dtidemark.crash.exactly-once-adapters} (default
 * none) names more that run the exactly-once ZooKeeper scenario alone. Each Spark line's module sets
 * them (spark-integration, Spark 3.5: every scenario on DStreams and the exactly-once ZooKeeper one
 * on Structured Streaming too; spark4-integration, Spark 4: every scenario on Structured Streaming
 * and the exactly-once ZooKeeper one on DStreams too), so that each adapter's whole proof runs once
 * per build and both adapters are crash-proved on both lines.
 *
 * <p>A Structured Streaming driver keeps its Spark checkpoint across some restarts and starts
 * with none at others (seeded, both in every scenario, logged per run): a kept checkpoint makes
 * Spark re-run the batch it had planned, which the store may already hold; without one the start
 * comes from the store alone.
 *
 * <p>The test follows the drivers' own progress, never a wall clock: every wait lasts while the
 * driver reports batch steps or the store moves, and gives up only after {@link DriverProcess#STALL}
 * without progress, saying what it saw. Every kill of a plan can happen: the plan is fitted to the
 * input (no kill waits for a batch beyond the end of it), and a random-moment kill happens at a
 * seeded delay after the driver's first batch step or at a cap of batches, whichever comes first.
 * The method timeout is only a backstop against hangs.
 *
 * <p>Scenarios run {@code tidemark.crash.parallelism} at a time (a build-parent property, 2 by
 * default; 1 runs them one by one): each has its own job, store path, output and driver JVMs, and
 * its waits follow its own driver, so a slower machine makes it slower, not wrong.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
@Execution(ExecutionMode.CONCURRENT)
class DriverCrashIT {
  private static final Logger LOG = LoggerFactory.getLogger(DriverCrashIT.class);
  private static final long SEED = Long.getLong("tidemark.crash.seed", 20261126L);
  private static final int KILLS = Integer.getInteger("tidemark.crash.kills", 10);
  private static final int PARTITIONS = 8;
  private static final int PER_PARTITION = 12_500;
  private static final String TOPIC = "crash-input";
  /** {@code spark.streaming.kafka.maxRatePerPartition} of the runs that are killed. */
  private static final int KILL_RATE = 1000;
  /** CrashTestJob's batch interval. */
  private static final int BATCH_MS = 500;
  /** How many batches the input makes at {@link #KILL_RATE}: no kill may wait for a later one. */
  private static final int INPUT_BATCHES = (PER_PARTITION + KILL_RATE * BATCH_MS / 1000 - 1) / (KILL_RATE * BATCH_MS / 1000);
  /** A random-moment kill's driver pauses at most this many batches after the one its occurrence names. */
  private static final int RANDOM_CAP_EXTRA = 2;
  private static final List<String> STEPS = List.of("start-up", "before-output", "after-output", "after-commit",
      "after-publish", "random-moment");
  /** A start-up kill comes at most this long after the driver claimed the job (or at its first batch step). */
  private static final int START_UP_DELAY_MS = 4_000;

  /** The adapter a crash scenario's driver runs on. */
  enum Adapter {
    DSTREAM, STRUCTURED;

    /** The driver's arguments that choose this adapter, its checkpoint in {@code checkpoint}. */
    List<String> args(Path checkpoint) {
      return this == DSTREAM ? List.of() : List.of("--adapter", "structured", "--checkpoint", checkpoint.toString());
    }

    String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** The adapters {@code -Dtidemark.crash.adapters} names (both by default): every scenario runs on them. */
  static Stream<Adapter> adapters() {
    return adaptersOf("tidemark.crash.adapters", "DSTREAM,STRUCTURED");
  }

  /** The adapters of the exactly-once ZooKeeper scenario: those of every scenario and those named for it alone. */
  static Stream<Adapter> exactlyOnceAdapters() {
    return Stream.concat(adapters(), adaptersOf("tidemark.crash.exactly-once-adapters", "")).distinct().sorted();
  }

  private static Stream<Adapter> adaptersOf(String property, String byDefault) {
    return java.util.Arrays.stream(System.getProperty(property, byDefault).split(","))
        .map(String::trim).filter(a -> !a.isEmpty()).map(Adapter::valueOf);
  }

  /** Whether {@code adapter} is one of those the run names. */
  private static boolean runs(Adapter adapter) {
    return adapters().anyMatch(adapter::equals);
  }

  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().build();

  @RegisterExtension
  static final ZooKeeperServer zk = ZooKeeperServer.create();

  /** The drivers' logs and outputs: kept after the run (under the failsafe working directory) to read. */
  private static Path work;

  @BeforeAll
  static void input() throws IOException {
    work = SparkTestSupport.freshDirectory("crash-test");
    broker.createTopic(TOPIC, PARTITIONS);
    for (int from = 0; from < PER_PARTITION; from += 2_500) {
      SparkTestSupport.produce(broker, TOPIC, PARTITIONS, from, 2_500);
    }
  }

  /** One HBase mini-cluster for every test that needs it, started by the first of them. */
  private static HBaseCluster hbase;

  private static synchronized HBaseCluster hbase() throws IOException {
    if (hbase == null) {
      hbase = HBaseCluster.create().start();
      try (Admin admin = hbase.connection().getAdmin()) {
        admin.createNamespace(NamespaceDescriptor.create("tidemark").build());
      }
    }
    return hbase;
  }

  @AfterAll
  static synchronized void stopHBase() {
    if (hbase != null) {
      hbase.close();
      hbase = null;
    }
  }

  private static String hbaseStoreUri() {
    try {
      return "hbase://" + hbase().zookeeperQuorum() + "/tidemark:crash_offsets?hbase.create.table=true";
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String storeUri() {
    return "zk://" + zk.connectString() + "/tidemark-crash";
  }

  /**
   * One kill: where, and at which occurrence of that point in the run; a random-moment kill comes
   * {@code delayMs} after the run's first batch step, or when its driver pauses at
   * {@code after-publish} of batch {@code occurrence + RANDOM_CAP_EXTRA}, whichever is first.
   */
  private record Kill(String step, int occurrence, long delayMs) {
    boolean random() {
      return step.equals("random-moment");
    }

    boolean startUp() {
      return step.equals("start-up");
    }

    /** The driver's {@code --pause-at}: a start-up kill's cap is the first batch step. */
    String pauseAt() {
      return random() ? "after-publish:" + (occurrence + RANDOM_CAP_EXTRA)
          : startUp() ? "before-output:1" : step + ":" + occurrence;
    }

    /** How many batches of input must be left for this kill to happen. */
    int needs() {
      return random() || startUp() ? 1 : occurrence;
    }

    /** At most how many batches the run commits before this kill (output comes before the commit). */
    int commitsAtMost() {
      return switch (step) {
        case "start-up" -> 0;
        case "before-output", "after-output" -> occurrence - 1;
        case "after-commit", "after-publish" -> occurrence;
        default -> occurrence + RANDOM_CAP_EXTRA;
      };
    }

    /** Whether the input still has what this kill needs, and what the kills after it need, after {@code used} batches. */
    boolean fits(int used, int rest) {
      return used + needs() <= INPUT_BATCHES && used + commitsAtMost() + rest + 1 <= INPUT_BATCHES;
    }
  }

  /**
   * {@code count} kills, every step in turn, order, occurrences and delays from the seed, fitted
   * to the input: a kill's occurrence is lowered where the batches the kills before it may commit,
   * and the least the kills after it commit, would leave it no batch to wait for.
   */
  private static List<Kill> plan(Random random, int count) {
    List<String> steps = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      steps.add(STEPS.get(i % STEPS.size())); // each step at least count / 6 times
    }
    Collections.shuffle(steps, random);
    List<Kill> drawn = new ArrayList<>();
    for (String s : steps) {
      drawn.add(new Kill(s, 1 + random.nextInt(3), random.nextInt(s.equals("start-up") ? START_UP_DELAY_MS : 2_000)));
    }
    List<Kill> plan = new ArrayList<>();
    int used = 0;
    for (int i = 0; i < drawn.size(); i++) {
      int rest = 0;
      for (Kill later : drawn.subList(i + 1, drawn.size())) {
        rest += new Kill(later.step(), 1, 0).commitsAtMost();
      }
      Kill k = drawn.get(i);
      while (k.occurrence() > 1 && !k.fits(used, rest)) {
        k = new Kill(k.step(), k.occurrence() - 1, k.delayMs());
      }
      if (!k.fits(used, rest)) {
        throw new IllegalArgumentException(count + " kills do not fit the input's " + INPUT_BATCHES + " batches: "
            + drawn + "; lower -Dtidemark.crash.kills");
      }
      used += k.commitsAtMost();
      plan.add(k);
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
  private void runWithKills(Adapter adapter, String job, DeliveryGuarantee guarantee, Path out, List<Kill> plan)
      throws Exception {
    runWithKills(adapter, storeUri(), List.of(), job, guarantee, out, plan);
  }

  /**
   * For each run of a Structured Streaming driver (the plan's, then the last): whether it keeps
   * the checkpoint the run before it left, from the seed; both kinds at least {@code runs / 3} times.
   */
  private static List<Boolean> checkpointKept(Random random, int runs) {
    List<Boolean> kept = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      kept.add(i % 3 != 2 ? i % 3 == 0 : random.nextBoolean());
    }
    Collections.shuffle(kept, random);
    return kept;
  }

  private void runWithKills(Adapter adapter, String store, List<String> extra, String job, DeliveryGuarantee guarantee,
      Path out, List<Kill> plan) throws Exception {
    Path checkpoint = work.resolve(job + "-checkpoint");
    List<String> adapterArgs = new ArrayList<>(extra);
    adapterArgs.addAll(adapter.args(checkpoint));
    List<Boolean> keep = checkpointKept(new Random(SEED ^ job.hashCode()), plan.size() + 1);
    LOG.info("{} on {}: seed {}, {} kills: {}{}", job, adapter, SEED, plan.size(), plan,
        adapter == Adapter.STRUCTURED ? "; checkpoint kept per run: " + keep : "");
    int run = 0;
    for (Kill kill : plan) {
      String checkpointUse = useCheckpoint(adapter, checkpoint, keep.get(run));
      Path log = work.resolve(job + "-run-" + run++ + ".log");
      try (DriverProcess driver = DriverProcess.start(log,
          args(store, adapterArgs, job, guarantee, out, kill.pauseAt(), String.valueOf(KILL_RATE)))) {
        driver.describeWith(() -> storeState(store, job));
        String where;
        String started;
        if (kill.startUp() || kill.random()) {
          // a moment nobody chose: during start-up, anywhere from the claim to the first batch step (the stream
          // and, on Structured Streaming, the query starting); or whatever the driver does after its first batch step
          String after = kill.startUp() ? "the claim" : "the first batch step";
          started = driver.awaitLine(l -> l.startsWith(kill.startUp() ? "CLAIMED" : "STARTED"), "start");
          if (kill.random()) {
            driver.awaitLine(l -> l.startsWith("POINT"), after + " before " + kill);
          }
          long from = System.nanoTime();
          driver.awaitUntil("the moment of " + kill, () -> System.nanoTime() - from >= kill.delayMs() * 1_000_000
              || driver.lines().stream().anyMatch(l -> l.startsWith("PAUSED")), () -> null);
          List<String> lines = driver.lines();
          where = lines.stream().filter(l -> l.startsWith("PAUSED")).findFirst()
              .map(p -> p + " (the cap, before " + kill.delayMs() + " ms)")
              .orElse(kill.delayMs() + " ms after " + after + ", last step: " + DriverProcess.lastPoint(lines));
        } else {
          started = driver.awaitLine(l -> l.startsWith("STARTED"), "start");
          where = driver.awaitLine(l -> l.startsWith("PAUSED"), "the pause at " + kill);
        }
        driver.kill();
        LOG.info("{} kill {}: {} ({}, {}) -> SIGKILL at {}", job, run, kill, started, checkpointUse, where);
      }
    }
    String checkpointUse = useCheckpoint(adapter, checkpoint, keep.get(run));
    LOG.info("{}: the last run ({})", job, checkpointUse);
    try (OffsetStore offsets = OffsetStores.open(store);
        DriverProcess driver = DriverProcess.start(work.resolve(job + "-final.log"),
            args(store, adapterArgs, job, guarantee, out, "none:0", "4000"))) {
      driver.describeWith(() -> storeState(store, job));
      driver.awaitLine(l -> l.startsWith("STARTED"), "start");
      awaitTheEndOfTheInput(driver, offsets, job);
      driver.send("stop");
      assertThat(driver.awaitExit()).as("exit code; log %s", driver.log()).isZero();
    }
  }

  /** Deletes the checkpoint unless {@code keep}; says which, for the log. */
  private static String useCheckpoint(Adapter adapter, Path checkpoint, boolean keep) throws IOException {
    if (adapter != Adapter.STRUCTURED) {
      return "no Spark checkpoint";
    }
    boolean had = Files.exists(checkpoint);
    if (!keep && had) {
      SparkTestSupport.deleteRecursively(checkpoint);
    }
    return !had ? "no checkpoint yet" : keep ? "checkpoint kept" : "checkpoint deleted";
  }

  /** Waits, while the driver or the store makes progress, until the store holds the end of the input. */
  private static void awaitTheEndOfTheInput(DriverProcess driver, OffsetStore offsets, String job) {
    Map<TopicPartition, Long> end = broker.endOffsets(TOPIC);
    driver.awaitUntil("the store at the end of the input", () -> offsets.read(job).positions().equals(end),
        () -> offsets.read(job).positions());
  }

  /** The store's state of {@code job}, for failure messages. */
  private static String storeState(String store, String job) {
    try (OffsetStore offsets = OffsetStores.open(store)) {
      CommittedOffsets c = offsets.read(job);
      long committed = c.positions().values().stream().mapToLong(Long::longValue).sum();
      return "store: job " + job + " last batch " + c.lastBatchId() + ", epoch " + c.epoch() + ", " + committed
          + " of " + PARTITIONS * PER_PARTITION + " records committed";
    } catch (Exception e) {
      return "store: could not read job " + job + ": " + e;
    }
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
    SoftAssertions softly = new SoftAssertions();
    assertExactlyTheInput(softly, seq);
    softly.assertAll();
  }

  private static void assertExactlyTheInput(SoftAssertions softly, Map<Integer, List<Integer>> seq) {
    List<Integer> expected = java.util.stream.IntStream.range(0, PER_PARTITION).boxed().toList();
    softly.assertThat(seq.keySet()).as("partitions in the output").hasSize(PARTITIONS);
    seq.forEach((p, ns) -> {
      Set<Integer> distinct = new HashSet<>(ns);
      softly.assertThat(ns.size() - distinct.size()).as("duplicates in partition %d", p).isZero();
      softly.assertThat(PER_PARTITION - distinct.size()).as("losses in partition %d", p).isZero();
      if (ns.size() == distinct.size()) {
        softly.assertThat(ns).as("order in partition %d", p).isEqualTo(expected);
      }
    });
  }

  private static List<Path> dirs(Path out, String regex) throws IOException {
    try (Stream<Path> list = Files.list(out)) {
      return list.filter(p -> p.getFileName().toString().matches(regex)).sorted().toList();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("exactlyOnceAdapters")
  void exactlyOnceWithZooKeeperAndTheFileSinkSurvivesTenKills(Adapter adapter) throws Exception {
    String job = "eo-zk-file-" + adapter.id();
    Path out = work.resolve(job + "-out");
    runWithKills(adapter, job, DeliveryGuarantee.EXACTLY_ONCE, out, plan(new Random(SEED), KILLS));

    List<Path> batches = dirs(out, FileBatchSink.BATCH_PREFIX + "\\d{19}");
    assertExactlyTheInput(sequences(batches));
    LOG.info("exactly-once on {}: {} batches, {} records, zero duplicates, zero losses, order kept", adapter,
        batches.size(), PARTITIONS * PER_PARTITION);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("adapters")
  void exactlyOnceIntoKafkaWithZooKeeperSurvivesTenKills(Adapter adapter) throws Exception {
    String job = "eo-zk-kafka-" + adapter.id();
    String topic = job + "-out";
    broker.createTopic(topic, PARTITIONS);
    runWithKills(adapter, storeUri(), List.of("--kafka-out", topic), job, DeliveryGuarantee.EXACTLY_ONCE,
        work.resolve(job + "-out"), plan(new Random(SEED + 3), KILLS));

    // read_committed, to the log end: every input record once, in order, and no transaction left open
    assertExactlyTheInput(SparkTestSupport.committedSequences(broker, topic));
    LOG.info("exactly-once into Kafka on {}: {} records read_committed from {}, zero duplicates, zero losses, order"
        + " kept, no transaction left open", adapter, PARTITIONS * PER_PARTITION, topic);
  }

  /** The committed batches of {@code job}, by output directory name {@code e<epoch>-batch-<id>}: the whole history. */
  private static Map<String, HistoryEntry.Committed> committedBatches(String job) {
    Map<String, HistoryEntry.Committed> committed = new TreeMap<>();
    try (OffsetStore store = OffsetStores.open(storeUri())) {
      List<HistoryEntry> history = store.history(job, 10_000);
      long last = store.read(job).lastBatchId().orElseThrow();
      assertThat(history).as("the whole history is kept").hasSize((int) last + 1);
      for (HistoryEntry e : history) {
        HistoryEntry.Committed c = (HistoryEntry.Committed) e;
        committed.put("e" + c.epoch() + "-batch-" + c.commit().batchId(), c);
      }
    }
    return committed;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("adapters")
  void atLeastOnceLosesNothingAndRepeatsOnlyBatchesInFlightAtAKill(Adapter adapter) throws Exception {
    String job = "alo-zk-file-" + adapter.id();
    Path out = work.resolve(job + "-out");
    List<Kill> plan = plan(new Random(SEED + 1), KILLS);
    runWithKills(adapter, job, DeliveryGuarantee.AT_LEAST_ONCE, out, plan);

    Set<String> committed = committedBatches(job).keySet();
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
    LOG.info("at-least-once on {}: {} committed batches, {} batches in flight at kills, {} duplicated records,"
        + " zero losses", adapter, kept.size(), inFlight.size(), duplicates);
  }

  /**
   * At-most-once commits before the output: a kill between the two loses that batch, and nothing
   * is ever output twice. Every output is a committed batch's, no record is in the output twice,
   * and every record missing from it belongs to a committed batch whose output never completed
   * (no {@code _SUCCESS}): at most one such batch per kill.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("adapters")
  void atMostOnceRepeatsNothingAndLosesOnlyBatchesInFlightAtAKill(Adapter adapter) throws Exception {
    String job = "amo-zk-file-" + adapter.id();
    Path out = work.resolve(job + "-out");
    List<Kill> plan = plan(new Random(SEED + 3), KILLS);
    runWithKills(adapter, job, DeliveryGuarantee.AT_MOST_ONCE, out, plan);

    Map<String, HistoryEntry.Committed> committed = committedBatches(job);
    List<Path> all = dirs(out, "e\\d+-batch-\\d+");
    SoftAssertions softly = new SoftAssertions();
    softly.assertThat(all.stream().map(d -> d.getFileName().toString()).filter(n -> !committed.containsKey(n)))
        .as("outputs of batches never committed").isEmpty();
    List<Path> complete = all.stream().filter(d -> Files.exists(d.resolve("_SUCCESS"))).toList();
    Map<Integer, Set<Integer>> lost = new TreeMap<>();
    List<String> lostBatches = new ArrayList<>();
    committed.forEach((name, c) -> {
      if (!complete.contains(out.resolve(name))) {
        lostBatches.add(name);
        for (io.tidemark.offsets.OffsetRange r : c.commit().ranges()) {
          for (long n = r.fromOffset(); n < r.untilOffset(); n++) {
            lost.computeIfAbsent(r.partition(), p -> new HashSet<>()).add((int) n);
          }
        }
      }
    });
    softly.assertThat(lostBatches.size()).as("committed batches without a whole output %s", lostBatches)
        .isLessThanOrEqualTo(plan.size());
    Map<Integer, List<Integer>> seq = sequences(complete);
    int missing = 0;
    for (int p = 0; p < PARTITIONS; p++) {
      List<Integer> ns = seq.getOrDefault(p, List.of());
      Set<Integer> distinct = new HashSet<>(ns);
      softly.assertThat(ns.size() - distinct.size()).as("duplicates in partition %d", p).isZero();
      Set<Integer> absent = new java.util.TreeSet<>();
      for (int n = 0; n < PER_PARTITION; n++) {
        if (!distinct.contains(n)) {
          absent.add(n);
        }
      }
      missing += absent.size();
      softly.assertThat(absent).as("records of partition %d missing outside the batches lost at kills", p)
          .isSubsetOf(lost.getOrDefault(p, Set.of()));
    }
    softly.assertAll();
    LOG.info("at-most-once on {}: {} committed batches, {} lost at kills ({} records), zero duplicates", adapter,
        committed.size(), lostBatches.size(), missing);
  }

  /** The sink of the HBase-store scenario: an idempotent HBase table, or the file sink. */
  enum Sink {
    HBASE_TABLE, FILES
  }

  @ParameterizedTest(name = "{0}, {1}")
  @CsvSource({"DSTREAM, HBASE_TABLE", "STRUCTURED, FILES"})
  void exactlyOnceWithTheHBaseStoreSurvivesTenKills(Adapter adapter, Sink sink) throws Exception {
    Assumptions.assumeTrue(runs(adapter), () -> adapter + " is not among -Dtidemark.crash.adapters");
    String job = "eo-hbase-" + sink.name().toLowerCase(java.util.Locale.ROOT) + "-" + adapter.id();
    Path out = work.resolve(job + "-out");
    if (sink == Sink.FILES) {
      runWithKills(adapter, hbaseStoreUri(), List.of(), job, DeliveryGuarantee.EXACTLY_ONCE, out,
          plan(new Random(SEED + 2), KILLS));
      assertExactlyTheInput(sequences(dirs(out, FileBatchSink.BATCH_PREFIX + "\\d{19}")));
      LOG.info("exactly-once on {} with the HBase store and the file sink: zero duplicates, zero losses, order kept",
          adapter);
      return;
    }
    TableName table = TableName.valueOf("tidemark:crash_sink_" + adapter.id());
    HBaseCluster hbase = hbase();
    try (Admin admin = hbase.connection().getAdmin()) {
      admin.createTable(TableDescriptorBuilder.newBuilder(table)
          .setColumnFamily(ColumnFamilyDescriptorBuilder.of("d")).build());
    }
    String quorum = hbase.configuration().get("hbase.zookeeper.quorum");
    String port = hbase.configuration().get("hbase.zookeeper.property.clientPort");
    runWithKills(adapter, hbaseStoreUri(), List.of("--hbase-quorum", quorum, "--hbase-port", port, "--hbase-table",
        table.getNameAsString()), job, DeliveryGuarantee.EXACTLY_ONCE, out, plan(new Random(SEED + 2), KILLS));

    // rows sort by partition and offset: reading them in order gives each partition's sequence
    Map<Integer, List<Integer>> seq = new TreeMap<>();
    long rows = 0;
    try (Table t = hbase.connection().getTable(table);
        ResultScanner scanner = t.getScanner(new Scan().readVersions(Integer.MAX_VALUE))) {
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
    LOG.info("exactly-once on {} with the HBase store and sink: {} rows, zero duplicates, zero losses, order kept",
        adapter, rows);
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
    Assumptions.assumeTrue(runs(Adapter.DSTREAM), "a DStream driver: DSTREAM is not among -Dtidemark.crash.adapters");
    Path out = work.resolve("zombie-out");
    String job = "zombie-zk-file";
    try (DriverProcess first = DriverProcess.start(work.resolve(job + "-first.log"),
        args(job, DeliveryGuarantee.EXACTLY_ONCE, out, "before-output:3", "500"))) {
      first.describeWith(() -> storeState(storeUri(), job));
      String paused = first.awaitLine(l -> l.startsWith("PAUSED"), "the first driver's pause");
      try (OffsetStore store = OffsetStores.open(storeUri());
          DriverProcess second = DriverProcess.start(work.resolve(job + "-second.log"),
              args(job, DeliveryGuarantee.EXACTLY_ONCE, out, "none:0", "4000"))) {
        second.describeWith(() -> storeState(storeUri(), job));
        second.awaitLine(l -> l.startsWith("POINT after-publish"), "the second's first batch");
        // the first driver, still running, goes on with its batch: its commit must be refused
        first.send("resume");
        assertThat(first.awaitExit()).as("the first driver's exit (log %s)", first.log()).isEqualTo(3);
        assertThat(first.lines()).anyMatch(l -> l.startsWith("FENCED") && l.contains("claimed by another driver"));
        LOG.info("zombie: first driver paused at {}, fenced after the second claimed", paused);

        awaitTheEndOfTheInput(second, store, job);
        second.send("stop");
        assertThat(second.awaitExit()).isZero();
      }
    }
    assertExactlyTheInput(sequences(dirs(out, FileBatchSink.BATCH_PREFIX + "\\d{19}")));
  }

  /** Where the offsets of the zombie tests live. */
  enum Backend {
    ZOOKEEPER, HBASE;

    String storeUri() {
      return this == ZOOKEEPER ? DriverCrashIT.storeUri() : hbaseStoreUri();
    }
  }

  /**
   * A zombie whose batch is exactly the batch its successor already committed: both drivers read
   * at the same rate from a backlog, so the zombie's batch 2 and the successor's batch 2 cover the
   * same ranges. The store must fence the zombie at that batch (its epoch is not the one that
   * committed it): it exits as fenced without publishing or outputting anything, nothing is moved
   * to {@code _replaced/}, and every record is in the output once. Under exactly-once the zombie
   * pauses before its output (the commit follows it); under at-most-once after batch 1 (the
   * commit of batch 2 comes first), and writes straight to {@code e<epoch>-batch-<id>}, so a
   * second output of a batch would show.
   */
  @ParameterizedTest(name = "{0}, {1}")
  @CsvSource({"ZOOKEEPER, EXACTLY_ONCE", "ZOOKEEPER, AT_MOST_ONCE", "HBASE, EXACTLY_ONCE", "HBASE, AT_MOST_ONCE"})
  void aZombieRunningTheBatchItsSuccessorCommittedOverTheSameRangesIsFenced(Backend backend,
      DeliveryGuarantee guarantee) throws Exception {
    Assumptions.assumeTrue(runs(Adapter.DSTREAM), "a DStream driver: DSTREAM is not among -Dtidemark.crash.adapters");
    String job = "zombie-same-ranges-" + backend.name().toLowerCase(java.util.Locale.ROOT) + "-"
        + guarantee.name().toLowerCase(java.util.Locale.ROOT);
    Path out = work.resolve(job + "-out");
    String store = backend.storeUri();
    String rate = "2000"; // both drivers: 1,000 records per partition and batch
    boolean eo = guarantee == DeliveryGuarantee.EXACTLY_ONCE;
    SoftAssertions softly = new SoftAssertions();
    try (DriverProcess zombie = DriverProcess.start(work.resolve(job + "-zombie.log"),
        args(store, List.of(), job, guarantee, out, eo ? "before-output:3" : "after-publish:2", rate))) {
      zombie.describeWith(() -> storeState(store, job));
      zombie.awaitLine(l -> l.startsWith("STARTED epoch"), "start");
      String paused = zombie.awaitLine(l -> l.startsWith("PAUSED"), "the zombie's pause before the commit of batch 2");
      assertThat(paused).isEqualTo(eo ? "PAUSED before-output 2" : "PAUSED after-publish 1");
      long zombieEpoch = epoch(zombie);
      try (OffsetStore offsets = OffsetStores.open(store);
          DriverProcess successor = DriverProcess.start(work.resolve(job + "-successor.log"),
              args(store, List.of(), job, guarantee, out, "after-publish:1", rate))) {
        successor.describeWith(() -> storeState(store, job));
        String started = successor.awaitLine(l -> l.startsWith("STARTED"), "start");
        assertThat(started).isEqualTo("STARTED epoch " + (zombieEpoch + 1) + " next-batch 2");
        assertThat(successor.awaitLine(l -> l.startsWith("PAUSED"), "the successor's publish of batch 2"))
            .isEqualTo("PAUSED after-publish 2");
        // the premise: the successor's batch 2 is the batch the zombie holds (batch 1 ended at 2,000)
        assertThat(ranges(successor)).as("the successor's batches").contains("RANGES 2 " + expectedRanges(2));
        assertThat(ranges(zombie)).as("the zombie's batches").contains("RANGES 1 " + expectedRanges(1));

        zombie.send("resume");
        int exit = zombie.awaitExit();
        List<String> lines = zombie.lines();
        LOG.info("{}: the zombie (epoch {}) exited with {}: {}", job, zombieEpoch, exit,
            lines.stream().filter(l -> l.startsWith("FENCED") || l.startsWith("FAILED")).toList());
        softly.assertThat(exit).as("the zombie's exit code (3: fenced); log %s", zombie.log()).isEqualTo(3);
        softly.assertThat(lines.stream().filter(l -> l.startsWith("FENCED")).findFirst().orElse("(no FENCED line)"))
            .as("the zombie's FENCED line").startsWith("FENCED job " + job + " was claimed by another driver after"
                + " this one (which holds epoch " + zombieEpoch + "): the store refused batch 2,");
        List<String> after = lines.subList(Math.max(0, lines.indexOf(paused.replace("PAUSED", "RESUMED"))),
            lines.size()).stream()
            .filter(l -> l.startsWith("POINT") || l.startsWith("RANGES")).toList();
        softly.assertThat(after).as("the zombie's steps after it resumed").doesNotContain("POINT after-commit 2",
            "POINT after-publish 2");
        if (eo) {
          // it did run its output, over the successor's ranges, before its commit was refused
          softly.assertThat(after).as("the zombie's steps after it resumed").contains("RANGES 2 " + expectedRanges(2));
        }
        softly.assertThat(list(out.resolve(FileBatchSink.REPLACED))).as("output moved to %s", FileBatchSink.REPLACED)
            .isEmpty();

        successor.send("resume");
        awaitTheEndOfTheInput(successor, offsets, job);
        successor.send("stop");
        softly.assertThat(successor.awaitExit()).as("the successor's exit code").isZero();
      }
    }
    List<Path> batches = eo ? dirs(out, FileBatchSink.BATCH_PREFIX + "\\d{19}")
        : dirs(out, "e\\d+-batch-\\d+").stream().sorted(java.util.Comparator.comparingLong(DriverCrashIT::batchId))
            .toList();
    assertExactlyTheInput(softly, sequences(batches));
    softly.assertAll();
  }

  /** The driver's {@code RANGES} lines. */
  private static List<String> ranges(DriverProcess driver) {
    return driver.lines().stream().filter(l -> l.startsWith("RANGES")).toList();
  }

  /** The names in {@code dir}; none if it does not exist. */
  private static List<String> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> names = Files.list(dir)) {
      return names.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Every partition's range of batch {@code batch} at 1,000 records per partition and batch, as CrashTestJob prints it. */
  private static String expectedRanges(long batch) {
    return java.util.stream.IntStream.range(0, PARTITIONS)
        .mapToObj(p -> p + ":" + batch * 1_000 + "-" + (batch + 1) * 1_000)
        .collect(java.util.stream.Collectors.joining(","));
  }

  /** The epoch from the driver's STARTED line. */
  private static long epoch(DriverProcess driver) {
    String started = driver.lines().stream().filter(l -> l.startsWith("STARTED epoch ")).findFirst().orElseThrow();
    return Long.parseLong(started.split(" ")[2]);
  }
}
