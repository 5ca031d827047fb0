package io.tidemark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.offsets.HistoryEntry;
import io.tidemark.offsets.LostOffsetsPolicy;
import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.offsets.PartitionOffsets;
import io.tidemark.offsets.ResolvedStart;
import io.tidemark.offsets.RewindTarget;
import io.tidemark.offsets.StartPositionResolver;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The commit protocol on its own, against the in-memory store: order, failures, fencing, recovery data. */
class BatchCommitterTest {
  private static final String JOB = "orders";
  private static final TopicPartition P0 = new TopicPartition("t", 0);
  private static final TopicPartition P1 = new TopicPartition("t", 1);

  private OffsetStore store;

  @BeforeEach
  void open() {
    store = OffsetStores.open("memory:committer-test-" + System.nanoTime());
  }

  @AfterEach
  void close() {
    store.close();
  }

  private static final PartitionOffsets CLUSTER = cluster(0);

  /** Two partitions, log start {@code earliest} and end 1000 each: enough for the resolver. */
  private static PartitionOffsets cluster(long earliest) {
    return new PartitionOffsets() {
      @Override
      public Map<String, Integer> partitionCounts(Collection<String> topics) {
        return topics.stream().collect(Collectors.toMap(t -> t, t -> 2));
      }

      @Override
      public Map<TopicPartition, Long> earliest(Collection<TopicPartition> partitions) {
        return partitions.stream().collect(Collectors.toMap(p -> p, p -> earliest));
      }

      @Override
      public Map<TopicPartition, Long> latest(Collection<TopicPartition> partitions) {
        return partitions.stream().collect(Collectors.toMap(p -> p, p -> 1000L));
      }

      @Override
      public Map<TopicPartition, OptionalLong> forTimestamp(Collection<TopicPartition> partitions, Instant time) {
        return partitions.stream().collect(Collectors.toMap(p -> p, p -> OptionalLong.of(earliest)));
      }
    };
  }

  private BatchCommitter claim(DeliveryGuarantee g) {
    return BatchCommitter.claim(store, JOB, g,
        stored -> StartPositionResolver.builder().build().resolve(stored, List.of("t"), CLUSTER));
  }

  private static List<OffsetRange> ranges(long from, long until) {
    return List.of(OffsetRange.of(P0, from, until), OffsetRange.of(P1, from, until));
  }

  @Test
  void atMostOnceCommitsBeforeTheOutputAndAFailedOutputStaysCommitted() {
    BatchCommitter c = claim(DeliveryGuarantee.AT_MOST_ONCE);
    List<Long> seenInOutput = new ArrayList<>();
    assertThatThrownBy(() -> c.runBatch(ranges(0, 10), Map.of(), id -> {
      seenInOutput.add(store.read(JOB).lastBatchId().orElse(-1));
      throw new IllegalStateException("sink down");
    })).isInstanceOf(BatchFailedException.class).hasMessageContaining("sink down");
    assertThat(seenInOutput).containsExactly(0L);
    assertThat(store.read(JOB).positions()).containsEntry(P0, 10L);
    assertThatThrownBy(() -> c.runBatch(ranges(10, 20), Map.of(), id -> Map.of()))
        .isInstanceOf(BatchFailedException.class).hasMessageContaining("an earlier batch (0) failed");
  }

  @Test
  void atLeastOnceCommitsAfterTheOutputAndNeverAFailedOne() {
    BatchCommitter c = claim(DeliveryGuarantee.AT_LEAST_ONCE);
    List<Long> seenInOutput = new ArrayList<>();
    assertThat(c.runBatch(ranges(0, 10), Map.of("k", "v"), id -> {
      seenInOutput.add(store.read(JOB).lastBatchId().orElse(-1));
      return Map.of();
    })).isEqualTo(BatchCommitter.Outcome.COMMITTED);
    assertThat(seenInOutput).containsExactly(-1L);
    assertThatThrownBy(() -> c.runBatch(ranges(10, 20), Map.of(), id -> {
      throw new IllegalStateException("sink down");
    })).isInstanceOf(BatchFailedException.class).hasMessageContaining("not committed");
    assertThat(store.read(JOB).positions()).containsEntry(P0, 10L).containsEntry(P1, 10L);
    assertThat(store.read(JOB).lastBatchId()).hasValue(0L);
  }

  @Test
  void exactlyOnceStoresWhatTheOutputPreparedAndTheNextDriverSeesIt() {
    BatchCommitter c = claim(DeliveryGuarantee.EXACTLY_ONCE);
    List<String> published = new ArrayList<>();
    c.runBatch(ranges(0, 10), Map.of(), new BatchCommitter.BatchWork() {
      @Override
      public Map<String, String> output(long batchId) {
        return Map.of("dir", "pending-" + batchId);
      }

      @Override
      public void afterCommit(long batchId, Map<String, String> prepared) {
        published.add(batchId + "=" + prepared.get("dir"));
      }
    });
    assertThat(published).containsExactly("0=pending-0");
    HistoryEntry.Committed last = (HistoryEntry.Committed) store.history(JOB, 1).get(0);
    assertThat(last.commit().metadata()).containsEntry("sink.dir", "pending-0")
        .containsEntry(BatchCommitter.GUARANTEE_KEY, "EXACTLY_ONCE");

    BatchCommitter next = claim(DeliveryGuarantee.EXACTLY_ONCE);
    assertThat(next.lastPrepared()).isEqualTo(Map.of("dir", "pending-0"));
    assertThat(next.nextBatchId()).isEqualTo(1);
  }

  /**
   * A reset to explicit offsets, or a rewind to the last batch, keeps the last batch (whose
   * output may be committed and not yet published); a rewind to an earlier one does not.
   */
  @Test
  void thePreparedOutputOfTheLastBatchIsFoundThroughTheRewindsThatKeptIt() {
    BatchCommitter c = claim(DeliveryGuarantee.EXACTLY_ONCE);
    BatchCommitter.BatchWork prepare = id -> Map.of("dir", "pending-" + id);
    c.runBatch(ranges(0, 10), Map.of(), prepare);
    c.runBatch(ranges(10, 20), Map.of(), prepare);
    store.rewind(JOB, RewindTarget.toOffsets(Map.of(P0, 20L, P1, 20L)));
    store.rewind(JOB, RewindTarget.toBatch(1));

    assertThat(claim(DeliveryGuarantee.EXACTLY_ONCE).lastPrepared()).isEqualTo(Map.of("dir", "pending-1"));

    List<Integer> asked = new ArrayList<>();
    OffsetStore counting = (OffsetStore) java.lang.reflect.Proxy.newProxyInstance(OffsetStore.class.getClassLoader(),
        new Class<?>[] {OffsetStore.class}, (proxy, method, args) -> {
          if (method.isDefault()) {
            return java.lang.reflect.InvocationHandler.invokeDefault(proxy, method, args);
          }
          if (method.getName().equals("history")) {
            asked.add((Integer) args[1]);
          }
          try {
            return method.invoke(store, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
    assertThat(BatchCommitter.lastPrepared(counting, JOB)).isEqualTo(Map.of("dir", "pending-1"));
    assertThat(asked).as("history limits asked for: the newest entry, then a few more").containsExactly(1, 4);

    store.rewind(JOB, RewindTarget.toBatch(0));
    assertThat(claim(DeliveryGuarantee.EXACTLY_ONCE).lastPrepared())
        .as("batch 1 runs again; batch 0 was published before batch 1 ran").isEmpty();
  }

  @Test
  void aSecondClaimFencesTheFirstDriver() {
    BatchCommitter first = claim(DeliveryGuarantee.EXACTLY_ONCE);
    first.runBatch(ranges(0, 10), Map.of(), id -> Map.of());
    BatchCommitter second = claim(DeliveryGuarantee.EXACTLY_ONCE);
    assertThatThrownBy(() -> first.runBatch(ranges(10, 20), Map.of(), id -> Map.of()))
        .isInstanceOf(DriverFencedException.class).hasMessageContaining("claimed by another driver");
    assertThat(second.runBatch(ranges(10, 15), Map.of(), id -> Map.of())).isEqualTo(BatchCommitter.Outcome.COMMITTED);
    assertThat(store.read(JOB).positions()).containsEntry(P0, 15L);
  }

  @Test
  void emptyBatchesAreSkippedAndBatchIdsStayDense() {
    BatchCommitter c = claim(DeliveryGuarantee.AT_LEAST_ONCE);
    List<Long> outputs = new ArrayList<>();
    assertThat(c.runBatch(ranges(0, 0), Map.of(), id -> {
      outputs.add(id);
      return Map.of();
    })).isEqualTo(BatchCommitter.Outcome.SKIPPED_EMPTY);
    c.runBatch(ranges(0, 5), Map.of(), id -> {
      outputs.add(id);
      return Map.of();
    });
    assertThat(outputs).containsExactly(0L);
    assertThat(store.read(JOB).lastBatchId()).hasValue(0L);
  }

  @Test
  void aResetByTheStartPoliciesIsCommittedWithTheFirstBatchEvenWhereItReadNothing() {
    claim(DeliveryGuarantee.AT_LEAST_ONCE).runBatch(ranges(0, 100), Map.of(), id -> Map.of());
    // retention deleted everything below 500: the policy moves both partitions there
    BatchCommitter c = BatchCommitter.claim(store, JOB, DeliveryGuarantee.AT_LEAST_ONCE, stored -> StartPositionResolver
        .builder().onLostOffsets(LostOffsetsPolicy.EARLIEST).build().resolve(stored, List.of("t"), cluster(500)));
    assertThat(c.nextStarts()).containsEntry(P0, 500L).containsEntry(P1, 500L);
    assertThat(c.positions()).containsEntry(P0, 100L);
    c.runBatch(List.of(OffsetRange.of(P0, 500, 510)), Map.of(), id -> Map.of());
    assertThat(store.read(JOB).positions()).containsEntry(P0, 510L).containsEntry(P1, 500L);
    HistoryEntry.Committed last = (HistoryEntry.Committed) store.history(JOB, 1).get(0);
    assertThat(last.commit().resets()).hasSize(2);
    assertThat(last.commit().metadata()).containsKey(ResolvedStart.DATA_LOSS_METADATA_KEY);
    assertThat(c.nextStarts()).containsEntry(P1, 500L);
  }

  @Test
  void theJobIsClaimedBeforeItsStateIsReadAndResolved() {
    claim(DeliveryGuarantee.AT_LEAST_ONCE).runBatch(ranges(0, 10), Map.of(), id -> Map.of());
    List<Long> epochSeenWhileResolving = new ArrayList<>();
    BatchCommitter c = BatchCommitter.claim(store, JOB, DeliveryGuarantee.AT_LEAST_ONCE, stored -> {
      epochSeenWhileResolving.add(stored.epoch());
      return StartPositionResolver.builder().build().resolve(stored, List.of("t"), CLUSTER);
    });
    assertThat(epochSeenWhileResolving).containsExactly(c.epoch());
  }

  @Test
  void aFailureAfterTheCommitSaysTheBatchWasCommitted() {
    BatchCommitter c = claim(DeliveryGuarantee.EXACTLY_ONCE);
    assertThatThrownBy(() -> c.runBatch(ranges(0, 10), Map.of(), new BatchCommitter.BatchWork() {
      @Override
      public Map<String, String> output(long batchId) {
        return Map.of("dir", "d");
      }

      @Override
      public void afterCommit(long batchId, Map<String, String> prepared) throws Exception {
        throw new java.io.IOException("rename refused");
      }
    })).isInstanceOf(BatchFailedException.class).hasMessageContaining("It was committed")
        .hasMessageContaining("publishes it again");
    assertThat(store.read(JOB).lastBatchId()).hasValue(0L);
  }

  @Test
  void aGapIsRefusedByTheStoreAndFailsTheBatch() {
    BatchCommitter c = claim(DeliveryGuarantee.AT_LEAST_ONCE);
    c.runBatch(ranges(0, 10), Map.of(), id -> Map.of());
    assertThatThrownBy(() -> c.runBatch(ranges(12, 20), Map.of(), id -> Map.of()))
        .isInstanceOf(BatchFailedException.class).isNotInstanceOf(DriverFencedException.class)
        .hasMessageContaining("refused batch 1").hasMessageContaining("GAP");
  }
}
