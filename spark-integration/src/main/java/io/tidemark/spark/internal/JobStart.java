package io.tidemark.spark.internal;

import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.offsets.PartitionOffsets;
import io.tidemark.offsets.ResolvedStart;
import io.tidemark.offsets.StartPositionResolver;
import io.tidemark.spark.BatchCommitter;
import io.tidemark.spark.BatchFailedException;
import io.tidemark.spark.BatchListener;
import io.tidemark.spark.DeliveryGuarantee;
import io.tidemark.spark.metrics.JobMetrics;
import io.tidemark.spark.sink.TransactionalOutput;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;

/** What both adapters do at start: check the common options, resolve, claim, recover an output. */
public final class JobStart {
  private JobStart() {}

  /** The started job: its store (and whether the adapter opened it), its start, its committer. */
  public record Started(OffsetStore store, boolean ownsStore, ResolvedStart start, BatchCommitter committer,
      List<String> topics, JobMetrics metrics) {}

  /** Adds to {@code problems} what is missing among the options every adapter needs. */
  public static void checkCommon(List<String> problems, String job, List<String> topics, DeliveryGuarantee guarantee,
      boolean hasStore) {
    if (job == null || job.isBlank()) {
      problems.add("job is required: the key of the job's positions in the store");
    }
    if (topics == null || topics.isEmpty()) {
      problems.add("topics are required");
    }
    if (guarantee == null) {
      problems.add("guarantee is required: AT_MOST_ONCE, AT_LEAST_ONCE or EXACTLY_ONCE");
    }
    if (!hasStore) {
      problems.add("a store is required: store(OffsetStore) or store(\"zk://...\")");
    }
  }

  /** Throws when {@code problems} holds anything, naming all of it. */
  public static void failOn(List<String> problems) {
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("cannot build the Tidemark stream: " + String.join("; ", problems));
    }
  }

  /**
   * Opens the store (from {@code uri} when {@code store} is null), resolves the start against the
   * cluster reached with {@code admin}, claims the job, and starts its metrics. Closes a store it
   * opened on failure.
   */
  public static Started start(OffsetStore store, String uri, String job, List<String> topics, Properties admin,
      StartPositionResolver resolver, DeliveryGuarantee guarantee, List<BatchListener> listeners) {
    boolean owns = store == null;
    OffsetStore s = owns ? OffsetStores.open(uri) : store;
    try {
      if (guarantee == DeliveryGuarantee.EXACTLY_ONCE && !s.isCompareAndSet()) {
        throw new IllegalArgumentException("cannot build the Tidemark stream of job " + job + ": EXACTLY_ONCE needs a"
            + " store whose commits are a compare-and-set against every driver, and " + s.description() + " checks"
            + " them within one process only (see docs/offsets-kafka.md). Use AT_LEAST_ONCE with it, or a zk://,"
            + " hbase:// or file: store.");
      }
      BatchCommitter committer;
      try (Admin client = Admin.create(admin)) {
        PartitionOffsets cluster = PartitionOffsets.of(client);
        committer = BatchCommitter.claim(s, job, guarantee, stored -> resolver.resolve(stored, topics, cluster));
      }
      listeners.forEach(committer::addListener);
      ResolvedStart start = committer.start();
      List<String> read = topics.stream().filter(t -> !start.droppedTopics().contains(t)).toList();
      JobMetrics metrics = JobMetrics.start(committer, s, admin);
      return new Started(s, owns, start, committer, read, metrics);
    } catch (RuntimeException e) {
      if (owns) {
        s.close();
      }
      throw e;
    }
  }

  /**
   * Before a transactional output's first batch: publishes the last committed batch again (a crash
   * may have come between its commit and its publish, and an operator's rewind or reset may have
   * kept that batch as the last since) and discards what was never committed.
   */
  public static void recover(BatchCommitter committer, TransactionalOutput<?> output) {
    long last = committer.nextBatchId() - 1;
    Map<String, String> lastPrepared = committer.lastPrepared();
    try {
      if (last >= 0 && !lastPrepared.isEmpty()) {
        output.publish(last, lastPrepared);
      }
      output.discardUncommitted(last, lastPrepared);
    } catch (Exception e) {
      throw new BatchFailedException(committer.job(), last, "cannot recover " + output + " at start: " + e, e);
    }
  }

  /** A work item that prepares with {@code prepare} and publishes with {@code output} after the commit. */
  public static <B> BatchCommitter.BatchWork transactional(TransactionalOutput<B> output, B batch) {
    return new BatchCommitter.BatchWork() {
      @Override
      public Map<String, String> output(long batchId) throws Exception {
        return output.prepare(batch, batchId);
      }

      @Override
      public void afterCommit(long batchId, Map<String, String> prepared) throws Exception {
        output.publish(batchId, prepared);
      }
    };
  }
}
