package io.tidemark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.testkit.HBaseCluster;
import io.tidemark.testkit.KafkaBroker;
import io.tidemark.testkit.ZooKeeperServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@code tidemark offsets} commands, run as the command line runs them, against a real broker
 * and each real store: their output, their exit codes, and that a dry run changes nothing.
 */
class OffsetsCommandIT {
  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().build();

  @RegisterExtension
  static final ZooKeeperServer zk = ZooKeeperServer.create();

  @RegisterExtension
  static final HBaseCluster hbase = HBaseCluster.create();

  @TempDir
  static Path dir;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOPIC = "orders";

  /** Each partition of {@value #TOPIC} holds 100 records, timestamped 1 s apart from 2026-11-20T08:00:00Z. */
  @BeforeAll
  static void topic() {
    // records timestamped in the past: kept whatever their age (the broker's default retention is 7 days)
    broker.createTopic(TOPIC, 3, Map.of("retention.ms", "-1"));
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int p = 0; p < 3; p++) {
      for (int i = 0; i < 100; i++) {
        records.add(new ProducerRecord<>(TOPIC, p, 1_795_161_600_000L + i * 1_000L, null,
            ("r" + i).getBytes(StandardCharsets.UTF_8)));
      }
    }
    broker.produce(records);
  }

  static Cli.Run tidemark(String... args) {
    return Cli.tidemark(args);
  }

  static String store(String kind) {
    return switch (kind) {
      case "file" -> "file:" + dir.resolve("offsets");
      case "zk" -> "zk://" + zk.connectString() + "/tidemark-cli";
      case "hbase" -> "hbase://" + hbase.zookeeperQuorum() + "/tidemark:cli_offsets?hbase.create.table=true";
      case "kafka" -> "kafka://" + broker.bootstrapServers() + "?kafka.group.prefix=cli.";
      default -> throw new IllegalArgumentException(kind);
    };
  }

  /** A job that committed batches 0, 1, 2: each read 10 records of every partition. Returns its name. */
  static String seed(String store) {
    return seed(store, null);
  }

  /** As {@link #seed(String)}, with the commits made at {@code time} (null: now). */
  static String seed(String store, java.time.Instant time) {
    String job = "job-" + UUID.randomUUID().toString().substring(0, 8);
    try (OffsetStore s = OffsetStores.open(store)) {
      long epoch = s.claim(job);
      for (int b = 0; b < 3; b++) {
        OffsetCommit.Builder c = OffsetCommit.builder(job, b, epoch).metadata("step", "b" + b);
        if (time != null) {
          c.commitTime(time.plusSeconds(b));
        }
        for (int p = 0; p < 3; p++) {
          c.range(TOPIC, p, b * 10L, b * 10L + 10);
        }
        if (b == 0) {
          c.starts(Map.of(new TopicPartition(TOPIC, 0), 0L, new TopicPartition(TOPIC, 1), 0L,
              new TopicPartition(TOPIC, 2), 0L));
        }
        s.commit(c.build());
      }
    }
    return job;
  }

  static CommittedOffsets read(String store, String job) {
    try (OffsetStore s = OffsetStores.open(store)) {
      return s.read(job);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"file", "zk", "hbase", "kafka"})
  void listShowHistoryAndLagReadTheStore(String kind) throws Exception {
    String store = store(kind);
    String job = seed(store);

    Cli.Run list = tidemark("offsets", "list", "--store", store);
    assertThat(list.code()).as(list.err()).isZero();
    assertThat(list.out()).startsWith("job").containsPattern(job + "\\s+1\\s+2\\s+\\S+\\s+3");

    Cli.Run show = tidemark("offsets", "show", "--store", store, "--job", job, "--json");
    assertThat(show.code()).as(show.err()).isZero();
    JsonNode shown = JSON.readTree(show.out());
    assertThat(shown.get("lastBatch").asLong()).isEqualTo(2);
    assertThat(shown.get("positions")).hasSize(3).allSatisfy(p -> assertThat(p.get("offset").asLong()).isEqualTo(30));

    Cli.Run history = tidemark("offsets", "history", "--store", store, "--job", job);
    assertThat(history.code()).isZero();
    List<String> lines = history.out().lines().toList();
    assertThat(lines.get(1)).startsWith("commit").contains("step=b2");
    if (kind.equals("kafka")) {
      assertThat(lines).as("a consumer group keeps the last batch only").hasSize(2);
    } else {
      assertThat(lines).hasSize(4);
      assertThat(lines.get(3)).startsWith("commit").contains("step=b0");
    }

    Cli.Run lag = tidemark("offsets", "lag", "--store", store, "--job", job, "--bootstrap", broker.bootstrapServers(),
        "--json");
    assertThat(lag.code()).as(lag.err()).isZero();
    JsonNode l = JSON.readTree(lag.out());
    assertThat(l.get("totalLag").asLong()).isEqualTo(3 * 70);
    assertThat(l.get("partitions")).allSatisfy(p -> assertThat(p.get("logEnd").asLong()).isEqualTo(100));
  }

  @ParameterizedTest
  @ValueSource(strings = {"file", "zk", "hbase", "kafka"})
  void resetIsADryRunUntilExecutedAndRefusesALiveJobWithoutForce(String kind) {
    String store = store(kind);
    String job = seed(store);
    CommittedOffsets before = read(store, job);

    Cli.Run dry = tidemark("offsets", "reset", "--store", store, "--job", job, "--to-earliest", "--bootstrap",
        broker.bootstrapServers(), "--force");
    assertThat(dry.code()).as(dry.err()).isZero();
    assertThat(dry.out()).contains("DRY RUN: nothing changed").containsPattern("orders\\s+0\\s+30\\s+0\\s+-30");
    assertThat(read(store, job)).as("a dry run changes nothing, not even the epoch").isEqualTo(before);

    Cli.Run refused = tidemark("offsets", "reset", "--store", store, "--job", job, "--to-earliest", "--bootstrap",
        broker.bootstrapServers(), "--execute");
    assertThat(refused.code()).isEqualTo(ExitCodes.REFUSED);
    assertThat(refused.err()).contains("its driver looks alive", "add --force");
    assertThat(read(store, job)).isEqualTo(before);

    Cli.Run applied = tidemark("offsets", "reset", "--store", store, "--job", job, "--shift-by", "-25", "--bootstrap",
        broker.bootstrapServers(), "--execute", "--force");
    assertThat(applied.code()).as(applied.err()).isZero();
    CommittedOffsets after = read(store, job);
    assertThat(after.positions().values()).containsOnly(5L);
    assertThat(after.epoch()).as("a reset fences the running driver").isGreaterThan(before.epoch());
  }

  /**
   * A driver that claimed the job and has not committed yet leaves no recent commit to see, but
   * the job's epoch is then above the epoch of its newest history entry: a change is refused.
   */
  @ParameterizedTest
  @ValueSource(strings = {"file", "zk", "hbase", "kafka"})
  void aDriverThatClaimedTheJobButHasNotCommittedYetLooksAlive(String kind) {
    String store = store(kind);
    String job = seed(store, java.time.Instant.now().minus(java.time.Duration.ofHours(1)));
    String[] reset = {"offsets", "reset", "--store", store, "--job", job, "--shift-by", "-5", "--execute"};
    Cli.Run idle = tidemark("offsets", "reset", "--store", store, "--job", job, "--shift-by", "-5");
    assertThat(idle.code()).as("a job that last committed an hour ago, not claimed since: %s", idle.err()).isZero();

    long claimed;
    try (OffsetStore s = OffsetStores.open(store)) {
      claimed = s.claim(job); // a driver starts, and has read nothing to commit yet
    }
    CommittedOffsets before = read(store, job);
    for (String[] change : List.of(reset, new String[] {"offsets", "rewind", "--store", store, "--job", job,
        "--to-batch", "1", "--execute"}, new String[] {"offsets", "delete", "--store", store, "--job", job,
        "--execute"})) {
      Cli.Run refused = tidemark(change);
      assertThat(refused.code()).as("%s: %s", change[1], refused.err()).isEqualTo(ExitCodes.REFUSED);
      assertThat(refused.err()).contains("job '" + job + "' was claimed under epoch " + claimed,
          "after its last write (batch 2 under epoch 1)", "a driver may be running",
          "Stop the driver first, or add --force if it is known to be dead");
    }
    assertThat(read(store, job)).as("nothing changed").isEqualTo(before);

    String[] withForce = java.util.Arrays.copyOf(reset, reset.length + 1);
    withForce[reset.length] = "--force";
    Cli.Run applied = tidemark(withForce);
    assertThat(applied.code()).as(applied.err()).isZero();
    assertThat(read(store, job).positions().values()).containsOnly(25L);
  }

  @Test
  void everyKindOfResetTarget() throws Exception {
    String store = store("file");
    String job = seed(store);
    String[] base = {"offsets", "reset", "--store", store, "--job", job, "--bootstrap", broker.bootstrapServers(),
        "--execute", "--force"};
    assertThat(run(base, "--to-latest").code()).isZero();
    assertThat(read(store, job).positions().values()).containsOnly(100L);
    assertThat(run(base, "--to-offset", "1000").code()).isZero();
    assertThat(read(store, job).positions().values()).as("kept within the log").containsOnly(100L);
    assertThat(run(base, "--to-datetime", "2026-11-20T08:00:42Z").code()).isZero();
    assertThat(read(store, job).positions().values()).containsOnly(42L);
    assertThat(run(base, "--by-duration", "1d").code()).isZero();
    assertThat(read(store, job).positions().values()).as("every record is older than a day from now")
        .containsOnly(100L);
    Path csv = dir.resolve("positions.csv");
    Files.writeString(csv, "topic,partition,offset\norders,0,7\norders,2,9\n");
    assertThat(run(base, "--from-file", csv.toString()).code()).isZero();
    assertThat(read(store, job).positions()).containsEntry(new TopicPartition(TOPIC, 0), 7L)
        .containsEntry(new TopicPartition(TOPIC, 1), 100L).containsEntry(new TopicPartition(TOPIC, 2), 9L);

    Cli.Run two = tidemark("offsets", "reset", "--store", store, "--job", job, "--to-latest", "--to-earliest");
    assertThat(two.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(two.err()).contains("mutually exclusive");
    Cli.Run noBroker = tidemark("offsets", "reset", "--store", store, "--job", job, "--to-latest");
    assertThat(noBroker.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(noBroker.err()).contains("add --bootstrap");
  }

  private static Cli.Run run(String[] base, String... more) {
    String[] args = java.util.Arrays.copyOf(base, base.length + more.length);
    System.arraycopy(more, 0, args, base.length, more.length);
    Cli.Run r = tidemark(args);
    assertThat(r.code()).as("%s: %s", String.join(" ", args), r.err()).isZero();
    return r;
  }

  @ParameterizedTest
  @ValueSource(strings = {"file", "zk", "hbase", "kafka"})
  void exportThenImportMakesAnEqualJob(String kind) throws Exception {
    String store = store(kind);
    String job = seed(store);
    Path csv = dir.resolve(kind + "-export.csv");
    Cli.Run export = tidemark("offsets", "export", "--store", store, "--job", job, "--output", csv.toString());
    assertThat(export.code()).as(export.err()).isZero();
    assertThat(Files.readAllLines(csv)).containsExactly("# last-batch: 2", "topic,partition,offset", "orders,0,30",
        "orders,1,30", "orders,2,30");

    String copy = job + "-copy";
    Cli.Run dry = tidemark("offsets", "import", "--store", store, "--job", copy, "--input", csv.toString());
    assertThat(dry.out()).contains("would create job " + copy + " as batch 2; its next batch is 3", "DRY RUN");
    assertThat(tidemark("offsets", "show", "--store", store, "--job", copy).code()).isEqualTo(ExitCodes.NOT_FOUND);

    Cli.Run imported = tidemark("offsets", "import", "--store", store, "--job", copy, "--input", csv.toString(),
        "--execute");
    assertThat(imported.code()).as(imported.err()).isZero();
    assertThat(read(store, copy).positions()).isEqualTo(read(store, job).positions());
    assertThat(read(store, copy).nextBatchId()).as("the batch ids continue from the export's").hasValue(3);

    // a hand-written file, without the export's comment lines: batch 0, or --last-batch
    Path hand = dir.resolve(kind + "-hand.csv");
    Files.writeString(hand, "orders,0,5\n");
    assertThat(tidemark("offsets", "import", "--store", store, "--job", job + "-hand", "--input", hand.toString(),
        "--execute").code()).isZero();
    assertThat(read(store, job + "-hand").nextBatchId()).hasValue(1);
    assertThat(tidemark("offsets", "import", "--store", store, "--job", job + "-set", "--input", hand.toString(),
        "--last-batch", "41", "--execute").code()).isZero();
    assertThat(read(store, job + "-set").nextBatchId()).hasValue(42);
    Cli.Run existing = tidemark("offsets", "import", "--store", store, "--job", copy, "--input", hand.toString(),
        "--last-batch", "41", "--execute", "--force");
    assertThat(existing.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(existing.err()).contains("keeps its own batch ids (last batch 2): --last-batch is for a new job only");
  }

  /**
   * Export, delete, import into another store: the job goes on from its last batch id, with what
   * its transactional output prepared for that batch, also when a reset after that batch kept it
   * as the last (found through the rewind; a {@code kafka://} store keeps no history past a rewind).
   */
  @ParameterizedTest
  @ValueSource(strings = {"file", "zk", "hbase", "kafka"})
  void aJobMovedToAnotherStoreKeepsItsLastBatchAndItsOutputMetadata(String kind) throws Exception {
    String store = store(kind);
    String job = "moved-" + UUID.randomUUID().toString().substring(0, 8);
    try (OffsetStore s = OffsetStores.open(store)) {
      long epoch = s.claim(job);
      for (int b = 0; b < 3; b++) {
        OffsetCommit.Builder c = OffsetCommit.builder(job, b, epoch).metadata("sink.dir", "batch-" + b + "-prepared")
            .metadata("tidemark.guarantee", "EXACTLY_ONCE").range(TOPIC, 0, b * 10L, b * 10L + 10);
        if (b == 0) {
          c.starts(Map.of(new TopicPartition(TOPIC, 0), 0L));
        }
        s.commit(c.build());
      }
    }
    if (!kind.equals("kafka")) {
      assertThat(tidemark("offsets", "reset", "--store", store, "--job", job, "--shift-by", "0", "--execute",
          "--force").code()).isZero();
    }
    Path csv = dir.resolve(job + ".csv");
    assertThat(tidemark("offsets", "export", "--store", store, "--job", job, "--output", csv.toString()).code())
        .isZero();
    assertThat(Files.readAllLines(csv)).containsExactly("# last-batch: 2",
        "# last-batch-metadata: {\"sink.dir\":\"batch-2-prepared\"}", "topic,partition,offset", "orders,0,30");
    assertThat(tidemark("offsets", "delete", "--store", store, "--job", job, "--execute", "--force").code()).isZero();

    String other = "file:" + dir.resolve("moved-from-" + kind);
    Cli.Run imported = tidemark("offsets", "import", "--store", other, "--job", job, "--input", csv.toString(),
        "--execute");
    assertThat(imported.code()).as(imported.err()).isZero();
    assertThat(imported.out()).contains("created job " + job + " at these positions as batch 2 (epoch 1); its next"
        + " batch is 3");
    try (OffsetStore s = OffsetStores.open(other)) {
      assertThat(s.read(job).positions()).containsExactly(Map.entry(new TopicPartition(TOPIC, 0), 30L));
      OffsetCommit last = s.newestCommitIfLast(job).orElseThrow();
      assertThat(last.batchId()).isEqualTo(2);
      assertThat(last.metadata()).containsEntry("sink.dir", "batch-2-prepared");
    }
    Cli.Run reset = tidemark("offsets", "reset", "--store", store(kind), "--job", job, "--shift-by", "0");
    assertThat(reset.code()).as("gone from the old store").isEqualTo(ExitCodes.NOT_FOUND);
    Path again = dir.resolve(job + "-again.csv");
    assertThat(tidemark("offsets", "export", "--store", other, "--job", job, "--output", again.toString()).code())
        .isZero();
    assertThat(Files.readAllLines(again)).as("the moved job exports the same").isEqualTo(Files.readAllLines(csv));
    Cli.Run fromFile = tidemark("offsets", "reset", "--store", other, "--job", job, "--from-file", csv.toString(),
        "--force");
    assertThat(fromFile.code()).as("reset --from-file reads an export: %s", fromFile.err()).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"file", "zk", "hbase", "kafka"})
  void rewindAndDeleteAreDryRunsUntilExecuted(String kind) {
    String store = store(kind);
    String job = seed(store);
    CommittedOffsets before = read(store, job);

    Cli.Run dry = tidemark("offsets", "rewind", "--store", store, "--job", job, "--to-batch", "1", "--force");
    assertThat(dry.code()).as(dry.err()).isZero();
    assertThat(dry.out()).contains("would rewind job " + job + " from batch 2 to batch 1", "DRY RUN")
        .containsPattern("orders\\s+0\\s+30\\s+20\\s+-10");
    assertThat(read(store, job)).isEqualTo(before);

    Cli.Run rewound = tidemark("offsets", "rewind", "--store", store, "--job", job, "--to-batch", "1", "--execute",
        "--force");
    assertThat(rewound.code()).as(rewound.err()).isZero();
    assertThat(read(store, job).positions().values()).containsOnly(20L);
    assertThat(read(store, job).nextBatchId()).hasValue(2);
    assertThat(tidemark("offsets", "rewind", "--store", store, "--job", job, "--to-batch", "9", "--force").code())
        .isEqualTo(ExitCodes.NOT_FOUND);

    Cli.Run dryDelete = tidemark("offsets", "delete", "--store", store, "--job", job, "--force");
    assertThat(dryDelete.out()).contains("would delete job " + job, "DRY RUN");
    assertThat(read(store, job).isEmpty()).isFalse();
    Cli.Run deleted = tidemark("offsets", "delete", "--store", store, "--job", job, "--execute", "--force");
    assertThat(deleted.code()).as(deleted.err()).isZero();
    assertThat(tidemark("offsets", "show", "--store", store, "--job", job).err()).contains("no job '" + job + "'");
  }

  @Test
  void helpAndErrorsSayWhatToDo() {
    Cli.Run help = tidemark("--help");
    assertThat(help.code()).isZero();
    assertThat(help.out()).contains("offsets", "schemas", "Exit codes:", "3   refused");
    for (String command : List.of("list", "show", "lag", "history", "export", "import", "delete", "reset", "rewind")) {
      Cli.Run h = tidemark("offsets", command, "--help");
      assertThat(h.code()).as(command).isZero();
      assertThat(h.out()).as(command).contains("--store");
    }
    Cli.Run unknownStore = tidemark("offsets", "list", "--store", "nosuch://x");
    assertThat(unknownStore.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(unknownStore.err()).startsWith("tidemark: ");
    Cli.Run missing = tidemark("offsets", "show", "--store", store("file"), "--job", "nobody");
    assertThat(missing.code()).isEqualTo(ExitCodes.NOT_FOUND);
    assertThat(missing.err()).contains("tidemark offsets list --store");
    for (String bad : List.of("5 weeks", "PT", "-3m")) {
      Cli.Run duration = tidemark("offsets", "reset", "--store", store("file"), "--job", "nobody", "--by-duration", bad,
          "--bootstrap", broker.bootstrapServers());
      assertThat(duration.code()).as(bad).isEqualTo(ExitCodes.USAGE);
      assertThat(duration.err()).as(bad).contains("not a duration: '" + bad + "' (use 30s, 5m, 2h, 1d, 500ms or PT5M)");
    }
  }
}
