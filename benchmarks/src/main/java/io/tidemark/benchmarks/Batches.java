package io.tidemark.benchmarks;

import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetRange;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The consecutive batches of one job that a store accepts: batch ids 0, 1, 2, ..., every range
 * of a partition starting where the previous one ended, all under one writer epoch. A batch
 * covers every partition of one topic and reads {@value #RECORDS_PER_PARTITION} offsets of each.
 * Not thread-safe.
 */
final class Batches {
  /** The topic every batch reads. */
  static final String TOPIC = "events";
  /** Offsets each batch reads from each partition. */
  static final long RECORDS_PER_PARTITION = 500;
  /** Where every partition starts: a topic that has been written for a while, so offsets have ten digits. */
  static final long FIRST_OFFSET = 1_000_000_000L;

  private final String job;
  private final long epoch;
  private final long[] positions;
  private final List<OffsetRange> ranges;
  private long nextBatchId;

  /** Batches of {@code job} under {@code epoch} (as {@code claim(job)} returned it) over {@code partitions} partitions. */
  Batches(String job, long epoch, int partitions) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
    }
    this.job = job;
    this.epoch = epoch;
    this.positions = new long[partitions];
    Arrays.fill(positions, FIRST_OFFSET);
    this.ranges = new ArrayList<>(partitions);
  }

  /** Builds the next batch and moves every partition's position to its end. */
  OffsetCommit next() {
    ranges.clear();
    for (int p = 0; p < positions.length; p++) {
      long from = positions[p];
      ranges.add(new OffsetRange(TOPIC, p, from, from + RECORDS_PER_PARTITION));
      positions[p] = from + RECORDS_PER_PARTITION;
    }
    OffsetCommit.Builder batch = OffsetCommit.builder(job, nextBatchId, epoch).ranges(ranges);
    if (nextBatchId == 0) { // the first batch declares where each partition starts
      java.util.Map<org.apache.kafka.common.TopicPartition, Long> starts = new java.util.HashMap<>();
      ranges.forEach(r -> starts.put(r.topicPartition(), r.fromOffset()));
      batch.starts(starts);
    }
    nextBatchId++;
    return batch.build();
  }

  /** The id of the last batch {@link #next()} built; -1 before the first. */
  long lastBatchId() {
    return nextBatchId - 1;
  }
}
