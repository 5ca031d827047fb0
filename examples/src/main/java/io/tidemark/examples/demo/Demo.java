package io.tidemark.examples.demo;

import io.tidemark.examples.JobOptions;
import io.tidemark.examples.Shipments;
import io.tidemark.examples.dashboard.DashboardJob;
import io.tidemark.examples.dashboard.StructuredDashboardJob;
import io.tidemark.examples.dashboard.DashboardOutput;
import io.tidemark.examples.dashboard.ShipmentLine;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.serde.avro.AvroSerializer;
import io.tidemark.spark.DeliveryGuarantee;
import io.tidemark.testkit.HBaseCluster;
import io.tidemark.testkit.KafkaBroker;
import io.tidemark.testkit.SchemaRegistry;
import io.tidemark.testkit.ZooKeeperServer;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.hbase.NamespaceDescriptor;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Admin;
import org.apache.hadoop.hbase.client.ColumnFamilyDescriptorBuilder;
import org.apache.hadoop.hbase.client.TableDescriptorBuilder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The one-command demo ({@code bin/demo}): on an embedded stack (a Kafka broker, ZooKeeper, a
 * schema registry, and an HBase mini-cluster for {@code --store hbase}), it produces Avro
 * shipments while {@link DashboardJob} (or, with {@code --adapter structured},
 * {@link StructuredDashboardJob}) runs in its own driver JVM, SIGKILLs that driver mid-stream
 * {@code --kills} times and restarts it, stops it gracefully once everything is committed, and
 * checks the dashboard's output record by record against what was produced. It prints a live
 * progress line, then a verification table, and exits 1 when the output breaks the chosen
 * guarantee. Everything it starts ends with it, Ctrl-C included.
 */
public final class Demo {
  static final String TOPIC = "shipments";
  static final String JOB = "shipments-dashboard";
  static final int PARTITIONS = 4;
  static final String HBASE_TABLE = "tidemark:shipments_per_minute";

  static final Map<String, String> OPTIONS = new LinkedHashMap<>();

  static {
    OPTIONS.put("store", "where offsets live: zk (default), hbase (offsets and output in HBase) or file");
    OPTIONS.put("adapter", "the job's Spark adapter: dstream (default: DashboardJob) or structured"
        + " (StructuredDashboardJob, its Spark checkpoint kept across the restarts)");
    OPTIONS.put("records", "shipments to produce (default 20000)");
    OPTIONS.put("guarantee", "exactly-once (default), at-least-once or at-most-once");
    OPTIONS.put("kills", "times to SIGKILL the job's driver mid-stream (default 2)");
    OPTIONS.put("rate", "shipments produced per second (default 500)");
    OPTIONS.put("seed", "seed of the kill moments and of the shipments (default: the time)");
    OPTIONS.put("work", "working directory, emptied first (default target/tidemark-demo)");
  }

  private final PrintStream out;
  private final String storeKind;
  private final boolean structured;
  private final int records;
  private final DeliveryGuarantee guarantee;
  private final int kills;
  private final int rate;
  private final long seed;
  private final Path work;
  private final boolean live;
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final AtomicReference<Process> driver = new AtomicReference<>();
  private volatile boolean closing;
  private final java.util.concurrent.atomic.AtomicLong failedSends = new java.util.concurrent.atomic.AtomicLong();
  private final long demoStart = System.nanoTime();

  Demo(JobOptions o, PrintStream out) {
    this.out = out;
    this.storeKind = o.get("store", "zk");
    if (!List.of("zk", "hbase", "file").contains(storeKind)) {
      throw new IllegalArgumentException("--store must be zk, hbase or file, not " + storeKind);
    }
    String adapter = o.get("adapter", "dstream");
    if (!List.of("dstream", "structured").contains(adapter)) {
      throw new IllegalArgumentException("--adapter must be dstream or structured, not " + adapter);
    }
    this.structured = adapter.equals("structured");
    this.records = o.getInt("records", 20_000);
    this.guarantee = o.guarantee("guarantee", DeliveryGuarantee.EXACTLY_ONCE);
    this.kills = o.getInt("kills", 2);
    this.rate = o.getInt("rate", 500);
    this.seed = o.getLong("seed", System.currentTimeMillis());
    this.work = Path.of(o.get("work", "target/tidemark-demo")).toAbsolutePath();
    this.live = isTerminal();
    if (records < 1 || kills < 0 || rate < 1) {
      throw new IllegalArgumentException("--records and --rate must be positive, --kills at least 0");
    }
  }

  public static void main(String[] args) throws Exception {
    JobOptions o = JobOptions.parse("bin/demo", "Runs the shipments dashboard on an embedded Kafka, ZooKeeper,"
        + " schema registry and Spark, kills its driver mid-stream, and verifies that no shipment was lost or"
        + " duplicated beyond what the guarantee allows.", OPTIONS, args);
    Demo demo;
    try {
      demo = new Demo(o, System.out);
      // before anything logs: the servers' and clients' logs go to the working directory, not the screen
      Files.createDirectories(demo.work.getParent());
      System.setProperty("tidemark.demo.log", demo.work.getParent().resolve("tidemark-demo.log").toString());
      System.setProperty("log4j2.configurationFile", String.valueOf(Demo.class.getResource("/demo-log4j2.properties")));
      org.slf4j.LoggerFactory.getLogger(Demo.class).info("demo: {}", String.join(" ", args)); // logging starts here
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    Thread hook = new Thread(() -> {
      if (!demo.closing) {
        System.out.println();
        System.out.println("interrupted: stopping the driver and the servers");
      }
      demo.close();
    }, "demo-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    int code;
    try {
      code = demo.run();
    } catch (IllegalArgumentException e) {
      System.out.println(e.getMessage());
      code = 2;
    } catch (Exception e) {
      if (demo.closing) {
        return; // interrupted (Ctrl-C): the shutdown hook is stopping everything
      }
      System.out.println();
      System.out.println("the demo failed: " + e.getMessage());
      e.printStackTrace(System.out);
      code = 1;
    }
    demo.close(); // here rather than in the shutdown hook, where Hadoop's own hooks refuse changes
    System.exit(code);
  }

  /** Whether stdout is a terminal (JDK 22 and later have a console even when output is redirected). */
  private static boolean isTerminal() {
    java.io.Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException e) {
      return true; // before JDK 22, a console means a terminal
    }
  }

  /** The marker that says a directory is the demo's own, which it may empty. */
  static final String WORK_MARKER = ".tidemark-demo";

  /** Empties the working directory, refusing one the demo did not make. */
  private void prepareWork() throws IOException {
    if (Files.exists(work)) {
      boolean empty;
      try (Stream<Path> entries = Files.list(work)) {
        empty = entries.findAny().isEmpty();
      }
      if (!empty && !Files.exists(work.resolve(WORK_MARKER))) {
        throw new IllegalArgumentException("--work " + work + " is not empty and is not a demo's working directory"
            + " (no " + WORK_MARKER + " in it): the demo empties it first, so give it a new or empty directory");
      }
      deleteRecursively(work);
    }
    Files.createDirectories(work);
    Files.createFile(work.resolve(WORK_MARKER));
  }

  /** Runs the demo; 0 when the verification passes. */
  int run() throws Exception {
    out.printf("Tidemark demo: %,d shipments, %s, offsets in %s, %s adapter, %d kill(s), seed %d%n", records,
        guarantee.name().toLowerCase(Locale.ROOT).replace('_', '-'), storeKind,
        structured ? "Structured Streaming" : "DStream", kills, seed);
    prepareWork();
    locateKafkaArchive();

    // the stack: the broker and the registry are child JVMs, started side by side
    out.println("  starting a Kafka broker (KRaft) and a schema registry, each in its own JVM ...");
    CompletableFuture<SchemaRegistry> registryStart = CompletableFuture.supplyAsync(
        () -> SchemaRegistry.builder().startTimeout(Duration.ofMinutes(3)).build().start());
    KafkaBroker broker = KafkaBroker.builder().build().start();
    toClose.add(broker);
    SchemaRegistry registry = registryStart.join();
    toClose.add(registry);
    out.printf("  started the broker in %.1f s, the registry (Apicurio %s) in %.1f s%n",
        broker.startupTime().toMillis() / 1e3, registry.version(), registry.startupTime().toMillis() / 1e3);
    String store;
    String output;
    List<String> extra = new ArrayList<>();
    HBaseCluster hbase = null;
    if (storeKind.equals("hbase")) {
      hbase = step("HBase mini-cluster", () -> HBaseCluster.create().start());
      toClose.add(hbase);
      try (Admin admin = hbase.connection().getAdmin()) {
        admin.createNamespace(NamespaceDescriptor.create("tidemark").build());
        admin.createTable(TableDescriptorBuilder.newBuilder(TableName.valueOf(HBASE_TABLE))
            .setColumnFamily(ColumnFamilyDescriptorBuilder.of("d")).build());
      }
      store = "hbase://" + hbase.zookeeperQuorum() + "/tidemark:offsets?hbase.create.table=true";
      output = "hbase:" + HBASE_TABLE;
      extra.addAll(List.of("--hbase-zookeeper", hbase.configuration().get("hbase.zookeeper.quorum") + ":"
          + hbase.configuration().get("hbase.zookeeper.property.clientPort")));
    } else if (storeKind.equals("zk")) {
      ZooKeeperServer zk = step("ZooKeeper", () -> ZooKeeperServer.create().start());
      toClose.add(zk);
      store = "zk://" + zk.connectString() + "/tidemark-demo";
      output = "files:" + work.resolve("dashboard");
    } else {
      store = "file:" + work.resolve("offsets");
      output = "files:" + work.resolve("dashboard");
    }
    broker.createTopic(TOPIC, PARTITIONS);
    out.printf("  the job: %s, offsets at %s, output to %s%n", jobClass().getSimpleName(), store, output);

    Path stopMarker = work.resolve("stop");
    List<String> jobArgs = new ArrayList<>(List.of("--bootstrap", broker.bootstrapServers(), "--registry",
        registry.baseUrl(), "--store", store, "--out", output, "--topic", TOPIC, "--job", JOB, "--guarantee",
        guarantee.name(), "--stop-marker", stopMarker.toString(), "--batch-ms", "1000"));
    jobArgs.addAll(extra);
    if (structured) {
      // a query's first batch comes later than a DStream's: a rate limit near the production rate
      // keeps it from taking the whole backlog at once, so that the kills still come mid-stream
      jobArgs.addAll(List.of("--checkpoint", work.resolve("checkpoint").toString(), "--max-rate",
          String.valueOf(Math.max(50, rate * 2 / PARTITIONS))));
    }

    Map<TopicPartition, Map<Long, ShipmentLine>> produced = new ConcurrentHashMap<>();
    CompletableFuture<Void> production;
    int restarts;
    try (OffsetStore offsets = OffsetStores.open(store)) {
      production = CompletableFuture.runAsync(() -> produce(broker, registry, produced));
      restarts = runDriver(jobArgs, stopMarker, broker, offsets, production);
    }
    production.join();
    if (failedSends.get() > 0) {
      throw new IllegalStateException(failedSends.get() + " shipments could not be produced; see "
          + System.getProperty("tidemark.demo.log"));
    }

    List<ShipmentLine> written;
    if (hbase != null) {
      written = DashboardOutput.readHBase(hbase.connection(), TableName.valueOf(HBASE_TABLE));
    } else {
      written = DashboardOutput.readFiles(work.resolve("dashboard"));
    }
    out.println();
    out.println("Units shipped per minute, as the dashboard shows them (last 5 minutes):");
    out.print(DashboardOutput.table(written, Shipments.PRODUCTS, 5));
    out.println();
    Verification v = Verification.of(records, produced, written, guarantee);
    out.print(v.table(restarts));
    if (hbase != null) {
      out.println("  (the HBase output keys each cell by its source record: a replayed record overwrites its cell,"
          + " so the table shows no duplicates under any guarantee)");
    }
    out.printf("%ndone in %.0f s; the drivers' logs and the output are in %s, the servers' log is %s%n", seconds(),
        work, System.getProperty("tidemark.demo.log"));
    return v.passed() ? 0 : 1;
  }

  /** Produces the shipments at the demo's rate; records where each one landed. */
  private void produce(KafkaBroker broker, SchemaRegistry registry, Map<TopicPartition, Map<Long, ShipmentLine>> ledger) {
    Random random = new Random(seed);
    AvroSerializer<GenericRecord> values = new AvroSerializer<>();
    values.configure(Map.of("schema.registry.url", registry.baseUrl()), false);
    Instant clock = Instant.parse("2026-11-26T08:00:00Z");
    long start = System.nanoTime();
    try (KafkaProducer<String, GenericRecord> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.LINGER_MS_CONFIG, 20), new StringSerializer(), values)) {
      for (int i = 0; i < records; i++) {
        String product = Shipments.PRODUCTS.get(random.nextInt(Shipments.PRODUCTS.size()));
        int quantity = 1 + random.nextInt(9);
        Instant at = clock.plusMillis(i * 60_000L * 5 / Math.max(records, 1)); // the stream spans 5 minutes
        GenericRecord r = Shipments.v1("order-" + i, product, quantity, "rotterdam", at);
        String minute = Shipments.minute(at.toEpochMilli());
        producer.send(new ProducerRecord<>(TOPIC, "order-" + i, r), (RecordMetadata m, Exception e) -> {
          if (e != null) {
            failedSends.incrementAndGet(); // a callback's exception would only be logged by the producer
            return;
          }
          ledger.computeIfAbsent(new TopicPartition(m.topic(), m.partition()), p -> new ConcurrentHashMap<>())
              .put(m.offset(), new ShipmentLine(minute, product, quantity, m.topic(), m.partition(), m.offset()));
        });
        long due = start + (long) ((i + 1) * 1e9 / rate);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait); // pacing the producer to the demo's rate
        }
      }
      producer.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Runs the driver, killing it when the committed count passes each kill's threshold (plus a
   * random delay, so kills land at any step of a batch), until everything produced is committed;
   * then stops it gracefully. Returns the number of restarts.
   */
  private int runDriver(List<String> jobArgs, Path stopMarker, KafkaBroker broker, OffsetStore offsets,
      CompletableFuture<Void> production) throws Exception {
    Random random = new Random(seed ^ 0x5DEECE66DL);
    List<Long> killAt = new ArrayList<>();
    for (int k = 1; k <= kills; k++) {
      killAt.add((long) records * k / (kills + 1));
    }
    int restarts = 0;
    int attempt = 1;
    Process p = startDriver(jobArgs, attempt);
    long lastPrint = 0;
    long lastCount = 0;
    long lastAt = System.nanoTime();
    double recordsPerSecond = 0;
    long killDue = -1;
    long startBatch = offsets.read(JOB).lastBatchId().orElse(-1);
    boolean stopping = false;
    long stopDeadline = 0;
    // the whole run: producing, then each restart, then the catch-up, with room for a slow machine
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(records / rate + 180 + 60L * kills);
    while (true) {
      CommittedOffsets c = offsets.read(JOB);
      long committed = c.positions().entrySet().stream().filter(e -> e.getKey().topic().equals(TOPIC))
          .mapToLong(Map.Entry::getValue).sum();
      long end = broker.endOffsets(TOPIC).values().stream().mapToLong(Long::longValue).sum();
      long now = System.nanoTime();
      if (now - lastAt >= 1_000_000_000L) {
        recordsPerSecond = (committed - lastCount) * 1e9 / (now - lastAt);
        lastCount = committed;
        lastAt = now;
      }
      String batch = c.lastBatchId().isPresent() ? String.valueOf(c.lastBatchId().getAsLong()) : "-";
      String line = String.format("  %5.1f s  committed %,7d / %,d   %,6.0f rec/s   lag %,6d   batch %4s   restarts %d",
          seconds(), committed, records, recordsPerSecond, Math.max(0, end - committed), batch, restarts);
      if (live) {
        out.print("\r" + line);
        out.flush();
      } else if (now - lastPrint >= 2_000_000_000L) {
        out.println(line);
        lastPrint = now;
      }

      if (production.isCompletedExceptionally()) {
        production.join(); // throws the producer's failure
      }
      if (now > deadline) {
        throw new IllegalStateException("the run did not finish in time (" + String.format("%,d", committed)
            + " of " + String.format("%,d", records) + " committed); see " + work.resolve("driver-" + attempt + ".log"));
      }
      if (!stopping && killDue < 0 && !killAt.isEmpty() && production.isDone() && committed >= records) {
        out.printf("%n  %5.1f s  everything is committed: %d kill(s) skipped (produce more records, or more slowly,"
            + " for more kills)%n", seconds(), killAt.size());
        killAt.clear();
      }
      if (!p.isAlive() && !stopping) {
        throw new IllegalStateException("the driver exited with code " + p.exitValue() + " before the end; see "
            + work.resolve("driver-" + attempt + ".log"));
      }
      boolean committedSinceStart = c.lastBatchId().orElse(-1) > startBatch;
      if (!stopping && !killAt.isEmpty() && committed >= killAt.get(0) && committedSinceStart && killDue < 0) {
        killDue = now + random.nextInt(1_000) * 1_000_000L;
      }
      if (killDue >= 0 && now >= killDue) {
        p.destroyForcibly();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the killed driver (pid " + p.pid() + ") did not end within 30 s");
        }
        killAt.remove(0);
        killDue = -1;
        restarts++;
        String message = String.format("  %5.1f s  KILLED the driver (SIGKILL) after batch %s, %,d committed;"
            + " restarting it", seconds(), batch, committed);
        out.println(live ? "\r" + message + " ".repeat(Math.max(0, line.length() - message.length())) : message);
        attempt++;
        startBatch = offsets.read(JOB).lastBatchId().orElse(-1);
        p = startDriver(jobArgs, attempt);
      }
      if (!stopping && production.isDone() && killAt.isEmpty() && committed >= records) {
        Files.createFile(stopMarker); // the job stops after its running batch
        stopping = true;
        stopDeadline = now + TimeUnit.SECONDS.toNanos(60);
      }
      if (stopping && !p.isAlive()) {
        if (live) {
          out.println();
        }
        if (p.exitValue() != 0) {
          throw new IllegalStateException("the driver's graceful stop ended with code " + p.exitValue() + "; see "
              + work.resolve("driver-" + attempt + ".log"));
        }
        out.printf("  %5.1f s  all %,d shipments committed; the driver stopped gracefully%n", seconds(), records);
        return restarts;
      }
      if (stopping && now > stopDeadline) {
        throw new IllegalStateException("the driver did not stop within 60 s; see " + work.resolve("driver-" + attempt
            + ".log"));
      }
      TimeUnit.MILLISECONDS.sleep(250); // the progress line's refresh
    }
  }

  private Process startDriver(List<String> jobArgs, int attempt) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    command.add("-Dspark.local.dir=" + work.resolve("spark")); // a killed driver's scratch stays in the demo's directory
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("-XX:+IgnoreUnrecognized")
          || a.startsWith("-Dorg.apache.hbase")) {
        command.add(a);
      }
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), DriverLauncher.class.getName(),
        String.valueOf(ProcessHandle.current().pid()), jobClass().getName()));
    command.addAll(jobArgs);
    File log = work.resolve("driver-" + attempt + ".log").toFile();
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
    driver.set(p);
    return p;
  }

  /** The job the driver runs: the dashboard on the chosen adapter. */
  private Class<?> jobClass() {
    return structured ? StructuredDashboardJob.class : DashboardJob.class;
  }

  /** Stops everything the demo started: the driver, then the servers. Idempotent. */
  synchronized void close() {
    closing = true;
    Process p = driver.getAndSet(null);
    if (p != null && p.isAlive()) {
      p.destroyForcibly();
    }
    for (int i = toClose.size() - 1; i >= 0; i--) {
      try {
        toClose.get(i).close();
      } catch (Exception e) {
        System.err.println("while stopping: " + e);
      }
    }
    toClose.clear();
  }

  private interface Start<T> {
    T start() throws Exception;
  }

  private <T> T step(String what, Start<T> start) throws Exception {
    out.printf("  starting %-32s", what + " ...");
    out.flush();
    long t0 = System.nanoTime();
    T t = start.start();
    out.printf(" %.1f s%n", (System.nanoTime() - t0) / 1e9);
    return t;
  }

  private double seconds() {
    return (System.nanoTime() - demoStart) / 1e9;
  }

  /**
   * The testkit runs the broker from an archive that the build resolves; outside Maven, find it on
   * this JVM's class path (the build's class-path file lists it).
   */
  private static void locateKafkaArchive() {
    if (System.getProperty("tidemark.testkit.kafka.archive") != null) {
      return;
    }
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (entry.endsWith("-kafka-broker.zip")) {
        System.setProperty("tidemark.testkit.kafka.archive", entry);
      }
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> all = Files.walk(dir)) {
        for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }
}
