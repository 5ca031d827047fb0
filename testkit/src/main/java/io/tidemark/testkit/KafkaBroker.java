package io.tidemark.testkit;

import io.tidemark.testkit.internal.ChildJvm;
import io.tidemark.testkit.internal.Ports;
import io.tidemark.testkit.internal.RuntimeArtifacts;
import io.tidemark.testkit.internal.TempDirs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka broker (KRaft, combined broker and controller, one node) in a child JVM on
 * loopback, with its log directory in a temporary directory.
 *
 * <p>The broker runs Kafka 4.1.1's own jars on their own classpath, so
 * they never meet the test's Kafka clients, Scala or Jackson. The child dies with the test JVM,
 * even on SIGKILL.
 *
 * <p>As a JUnit 5 extension, declare it on a {@code static} field: it starts before the first
 * test of the class and stops after the last.
 * <pre>{@code
 * @RegisterExtension
 * static final KafkaBroker kafka = KafkaBroker.builder().build();
 * }</pre>
 * Outside JUnit call {@link #start()} and {@link #close()}.
 *
 * <p>Thread-safety: the helpers may be called from several threads; {@link #start()},
 * {@link #stop()}, {@link #restart()} and {@link #close()} must not race each other.
 */
public final class KafkaBroker implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaBroker.class);

  private final Duration startTimeout;
  private final Duration retentionCheckInterval;
  private final Map<String, String> brokerProperties;
  private final List<String> jvmArgs;

  private volatile Path dir;
  private volatile int port;
  private int controllerPort;
  private ChildJvm child;
  private Admin admin;
  private volatile Duration lastStartup = Duration.ZERO;

  private KafkaBroker(Builder b) {
    this.startTimeout = b.startTimeout;
    this.retentionCheckInterval = b.retentionCheckInterval;
    this.brokerProperties = Map.copyOf(b.brokerProperties);
    this.jvmArgs = List.copyOf(b.jvmArgs);
  }

  /** A builder with the defaults: 60 s start timeout, 250 ms retention checks, 512 MB heap. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Formats a new log directory and starts the broker; returns once the broker answers
   * {@code describeCluster}.
   *
   * @throws ServerStartException when it does not start within the timeout; the message carries
   *     the last lines of the broker's log
   */
  public synchronized KafkaBroker start() {
    if (child != null) {
      throw new IllegalStateException("the broker is already running at " + bootstrapServers());
    }
    dir = TempDirs.create("kafka");
    port = Ports.freeLoopbackPort();
    controllerPort = Ports.freeLoopbackPort();
    Path props = writeProperties();
    long t0 = System.nanoTime();
    try {
      List<Path> classpath = RuntimeArtifacts.kafkaBrokerClasspath();
      try (ChildJvm format = ChildJvm.start("kafka-format", RuntimeArtifacts.currentJava(), classpath, jvmArgs(),
          "kafka.tools.StorageTool", List.of("format", "-t", clusterId(), "-c", props.toString()), dir)) {
        OptionalInt exit = format.waitForExit(startTimeout);
        if (exit.isEmpty() || exit.getAsInt() != 0) {
          throw new ServerStartException("formatting the Kafka log directory " + dir.resolve("data")
              + (exit.isEmpty() ? " did not finish within " + startTimeout : " failed with exit code " + exit.getAsInt())
              + ". Last lines of " + format.logFile() + ":\n  " + String.join("\n  ", format.tail(30)));
        }
      }
      launch(props);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    lastStartup = Duration.ofNanos(System.nanoTime() - t0);
    LOG.info("Kafka broker {} started in {} ms at {} (log dir {})",
        RuntimeArtifacts.properties().getProperty("kafka.broker.version"),
        lastStartup.toMillis(), bootstrapServers(), dir);
    return this;
  }

  static String clusterId() {
    // Kafka cluster ids are 16 bytes, base64url without padding (what `kafka-storage random-uuid` prints).
    // One in 64 of those starts with '-', which the storage tool's argument parser takes for an
    // option ("--cluster-id: expected one argument"); Kafka's own Uuid.randomUuid() draws again then.
    while (true) {
      UUID uuid = UUID.randomUUID();
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(16);
      buf.putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
      String id = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(buf.array());
      if (!id.startsWith("-")) {
        return id;
      }
    }
  }

  private void launch(Path props) {
    child = ChildJvm.start("kafka-broker", RuntimeArtifacts.currentJava(), RuntimeArtifacts.kafkaBrokerClasspath(),
        jvmArgs(), "kafka.Kafka", List.of(props.toString()), dir);
    admin = Admin.create(clientProps(Map.of(
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000",
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000")));
    child.awaitReady(() -> !admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).isEmpty(), startTimeout);
  }

  private List<String> jvmArgs() {
    List<String> args = new ArrayList<>(jvmArgs);
    args.add("-Dlog4j2.configurationFile=" + writeLog4j());
    return args;
  }

  private Path writeLog4j() {
    Path file = dir.resolve("log4j2.properties");
    if (!Files.exists(file)) {
      write(file, String.join("\n",
          "rootLogger.level = INFO",
          "rootLogger.appenderRef.out.ref = out",
          "appender.out.type = Console",
          "appender.out.name = out",
          "appender.out.layout.type = PatternLayout",
          "appender.out.layout.pattern = %d{HH:mm:ss.SSS} %-5p [%c{1}] %m%n",
          "logger.kafka.name = kafka",
          "logger.kafka.level = WARN",
          "logger.apache.name = org.apache.kafka",
          "logger.apache.level = WARN",
          "logger.started.name = kafka.server.KafkaRaftServer",
          "logger.started.level = INFO", ""));
    }
    return file;
  }

  private Path writeProperties() {
    Map<String, String> p = new java.util.LinkedHashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("log.dirs", dir.resolve("data").toString());
    p.put("num.partitions", "1");
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "4");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("log.retention.check.interval.ms", Long.toString(retentionCheckInterval.toMillis()));
    // tests produce records with fixed timestamps: no age makes them expire unless a topic asks for it
    p.put("log.retention.ms", "-1");
    p.put("log.initial.task.delay.ms", "0");
    p.put("auto.create.topics.enable", "false");
    p.putAll(brokerProperties);
    Path file = dir.resolve("server.properties");
    write(file, p.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("\n", "", "\n")));
    return file;
  }

  private static void write(Path file, String text) {
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the broker (SIGTERM, a clean shutdown) and keeps its data for {@link #restart()}. */
  public synchronized void stop() {
    requireRunning();
    closeAdmin();
    child.stop(Duration.ofSeconds(30));
    child = null;
  }

  /** Kills the broker (SIGKILL), as a crash would; its data stays for {@link #restart()}. */
  public synchronized void kill() {
    requireRunning();
    closeAdmin();
    child.kill();
    child = null;
  }

  /** Starts a stopped or killed broker again on the same ports with the same data. */
  public synchronized void restart() {
    if (dir == null) {
      throw new IllegalStateException("the broker was never started");
    }
    if (child != null) {
      stop();
    }
    long t0 = System.nanoTime();
    launch(dir.resolve("server.properties"));
    LOG.info("Kafka broker restarted in {} ms at {}", (System.nanoTime() - t0) / 1_000_000, bootstrapServers());
  }

  /** Whether the broker process is running. */
  public synchronized boolean isRunning() {
    return child != null && child.isAlive();
  }

  /** How long the last {@link #start()} took, formatting included. */
  public Duration startupTime() {
    return lastStartup;
  }

  /** {@code 127.0.0.1:<port>} for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    if (port == 0) {
      throw new IllegalStateException("the broker was never started");
    }
    return "127.0.0.1:" + port;
  }

  /** The broker's log file (its stdout and stderr). */
  public Path logFile() {
    requireStarted();
    return dir.resolve("kafka-broker.log");
  }

  /** The broker process id. */
  public synchronized long pid() {
    requireRunning();
    return child.pid();
  }

  /** An Admin client owned by this fixture; do not close it. */
  public synchronized Admin admin() {
    requireRunning();
    return admin;
  }

  /**
   * Client properties pointing at this broker, merged with {@code overrides}. Use for your own
   * producers and consumers.
   */
  public Properties clientProps(Map<String, ?> overrides) {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    props.putAll(overrides);
    return props;
  }

  /** Creates a topic with {@code partitions} partitions (replication factor 1) and waits for it. */
  public void createTopic(String topic, int partitions) {
    createTopic(topic, partitions, Map.of());
  }

  /**
   * Creates a topic with topic-level {@code configs} (see Kafka's {@link TopicConfig}) and waits
   * until the broker's metadata lists it with a leader for every partition, and the leader serves
   * every partition: metadata can name the broker leader before it takes the partition on, and a
   * producer sent there first may then never recover (its idempotent batches are refused as out of
   * sequence until they expire).
   */
  public void createTopic(String topic, int partitions, Map<String, String> configs) {
    NewTopic newTopic = new NewTopic(topic, partitions, (short) 1).configs(configs);
    get(admin().createTopics(List.of(newTopic)).all(), "create topic " + topic);
    awaitMetadata("topic " + topic + " to appear with " + partitions + " led partitions", () ->
        get(admin().listTopics().names(), "list topics").contains(topic)
            && get(admin().describeTopics(List.of(topic)).allTopicNames(), "describe topic " + topic).get(topic)
                .partitions().stream().filter(p -> p.leader() != null && !p.leader().isEmpty()).count() == partitions);
    awaitMetadata("the leader of topic " + topic + " to serve its " + partitions + " partitions",
        () -> servesEveryPartition(topic, partitions));
  }

  /** Whether the leader answers a list-offsets request, which it does only once it leads the partition, for every partition. */
  private boolean servesEveryPartition(String topic, int partitions) {
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      request.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
    try {
      admin().listOffsets(request, new ListOffsetsOptions().timeoutMs(2_000)).all().get(5, TimeUnit.SECONDS);
      return true;
    } catch (ExecutionException | TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for topic " + topic, e);
    }
  }

  private static void awaitMetadata(String what, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (IllegalStateException e) {
        // not yet known to the broker
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after 30 s waiting for " + what);
      }
      sleep(Duration.ofMillis(20));
    }
  }

  /**
   * Creates a topic whose closed segments are deleted by retention after {@code retention}, so a
   * test can make a committed offset fall below the log start offset, as production retention
   * does. Segments roll after {@code retention} too; records in the active segment are never
   * deleted, so produce once more after waiting (see {@link #awaitLogStartOffset}).
   */
  public void createTopicWithShortRetention(String topic, int partitions, Duration retention) {
    String ms = Long.toString(Math.max(1, retention.toMillis()));
    createTopic(topic, partitions, Map.of(
        TopicConfig.RETENTION_MS_CONFIG, ms,
        TopicConfig.SEGMENT_MS_CONFIG, ms,
        TopicConfig.FILE_DELETE_DELAY_MS_CONFIG, "0"));
  }

  /** Deletes a topic and waits until the broker's metadata no longer lists it. */
  public void deleteTopic(String topic) {
    get(admin().deleteTopics(List.of(topic)).all(), "delete topic " + topic);
    awaitMetadata("topic " + topic + " to disappear", () -> !get(admin().listTopics().names(), "list topics").contains(topic));
  }

  /**
   * Moves the log start offset of a partition to {@code offset} with {@code deleteRecords}: the
   * same effect as retention, deterministically.
   */
  public void deleteRecordsBefore(TopicPartition partition, long offset) {
    get(admin().deleteRecords(Map.of(partition, RecordsToDelete.beforeOffset(offset))).all(),
        "delete records of " + partition + " before " + offset);
  }

  /** The log start offset of each partition (the first offset retention has not deleted). */
  public Map<TopicPartition, Long> logStartOffsets(String topic) {
    return listOffsets(topic, OffsetSpec.earliest());
  }

  /** The log end offset of each partition (the offset the next record gets). */
  public Map<TopicPartition, Long> endOffsets(String topic) {
    return listOffsets(topic, OffsetSpec.latest());
  }

  private Map<TopicPartition, Long> listOffsets(String topic, OffsetSpec spec) {
    int partitions = partitionCount(topic);
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      request.put(new TopicPartition(topic, p), spec);
    }
    return get(admin().listOffsets(request).all(), "list offsets of " + topic).entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
  }

  /** The number of partitions of {@code topic}. */
  public int partitionCount(String topic) {
    return get(admin().describeTopics(List.of(topic)).allTopicNames(), "describe topic " + topic)
        .get(topic).partitions().size();
  }

  /**
   * Waits until the log start offset of {@code partition} is at least {@code minimum}, producing
   * one small record to {@code partition} every {@code step} so that the active segment rolls and
   * retention can delete the older ones. Fails after {@code timeout}.
   */
  public long awaitLogStartOffset(TopicPartition partition, long minimum, Duration step, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (KafkaProducer<byte[], byte[]> producer = producer(Map.of())) {
      while (true) {
        long start = logStartOffsets(partition.topic()).get(partition);
        if (start >= minimum) {
          return start;
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("log start offset of " + partition + " is " + start + ", still below "
              + minimum + " after " + timeout);
        }
        get(producer.send(new ProducerRecord<>(partition.topic(), partition.partition(), null, new byte[] {0})),
            "produce to " + partition);
        sleep(step);
      }
    }
  }

  /** A byte-array producer for this broker ({@code acks=all}, idempotent); close it. */
  public KafkaProducer<byte[], byte[]> producer(Map<String, ?> overrides) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    config.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    config.putAll(overrides);
    return new KafkaProducer<>(clientProps(config), new ByteArraySerializer(), new ByteArraySerializer());
  }

  /**
   * Produces {@code records} and waits until each is acknowledged.
   *
   * @return the metadata of each record, in order
   */
  public List<RecordMetadata> produce(Collection<ProducerRecord<byte[], byte[]>> records) {
    try (KafkaProducer<byte[], byte[]> producer = producer(Map.of())) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (ProducerRecord<byte[], byte[]> record : records) {
        sent.add(producer.send(record));
      }
      producer.flush();
      List<RecordMetadata> result = new ArrayList<>();
      for (Future<RecordMetadata> f : sent) {
        result.add(get(f, "produce"));
      }
      return result;
    }
  }

  /** Produces UTF-8 string values (no key) to {@code topic}, spread by the default partitioner. */
  public List<RecordMetadata> produceStrings(String topic, List<String> values) {
    return produce(values.stream()
        .map(v -> new ProducerRecord<byte[], byte[]>(topic, null, v.getBytes(StandardCharsets.UTF_8)))
        .collect(Collectors.toList()));
  }

  /**
   * Reads {@code topic} from the beginning of each partition (no consumer group, nothing
   * committed) until {@code count} records have arrived.
   *
   * @throws AssertionError when fewer than {@code count} arrive within {@code timeout}
   */
  public List<ConsumerRecord<byte[], byte[]>> consume(String topic, int count, Duration timeout) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(clientProps(config), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (int p = 0; p < partitionCount(topic); p++) {
        partitions.add(new TopicPartition(topic, p));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (records.size() < count) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("expected " + count + " records from " + topic + " within " + timeout
              + " but got " + records.size());
        }
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    return records;
  }

  /** Like {@link #consume} with values decoded as UTF-8 strings. */
  public List<String> consumeStrings(String topic, int count, Duration timeout) {
    Function<ConsumerRecord<byte[], byte[]>, String> value = r -> r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8);
    return consume(topic, count, timeout).stream().map(value).collect(Collectors.toList());
  }

  /** Stops the broker and deletes its data. Idempotent. */
  @Override
  public synchronized void close() {
    closeAdmin();
    if (child != null) {
      child.stop(Duration.ofSeconds(30));
      child = null;
    }
    if (dir != null) {
      TempDirs.deleteRecursively(dir);
      dir = null;
      port = 0;
    }
  }

  private void closeAdmin() {
    if (admin != null) {
      admin.close(Duration.ofSeconds(5));
      admin = null;
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  private void requireRunning() {
    if (child == null) {
      throw new IllegalStateException("the Kafka broker is not running: call start() or restart() first");
    }
  }

  private void requireStarted() {
    if (dir == null) {
      throw new IllegalStateException("the Kafka broker was never started");
    }
  }

  private static <T> T get(Future<T> future, String what) {
    try {
      return future.get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + what, e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot " + what + ": " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("cannot " + what + ": no answer within 30 s", e);
    }
  }

  private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future, String what) {
    return get((Future<T>) future, what);
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Options of a {@link KafkaBroker}. */
  public static final class Builder {
    private Duration startTimeout = Duration.ofSeconds(60);
    private Duration retentionCheckInterval = Duration.ofMillis(250);
    private final Map<String, String> brokerProperties = new HashMap<>();
    private final List<String> jvmArgs = new ArrayList<>(List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));

    private static final java.util.Set<String> RESERVED = java.util.Set.of("listeners", "advertised.listeners",
        "controller.quorum.voters", "node.id", "process.roles", "log.dirs", "log.dir", "controller.listener.names",
        "listener.security.protocol.map", "inter.broker.listener.name");

    private Builder() {}

    private static Duration positive(Duration d, String what) {
      if (Objects.requireNonNull(d, what).isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, got " + d);
      }
      return d;
    }

    /** How long start-up may take before it fails with the broker's log (default 60 s). */
    public Builder startTimeout(Duration timeout) {
      this.startTimeout = positive(timeout, "startTimeout");
      return this;
    }

    /** How often the broker applies retention ({@code log.retention.check.interval.ms}, default 250 ms). */
    public Builder retentionCheckInterval(Duration interval) {
      this.retentionCheckInterval = positive(interval, "retentionCheckInterval");
      return this;
    }

    /**
     * Sets a broker property (for example {@code log.retention.ms}). The properties that place the
     * broker (listeners, ports, node id, quorum, log directory) belong to the fixture and are refused.
     */
    public Builder brokerProperty(String key, String value) {
      if (RESERVED.contains(key)) {
        throw new IllegalArgumentException("broker property " + key + " is set by the fixture (loopback listeners on"
            + " free ports, a temporary log directory); it cannot be overridden");
      }
      brokerProperties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Adds a JVM option for the broker's JVM. */
    public Builder jvmArg(String arg) {
      jvmArgs.add(Objects.requireNonNull(arg, "arg"));
      return this;
    }

    /** The fixture; nothing starts until {@link KafkaBroker#start()} or the extension's beforeAll. */
    public KafkaBroker build() {
      return new KafkaBroker(this);
    }
  }
}
