package io.tidemark.offsets.kafka.internal;

import io.tidemark.offsets.PositionReset;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collections;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What the {@code kafka:} store writes into the metadata string of each committed offset of a job's
 * consumer group. Every offset carries the job's writer epoch and last batch id, so that a reader
 * can tell offsets of one write from older ones; one offset per write, the lead (the first
 * partition in topic and partition order), also carries the rest of the job's state: the epoch the
 * last batch was committed under, its time, its metadata, and whether a rewind came after it. The
 * offsets the last batch moved carry where that batch's range began and the reset it declared, if
 * any, so that the last commit can be rebuilt to recognise its retry.
 *
 * <p>Format: {@code tm1;e=<epoch>[;b=<batch>][;f=<from>][;r=<replaced>,<new>,<reason>]}, and on the lead
 * {@code ;l[;c=<batch epoch>][;t=<ISO instant>][;w][;m=<metadata>]} ({@code m}: URL-encoded
 * {@code key=value} pairs joined by {@code &}). A deleted job's tombstone is {@code tm1;e=<epoch>;x}
 * (see {@link Tombstone}). Kafka allows 4,096 bytes per offset by default
 * ({@code offset.metadata.max.bytes}); without commit metadata, under 100 are used.
 *
 * @param epoch the job's writer epoch
 * @param lastBatch the job's last committed batch
 * @param lead whether this offset carries the fields below
 * @param batchEpoch the epoch the last batch was committed under (lead only)
 * @param time when the last batch was committed, or the last rewind happened (lead only)
 * @param rewound whether a rewind came after the last batch (lead only)
 * @param commitMetadata the last commit's metadata (lead only)
 * @param from where this partition's range of the last batch began, if the batch moved it
 * @param reset the reset the last batch declared for this partition
 */
public record GroupMetadata(long epoch, OptionalLong lastBatch, boolean lead, long batchEpoch, Optional<Instant> time,
    boolean rewound, SortedMap<String, String> commitMetadata, OptionalLong from, Optional<PositionReset> reset) {

  /** What every Tidemark-written offset's metadata starts with. */
  public static final String MARK = "tm1;";

  /**
   * What a deleted job leaves on one offset of its group: the epoch its delete took, or that a
   * claim after the delete took ({@code claimed}), so that the next claim goes on above it. Its
   * metadata is {@code tm1;e=<epoch>;x}, with {@code ;k} when claimed.
   *
   * @param epoch the job's epoch
   * @param claimed whether a claim came after the delete
   */
  public record Tombstone(long epoch, boolean claimed) {
    private static final String DELETED = ";x";
    private static final String CLAIMED = ";k";

    /** The metadata string. */
    public String encode() {
      return MARK + "e=" + epoch + DELETED + (claimed ? CLAIMED : "");
    }

    /** The tombstone {@code metadata} is; empty for any other metadata. */
    public static Optional<Tombstone> parse(String metadata) {
      if (metadata == null || !metadata.startsWith(MARK + "e=")) {
        return Optional.empty();
      }
      boolean claimed = metadata.endsWith(DELETED + CLAIMED);
      String rest = claimed ? metadata.substring(0, metadata.length() - CLAIMED.length()) : metadata;
      if (!rest.endsWith(DELETED)) {
        return Optional.empty();
      }
      try {
        return Optional.of(new Tombstone(Long.parseLong(rest.substring(MARK.length() + 2,
            rest.length() - DELETED.length())), claimed));
      } catch (NumberFormatException notOne) {
        return Optional.empty();
      }
    }
  }

  /** Copies the metadata. */
  public GroupMetadata {
    commitMetadata = Collections.unmodifiableSortedMap(new TreeMap<>(commitMetadata));
  }

  /** The job's state after a write, as the lead carries it. */
  public static GroupMetadata lead(long epoch, OptionalLong lastBatch, long batchEpoch, Optional<Instant> time,
      boolean rewound, SortedMap<String, String> commitMetadata) {
    return new GroupMetadata(epoch, lastBatch, true, batchEpoch, time, rewound, commitMetadata, OptionalLong.empty(),
        Optional.empty());
  }

  /** This write's metadata for one partition: the lead's fields only if {@code isLead}. */
  public GroupMetadata forPartition(boolean isLead, OptionalLong fromOffset, Optional<PositionReset> declared) {
    return isLead ? new GroupMetadata(epoch, lastBatch, true, batchEpoch, time, rewound, commitMetadata, fromOffset, declared)
        : new GroupMetadata(epoch, lastBatch, false, 0, Optional.empty(), false, new TreeMap<>(), fromOffset, declared);
  }

  /** The same metadata under another writer epoch. */
  public GroupMetadata withEpoch(long newEpoch) {
    return new GroupMetadata(newEpoch, lastBatch, lead, batchEpoch, time, rewound, commitMetadata, from, reset);
  }

  /** Whether two offsets' metadata are from the same write of the job (same epoch and last batch). */
  public boolean sameWrite(GroupMetadata other) {
    return epoch == other.epoch && lastBatch.equals(other.lastBatch);
  }

  /** Whether this is from a later write than {@code other}. */
  public boolean newerThan(GroupMetadata other) {
    return epoch != other.epoch ? epoch > other.epoch : lastBatch.orElse(-1) > other.lastBatch.orElse(-1);
  }

  /** The metadata string. */
  public String encode() {
    StringBuilder b = new StringBuilder(MARK).append("e=").append(epoch);
    lastBatch.ifPresent(batch -> b.append(";b=").append(batch));
    from.ifPresent(f -> b.append(";f=").append(f));
    reset.ifPresent(r -> b.append(";r=").append(r.replacedPosition()).append(',').append(r.newPosition())
        .append(',').append(r.reason().name()));
    if (lead) {
      b.append(";l");
      if (lastBatch.isPresent()) {
        b.append(";c=").append(batchEpoch);
      }
      time.ifPresent(t -> b.append(";t=").append(t));
      if (rewound) {
        b.append(";w");
      }
      if (!commitMetadata.isEmpty()) {
        b.append(";m=").append(commitMetadata.entrySet().stream()
            .map(e -> encode(e.getKey()) + "=" + encode(e.getValue())).collect(Collectors.joining("&")));
      }
    }
    return b.toString();
  }

  /**
   * Parses {@code metadata} of {@code partition}'s offset; empty for metadata Tidemark did not write
   * (an offset committed by a consumer or by Spark's {@code commitAsync}).
   *
   * @throws IllegalArgumentException for metadata that starts like Tidemark's and is not
   */
  public static Optional<GroupMetadata> decode(org.apache.kafka.common.TopicPartition partition, String metadata) {
    if (metadata == null || !metadata.startsWith(MARK)) {
      return Optional.empty();
    }
    long epoch = -1;
    OptionalLong batch = OptionalLong.empty();
    boolean lead = false;
    long batchEpoch = 0;
    Optional<Instant> time = Optional.empty();
    boolean rewound = false;
    SortedMap<String, String> commitMetadata = new TreeMap<>();
    OptionalLong from = OptionalLong.empty();
    Optional<PositionReset> reset = Optional.empty();
    try {
      for (String field : metadata.substring(MARK.length()).split(";")) {
        if (field.equals("w")) {
          rewound = true;
          continue;
        }
        if (field.equals("l")) {
          lead = true;
          continue;
        }
        int eq = field.indexOf('=');
        String value = field.substring(eq + 1);
        switch (field.substring(0, Math.max(eq, 0))) {
          case "e" -> epoch = Long.parseLong(value);
          case "b" -> batch = OptionalLong.of(Long.parseLong(value));
          case "c" -> batchEpoch = Long.parseLong(value);
          case "t" -> time = Optional.of(Instant.parse(value));
          case "m" -> {
            for (String pair : value.split("&")) {
              int at = pair.indexOf('=');
              commitMetadata.put(decode(pair.substring(0, at)), decode(pair.substring(at + 1)));
            }
          }
          case "f" -> from = OptionalLong.of(Long.parseLong(value));
          case "r" -> {
            String[] parts = value.split(",", 3);
            reset = Optional.of(new PositionReset(partition, Long.parseLong(parts[0]), Long.parseLong(parts[1]),
                PositionReset.Reason.valueOf(parts[2])));
          }
          default -> throw new IllegalArgumentException("unknown field '" + field + "'");
        }
      }
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("offset metadata '" + metadata + "' of " + partition + " is not readable: "
          + e.getMessage(), e);
    }
    if (epoch < 0) {
      throw new IllegalArgumentException("offset metadata '" + metadata + "' of " + partition + " has no epoch");
    }
    return Optional.of(new GroupMetadata(epoch, batch, lead, batchEpoch, time, rewound, commitMetadata, from, reset));
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
