package io.tidemark.offsets;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.kafka.common.TopicPartition;

/**
 * A hand-written cluster view for unit tests: topics with partition counts, each partition's log
 * start and end, and record timestamps. Asking about a partition the cluster does not have fails,
 * as the Admin API would. Answers keep the order of the question.
 */
final class FakePartitionOffsets implements PartitionOffsets {
  private final Map<String, Integer> counts = new HashMap<>();
  private final Map<TopicPartition, long[]> logs = new HashMap<>();
  private final Map<TopicPartition, Map<Instant, Long>> records = new HashMap<>();
  /** Every question asked, for example {@code "latest [orders-0, orders-1]"}. */
  final List<String> calls = new ArrayList<>();

  /** Adds {@code topic} with {@code partitions} empty partitions (log start and end 0). */
  FakePartitionOffsets topic(String topic, int partitions) {
    counts.put(topic, partitions);
    for (int p = 0; p < partitions; p++) {
      logs.put(new TopicPartition(topic, p), new long[] {0, 0});
    }
    return this;
  }

  /** Sets a partition's log start (first retained offset) and log end (next offset). */
  FakePartitionOffsets log(String topic, int partition, long start, long end) {
    known(new TopicPartition(topic, partition));
    logs.put(new TopicPartition(topic, partition), new long[] {start, end});
    return this;
  }

  /** Declares a record at {@code offset} written at {@code time}. */
  FakePartitionOffsets record(String topic, int partition, Instant time, long offset) {
    TopicPartition tp = known(new TopicPartition(topic, partition));
    records.computeIfAbsent(tp, k -> new HashMap<>()).put(time, offset);
    return this;
  }

  private TopicPartition known(TopicPartition tp) {
    if (!logs.containsKey(tp)) {
      throw new IllegalArgumentException("the fake cluster has no partition " + tp);
    }
    return tp;
  }

  @Override
  public Map<String, Integer> partitionCounts(Collection<String> topics) {
    calls.add("partitionCounts " + topics);
    Map<String, Integer> result = new LinkedHashMap<>();
    topics.stream().filter(counts::containsKey).forEach(t -> result.put(t, counts.get(t)));
    return result;
  }

  @Override
  public Map<TopicPartition, Long> earliest(Collection<TopicPartition> partitions) {
    calls.add("earliest " + partitions);
    Map<TopicPartition, Long> result = new LinkedHashMap<>();
    partitions.forEach(tp -> result.put(tp, logs.get(known(tp))[0]));
    return result;
  }

  @Override
  public Map<TopicPartition, Long> latest(Collection<TopicPartition> partitions) {
    calls.add("latest " + partitions);
    Map<TopicPartition, Long> result = new LinkedHashMap<>();
    partitions.forEach(tp -> result.put(tp, logs.get(known(tp))[1]));
    return result;
  }

  @Override
  public Map<TopicPartition, OptionalLong> forTimestamp(Collection<TopicPartition> partitions, Instant time) {
    calls.add("forTimestamp " + partitions + " " + time);
    Map<TopicPartition, OptionalLong> result = new LinkedHashMap<>();
    partitions.forEach(tp -> {
      known(tp);
      OptionalLong first = records.getOrDefault(tp, Map.of()).entrySet().stream()
          .filter(e -> !e.getKey().isBefore(time))
          .mapToLong(Map.Entry::getValue)
          .min();
      result.put(tp, first);
    });
    return result;
  }
}
