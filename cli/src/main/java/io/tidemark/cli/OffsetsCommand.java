package io.tidemark.cli;

import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.JobLag;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.offsets.PartitionOffsets;
import io.tidemark.offsets.RewindTarget;
import io.tidemark.offsets.spi.CommitRules;
import io.tidemark.offsets.spi.ConfigKey;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tidemark offsets}: inspect and repair jobs' committed offsets in any store. */
@Command(name = "offsets", mixinStandardHelpOptions = true,
    description = "Inspect and repair jobs' committed offsets in a store (file:, zk://, hbase://, kafka://).",
    subcommands = {OffsetsCommand.ListJobs.class, OffsetsCommand.Show.class, OffsetsCommand.Lag.class,
        OffsetsCommand.History.class, OffsetsCommand.Export.class, OffsetsCommand.Import.class,
        OffsetsCommand.Delete.class, OffsetsCommand.Reset.class, OffsetsCommand.Rewind.class})
final class OffsetsCommand {
  private OffsetsCommand() {}

  /** {@code --store} and its settings. */
  static final class StoreOptions {
    @Option(names = "--store", required = true, paramLabel = "URI",
        description = "The store: file:/dir, zk://host:port/root, hbase://quorum/namespace:table.")
    String uri;

    @Option(names = "--store-config", paramLabel = "KEY=VALUE",
        description = "A store setting (repeatable), as in docs/configuration.")
    Map<String, String> config = new LinkedHashMap<>();

    OffsetStore open() {
      return OffsetStores.open(URI.create(uri), config);
    }
  }

  /** {@code --bootstrap} and client settings for a live broker. */
  static final class BrokerOptions {
    @Option(names = "--bootstrap", paramLabel = "HOST:PORT", description = "A Kafka broker to read log offsets from.")
    String bootstrap;

    @Option(names = "--kafka-config", paramLabel = "KEY=VALUE",
        description = "A Kafka admin client setting (repeatable): security.protocol, sasl.*, ssl.*.")
    Map<String, String> config = new LinkedHashMap<>();

    Admin admin(String why) {
      if (bootstrap == null) {
        throw new CliException(ExitCodes.USAGE, why + " needs the log offsets of a live broker: add --bootstrap host:port");
      }
      Properties p = new Properties();
      p.putAll(config);
      p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
      return Admin.create(p);
    }
  }

  /** What every job command shares: the store, the job, the output format. */
  abstract static class JobCommand extends CliCommand {
    @Mixin
    StoreOptions store;

    @Option(names = "--job", required = true, description = "The job's name in the store.")
    String job;

    /** The job's stored state; NOT_FOUND when the store has no such job. */
    CommittedOffsets existing(OffsetStore s) {
      CommittedOffsets c = s.read(job);
      if (c.isEmpty() && !s.listJobs().contains(job)) {
        throw new CliException(ExitCodes.NOT_FOUND, "no job '" + job + "' in " + s.description()
            + "; tidemark offsets list --store " + store.uri + " lists the jobs");
      }
      return c;
    }
  }

  /** What every command that changes a job shares: a dry run unless {@code --execute}, and the live-driver check. */
  abstract static class ChangeCommand extends JobCommand {
    @Option(names = "--execute", description = "Apply the change. Without it, the command only shows what it would do.")
    boolean execute;

    @Option(names = "--force", description = "Apply it even though a driver looks alive: it committed within"
        + " --live-within, or it claimed the job after the job's last commit or rewind and has not committed yet.")
    boolean force;

    @Option(names = "--live-within", paramLabel = "DURATION", defaultValue = "5m",
        description = "A job that committed this recently has a running driver (default ${DEFAULT-VALUE}; 30s, 5m, 1h, PT10M).")
    String liveWithin;

    /**
     * Refuses to change a job whose driver looks alive, unless {@code --force}: one that committed
     * within {@code --live-within}, or one that claimed the job after its newest history entry (a
     * driver takes a new epoch when it starts, and commits only once it has read something).
     */
    void checkNotLive(OffsetStore s, CommittedOffsets c) {
      if (force) {
        return;
      }
      if (c.lastCommitTime().isPresent()) {
        Duration since = Duration.between(c.lastCommitTime().get(), Instant.now());
        if (since.compareTo(durationOf(liveWithin)) < 0) {
          throw new CliException(ExitCodes.REFUSED, "job '" + job + "' committed batch "
              + c.lastBatchId().orElse(-1) + " " + since.toSeconds() + " s ago under epoch " + c.epoch()
              + ": its driver looks alive. " + whyNotWhileLive() + " Stop the driver first, or add --force.");
        }
      }
      List<HistoryEntry> newest = s.history(job, 1);
      String lastWrite;
      if (newest.isEmpty()) {
        // a job with positions but no history (a kafka:// store after a rewind) cannot tell
        lastWrite = c.isEmpty() && c.epoch() > 0 ? "and has neither a commit nor a rewind" : null;
      } else if (newest.get(0).epoch() < c.epoch()) {
        lastWrite = "after its last write (" + (newest.get(0) instanceof HistoryEntry.Committed last ? "batch "
            + last.commit().batchId() : "a rewind") + " under epoch " + newest.get(0).epoch() + ")";
      } else {
        lastWrite = null;
      }
      if (lastWrite != null) {
        throw new CliException(ExitCodes.REFUSED, "job '" + job + "' was claimed under epoch " + c.epoch() + " "
            + lastWrite + ": a driver may be running that has not committed yet. " + whyNotWhileLive() + " Stop the"
            + " driver first, or add --force if it is known to be dead.");
      }
    }

    /** What the change would do to a running driver. */
    String whyNotWhileLive() {
      return "Changing its offsets takes a new epoch, so that driver's next commit would fail (STALE_EPOCH) and it"
          + " would stop.";
    }

    void dryRunNote() {
      out().println("DRY RUN: nothing changed. Add --execute to apply.");
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "The jobs in a store, with their last commit.")
  static final class ListJobs extends CliCommand {
    @Mixin
    StoreOptions store;

    @Override
    public Integer call() {
      try (OffsetStore s = store.open()) {
        Output o = new Output("job", "epoch", "lastBatch", "lastCommit", "partitions");
        for (String job : new java.util.TreeSet<>(s.listJobs())) {
          CommittedOffsets c = s.read(job);
          o.row(job, c.epoch(), c.lastBatchId().isPresent() ? c.lastBatchId().getAsLong() : null,
              c.lastCommitTime().map(Instant::toString).orElse(null), c.positions().size());
        }
        o.print(out(), json);
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "A job's committed positions, epoch and last batch.")
  static final class Show extends JobCommand {
    @Override
    public Integer call() {
      try (OffsetStore s = store.open()) {
        CommittedOffsets c = existing(s);
        Output o = positions(c.positions());
        if (json) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("job", job);
          m.put("epoch", c.epoch());
          m.put("lastBatch", c.lastBatchId().isPresent() ? c.lastBatchId().getAsLong() : null);
          m.put("lastCommit", c.lastCommitTime().map(Instant::toString).orElse(null));
          m.put("positions", o.objects());
          Output.printJson(out(), m);
        } else {
          out().printf("job %s, epoch %d, last batch %s, committed %s%n", job, c.epoch(),
              c.lastBatchId().isPresent() ? c.lastBatchId().getAsLong() : "none",
              c.lastCommitTime().map(Instant::toString).orElse("never"));
          o.print(out(), false);
        }
      }
      return ExitCodes.OK;
    }
  }

  static Output positions(Map<TopicPartition, Long> positions) {
    Output o = new Output("topic", "partition", "offset");
    sorted(positions).forEach((tp, offset) -> o.row(tp.topic(), tp.partition(), offset));
    return o;
  }

  static Map<TopicPartition, Long> sorted(Map<TopicPartition, Long> m) {
    Map<TopicPartition, Long> sorted = new TreeMap<>(OffsetCommit.PARTITION_ORDER);
    sorted.putAll(m);
    return sorted;
  }

  @Command(name = "lag", mixinStandardHelpOptions = true,
      description = "Per partition: the committed position, the log end read from a live broker, and the lag.")
  static final class Lag extends JobCommand {
    @Mixin
    BrokerOptions broker;

    @Override
    public Integer call() {
      try (OffsetStore s = store.open(); Admin admin = broker.admin("lag")) {
        JobLag lag = JobLag.of(existing(s), PartitionOffsets.of(admin));
        Output o = new Output("topic", "partition", "committed", "logEnd", "lag");
        lag.partitions().forEach(p -> o.row(p.partition().topic(), p.partition().partition(), p.committed(),
            p.logEnd(), p.lag()));
        if (json) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("job", job);
          m.put("totalLag", lag.totalLag());
          m.put("maxLag", lag.maxLag());
          m.put("partitions", o.objects());
          m.put("missingPartitions", lag.missingPartitions().stream().map(TopicPartition::toString).toList());
          Output.printJson(out(), m);
        } else {
          o.print(out(), false);
          out().printf("total lag %d, max %d, over %d partitions%n", lag.totalLag(), lag.maxLag(), lag.partitions().size());
          if (!lag.missingPartitions().isEmpty()) {
            out().println("not in Kafka (deleted topics or partitions): " + lag.missingPartitions());
          }
        }
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "history", mixinStandardHelpOptions = true,
      description = "A job's last commits and rewinds, newest first.")
  static final class History extends JobCommand {
    @Option(names = "--limit", defaultValue = "20", description = "How many entries (default ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public Integer call() {
      try (OffsetStore s = store.open()) {
        existing(s);
        Output o = new Output("entry", "batch", "epoch", "time", "records", "detail");
        for (HistoryEntry e : s.history(job, limit)) {
          if (e instanceof HistoryEntry.Committed c) {
            o.row("commit", c.commit().batchId(), c.epoch(), c.time().toString(), c.commit().offsetCount(),
                c.commit().metadata().isEmpty() ? "" : c.commit().metadata().toString());
          } else if (e instanceof HistoryEntry.Rewound r) {
            o.row("rewind", r.lastBatchIdAfter().isPresent() ? r.lastBatchIdAfter().getAsLong() : null, r.epoch(),
                r.time().toString(), null, (r.toBatch().isPresent() ? "to batch " + r.toBatch().getAsLong()
                    : "to offsets") + ", positions " + sorted(r.positionsAfter()));
          }
        }
        o.print(out(), json);
      }
      return ExitCodes.OK;
    }
  }

  /** The comment line of an export naming the job's last batch id. */
  static final String LAST_BATCH = "# last-batch: ";
  /** The comment line of an export holding the last batch's output metadata ({@code sink.*}), as a JSON object. */
  static final String LAST_BATCH_METADATA = "# last-batch-metadata: ";
  /** The commit-metadata prefix of what a transactional output prepared (the Spark adapters' {@code sink.}). */
  static final String SINK_PREFIX = "sink.";

  @Command(name = "export", mixinStandardHelpOptions = true,
      description = "A job's positions as CSV (topic,partition,offset), the format import and reset --from-file read;"
          + " comment lines before them keep the last batch id and its output's metadata for import.")
  static final class Export extends JobCommand {
    @Option(names = "--output", paramLabel = "FILE", description = "Write to this file instead of stdout.")
    Path output;

    @Override
    public Integer call() throws IOException {
      try (OffsetStore s = store.open()) {
        CommittedOffsets c = existing(s);
        StringBuilder csv = new StringBuilder();
        if (c.lastBatchId().isPresent()) {
          csv.append(LAST_BATCH).append(c.lastBatchId().getAsLong()).append('\n');
          Map<String, String> sink = new TreeMap<>();
          s.newestCommitIfLast(job).ifPresent(last -> last.metadata().forEach((k, v) -> {
            if (k.startsWith(SINK_PREFIX)) {
              sink.put(k, v);
            }
          }));
          if (!sink.isEmpty()) {
            csv.append(LAST_BATCH_METADATA).append(Output.json(sink)).append('\n');
          }
        }
        csv.append("topic,partition,offset\n");
        sorted(c.positions()).forEach((tp, offset) -> csv.append(tp.topic()).append(',')
            .append(tp.partition()).append(',').append(offset).append('\n'));
        if (output == null) {
          out().print(csv);
          out().flush();
        } else {
          Files.writeString(output, csv, StandardCharsets.UTF_8);
          out().println("wrote the positions of " + job + " to " + output + (c.lastBatchId().isPresent()
              ? " (last batch " + c.lastBatchId().getAsLong() + ")" : ""));
        }
      }
      return ExitCodes.OK;
    }
  }

  /** What an export's comment lines say: the job's last batch id and that batch's output metadata. */
  record ExportedBatch(OptionalLong lastBatch, Map<String, String> metadata) {}

  /** Reads the {@value #LAST_BATCH} and {@value #LAST_BATCH_METADATA} lines of an export (none in a hand-written file). */
  static ExportedBatch readExportedBatch(Path file) throws IOException {
    OptionalLong last = OptionalLong.empty();
    Map<String, String> metadata = new TreeMap<>();
    int n = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      n++;
      String t = line.trim();
      try {
        if (t.startsWith(LAST_BATCH)) {
          long id = Long.parseLong(t.substring(LAST_BATCH.length()).trim());
          if (id < 0) {
            throw new IllegalArgumentException("a batch id is >= 0");
          }
          last = OptionalLong.of(id);
        } else if (t.startsWith(LAST_BATCH_METADATA)) {
          metadata.putAll(Output.parseStringMap(t.substring(LAST_BATCH_METADATA.length())));
        }
      } catch (IllegalArgumentException e) {
        throw new CliException(ExitCodes.USAGE, file + " line " + n + ": '" + line + "' cannot be read ("
            + e.getMessage() + ")");
      }
    }
    return new ExportedBatch(last, metadata);
  }

  /** Reads {@code topic,partition,offset} lines; a header line and {@code #} comments are skipped. */
  static Map<TopicPartition, Long> readCsv(Path file) throws IOException {
    Map<TopicPartition, Long> positions = new LinkedHashMap<>();
    int n = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      n++;
      String t = line.trim();
      if (t.isEmpty() || t.startsWith("#") || t.equals("topic,partition,offset")) {
        continue;
      }
      String[] f = t.split(",");
      try {
        if (f.length != 3) {
          throw new NumberFormatException("3 fields expected");
        }
        TopicPartition tp = new TopicPartition(f[0].trim(), Integer.parseInt(f[1].trim()));
        if (positions.put(tp, Long.parseLong(f[2].trim())) != null) {
          throw new NumberFormatException(tp + " is listed twice");
        }
      } catch (NumberFormatException e) {
        throw new CliException(ExitCodes.USAGE, file + " line " + n + ": '" + line + "' is not topic,partition,offset ("
            + e.getMessage() + ")");
      }
    }
    if (positions.isEmpty()) {
      throw new CliException(ExitCodes.USAGE, file + " lists no position (lines topic,partition,offset)");
    }
    return positions;
  }

  /** Prints the plan of a move: current and target positions. */
  static void printPlan(PrintWriter out, boolean json, String job, Map<TopicPartition, Long> current,
      Map<TopicPartition, Long> target, boolean applied) {
    Output o = new Output("topic", "partition", "current", "target", "change");
    sorted(target).forEach((tp, t) -> {
      Long c = current.get(tp);
      o.row(tp.topic(), tp.partition(), c, t, c == null ? null : t - c);
    });
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("job", job);
      m.put("applied", applied);
      m.put("partitions", o.objects());
      Output.printJson(out, m);
    } else {
      o.print(out, false);
    }
  }

  @Command(name = "import", mixinStandardHelpOptions = true,
      description = "Sets a job's positions from a CSV file (as export writes it); creates the job if it is new, at"
          + " the export's last batch id. A dry run unless --execute.")
  static final class Import extends ChangeCommand {
    @Option(names = "--input", required = true, paramLabel = "FILE", description = "The CSV file: topic,partition,offset.")
    Path input;

    @Option(names = "--last-batch", paramLabel = "BATCH", description = "For a new job: its last batch id, so that its"
        + " next batch is BATCH + 1 (default: the export's # last-batch line, else 0).")
    Long lastBatch;

    @Override
    public Integer call() throws IOException {
      Map<TopicPartition, Long> target = readCsv(input);
      ExportedBatch exported = readExportedBatch(input);
      if (lastBatch != null && lastBatch < 0) {
        throw new CliException(ExitCodes.USAGE, "--last-batch must be >= 0, got " + lastBatch);
      }
      try (OffsetStore s = store.open()) {
        CommittedOffsets c = s.read(job);
        boolean isNew = c.isEmpty() && !s.listJobs().contains(job);
        if (!isNew) {
          if (lastBatch != null) {
            throw new CliException(ExitCodes.USAGE, "job " + job + " exists in " + s.description() + " and keeps its"
                + " own batch ids (last batch " + (c.lastBatchId().isPresent() ? c.lastBatchId().getAsLong() : "none")
                + "): --last-batch is for a new job only");
          }
          checkNotLive(s, c);
        }
        long batch = lastBatch != null ? lastBatch : exported.lastBatch().orElse(0L);
        // the output metadata belongs to the exported batch only
        boolean exportedBatch = exported.lastBatch().isPresent() && exported.lastBatch().getAsLong() == batch;
        printPlan(out(), json, job, c.positions(), target, execute);
        if (!execute) {
          if (!json) {
            if (isNew) {
              out().println("would create job " + job + " as batch " + batch + "; its next batch is " + (batch + 1));
            }
            dryRunNote();
          }
          return ExitCodes.OK;
        }
        if (isNew) {
          long epoch = s.claim(job);
          OffsetCommit.Builder b = OffsetCommit.builder(job, batch, epoch).starts(target)
              .metadata("tidemark.import", input.getFileName().toString());
          if (exportedBatch) {
            exported.metadata().forEach(b::metadata);
          }
          target.forEach((tp, offset) -> b.range(OffsetRange.of(tp, offset, offset)));
          s.commit(b.build());
          report("created job " + job + " at these positions as batch " + batch + " (epoch " + epoch + "); its next"
              + " batch is " + (batch + 1));
        } else {
          CommittedOffsets after = s.rewind(job, RewindTarget.toOffsets(target));
          report("moved job " + job + "; epoch " + after.epoch() + " (a driver still running is fenced at its next commit)");
        }
      }
      return ExitCodes.OK;
    }

    private void report(String line) {
      if (!json) {
        out().println(line);
      }
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Deletes a job's offsets and history. A dry run unless --execute.")
  static final class Delete extends ChangeCommand {
    @Override
    public Integer call() {
      try (OffsetStore s = store.open()) {
        CommittedOffsets c = existing(s);
        checkNotLive(s, c);
        if (!execute) {
          out().printf("would delete job %s: %d positions, last batch %s, epoch %d%n", job, c.positions().size(),
              c.lastBatchId().isPresent() ? c.lastBatchId().getAsLong() : "none", c.epoch());
          dryRunNote();
          return ExitCodes.OK;
        }
        boolean deleted = s.delete(job);
        out().println(deleted ? "deleted job " + job : "job " + job + " was already gone");
      }
      return ExitCodes.OK;
    }
  }

  /** Exactly one way to choose the target of a reset. */
  static final class ResetTarget {
    @Option(names = "--to-earliest", description = "The log start of each partition.")
    boolean earliest;

    @Option(names = "--to-latest", description = "The log end of each partition (skip everything not yet read).")
    boolean latest;

    @Option(names = "--to-datetime", paramLabel = "TIME",
        description = "The first record at or after TIME (ISO-8601, e.g. 2026-11-26T08:00:00Z); the log end where there is none.")
    String datetime;

    @Option(names = "--by-duration", paramLabel = "DURATION", description = "The first record at or after now minus DURATION (30m, 2h, PT1H).")
    String duration;

    @Option(names = "--shift-by", paramLabel = "N", description = "Each position plus N (negative: back), kept within the log.")
    Long shift;

    @Option(names = "--to-offset", paramLabel = "OFFSET", description = "OFFSET in each partition, kept within the log.")
    Long offset;

    @Option(names = "--from-file", paramLabel = "FILE", description = "The positions of a CSV file (topic,partition,offset), as export writes.")
    Path file;
  }

  @Command(name = "reset", mixinStandardHelpOptions = true,
      description = "Moves a job's positions, as kafka-consumer-groups --reset-offsets does. A dry run unless --execute.")
  static final class Reset extends ChangeCommand {
    @ArgGroup(exclusive = true, multiplicity = "1")
    ResetTarget to;

    @Option(names = "--topic", paramLabel = "TOPIC", description = "Only this topic's partitions (repeatable; default: all of the job's).")
    List<String> topics = new ArrayList<>();

    @Mixin
    BrokerOptions broker;

    @Override
    public Integer call() throws IOException {
      if (to.duration != null) {
        durationOf(to.duration); // a usage error comes before any store or broker is asked
      }
      if ((to.earliest || to.latest || to.datetime != null || to.duration != null) && broker.bootstrap == null) {
        broker.admin("this reset"); // refuses, saying what to add
      }
      try (OffsetStore s = store.open()) {
        CommittedOffsets c = existing(s);
        checkNotLive(s, c);
        Map<TopicPartition, Long> current = new LinkedHashMap<>();
        c.positions().forEach((tp, o) -> {
          if (topics.isEmpty() || topics.contains(tp.topic())) {
            current.put(tp, o);
          }
        });
        Map<TopicPartition, Long> target = to.file != null ? readCsv(to.file) : target(current);
        if (target.isEmpty()) {
          throw new CliException(ExitCodes.NOT_FOUND, "job " + job + " has no position" + (topics.isEmpty() ? ""
              : " in " + topics) + " to reset");
        }
        printPlan(out(), json, job, c.positions(), target, execute);
        if (!execute) {
          if (!json) {
            dryRunNote();
          }
          return ExitCodes.OK;
        }
        CommittedOffsets after = s.rewind(job, RewindTarget.toOffsets(target));
        if (!json) {
          out().println("moved job " + job + "; epoch " + after.epoch()
              + " (a driver still running is fenced at its next commit)");
        }
      }
      return ExitCodes.OK;
    }

    private Map<TopicPartition, Long> target(Map<TopicPartition, Long> current) {
      boolean needsLog = to.earliest || to.latest || to.datetime != null || to.duration != null;
      if (!needsLog && broker.bootstrap == null) {
        Map<TopicPartition, Long> t = new LinkedHashMap<>();
        current.forEach((tp, o) -> t.put(tp, Math.max(0, to.offset != null ? to.offset : o + to.shift)));
        out().println("(not checked against the log: add --bootstrap to keep the positions within each partition's log)");
        return t;
      }
      try (Admin admin = broker.admin("this reset")) {
        PartitionOffsets log = PartitionOffsets.of(admin);
        Map<TopicPartition, Long> earliest = log.earliest(current.keySet());
        Map<TopicPartition, Long> latest = log.latest(current.keySet());
        Map<TopicPartition, Long> t = new LinkedHashMap<>();
        if (to.datetime != null || to.duration != null) {
          Instant at = to.datetime != null ? instantOf(to.datetime) : Instant.now().minus(durationOf(to.duration));
          Map<TopicPartition, OptionalLong> found = log.forTimestamp(current.keySet(), at);
          current.keySet().forEach(tp -> t.put(tp, found.getOrDefault(tp, OptionalLong.empty())
              .orElse(latest.get(tp))));
          return t;
        }
        for (Map.Entry<TopicPartition, Long> e : current.entrySet()) {
          TopicPartition tp = e.getKey();
          if (!latest.containsKey(tp)) {
            throw new CliException(ExitCodes.NOT_FOUND, tp + " is not in Kafka: remove it with --topic, or use"
                + " --from-file");
          }
          long wanted = to.earliest ? earliest.get(tp) : to.latest ? latest.get(tp)
              : to.offset != null ? to.offset : e.getValue() + to.shift;
          t.put(tp, Math.min(latest.get(tp), Math.max(earliest.get(tp), wanted)));
        }
        return t;
      }
    }
  }

  @Command(name = "rewind", mixinStandardHelpOptions = true,
      description = "Puts a job back to right after a batch of its history; the next batch carries the same id again. A dry run unless --execute.")
  static final class Rewind extends ChangeCommand {
    @Option(names = "--to-batch", required = true, paramLabel = "BATCH", description = "The batch to go back to.")
    long batch;

    @Override
    public Integer call() {
      try (OffsetStore s = store.open()) {
        CommittedOffsets c = existing(s);
        checkNotLive(s, c);
        Map<TopicPartition, Long> after;
        try {
          after = CommitRules.rewind(c, RewindTarget.toBatch(batch), limit -> s.history(job, limit), Instant.now())
              .next().positions();
        } catch (IllegalArgumentException e) {
          throw new CliException(ExitCodes.NOT_FOUND, e.getMessage() + "; tidemark offsets history lists the batches"
              + " the store still has");
        }
        if (!execute) {
          out().printf("would rewind job %s from batch %s to batch %d; the partitions go back to:%n", job,
              c.lastBatchId().isPresent() ? c.lastBatchId().getAsLong() : "none", batch);
          printPlan(out(), json, job, c.positions(), after, false);
          dryRunNote();
          return ExitCodes.OK;
        }
        CommittedOffsets now = s.rewind(job, RewindTarget.toBatch(batch));
        out().printf("rewound job %s to batch %d; the next batch is %d, epoch %d (a driver still running is fenced"
            + " at its next commit)%n", job, batch, now.nextBatchId().orElse(batch + 1), now.epoch());
      }
      return ExitCodes.OK;
    }
  }

  /** {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, {@code 500ms} or ISO-8601 ({@code PT5M}). */
  static Duration durationOf(String text) {
    try {
      return ConfigKey.parseDuration(text);
    } catch (IllegalArgumentException | java.time.DateTimeException e) {
      throw new CliException(ExitCodes.USAGE, "not a duration: '" + text + "' (use 30s, 5m, 2h, 1d, 500ms or PT5M)");
    }
  }

  static Instant instantOf(String text) {
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      throw new CliException(ExitCodes.USAGE, "not a time: '" + text + "' (use ISO-8601 with an offset,"
          + " e.g. 2026-11-26T08:00:00Z)");
    }
  }
}
