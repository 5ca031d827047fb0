package io.tidemark.offsets.kafka.internal;

import io.tidemark.offsets.spi.ConfigDef;
import io.tidemark.offsets.spi.ConfigKey;
import java.time.Duration;

/** The settings of the {@code kafka:} store. */
public final class KafkaSettings {
  private KafkaSettings() {}

  public static final ConfigKey<String> GROUP_PREFIX = ConfigKey.string("kafka.group.prefix", "tidemark.",
      "A job's positions are the committed offsets of the consumer group named by this prefix followed by the job's"
          + " name. The group must have no running members: give the job's own Kafka consumers another group.id. Set it"
          + " empty to take over the group a Spark job has been committing to (group.id = the job's name).");
  public static final ConfigKey<Duration> REFRESH_INTERVAL = ConfigKey.duration("kafka.refresh.interval",
      Duration.ofHours(1), Duration.ZERO, Duration.ofDays(1),
      "How often the store writes the groups of the jobs it claimed again, unchanged, so that Kafka's offset retention"
          + " (offsets.retention.minutes after an offset's last commit, 7 days by default) never expires the positions"
          + " of a job that runs but reads nothing. Keep it well below the brokers' retention; 0 turns it off.");
  public static final ConfigKey<Duration> REQUEST_TIMEOUT = ConfigKey.duration("kafka.request.timeout",
      Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofMinutes(10),
      "How long one store operation may wait for the brokers before it fails with StoreUnavailableException.");
  public static final ConfigKey<String> CLIENT_CONFIG = ConfigKey.string("kafka.client.config", "",
      "A properties file of Kafka admin client settings (security.protocol, sasl.*, ssl.*), as kafka-consumer-groups.sh"
          + " --command-config takes it. Empty: a plaintext connection.");

  /** The settings. */
  public static ConfigDef def() {
    return new ConfigDef("kafka: store").define(GROUP_PREFIX).define(REQUEST_TIMEOUT).define(REFRESH_INTERVAL)
        .define(CLIENT_CONFIG);
  }
}
