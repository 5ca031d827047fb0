package io.tidemark.offsets.internal;

import io.tidemark.offsets.ConfigException;
import io.tidemark.offsets.spi.ConfigDef;
import io.tidemark.offsets.spi.ConfigKey;
import io.tidemark.offsets.spi.StoreConfig;
import java.time.Duration;

/** The settings every store takes for consumer-group mirroring ({@code mirror.*}). */
public final class MirrorSettings {
  private MirrorSettings() {}

  /** The prefix of the Kafka admin client's own settings (security and the like). */
  public static final String CLIENT_PREFIX = "mirror.kafka.";

  /** Where to mirror; empty: no mirroring. */
  public static final ConfigKey<String> BOOTSTRAP = ConfigKey.string("mirror.bootstrap.servers", "",
      "Kafka brokers to mirror every committed position to, as the committed offsets of a consumer group per job,"
          + " so that kafka-consumer-groups.sh and lag exporters show Tidemark jobs. Empty: no mirroring. A mirror"
          + " that fails is logged and counted; it never fails the commit. Kafka admin client settings go in"
          + " mirror.kafka.* (for example mirror.kafka.security.protocol).");

  /** The group's name: prefix plus job. */
  public static final ConfigKey<String> GROUP_PREFIX = ConfigKey.string("mirror.group.prefix", "",
      "The mirrored consumer group of a job is this prefix followed by the job's name. On a store that keeps its"
          + " positions in consumer groups (kafka:), it may neither begin that store's prefix nor begin with it"
          + " (refused at open).");

  /** How long one mirroring request may take. */
  public static final ConfigKey<Duration> TIMEOUT = ConfigKey.duration("mirror.timeout", Duration.ofSeconds(10),
      Duration.ofMillis(100), Duration.ofMinutes(5), "How long one mirroring request to Kafka may take before it"
          + " counts as failed.");

  /**
   * Refuses mirroring whose groups could be those in which the store itself keeps positions
   * (named by the store's setting {@code storeKey}, whose value is {@code storePrefix}): the
   * mirrored group of a job, {@code <mirror prefix><job>}, is one of the store's whenever either
   * prefix begins with the other.
   *
   * @throws ConfigException naming both settings and the fix
   */
  public static void checkApart(StoreConfig mirroring, ConfigKey<String> storeKey, String storePrefix) {
    String mirrorPrefix = mirroring.get(GROUP_PREFIX);
    if (storePrefix.startsWith(mirrorPrefix) || mirrorPrefix.startsWith(storePrefix)) {
      throw new ConfigException(GROUP_PREFIX.name(), mirrorPrefix, "the store keeps its positions in consumer groups"
          + " named by " + storeKey.name() + " '" + storePrefix + "', and every group of the mirror ('" + mirrorPrefix
          + "<job>') could be one of them, so mirroring would overwrite the positions the store reads. The store's"
          + " groups already show in Kafka's tools: remove mirror.bootstrap.servers, or give " + GROUP_PREFIX.name()
          + " a prefix that neither begins " + storeKey.name() + " nor begins with it (for example 'mirror.').");
    }
  }

  /** The mirroring settings. */
  public static ConfigDef def() {
    return new ConfigDef("every store: consumer-group mirroring").define(BOOTSTRAP).define(GROUP_PREFIX).define(TIMEOUT);
  }
}
