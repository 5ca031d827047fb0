package io.tidemark.spark;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.cli.Tidemark;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.spark.sink.FileBatchSink;
import io.tidemark.testkit.KafkaBroker;
import io.tidemark.testkit.ZooKeeperServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An operator's commands between runs of an exactly-once job with {@link FileBatchSink}: the
 * driver (a {@link CrashTestJob} in its own JVM) is SIGKILLed or stopped, the operator runs
 * {@code tidemark offsets ...} (in this JVM, as the command line runs it), the driver starts
 * again, and the published batches must hold every input record exactly once, in order.
 */
class OperatorActionsIT {
  private static final Logger LOG = LoggerFactory.getLogger(OperatorActionsIT.class);
  private static final int PARTITIONS = 4;

  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().build();

  @RegisterExtension
  static final ZooKeeperServer zk = ZooKeeperServer.create();

  /** The drivers' logs, outputs and file stores. */
  private static Path work;

  @BeforeAll
  static void workDirectory() throws IOException {
    work = SparkTestSupport.freshDirectory("operator-actions");
  }

  private static String zkStore(String root) {
    return "zk://" + zk.connectString() + "/" + root;
  }

  private record Run(int code, String out, String err) {}

  /** {@code tidemark args...} in this JVM; fails the test unless it exits 0. */
  private static Run tidemark(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Tidemark.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    Run run = new Run(code, out.toString(), err.toString());
    LOG.info("$ tidemark {} -> exit {}\n{}{}", String.join(" ", args), code, run.out(), run.err());
    assertThat(code).as("tidemark %s: %s%s", String.join(" ", args), run.out(), run.err()).isZero();
    return run;
  }

  private static List<String> args(String store, String job, String topic, Path out, String pauseAt, String maxRate) {
    return List.of("--bootstrap", broker.bootstrapServers(), "--store", store, "--job", job, "--topic", topic,
        "--out", out.toString(), "--guarantee", DeliveryGuarantee.EXACTLY_ONCE.name(), "--pause-at", pauseAt,
        "--max-rate", maxRate);
  }

  /** Runs the job until the store holds the end of {@code topic}, then stops it gracefully. */
  private static void runToTheEnd(String store, String job, String topic, Path out, String logName) throws Exception {
    try (OffsetStore offsets = OffsetStores.open(store);
        DriverProcess driver = DriverProcess.start(work.resolve(logName), args(store, job, topic, out, "none:0",
            "4000"))) {
      driver.awaitLine(l -> l.startsWith("STARTED"), "start");
      Map<org.apache.kafka.common.TopicPartition, Long> end = broker.endOffsets(topic);
      driver.awaitUntil("the store at the end of " + topic, () -> offsets.read(job).positions().equals(end),
          () -> offsets.read(job).positions());
      driver.send("stop");
      assertThat(driver.awaitExit()).as("exit code; log %s", driver.log()).isZero();
    }
  }

  /** Per partition, the sequence numbers the published batches hold, in batch and part order. */
  private static Map<Integer, List<Integer>> published(Path out) throws IOException {
    Map<Integer, List<Integer>> seq = new TreeMap<>();
    for (String line : SparkTestSupport.publishedLines(out)) {
      int colon = line.indexOf(':');
      seq.computeIfAbsent(Integer.parseInt(line.substring(0, colon)), p -> new ArrayList<>())
          .add(Integer.parseInt(line.substring(colon + 1)));
    }
    return seq;
  }

  private static void assertExactly(Path out, int perPartition) throws IOException {
    Map<Integer, List<Integer>> seq = published(out);
    List<Integer> expected = IntStream.range(0, perPartition).boxed().toList();
    assertThat(seq.keySet()).as("partitions in the published batches under %s", out).hasSize(PARTITIONS);
    seq.forEach((p, ns) -> {
      List<Integer> missing = new ArrayList<>(expected);
      missing.removeAll(ns);
      assertThat(ranges(missing)).as("records of partition %d missing from the published batches under %s", p, out)
          .isEmpty();
      assertThat(ns).as("partition %d, in order, each record once", p).isEqualTo(expected);
    });
    Path replaced = out.resolve(FileBatchSink.REPLACED);
    if (Files.exists(replaced)) {
      try (Stream<Path> aside = Files.list(replaced)) {
        assertThat(aside.map(p -> p.getFileName().toString()).toList()).as("batches moved aside").isEmpty();
      }
    }
  }

  /** Sorted numbers as runs: [3, 4, 5, 9] is ["3..5", "9"]. */
  private static List<String> ranges(List<Integer> sorted) {
    List<String> runs = new ArrayList<>();
    for (int i = 0; i < sorted.size(); ) {
      int j = i;
      while (j + 1 < sorted.size() && sorted.get(j + 1) == sorted.get(j) + 1) {
        j++;
      }
      runs.add(i == j ? sorted.get(i).toString() : sorted.get(i) + ".." + sorted.get(j));
      i = j + 1;
    }
    return runs;
  }

  /**
   * The driver dies after committing batch N and before publishing it; the operator then resets
   * the job to its current positions (from an export) or rewinds it to batch N, both of which
   * keep batch N as the last. The next driver must still publish batch N's prepared output.
   */
  @ParameterizedTest
  @ValueSource(strings = {"reset", "rewind"})
  void anOperatorChangeThatKeepsTheLastBatchAfterACrashBetweenCommitAndPublishLosesNothing(String action)
      throws Exception {
    String job = action + "-after-commit";
    String topic = "operator-" + action;
    String store = zkStore("tidemark-operator");
    Path out = work.resolve(job + "-out");
    int perPartition = 1_000;
    broker.createTopic(topic, PARTITIONS);
    SparkTestSupport.produce(broker, topic, PARTITIONS, 0, perPartition);

    long batch;
    try (DriverProcess driver = DriverProcess.start(work.resolve(job + "-killed.log"),
        args(store, job, topic, out, "after-commit:3", "100"))) {
      String paused = driver.awaitLine(l -> l.startsWith("PAUSED"), "the pause after a commit");
      batch = Long.parseLong(paused.substring(paused.lastIndexOf(' ') + 1));
      driver.kill();
      LOG.info("{}: SIGKILL at {}", job, paused);
    }
    try (OffsetStore s = OffsetStores.open(store)) {
      assertThat(s.read(job).lastBatchId()).as("the killed driver's last commit").hasValue(batch);
    }
    assertThat(out.resolve(FileBatchSink.batchDirectory(batch))).as("batch %d, committed, not yet published", batch)
        .doesNotExist();

    if (action.equals("reset")) {
      Path csv = work.resolve(job + ".csv");
      tidemark("offsets", "export", "--store", store, "--job", job, "--output", csv.toString());
      tidemark("offsets", "reset", "--store", store, "--job", job, "--from-file", csv.toString(), "--execute",
          "--force");
    } else {
      tidemark("offsets", "rewind", "--store", store, "--job", job, "--to-batch", Long.toString(batch), "--execute",
          "--force");
    }
    try (OffsetStore s = OffsetStores.open(store)) {
      assertThat(s.read(job).lastBatchId()).as("the %s kept the last batch", action).hasValue(batch);
    }

    runToTheEnd(store, job, topic, out, job + "-after.log");
    assertExactly(out, perPartition);
  }

  /**
   * The documented move of a job to another store: stop it, {@code export}, {@code delete},
   * {@code import} into the other store, start it there. Its published batches stay visible and
   * the batches it writes on the new store follow them.
   */
  @Test
  void aJobMovedToAnotherStoreWithTheCommandLineKeepsItsPublishedBatches() throws Exception {
    String job = "moved";
    String topic = "operator-move";
    String from = "file:" + work.resolve("move-offsets");
    String to = zkStore("tidemark-move");
    Path out = work.resolve(job + "-out");
    broker.createTopic(topic, PARTITIONS);
    SparkTestSupport.produce(broker, topic, PARTITIONS, 0, 600);
    try (DriverProcess driver = DriverProcess.start(work.resolve(job + "-first.log"),
        args(from, job, topic, out, "none:0", "100"))) {
      driver.awaitLine(l -> l.startsWith("STARTED"), "start");
      try (OffsetStore offsets = OffsetStores.open(from)) {
        Map<org.apache.kafka.common.TopicPartition, Long> end = broker.endOffsets(topic);
        driver.awaitUntil("the old store at the end of the input", () -> offsets.read(job).positions().equals(end),
            () -> offsets.read(job).positions());
        assertThat(offsets.read(job).lastBatchId().orElseThrow()).as("batches on the old store").isPositive();
      }
      driver.send("stop");
      assertThat(driver.awaitExit()).as("exit code; log %s", driver.log()).isZero();
    }
    assertExactly(out, 600);

    Path csv = work.resolve(job + ".csv");
    tidemark("offsets", "export", "--store", from, "--job", job, "--output", csv.toString());
    tidemark("offsets", "delete", "--store", from, "--job", job, "--execute", "--force");
    tidemark("offsets", "import", "--store", to, "--job", job, "--input", csv.toString(), "--execute");

    SparkTestSupport.produce(broker, topic, PARTITIONS, 600, 600);
    runToTheEnd(to, job, topic, out, job + "-moved.log");
    assertExactly(out, 1_200);
  }
}
