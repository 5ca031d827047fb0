package io.tidemark.spark.sink;

import io.tidemark.offsets.KafkaOutputTransactions;
import io.tidemark.spark.internal.KafkaTransactions;
import io.tidemark.spark.internal.KafkaTransactions.Outcome;
import io.tidemark.spark.internal.KafkaTransactions.Owner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.api.java.function.Function2;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes each batch's records to Kafka in transactions that become visible only once the batch's
 * offsets are committed: an exactly-once Kafka output for
 * {@link io.tidemark.spark.DeliveryGuarantee#EXACTLY_ONCE}, read with
 * {@code isolation.level=read_committed}.
 *
 * <p>{@link #prepare}: each Spark task of the batch's records (one per RDD partition) opens a
 * transaction with its own transactional id, sends its records, flushes them, and leaves the
 * transaction open; the batch's commit stores each transaction's producer id and epoch with the
 * offsets. {@link #publish}, after the commit, commits those transactions from the driver; a
 * driver that restarts after a crash between commit and publish commits them then. A transaction
 * already committed is proved so by reading its first record with {@code read_committed}. At
 * start, every open transaction of the job's ids that no committed batch holds is aborted (a
 * crash before the commit, or a fenced driver): a driver whose commit was refused never commits
 * its transactions, and they never become visible.
 *
 * <p>Transactional ids are {@code <prefix>-<slot>-<task>}: the slot alternates between 0 and 1
 * with the batch id (batch N's transactions stay untouched while batch N+1 runs), the task is the
 * RDD partition's index. The ids are a bounded pool (twice the batches' task count), never one per
 * batch. The prefix defaults to {@code tidemark.<job>}; give each job its own.
 *
 * <p>Limits: a transaction the broker aborts on {@code transaction.timeout.ms} before its publish
 * is lost output for a committed batch; {@link #publish} then throws
 * {@link KafkaTransactionLostException}, which names the rewind that writes it again. The timeout
 * (default 15 minutes, the broker's default {@code transaction.max.timeout.ms}) must be at least
 * {@link #MINIMUM_TRANSACTION_TIMEOUT}, and a restarted driver must publish within it. Speculative
 * execution is refused: a speculative copy of a task would take over the task's transactional id
 * and abort the transaction the task reported. The ids carry neither the driver's claim epoch nor
 * the task's attempt: a fenced driver still running batches, or a task attempt still running on an
 * executor Spark declared lost, can abort a committed batch's transaction before its publish, which
 * then fails with {@link KafkaTransactionLostException} (docs/spark-integration.md, "Exactly-once
 * into Kafka"). Committing another producer's open transaction
 * takes kafka-clients internals (no public API before KIP-939), tested with the versions Spark 3.5
 * and Spark 4.2 bring. Records written by batches above a rewind target stay in the topic (Kafka
 * has no way to take them back); the batches that follow the rewind write their records again.
 *
 * @param <B> the adapter's batch type
 */
public final class KafkaTransactionalSink<B> implements TransactionalOutput<B> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(KafkaTransactionalSink.class);

  /** The shortest {@code transaction.timeout.ms} accepted. */
  public static final Duration MINIMUM_TRANSACTION_TIMEOUT = Duration.ofMinutes(1);
  /** The default {@code transaction.timeout.ms}: the broker's default {@code transaction.max.timeout.ms}. */
  public static final Duration DEFAULT_TRANSACTION_TIMEOUT = Duration.ofMinutes(15);
  /** The prepared entry naming the slot of the batch's transactional ids. */
  public static final String SLOT = KafkaOutputTransactions.SLOT;
  /** The prepared entry listing the batch's transactions: {@code task/producerId/epoch/topic/partition/offset,...}. */
  public static final String TRANSACTIONS = KafkaOutputTransactions.TRANSACTIONS;

  private static final Set<String> OWNED = Set.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG,
      ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, ProducerConfig.ACKS_CONFIG,
      ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);

  private final String job;
  private final String prefix;
  private final HashMap<String, String> config;
  private final Function<B, JavaRDD<ProducerRecord<byte[], byte[]>>> records;
  private final Duration timeout;

  private KafkaTransactionalSink(Builder<B> b) {
    this.job = b.job;
    this.prefix = b.prefix != null ? b.prefix : KafkaOutputTransactions.defaultPrefix(b.job);
    this.timeout = b.timeout;
    this.config = new HashMap<>(b.config);
    this.config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Long.toString(b.timeout.toMillis()));
    this.records = b.records;
  }

  /** A builder: {@link Builder#job}, {@link Builder#kafka} and {@link Builder#records} are required. */
  public static <B> Builder<B> builder() {
    return new Builder<>();
  }

  /** The transactional id of a task of a batch in {@code slot}. */
  public String transactionalId(int slot, int task) {
    return KafkaOutputTransactions.id(prefix, slot, task);
  }

  /** The slot of a batch's transactional ids. */
  public static int slot(long batchId) {
    return KafkaOutputTransactions.slot(batchId);
  }

  @Override
  public Map<String, String> prepare(B batch, long batchId) throws Exception {
    if (SparkContext.getOrCreate().getConf().getBoolean("spark.speculation", false)) {
      throw new IllegalStateException("KafkaTransactionalSink of job " + job + " cannot run with spark.speculation=true:"
          + " a speculative copy of a task takes over the task's transactional id and aborts the transaction the"
          + " task reported. Set spark.speculation=false for this job.");
    }
    int slot = slot(batchId);
    List<String> transactions = records.call(batch)
        .mapPartitionsWithIndex(new PrepareTask(prefix, slot, config), false).collect();
    LOG.debug("job {} batch {}: {} Kafka transactions prepared in slot {}", job, batchId, transactions.size(), slot);
    return Map.of(SLOT, Integer.toString(slot), TRANSACTIONS, String.join(",", transactions));
  }

  @Override
  public void publish(long batchId, Map<String, String> prepared) throws Exception {
    String slotEntry = prepared.get(SLOT);
    String entries = prepared.get(TRANSACTIONS);
    if (slotEntry == null || entries == null) {
      throw new IllegalArgumentException("batch " + batchId + " of job " + job + " holds no Kafka transactions to"
          + " publish (its commit was not prepared by KafkaTransactionalSink): " + prepared);
    }
    int slot = Integer.parseInt(slotEntry);
    for (Prepared t : Prepared.parseAll(entries)) {
      String id = transactionalId(slot, t.task());
      KafkaProducer<byte[], byte[]> producer = KafkaTransactions.takeOver(config, id, t.owner());
      try {
        producer.commitTransaction();
        producer.close();
      } catch (TimeoutException e) {
        producer.close(Duration.ZERO);
        throw e; // the broker is out of reach: the batch fails, and a restart publishes it again
      } catch (KafkaException e) {
        producer.close(Duration.ZERO);
        proveCommitted(batchId, id, t, e);
      }
    }
    LOG.debug("job {} batch {}: Kafka transactions committed", job, batchId);
  }

  /** After the broker refused a commit: reads the transaction's first record to tell committed from aborted. */
  private void proveCommitted(long batchId, String id, Prepared t, KafkaException refusal)
      throws KafkaTransactionLostException {
    Outcome outcome = KafkaTransactions.outcome(config, t.first(), t.offset(), Duration.ofSeconds(30));
    String rewind = " The batch's offsets are committed but its records are not in " + t.first().topic()
        + ". To write them again, stop the job and run: " + (batchId > 0
            ? "tidemark offsets rewind --store <the job's store> --job " + job + " --to-batch " + (batchId - 1)
            + " --execute --force"
            : "tidemark offsets reset --store <the job's store> --job " + job + " --bootstrap <a broker> with the"
            + " offsets batch 0 began at (--to-earliest for a job that started at the log start) --execute --force")
        + " (--force: this driver claimed the job, so it looks alive to the command); then start it.";
    switch (outcome) {
      case COMMITTED -> LOG.debug("job {} batch {}: transaction {} was committed already", job, batchId, id);
      case ABORTED -> throw new KafkaTransactionLostException(batchId, id, "batch " + batchId + " of job " + job
          + ": its Kafka transaction " + id + " (producer id " + t.owner().producerId() + ", epoch "
          + t.owner().epoch() + ") was aborted by the broker, most likely because transaction.timeout.ms ("
          + timeout + ") passed between the batch's prepare and its publish." + rewind, refusal);
      default -> throw new KafkaTransactionLostException(batchId, id, "batch " + batchId + " of job " + job
          + ": its Kafka transaction " + id + " cannot be committed (" + refusal + "), and whether it was cannot be"
          + " told: its first record (" + t.first() + " at offset " + t.offset() + ") is no longer readable."
          + " Check the topic; if the batch's records are missing:" + rewind, refusal);
    }
  }

  @Override
  public void discardUncommitted(long lastCommittedBatchId, Map<String, String> lastPrepared) throws Exception {
    Set<String> keep = KafkaOutputTransactions.ids(prefix, lastPrepared);
    Map<String, Object> adminConfig = new HashMap<>();
    config.forEach((k, v) -> {
      if (AdminClientConfig.configNames().contains(k)) {
        adminConfig.put(k, v);
      }
    });
    Collection<TransactionListing> open;
    try (Admin admin = Admin.create(adminConfig)) {
      open = admin.listTransactions(new ListTransactionsOptions().filterStates(List.of(TransactionState.ONGOING)))
          .all().get(2, TimeUnit.MINUTES);
    } catch (ExecutionException e) {
      throw new KafkaException("job " + job + ": cannot list the open Kafka transactions to abort those never"
          + " committed (the principal needs DESCRIBE on the transactional ids " + prefix + "-*): " + e.getCause(),
          e.getCause());
    }
    List<String> abort = new ArrayList<>();
    for (TransactionListing l : open) {
      if (KafkaOutputTransactions.isOurs(prefix, l.transactionalId()) && !keep.contains(l.transactionalId())) {
        abort.add(l.transactionalId());
      }
    }
    for (String id : abort) {
      try (KafkaProducer<byte[], byte[]> producer = KafkaTransactions.producer(config, id)) {
        producer.initTransactions(); // bumps the epoch: aborts the open transaction and fences its producer
      }
      LOG.info("job {}: aborted open Kafka transaction {}: prepared, never committed", job, id);
    }
  }

  @Override
  public String toString() {
    return "KafkaTransactionalSink[" + prefix + "]";
  }

  /** One task's open transaction: its id's task, its owner, and where its first record went. */
  record Prepared(int task, Owner owner, TopicPartition first, long offset) {
    String entry() {
      return task + "/" + owner.producerId() + "/" + owner.epoch() + "/" + first.topic() + "/" + first.partition() + "/"
          + offset;
    }

    static List<Prepared> parseAll(String entries) {
      List<Prepared> all = new ArrayList<>();
      for (String e : entries.split(",")) {
        if (e.isEmpty()) {
          continue;
        }
        String[] f = e.split("/");
        if (f.length != 6) {
          throw new IllegalArgumentException("not a prepared Kafka transaction: " + e);
        }
        all.add(new Prepared(Integer.parseInt(f[0]), new Owner(Long.parseLong(f[1]), Short.parseShort(f[2])),
            new TopicPartition(f[3], Integer.parseInt(f[4])), Long.parseLong(f[5])));
      }
      return all;
    }
  }

  /** On an executor: one task's records into one open transaction. */
  private static final class PrepareTask
      implements Function2<Integer, Iterator<ProducerRecord<byte[], byte[]>>, Iterator<String>> {
    private static final long serialVersionUID = 1L;
    private final String prefix;
    private final int slot;
    private final HashMap<String, String> config;

    PrepareTask(String prefix, int slot, HashMap<String, String> config) {
      this.prefix = prefix;
      this.slot = slot;
      this.config = config;
    }

    @Override
    public Iterator<String> call(Integer task, Iterator<ProducerRecord<byte[], byte[]>> records) throws Exception {
      String id = KafkaOutputTransactions.id(prefix, slot, task);
      KafkaProducer<byte[], byte[]> producer = KafkaTransactions.producer(config, id);
      boolean leftOpen = false;
      try {
        producer.initTransactions(); // aborts what an earlier attempt of this task left open
        if (!records.hasNext()) {
          return List.<String>of().iterator();
        }
        producer.beginTransaction();
        AtomicReference<Exception> failed = new AtomicReference<>();
        Future<RecordMetadata> first = null;
        while (records.hasNext()) {
          Future<RecordMetadata> sent = producer.send(records.next(), (m, e) -> {
            if (e != null) {
              failed.compareAndSet(null, e);
            }
          });
          first = first == null ? sent : first;
        }
        producer.flush();
        if (failed.get() != null) {
          throw new KafkaException("transaction " + id + ": a record was not written: " + failed.get(), failed.get());
        }
        RecordMetadata m = first.get();
        Prepared p = new Prepared(task, KafkaTransactions.owner(producer), new TopicPartition(m.topic(), m.partition()),
            m.offset());
        producer.close(Duration.ZERO); // a forced close sends no abort: the transaction stays open on the broker
        leftOpen = true;
        return List.of(p.entry()).iterator();
      } finally {
        if (!leftOpen) {
          producer.close(); // a graceful close aborts an open transaction
        }
      }
    }
  }

  /** Builds a {@link KafkaTransactionalSink}. */
  public static final class Builder<B> {
    private String job;
    private String prefix;
    private final Map<String, String> config = new HashMap<>();
    private Function<B, JavaRDD<ProducerRecord<byte[], byte[]>>> records;
    private Duration timeout = DEFAULT_TRANSACTION_TIMEOUT;

    private Builder() {}

    /** The job's name (as given to the adapter): the default transactional id prefix is {@code tidemark.<job>}. */
    public Builder<B> job(String job) {
      this.job = Objects.requireNonNull(job, "job");
      return this;
    }

    /** The transactional id prefix, unique to the job (default {@code tidemark.<job>}). */
    public Builder<B> transactionalIdPrefix(String prefix) {
      this.prefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    /**
     * The producers' settings ({@code bootstrap.servers}, security, ...). The sink owns
     * {@code transactional.id}, {@code transaction.timeout.ms} (see {@link #transactionTimeout}),
     * {@code enable.idempotence}, {@code acks} and the serializers: they are refused.
     */
    public Builder<B> kafka(Map<String, ?> settings) {
      settings.forEach((k, v) -> {
        if (OWNED.contains(k)) {
          throw new IllegalArgumentException("KafkaTransactionalSink sets " + k + " itself: remove it from the"
              + " settings" + (k.equals(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG) ? " and use transactionTimeout()"
              : k.endsWith("serializer") ? " (records are byte arrays: serialize in records())" : ""));
        }
        config.put(k, String.valueOf(v));
      });
      return this;
    }

    /** The batch's records, as an RDD of producer records (run on the driver, typically a {@code map}). */
    public Builder<B> records(Function<B, JavaRDD<ProducerRecord<byte[], byte[]>>> records) {
      this.records = Objects.requireNonNull(records, "records");
      return this;
    }

    /**
     * {@code transaction.timeout.ms}: how long a batch's transactions may stay open between its
     * prepare and its publish, a restart included; at least {@link #MINIMUM_TRANSACTION_TIMEOUT},
     * and no more than the broker's {@code transaction.max.timeout.ms} (the broker refuses more).
     */
    public Builder<B> transactionTimeout(Duration timeout) {
      if (timeout.compareTo(MINIMUM_TRANSACTION_TIMEOUT) < 0) {
        throw new IllegalArgumentException("a transaction timeout of " + timeout + " is shorter than "
            + MINIMUM_TRANSACTION_TIMEOUT + ": a driver that dies between a batch's commit and its publish and is not"
            + " back within it loses the batch's output. Use " + MINIMUM_TRANSACTION_TIMEOUT + " or more (default "
            + DEFAULT_TRANSACTION_TIMEOUT + ").");
      }
      this.timeout = timeout;
      return this;
    }

    /** The sink; names every missing setting. */
    public KafkaTransactionalSink<B> build() {
      List<String> missing = new ArrayList<>();
      if (job == null) {
        missing.add("job(...)");
      }
      if (!config.containsKey(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG)) {
        missing.add("kafka(Map.of(\"bootstrap.servers\", ...))");
      }
      if (records == null) {
        missing.add("records(...)");
      }
      if (!missing.isEmpty()) {
        throw new IllegalStateException("KafkaTransactionalSink needs " + String.join(", ", missing));
      }
      return new KafkaTransactionalSink<>(this);
    }
  }
}
