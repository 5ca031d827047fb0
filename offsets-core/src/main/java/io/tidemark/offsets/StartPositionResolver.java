package io.tidemark.offsets;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves where a job starts, from its stored position, the live cluster and its policies.
 *
 * <pre>{@code
 * StartPositionResolver resolver = StartPositionResolver.builder()
 *     .whenNoStoredPosition(StartPosition.earliest())
 *     .onLostOffsets(LostOffsetsPolicy.EARLIEST)
 *     .dataLossListener(event -> alerts.send(event.describe()))
 *     .build();
 * ResolvedStart start = resolver.resolve(store.read(job), List.of("orders"), PartitionOffsets.of(admin));
 * }</pre>
 *
 * <p>Rules, per partition of every existing topic read:
 * <ul>
 *   <li>a job that never committed starts at its {@link StartPosition};
 *   <li>a partition without a stored position (new since the last commit) follows the
 *       {@link NewPartitionPolicy} (default {@code EARLIEST});
 *   <li>a position below the log start follows the {@link LostOffsetsPolicy} (default {@code FAIL});
 *   <li>a position above the log end follows the {@link OffsetsAheadPolicy} (default {@code FAIL});
 *   <li>a topic that does not exist follows the {@link MissingTopicPolicy} (default {@code FAIL}).
 * </ul>
 * Each continuation past lost offsets yields a {@link DataLossEvent}: to the listener, to the log
 * at WARN, and into {@link ResolvedStart#commitMetadata()}. Immutable and thread-safe.
 */
public final class StartPositionResolver {
  private static final Logger LOG = LoggerFactory.getLogger(StartPositionResolver.class);

  private final StartPosition initial;
  private final NewPartitionPolicy newPartitions;
  private final LostOffsetsPolicy lostOffsets;
  private final OffsetsAheadPolicy offsetsAhead;
  private final MissingTopicPolicy missingTopics;
  private final DataLossListener listener;
  private final Clock clock;

  private StartPositionResolver(Builder b) {
    this.initial = b.initial;
    this.newPartitions = b.newPartitions;
    this.lostOffsets = b.lostOffsets;
    this.offsetsAhead = b.offsetsAhead;
    this.missingTopics = b.missingTopics;
    this.listener = b.listener;
    this.clock = b.clock;
  }

  /**
   * Where a partition without a stored position starts: at start, and in adapters that find a
   * partition added while the job runs.
   */
  public NewPartitionPolicy newPartitionPolicy() {
    return newPartitions;
  }

  /** A builder with the defaults: earliest, new partitions earliest, every other policy FAIL. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Resolves the start of {@code stored.job()} over {@code topics}.
   *
   * @throws StartPositionException when a {@code FAIL} policy applies
   * @throws ClusterUnavailableException when the cluster does not answer
   */
  public ResolvedStart resolve(CommittedOffsets stored, Collection<String> topics, PartitionOffsets offsets) {
    Objects.requireNonNull(stored, "stored");
    Objects.requireNonNull(offsets, "offsets");
    if (topics.isEmpty()) {
      throw new IllegalArgumentException("job " + stored.job() + " reads no topic");
    }
    Set<String> wanted = new LinkedHashSet<>(topics);
    wanted.forEach(io.tidemark.offsets.internal.Validation::topic);
    Map<String, Integer> counts = offsets.partitionCounts(wanted);
    Set<String> dropped = new HashSet<>();
    for (String topic : wanted) {
      if (!counts.containsKey(topic)) {
        boolean hadPositions = stored.positions().keySet().stream().anyMatch(tp -> tp.topic().equals(topic));
        if (missingTopics == MissingTopicPolicy.FAIL) {
          throw new StartPositionException("topic " + topic + " does not exist" + (hadPositions
              ? " but job " + stored.job() + " has committed positions in it (was it deleted?)" : "")
              + ". Create it, remove it from the job's topics, or set MissingTopicPolicy.DROP to go on without it.");
        }
        LOG.warn("job {}: topic {} does not exist; left out (MissingTopicPolicy.DROP)", stored.job(), topic);
        dropped.add(topic);
      }
    }
    List<TopicPartition> partitions = new ArrayList<>();
    counts.forEach((topic, n) -> {
      for (int p = 0; p < n; p++) {
        partitions.add(new TopicPartition(topic, p));
      }
    });
    partitions.sort(OffsetCommit.PARTITION_ORDER);
    Map<TopicPartition, Long> earliest = offsets.earliest(partitions);
    Map<TopicPartition, Long> latest = offsets.latest(partitions);
    boolean fresh = stored.isEmpty();
    Map<TopicPartition, OptionalLong> byTime = fresh && initial instanceof StartPosition.Timestamp t
        ? offsets.forTimestamp(partitions, t.time()) : Map.of();

    Map<TopicPartition, Long> positions = new HashMap<>();
    List<DataLossEvent> events = new ArrayList<>();
    List<PositionReset> resets = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      long start = earliest.get(tp);
      long end = latest.get(tp);
      OptionalLong storedPos = stored.position(tp);
      long pos;
      boolean fromStore = storedPos.isPresent();
      if (fromStore) {
        pos = storedPos.getAsLong();
      } else if (fresh && !(initial instanceof StartPosition.Offsets o && !o.offsets().containsKey(tp))) {
        pos = initialPosition(tp, start, end, byTime);
      } else {
        pos = switch (newPartitions) {
          case EARLIEST -> start;
          case LATEST -> end;
          case FAIL -> throw new StartPositionException("partition " + tp + " has no position for job " + stored.job()
              + " (log start " + start + ", end " + end + "). Set NewPartitionPolicy.EARLIEST or LATEST to read it,"
              + " or rewind the job to explicit offsets that include it.");
        };
      }
      long resolved = pos;
      if (pos < start) {
        resolved = switch (lostOffsets) {
          case EARLIEST -> start;
          case LATEST -> end;
          case FAIL -> throw new StartPositionException("job " + stored.job() + ": offsets [" + pos + ", " + start + ") of "
              + tp + " were deleted by retention before the job read them (position " + pos + ", log start " + start
              + "). Set LostOffsetsPolicy.EARLIEST to continue at " + start + " (recorded as data loss), or LATEST to"
              + " continue at " + end + ".");
        };
        events.add(new DataLossEvent(stored.job(), tp, pos, resolved, start, end, PositionReset.Reason.OFFSETS_DELETED,
            clock.instant()));
      } else if (pos > end) {
        resolved = switch (offsetsAhead) {
          case EARLIEST -> start;
          case LATEST -> end;
          case FAIL -> throw new StartPositionException("job " + stored.job() + ": position " + pos + " of " + tp
              + " is above the log end " + end + " (the topic was recreated or truncated). Set"
              + " OffsetsAheadPolicy.EARLIEST to read the partition again from " + start + ", or LATEST to continue at "
              + end + ".");
        };
        events.add(new DataLossEvent(stored.job(), tp, pos, resolved, start, end,
            PositionReset.Reason.LOG_END_BELOW_POSITION, clock.instant()));
      }
      if (fromStore && resolved != pos) {
        resets.add(events.get(events.size() - 1).reset());
      }
      positions.put(tp, resolved);
    }
    for (DataLossEvent e : events) {
      LOG.warn("{}", e.describe());
      listener.onDataLoss(e);
    }
    return new ResolvedStart(positions, events, dropped, resets);
  }

  private long initialPosition(TopicPartition tp, long start, long end, Map<TopicPartition, OptionalLong> byTime) {
    if (initial instanceof StartPosition.Earliest) {
      return start;
    }
    if (initial instanceof StartPosition.Latest) {
      return end;
    }
    if (initial instanceof StartPosition.Timestamp) {
      return byTime.getOrDefault(tp, OptionalLong.empty()).orElse(end);
    }
    return ((StartPosition.Offsets) initial).offsets().get(tp);
  }

  /** Options of a {@link StartPositionResolver}. */
  public static final class Builder {
    private StartPosition initial = StartPosition.earliest();
    private NewPartitionPolicy newPartitions = NewPartitionPolicy.EARLIEST;
    private LostOffsetsPolicy lostOffsets = LostOffsetsPolicy.FAIL;
    private OffsetsAheadPolicy offsetsAhead = OffsetsAheadPolicy.FAIL;
    private MissingTopicPolicy missingTopics = MissingTopicPolicy.FAIL;
    private DataLossListener listener = e -> { };
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** Where a job that never committed starts (default earliest). */
    public Builder whenNoStoredPosition(StartPosition position) {
      this.initial = Objects.requireNonNull(position, "position");
      return this;
    }

    /** Partitions new since the last commit (default EARLIEST). */
    public Builder onNewPartition(NewPartitionPolicy policy) {
      this.newPartitions = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** Positions below the log start (default FAIL). */
    public Builder onLostOffsets(LostOffsetsPolicy policy) {
      this.lostOffsets = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** Positions above the log end (default FAIL). */
    public Builder onOffsetsAhead(OffsetsAheadPolicy policy) {
      this.offsetsAhead = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** Topics that do not exist (default FAIL). */
    public Builder onMissingTopic(MissingTopicPolicy policy) {
      this.missingTopics = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** Receives every data-loss event (besides the WARN log line). */
    public Builder dataLossListener(DataLossListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** The clock for event times (UTC system clock by default). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The resolver. */
    public StartPositionResolver build() {
      return new StartPositionResolver(this);
    }
  }
}
