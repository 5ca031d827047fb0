package io.tidemark.offsets;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a job starts: per partition the first offset to read, plus what the policies did on the
 * way. Pass {@link #resets()} and {@link #commitMetadata()} to the job's next commit, so the store
 * accepts the moved positions and the history records why. Immutable.
 */
public final class ResolvedStart {
  /** The commit-metadata key under which data-loss events are recorded. */
  public static final String DATA_LOSS_METADATA_KEY = "tidemark.data-loss";

  private final Map<TopicPartition, Long> positions;
  private final List<PositionReset> resets;
  private final List<DataLossEvent> events;
  private final Set<String> droppedTopics;

  ResolvedStart(Map<TopicPartition, Long> positions, List<DataLossEvent> events, Set<String> droppedTopics,
      List<PositionReset> resets) {
    Map<TopicPartition, Long> sorted = new TreeMap<>(OffsetCommit.PARTITION_ORDER);
    sorted.putAll(positions);
    this.positions = Collections.unmodifiableMap(new LinkedHashMap<>(sorted));
    this.events = List.copyOf(events);
    this.resets = List.copyOf(resets);
    this.droppedTopics = Collections.unmodifiableSet(new TreeSet<>(droppedTopics));
  }

  /** Per partition, the first offset to read. */
  public Map<TopicPartition, Long> positions() {
    return positions;
  }

  /** The resets the next commit must declare (one per stored position a policy moved). */
  public List<PositionReset> resets() {
    return resets;
  }

  /** What data-loss policies let the job skip. */
  public List<DataLossEvent> dataLossEvents() {
    return events;
  }

  /** Topics left out under {@link MissingTopicPolicy#DROP}. */
  public Set<String> droppedTopics() {
    return droppedTopics;
  }

  /** Metadata for the next commit: the data-loss events, one per line, under {@link #DATA_LOSS_METADATA_KEY}. */
  public Map<String, String> commitMetadata() {
    if (events.isEmpty()) {
      return Map.of();
    }
    return Map.of(DATA_LOSS_METADATA_KEY, events.stream().map(DataLossEvent::describe).collect(Collectors.joining("\n")));
  }

  /**
   * The positions as Spark's {@code startingOffsets} JSON for the Kafka source, for example
   * {@code {"orders":{"0":42,"1":17}}}.
   */
  public String startingOffsetsJson() {
    Map<String, Map<Integer, Long>> byTopic = new TreeMap<>();
    positions.forEach((tp, o) -> byTopic.computeIfAbsent(tp.topic(), t -> new TreeMap<>()).put(tp.partition(), o));
    return byTopic.entrySet().stream()
        .map(t -> "\"" + t.getKey() + "\":" + t.getValue().entrySet().stream()
            .map(p -> "\"" + p.getKey() + "\":" + p.getValue())
            .collect(Collectors.joining(",", "{", "}")))
        .collect(Collectors.joining(",", "{", "}"));
  }

  @Override
  public String toString() {
    return "ResolvedStart{positions=" + (positions.size() <= 5 ? positions : positions.size() + " partitions")
        + ", events=" + events.size() + ", dropped=" + droppedTopics + "}";
  }
}
