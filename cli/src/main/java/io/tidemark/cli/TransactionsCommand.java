package io.tidemark.cli;

import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.KafkaOutputTransactions;
import io.tidemark.offsets.OffsetStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tidemark transactions}: the open Kafka transactions of a job that writes through
 * {@code KafkaTransactionalSink}, and aborting those no committed batch holds.
 */
@Command(name = "transactions", mixinStandardHelpOptions = true,
    description = "The open Kafka transactions of a job's KafkaTransactionalSink: list them, abort those no committed batch holds.",
    subcommands = {TransactionsCommand.ListTransactions.class, TransactionsCommand.Abort.class})
final class TransactionsCommand {
  private TransactionsCommand() {}

  /** One open transaction of the job, and the committed batch that holds it, if one does. */
  record Open(TransactionDescription description, String id, Long heldBy) {}

  /** What both commands share: the id prefix, the reading of the job's open transactions. */
  static final class Transactions {
    @Option(names = "--prefix", paramLabel = "PREFIX",
        description = "The sink's transactional id prefix (default tidemark.<job>, the sink's default).")
    String prefix;

    String prefix(String job) {
      return prefix != null ? prefix : KafkaOutputTransactions.defaultPrefix(job);
    }

    /** The open transactions of {@code job}'s ids, each with its last committed batch ({@code c}) if that batch holds it. */
    List<Open> of(Admin admin, OffsetStore s, String job, CommittedOffsets c) {
      String p = prefix(job);
      return open(admin, p, c.lastBatchId().orElse(-1), heldByLastBatch(s, job, p));
    }

    /** The open transactions of the job's ids, oldest first, each with the last committed batch if it holds it. */
    static List<Open> open(Admin admin, String prefix, long lastBatch, Set<String> heldByLast) {
      try {
        Collection<TransactionListing> listed = admin.listTransactions(new ListTransactionsOptions().filterStates(
            List.of(TransactionState.ONGOING, TransactionState.PREPARE_COMMIT, TransactionState.PREPARE_ABORT)))
            .all().get(2, TimeUnit.MINUTES);
        List<String> ids = listed.stream().map(TransactionListing::transactionalId)
            .filter(id -> KafkaOutputTransactions.isOurs(prefix, id)).sorted().toList();
        if (ids.isEmpty()) {
          return List.of();
        }
        Map<String, TransactionDescription> described = new TreeMap<>(admin.describeTransactions(ids).all()
            .get(2, TimeUnit.MINUTES));
        List<Open> open = new ArrayList<>();
        described.forEach((id, d) -> open.add(new Open(d, id, heldByLast.contains(id) ? lastBatch : null)));
        return open;
      } catch (ExecutionException e) {
        throw new KafkaException("cannot list the open Kafka transactions of " + prefix + "-* (the principal needs"
            + " DESCRIBE on those transactional ids): " + e.getCause(), e.getCause());
      } catch (java.util.concurrent.TimeoutException e) {
        throw new KafkaException("the broker did not list its transactions within 2 minutes", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new KafkaException("interrupted", e);
      }
    }

    /**
     * The ids the job's last committed batch holds, as the job's start reads them: its publish may
     * still be to come (also after a rewind or reset that kept the last batch).
     */
    static Set<String> heldByLastBatch(OffsetStore s, String job, String prefix) {
      return s.newestCommitIfLast(job).map(last -> KafkaOutputTransactions.ids(prefix, last.metadata()))
          .orElse(Set.of());
    }

    static Output table(List<Open> open) {
      Output o = new Output("transactionalId", "state", "producerId", "epoch", "openFor", "partitions", "heldBy");
      long now = System.currentTimeMillis();
      for (Open t : open) {
        TransactionDescription d = t.description();
        String openFor = d.transactionStartTimeMs().isPresent()
            ? Duration.ofMillis(now - d.transactionStartTimeMs().getAsLong()).toSeconds() + " s" : "";
        o.row(t.id(), d.state().toString(), d.producerId(), d.producerEpoch(), openFor,
            d.topicPartitions().stream().map(Object::toString).sorted().collect(Collectors.joining(",")),
            t.heldBy() != null ? "batch " + t.heldBy() : "");
      }
      return o;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "The job's open Kafka transactions; heldBy names"
      + " the committed batch whose transactions the job's next start commits.")
  static final class ListTransactions extends OffsetsCommand.JobCommand {
    @Mixin
    OffsetsCommand.BrokerOptions broker;

    @Mixin
    Transactions transactions;

    @Override
    public Integer call() {
      String prefix = transactions.prefix(job);
      try (OffsetStore s = store.open(); Admin admin = broker.admin("listing transactions")) {
        List<Open> open = transactions.of(admin, s, job, existing(s));
        Transactions.table(open).print(out(), json);
        if (!json && open.isEmpty()) {
          out().println("no open transaction under " + prefix + "-*");
        }
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "abort", mixinStandardHelpOptions = true, description = "Aborts the job's open Kafka transactions that"
      + " no committed batch holds (a crash before the commit, a fenced driver), as the job's next start would."
      + " With --execute it first claims the job (a new epoch), so that a driver still running is fenced;"
      + " without it, a dry run.")
  static final class Abort extends OffsetsCommand.ChangeCommand {
    @Mixin
    OffsetsCommand.BrokerOptions broker;

    @Mixin
    Transactions transactions;

    @Override
    public Integer call() {
      try (OffsetStore s = store.open(); Admin admin = broker.admin("aborting transactions")) {
        CommittedOffsets c = existing(s);
        checkNotLive(s, c);
        if (execute) {
          // a new epoch first: a driver still running is fenced (its next commit fails) before the
          // transactions it holds are read, so none of its batches can commit what is aborted here
          s.claim(job);
          c = s.read(job);
        }
        List<Open> open = transactions.of(admin, s, job, c);
        // a transaction the broker is already completing (PrepareCommit, PrepareAbort) is left to it
        List<Open> abort = open.stream()
            .filter(t -> t.heldBy() == null && t.description().state() == TransactionState.ONGOING).toList();
        Transactions.table(abort).print(out(), json);
        Set<String> kept = new TreeSet<>();
        open.stream().filter(t -> t.heldBy() != null).forEach(t -> kept.add(t.id()));
        if (!kept.isEmpty()) {
          err().println("kept: " + kept + ": batch " + c.lastBatchId().orElse(-1) + " is committed and holds them;"
              + " start the job to commit them (aborting them would lose the batch's output)");
        }
        if (!execute) {
          err().println((abort.isEmpty() ? "nothing to abort" : abort.size() + " transaction(s) would be aborted")
              + ". DRY RUN: nothing changed. Add --execute to apply.");
          return ExitCodes.OK;
        }
        for (Open t : abort) {
          try (KafkaProducer<byte[], byte[]> producer = producer(t.id())) {
            producer.initTransactions(); // a new epoch for the id: the broker aborts its open transaction
          }
          err().println("aborted " + t.id() + " (producer id " + t.description().producerId() + ", epoch "
              + t.description().producerEpoch() + ") at " + Instant.now());
        }
        if (abort.isEmpty()) {
          err().println("nothing to abort");
        }
      }
      return ExitCodes.OK;
    }

    @Override
    String whyNotWhileLive() {
      return "Aborting takes a new epoch, so that driver's next commit would fail (STALE_EPOCH) and it would stop,"
          + " its running batch's transactions aborted.";
    }

    private KafkaProducer<byte[], byte[]> producer(String id) {
      Properties p = new Properties();
      p.putAll(broker.config);
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap);
      p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id);
      p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, "60000");
      return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }
  }
}
