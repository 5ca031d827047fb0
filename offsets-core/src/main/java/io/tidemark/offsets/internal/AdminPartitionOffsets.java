package io.tidemark.offsets.internal;

import io.tidemark.offsets.ClusterUnavailableException;
import io.tidemark.offsets.PartitionOffsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;

/** {@link PartitionOffsets} over Kafka's Admin API. */
public final class AdminPartitionOffsets implements PartitionOffsets {
  private final Admin admin;
  private final Duration timeout;

  /** Uses {@code admin}, which the caller keeps owning; each call waits at most {@code timeout}. */
  public AdminPartitionOffsets(Admin admin, Duration timeout) {
    this.admin = admin;
    this.timeout = timeout;
  }

  @Override
  public Map<String, Integer> partitionCounts(Collection<String> topics) {
    Set<String> existing = get(admin.listTopics().names(), "list topics");
    List<String> wanted = topics.stream().filter(existing::contains).distinct().collect(Collectors.toList());
    if (wanted.isEmpty()) {
      return Map.of();
    }
    return get(admin.describeTopics(wanted).allTopicNames(), "describe topics " + wanted).entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().partitions().size()));
  }

  @Override
  public Map<TopicPartition, Long> earliest(Collection<TopicPartition> partitions) {
    return list(partitions, OffsetSpec.earliest(), "earliest").entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
  }

  @Override
  public Map<TopicPartition, Long> latest(Collection<TopicPartition> partitions) {
    return list(partitions, OffsetSpec.latest(), "latest").entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
  }

  @Override
  public Map<TopicPartition, OptionalLong> forTimestamp(Collection<TopicPartition> partitions, Instant time) {
    Map<TopicPartition, OptionalLong> result = new HashMap<>();
    list(partitions, OffsetSpec.forTimestamp(time.toEpochMilli()), "for timestamp " + time).forEach((tp, info) ->
        result.put(tp, info.offset() < 0 ? OptionalLong.empty() : OptionalLong.of(info.offset())));
    return result;
  }

  private Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> list(Collection<TopicPartition> partitions,
      OffsetSpec spec, String what) {
    if (partitions.isEmpty()) {
      return Map.of();
    }
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    partitions.forEach(tp -> request.put(tp, spec));
    return get(admin.listOffsets(request).all(), "list " + what + " offsets of " + partitions.size() + " partitions");
  }

  private <T> T get(KafkaFuture<T> future, String what) {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClusterUnavailableException("interrupted while asking Kafka to " + what, e);
    } catch (ExecutionException e) {
      throw new ClusterUnavailableException("Kafka could not " + what + ": " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new ClusterUnavailableException("Kafka did not " + what + " within " + timeout
          + "; check bootstrap.servers and that the brokers are up", e);
    }
  }
}
