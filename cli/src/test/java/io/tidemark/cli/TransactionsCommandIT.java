package io.tidemark.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.offsets.KafkaOutputTransactions;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.offsets.RewindTarget;
import io.tidemark.testkit.KafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tidemark transactions list} and {@code abort} against a real broker holding open
 * transactions under a job's transactional ids, as {@code KafkaTransactionalSink} leaves them: the
 * committed batch's (to be committed by the job's next start) and a batch's that crashed before its
 * commit (to be aborted).
 */
class TransactionsCommandIT {
  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().build();

  @TempDir
  static Path dir;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOPIC = "out";

  private final List<KafkaProducer<byte[], byte[]>> left = new ArrayList<>();

  @BeforeAll
  static void topic() {
    broker.createTopic(TOPIC, 2);
  }

  @AfterEach
  void closeProducers() {
    left.forEach(p -> p.close(Duration.ZERO));
  }

  /**
   * A job whose batch 2 (slot 0) committed transactions of tasks 0 and 1, at {@code commitTime}.
   * Returns the store's URI.
   */
  private static String committedBatchTwo(String job, Instant commitTime) {
    String store = "file:" + dir.resolve(job);
    try (OffsetStore s = OffsetStores.open(store)) {
      long epoch = s.claim(job);
      for (int b = 0; b <= 2; b++) {
        OffsetCommit.Builder c = OffsetCommit.builder(job, b, epoch).commitTime(commitTime.plusSeconds(b))
            .range("in", 0, b * 10L, b * 10L + 10);
        if (b == 2) {
          c.metadata(KafkaOutputTransactions.STORED_SLOT, "0")
              .metadata(KafkaOutputTransactions.STORED_TRANSACTIONS, "0/1000/0/out/0/40,1/1001/0/out/1/40");
        } else if (b == 0) {
          c.starts(Map.of(new org.apache.kafka.common.TopicPartition("in", 0), 0L));
        }
        s.commit(c.build());
      }
    }
    return store;
  }

  /** Opens a transaction under {@code id} holding one record, and leaves it open (the producer is closed without an abort). */
  private void openTransaction(String id, int partition) {
    KafkaProducer<byte[], byte[]> p = broker.producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id,
        ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "900000"));
    left.add(p);
    p.initTransactions();
    p.beginTransaction();
    p.send(new ProducerRecord<>(TOPIC, partition, null, id.getBytes(StandardCharsets.UTF_8)));
    p.flush();
  }

  private static Set<String> ongoing(String prefix) throws Exception {
    Set<String> ids = new TreeSet<>();
    for (TransactionListing l : broker.admin().listTransactions(new ListTransactionsOptions()
        .filterStates(List.of(TransactionState.ONGOING))).all().get(1, TimeUnit.MINUTES)) {
      if (l.transactionalId().startsWith(prefix)) {
        ids.add(l.transactionalId());
      }
    }
    return ids;
  }

  @Test
  void listNamesTheCommittedBatchsTransactionsAndAbortAbortsOnlyTheOthersOfTheJob() throws Exception {
    String job = "job-" + UUID.randomUUID().toString().substring(0, 8);
    String store = committedBatchTwo(job, Instant.now().minus(Duration.ofHours(1)));
    long epoch;
    try (OffsetStore s = OffsetStores.open(store)) {
      // a rewind that keeps the last batch: its transactions are still the job's to commit
      s.rewind(job, RewindTarget.toBatch(2));
      epoch = s.read(job).epoch();
    }
    String prefix = KafkaOutputTransactions.defaultPrefix(job);
    // batch 2's (committed, its publish cut short), batch 3's (crashed before its commit), and a
    // transaction of another sink whose prefix starts with this job's
    openTransaction(prefix + "-0-0", 0);
    openTransaction(prefix + "-0-1", 1);
    openTransaction(prefix + "-1-0", 0);
    openTransaction(prefix + "-1-1", 1);
    openTransaction(prefix + "-x-1-0", 0);
    Set<String> all = Set.of(prefix + "-0-0", prefix + "-0-1", prefix + "-1-0", prefix + "-1-1", prefix + "-x-1-0");
    await("the five transactions open").atMost(Duration.ofMinutes(1)).until(() -> ongoing(prefix).equals(all));

    Cli.Run list = Cli.tidemark("transactions", "list", "--store", store, "--job", job,
        "--bootstrap", broker.bootstrapServers(), "--json");
    assertThat(list.code()).as(list.err()).isZero();
    JsonNode rows = JSON.readTree(list.out());
    Map<String, String> heldBy = new java.util.TreeMap<>();
    rows.forEach(r -> heldBy.put(r.get("transactionalId").asText(), r.get("heldBy").asText()));
    assertThat(heldBy).containsExactlyInAnyOrderEntriesOf(Map.of(prefix + "-0-0", "batch 2", prefix + "-0-1",
        "batch 2", prefix + "-1-0", "", prefix + "-1-1", ""));
    rows.forEach(r -> assertThat(r.get("state").asText()).isEqualToIgnoringCase("Ongoing"));

    Cli.Run dryRun = Cli.tidemark("transactions", "abort", "--store", store, "--job", job,
        "--bootstrap", broker.bootstrapServers());
    assertThat(dryRun.code()).as(dryRun.err()).isZero();
    assertThat(dryRun.out()).contains(prefix + "-1-0", prefix + "-1-1").doesNotContain(prefix + "-0-");
    assertThat(dryRun.err()).contains("batch 2 is committed and holds them", "2 transaction(s) would be aborted",
        "DRY RUN");
    assertThat(ongoing(prefix)).as("after the dry run").isEqualTo(all);

    Cli.Run abort = Cli.tidemark("transactions", "abort", "--store", store, "--job", job,
        "--bootstrap", broker.bootstrapServers(), "--execute");
    assertThat(abort.code()).as(abort.err()).isZero();
    assertThat(abort.err()).contains("aborted " + prefix + "-1-0", "aborted " + prefix + "-1-1");
    try (OffsetStore s = OffsetStores.open(store)) {
      assertThat(s.read(job).epoch()).as("the job's epoch: a driver still running is fenced").isGreaterThan(epoch);
    }
    assertThat(ongoing(prefix)).as("after abort --execute")
        .containsExactlyInAnyOrder(prefix + "-0-0", prefix + "-0-1", prefix + "-x-1-0");

    // the abort's claim looks like a driver's to the live-driver check: a second abort needs --force
    Cli.Run again = Cli.tidemark("transactions", "abort", "--store", store, "--job", job,
        "--bootstrap", broker.bootstrapServers(), "--execute", "--force");
    assertThat(again.code()).as(again.err()).isZero();
    assertThat(again.err()).contains("nothing to abort");
    assertThat(ongoing(prefix)).as("after a second abort").hasSize(3);
  }

  @Test
  void abortRefusesAJobWhoseDriverLooksAliveAndChangesNothing() throws Exception {
    String job = "job-" + UUID.randomUUID().toString().substring(0, 8);
    String store = committedBatchTwo(job, Instant.now());
    String prefix = KafkaOutputTransactions.defaultPrefix(job);
    openTransaction(prefix + "-1-0", 0);
    await("the transaction open").atMost(Duration.ofMinutes(1)).until(() -> ongoing(prefix).size() == 1);

    Cli.Run refused = Cli.tidemark("transactions", "abort", "--store", store, "--job", job,
        "--bootstrap", broker.bootstrapServers(), "--execute");
    assertThat(refused.code()).as(refused.err()).isEqualTo(ExitCodes.REFUSED);
    assertThat(refused.err()).contains("looks alive", "Aborting takes a new epoch", "--force");
    assertThat(ongoing(prefix)).containsExactly(prefix + "-1-0");

    Cli.Run forced = Cli.tidemark("transactions", "abort", "--store", store, "--job", job,
        "--bootstrap", broker.bootstrapServers(), "--execute", "--force");
    assertThat(forced.code()).as(forced.err()).isZero();
    assertThat(ongoing(prefix)).isEmpty();
  }
}
