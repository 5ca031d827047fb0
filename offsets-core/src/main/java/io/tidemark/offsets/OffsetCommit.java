package io.tidemark.offsets;

import io.tidemark.offsets.internal.Validation;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;

/**
 * What one batch of a job read, committed atomically: the ranges of every partition it read,
 * under a batch id and the writer epoch of the driver that ran it.
 *
 * <p>A commit is accepted only as the exact successor of the stored position (see
 * {@link OffsetStore#commit}): each range starts where its partition's stored position ends,
 * unless a {@link PositionReset} in this commit names the position it replaces.
 *
 * <p>Immutable and thread-safe. Ranges are kept sorted by topic and partition; each partition
 * appears at most once.
 */
public final class OffsetCommit {

  /** Orders partitions by topic, then partition number. */
  public static final Comparator<TopicPartition> PARTITION_ORDER =
      Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

  private final String job;
  private final long batchId;
  private final long epoch;
  private final List<OffsetRange> ranges;
  private final List<PositionReset> resets;
  private final Map<TopicPartition, Long> starts;
  private final Instant commitTime;
  private final SortedMap<String, String> metadata;

  private OffsetCommit(Builder b) {
    this.job = Validation.jobId(b.job);
    this.batchId = Validation.nonNegative(b.batchId, "batch id of job " + b.job);
    if (b.epoch < 1) {
      throw new IllegalArgumentException("writer epoch of job " + job + " must be >= 1 (the value claim(job) returned), got "
          + b.epoch);
    }
    this.epoch = b.epoch;
    List<OffsetRange> sorted = new ArrayList<>(b.ranges);
    sorted.sort(Comparator.comparing(OffsetRange::topicPartition, PARTITION_ORDER));
    for (int i = 1; i < sorted.size(); i++) {
      if (sorted.get(i).topicPartition().equals(sorted.get(i - 1).topicPartition())) {
        throw new IllegalArgumentException("batch " + batchId + " of job " + job + " has two ranges for "
            + sorted.get(i).topicPartition() + ": " + sorted.get(i - 1) + " and " + sorted.get(i));
      }
    }
    this.ranges = List.copyOf(sorted);
    Map<TopicPartition, OffsetRange> byPartition = new HashMap<>();
    sorted.forEach(r -> byPartition.put(r.topicPartition(), r));
    List<PositionReset> sortedResets = new ArrayList<>(b.resets);
    sortedResets.sort(Comparator.comparing(PositionReset::partition, PARTITION_ORDER));
    for (int i = 1; i < sortedResets.size(); i++) {
      if (sortedResets.get(i).partition().equals(sortedResets.get(i - 1).partition())) {
        throw new IllegalArgumentException("batch " + batchId + " of job " + job + " has two resets for "
            + sortedResets.get(i).partition() + ": " + sortedResets.get(i - 1) + " and " + sortedResets.get(i));
      }
    }
    for (PositionReset reset : sortedResets) {
      OffsetRange range = byPartition.get(reset.partition());
      if (range == null) {
        throw new IllegalArgumentException("batch " + batchId + " of job " + job + " resets " + reset.partition()
            + " but has no range for it");
      }
      if (range.fromOffset() != reset.newPosition()) {
        throw new IllegalArgumentException("batch " + batchId + " of job " + job + " resets " + reset.partition()
            + " to " + reset.newPosition() + " but its range " + range + " starts elsewhere");
      }
    }
    this.resets = List.copyOf(sortedResets);
    Map<TopicPartition, Long> sortedStarts = new TreeMap<>(PARTITION_ORDER);
    b.starts.forEach((tp, offset) -> {
      Validation.topic(tp.topic());
      Validation.nonNegative(offset, "declared start of " + tp);
      sortedStarts.put(tp, offset);
    });
    this.starts = Collections.unmodifiableMap(new java.util.LinkedHashMap<>(sortedStarts));
    this.commitTime = Objects.requireNonNull(b.commitTime != null ? b.commitTime : b.clock.instant(), "commitTime");
    this.metadata = Collections.unmodifiableSortedMap(new TreeMap<>(b.metadata));
  }

  /** A builder for batch {@code batchId} of {@code job}, written under writer {@code epoch}. */
  public static Builder builder(String job, long batchId, long epoch) {
    return new Builder(job, batchId, epoch);
  }

  /** The job id. */
  public String job() {
    return job;
  }

  /** The batch id: the stored last batch id plus one (any id {@code >= 0} for a job's first commit). */
  public long batchId() {
    return batchId;
  }

  /** The writer epoch of the committing driver, as {@link OffsetStore#claim} returned it. */
  public long epoch() {
    return epoch;
  }

  /** The ranges, sorted by topic and partition. */
  public List<OffsetRange> ranges() {
    return ranges;
  }

  /** The range of {@code partition}, if this batch read it. */
  public Optional<OffsetRange> range(TopicPartition partition) {
    return ranges.stream().filter(r -> r.topicPartition().equals(partition)).findFirst();
  }

  /** The declared position resets, sorted by partition. */
  public List<PositionReset> resets() {
    return resets;
  }

  /**
   * The declared start positions, as the start policy resolved them, of partitions the job may
   * not have a stored position for yet. A range of a partition without a stored position must
   * start exactly at its declared start; declarations for partitions that have one are ignored.
   */
  public Map<TopicPartition, Long> starts() {
    return starts;
  }

  /** When the batch was committed (set by the builder's clock unless given). */
  public Instant commitTime() {
    return commitTime;
  }

  /** Free metadata, for example the writer schema ids seen in the batch; sorted by key. */
  public SortedMap<String, String> metadata() {
    return metadata;
  }

  /** The total number of offsets the ranges span. */
  public long offsetCount() {
    return ranges.stream().mapToLong(OffsetRange::count).sum();
  }

  /**
   * Whether {@code other} commits the same batch: same job, batch id, ranges and resets. Epoch,
   * time and metadata may differ (a retry may be built anew).
   */
  public boolean sameBatchAs(OffsetCommit other) {
    return job.equals(other.job) && batchId == other.batchId && ranges.equals(other.ranges)
        && resets.equals(other.resets);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof OffsetCommit c)) {
      return false;
    }
    return sameBatchAs(c) && epoch == c.epoch && starts.equals(c.starts) && commitTime.equals(c.commitTime)
        && metadata.equals(c.metadata);
  }

  @Override
  public int hashCode() {
    return Objects.hash(job, batchId, epoch, ranges, resets, starts, commitTime, metadata);
  }

  @Override
  public String toString() {
    String shown = ranges.size() <= 5 ? ranges.toString()
        : ranges.subList(0, 5).toString().replace("]", "") + ", ... " + (ranges.size() - 5) + " more]";
    return "OffsetCommit{job=" + job + ", batch=" + batchId + ", epoch=" + epoch + ", ranges=" + shown
        + (resets.isEmpty() ? "" : ", resets=" + resets) + ", time=" + commitTime + "}";
  }

  /** Builds an {@link OffsetCommit}; validation happens in {@link #build()}. */
  public static final class Builder {
    private final String job;
    private final long batchId;
    private final long epoch;
    private final List<OffsetRange> ranges = new ArrayList<>();
    private final List<PositionReset> resets = new ArrayList<>();
    private final Map<TopicPartition, Long> starts = new HashMap<>();
    private final Map<String, String> metadata = new HashMap<>();
    private Instant commitTime;
    private Clock clock = Clock.systemUTC();

    private Builder(String job, long batchId, long epoch) {
      this.job = job;
      this.batchId = batchId;
      this.epoch = epoch;
    }

    /** Adds one range. */
    public Builder range(OffsetRange range) {
      ranges.add(Objects.requireNonNull(range, "range"));
      return this;
    }

    /** Adds a range of {@code topic}-{@code partition}. */
    public Builder range(String topic, int partition, long fromOffset, long untilOffset) {
      return range(new OffsetRange(topic, partition, fromOffset, untilOffset));
    }

    /** Adds ranges. */
    public Builder ranges(Collection<OffsetRange> more) {
      more.forEach(this::range);
      return this;
    }

    /** Declares position resets (as {@code ResolvedStart.resets()} returns them). */
    public Builder resets(Collection<PositionReset> more) {
      more.forEach(r -> resets.add(Objects.requireNonNull(r, "reset")));
      return this;
    }

    /**
     * Declares where the start policy resolved each partition ({@code ResolvedStart.positions()}):
     * a partition the job has no stored position for is accepted only if its range starts there.
     */
    public Builder starts(Map<TopicPartition, Long> resolved) {
      resolved.forEach((tp, offset) -> starts.put(Objects.requireNonNull(tp, "partition"),
          Objects.requireNonNull(offset, "start of " + tp)));
      return this;
    }

    /** Adds a metadata entry; keys and values must not be null. */
    public Builder metadata(String key, String value) {
      metadata.put(Objects.requireNonNull(key, "metadata key"), Objects.requireNonNull(value, "metadata value of " + key));
      return this;
    }

    /** Adds metadata entries. */
    public Builder metadata(Map<String, String> entries) {
      entries.forEach(this::metadata);
      return this;
    }

    /** The commit time; defaults to the clock's now at {@link #build()}. */
    public Builder commitTime(Instant time) {
      this.commitTime = Objects.requireNonNull(time, "time");
      return this;
    }

    /** The clock for the default commit time (UTC system clock by default). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Validates and builds. */
    public OffsetCommit build() {
      return new OffsetCommit(this);
    }
  }
}
