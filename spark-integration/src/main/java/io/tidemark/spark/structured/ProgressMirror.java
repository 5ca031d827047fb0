package io.tidemark.spark.structured;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetRange;
import io.tidemark.offsets.OffsetStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mirrors a Structured Streaming query's Kafka progress into an {@link OffsetStore}, for queries
 * that keep their positions in Spark's checkpoint: after each micro-batch, the source's
 * {@code endOffset} is committed under this mirror's job id, so lag and history are visible with
 * the same tools as for Tidemark's own jobs. It guarantees nothing about delivery (Spark's
 * checkpoint still decides where the query resumes), and a failure to mirror is logged and
 * counted, never thrown into the query.
 *
 * <pre>{@code
 * spark.streams().addListener(ProgressMirror.claim(store, "orders-query"));
 * }</pre>
 */
public final class ProgressMirror extends StreamingQueryListener {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressMirror.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final OffsetStore store;
  private final String job;
  private final long epoch;
  private final Map<TopicPartition, Long> positions;
  private long nextBatchId;
  private final AtomicLong failures = new AtomicLong();

  private ProgressMirror(OffsetStore store, String job, long epoch, CommittedOffsets stored) {
    this.store = store;
    this.job = job;
    this.epoch = epoch;
    this.positions = new HashMap<>(stored.positions());
    this.nextBatchId = stored.nextBatchId().orElse(0L);
  }

  /** Claims {@code job} in {@code store} for this mirror (its own job id, not the query's real consumer). */
  public static ProgressMirror claim(OffsetStore store, String job) {
    Objects.requireNonNull(store, "store");
    long epoch = store.claim(job);
    return new ProgressMirror(store, job, epoch, store.read(job));
  }

  /** Progress events that could not be mirrored. */
  public long failures() {
    return failures.get();
  }

  @Override
  public void onQueryStarted(QueryStartedEvent event) {
    // nothing to mirror yet
  }

  @Override
  public void onQueryTerminated(QueryTerminatedEvent event) {
    // the last progress was mirrored already
  }

  @Override
  public synchronized void onQueryProgress(QueryProgressEvent event) {
    try {
      for (SourceProgress source : event.progress().sources()) {
        if (source.description() != null && source.description().startsWith("KafkaV2")) {
          mirror(offsets(source.startOffset()), offsets(source.endOffset()), event.progress().batchId(),
              event.progress().id().toString());
        }
      }
    } catch (RuntimeException e) {
      failures.incrementAndGet();
      LOG.warn("cannot mirror the progress of query {} into job {} of {}: {}", event.progress().id(), job,
          store.description(), e.toString());
    }
  }

  private void mirror(Map<TopicPartition, Long> start, Map<TopicPartition, Long> end, long sparkBatchId, String query) {
    List<OffsetRange> ranges = new ArrayList<>();
    Map<TopicPartition, Long> starts = new LinkedHashMap<>();
    end.forEach((tp, until) -> {
      Long from = positions.get(tp);
      if (from == null) {
        from = start.getOrDefault(tp, until);
        starts.put(tp, from);
      }
      if (until >= from) {
        ranges.add(OffsetRange.of(tp, from, until));
      }
    });
    if (ranges.stream().allMatch(r -> r.count() == 0) && starts.isEmpty()) {
      return; // nothing moved
    }
    store.commit(OffsetCommit.builder(job, nextBatchId, epoch).ranges(ranges).starts(starts)
        .metadata(TidemarkStructuredStream.SPARK_BATCH_ID_KEY, Long.toString(sparkBatchId))
        .metadata("spark.query-id", query).build());
    ranges.forEach(r -> positions.put(r.topicPartition(), r.untilOffset()));
    nextBatchId++;
  }

  /** Spark's Kafka offsets JSON ({@code {"topic":{"0":42}}}); empty for null. */
  static Map<TopicPartition, Long> offsets(String json) {
    Map<TopicPartition, Long> out = new HashMap<>();
    if (json == null || json.isBlank()) {
      return out;
    }
    try {
      JsonNode root = JSON.readTree(json);
      for (Iterator<Map.Entry<String, JsonNode>> topics = root.fields(); topics.hasNext(); ) {
        Map.Entry<String, JsonNode> t = topics.next();
        for (Iterator<Map.Entry<String, JsonNode>> parts = t.getValue().fields(); parts.hasNext(); ) {
          Map.Entry<String, JsonNode> p = parts.next();
          out.put(new TopicPartition(t.getKey(), Integer.parseInt(p.getKey())), p.getValue().asLong());
        }
      }
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("not Spark's Kafka offsets JSON: " + json, e);
    }
    return out;
  }
}
