package io.tidemark.offsets;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.TopicPartition;

/**
 * How far a job is behind: per partition its committed position, the log end and the difference,
 * plus totals. Immutable.
 *
 * @param job the job
 * @param partitions one entry per partition the job has a position in and that still exists
 * @param missingPartitions partitions the job has a position in that the cluster no longer has
 */
public record JobLag(String job, List<PartitionLag> partitions, List<TopicPartition> missingPartitions) {

  /** Copies the lists. */
  public JobLag {
    Objects.requireNonNull(job, "job");
    partitions = List.copyOf(partitions);
    missingPartitions = List.copyOf(missingPartitions);
  }

  /**
   * One partition's lag.
   *
   * @param partition the partition
   * @param committed the job's next offset to read
   * @param logEnd the partition's log end offset
   */
  public record PartitionLag(TopicPartition partition, long committed, long logEnd) {
    /** {@code logEnd - committed}, never below 0 (a position above the log end has no lag, but see the resolver). */
    public long lag() {
      return Math.max(0, logEnd - committed);
    }
  }

  /** The sum of every partition's lag. */
  public long totalLag() {
    return partitions.stream().mapToLong(PartitionLag::lag).sum();
  }

  /** The largest partition lag (0 when there is none). */
  public long maxLag() {
    return partitions.stream().mapToLong(PartitionLag::lag).max().orElse(0);
  }

  /**
   * Computes the lag of {@code committed} against the log ends {@code offsets} reports.
   *
   * @throws ClusterUnavailableException when the cluster does not answer
   */
  public static JobLag of(CommittedOffsets committed, PartitionOffsets offsets) {
    Map<String, Integer> counts = offsets.partitionCounts(
        committed.positions().keySet().stream().map(TopicPartition::topic).distinct().toList());
    List<TopicPartition> existing = new ArrayList<>();
    List<TopicPartition> missing = new ArrayList<>();
    for (TopicPartition tp : committed.positions().keySet()) {
      Integer n = counts.get(tp.topic());
      (n != null && tp.partition() < n ? existing : missing).add(tp);
    }
    Map<TopicPartition, Long> ends = offsets.latest(existing);
    List<PartitionLag> lags = new ArrayList<>();
    for (TopicPartition tp : existing) {
      lags.add(new PartitionLag(tp, committed.positions().get(tp), ends.get(tp)));
    }
    return new JobLag(committed.job(), lags, missing);
  }
}
