package io.tidemark.offsets.kafka;

import io.tidemark.offsets.ConfigException;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.offsets.kafka.internal.KafkaSettings;
import io.tidemark.offsets.spi.ConfigDef;
import io.tidemark.offsets.spi.ConfigKey;
import io.tidemark.offsets.spi.OffsetStoreProvider;
import io.tidemark.offsets.spi.StoreConfig;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Opens {@code kafka://broker1:9092[,broker2:9092]} stores: positions in consumer groups (see
 * {@link KafkaOffsetStore} for what that can and cannot guarantee). Settings:
 * {@code kafka.group.prefix}, {@code kafka.request.timeout}, {@code kafka.refresh.interval},
 * {@code kafka.client.config}.
 */
public final class KafkaStoreProvider implements OffsetStoreProvider {
  /** Numbers the admin clients of this JVM: Kafka registers each under its client id in JMX. */
  private static final java.util.concurrent.atomic.AtomicInteger OPENED = new java.util.concurrent.atomic.AtomicInteger();

  @Override
  public String scheme() {
    return "kafka";
  }

  @Override
  public ConfigDef configDef() {
    return KafkaSettings.def();
  }

  /** {@code kafka.group.prefix}: mirroring ({@code mirror.*}) into groups that could be the store's is refused. */
  @Override
  public Optional<ConfigKey<String>> consumerGroupPrefix() {
    return Optional.of(KafkaSettings.GROUP_PREFIX);
  }

  @Override
  public OffsetStore open(URI uri, StoreConfig config) {
    String brokers = uri.getRawAuthority();
    if (brokers == null || brokers.isBlank()) {
      throw new ConfigException("kafka: store URI '" + OffsetStores.redact(uri) + "' names no broker; use"
          + " kafka://broker1:9092[,broker2:9092]");
    }
    if (brokers.contains("@")) {
      throw new ConfigException("kafka: store URI '" + OffsetStores.redact(uri) + "' carries credentials; put the"
          + " client's security settings in the file named by kafka.client.config instead");
    }
    if (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/")) {
      throw new ConfigException("kafka: store URI '" + OffsetStores.redact(uri) + "' has a path; the group of a"
          + " job is named by kafka.group.prefix, for example kafka://" + brokers + "?kafka.group.prefix=tidemark.");
    }
    Duration timeout = config.get(KafkaSettings.REQUEST_TIMEOUT);
    Map<String, Object> client = new HashMap<>();
    String file = config.get(KafkaSettings.CLIENT_CONFIG);
    if (!file.isBlank()) {
      Properties props = new Properties();
      try (Reader r = Files.newBufferedReader(Path.of(file))) {
        props.load(r);
      } catch (IOException e) {
        throw new ConfigException(KafkaSettings.CLIENT_CONFIG.name(), file, "cannot read it: " + e);
      }
      props.forEach((k, v) -> client.put(String.valueOf(k), v));
      for (String owned : new String[] {AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
          AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG}) {
        if (client.containsKey(owned)) {
          throw new ConfigException(KafkaSettings.CLIENT_CONFIG.name(), file, "it sets " + owned + ", which the store"
              + " sets itself (from the URI's brokers and kafka.request.timeout); remove it from the file");
        }
      }
    }
    client.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    client.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "tidemark-offset-store-" + OPENED.incrementAndGet());
    client.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    Object requestTimeout = client.get(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG);
    if (requestTimeout != null && millis(requestTimeout, file) > timeout.toMillis()) {
      throw new ConfigException(KafkaSettings.CLIENT_CONFIG.name(), file, "it sets request.timeout.ms="
          + requestTimeout + ", above kafka.request.timeout (" + timeout + "), which bounds every store operation;"
          + " lower it, or raise kafka.request.timeout");
    }
    client.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout.toMillis(), 30_000));
    Admin admin;
    try {
      admin = Admin.create(client);
    } catch (RuntimeException e) {
      ConfigException refused = new ConfigException("cannot create the Kafka admin client of "
          + OffsetStores.redact(uri) + ": " + e.getMessage());
      refused.initCause(e);
      throw refused;
    }
    Duration refresh = config.get(KafkaSettings.REFRESH_INTERVAL);
    if (!refresh.isZero() && refresh.compareTo(Duration.ofSeconds(1)) < 0) {
      admin.close(Duration.ZERO);
      throw new ConfigException(KafkaSettings.REFRESH_INTERVAL.name(), refresh, "below 1s it would rewrite the groups"
          + " without pause; use 0 to turn renewal off");
    }
    return new KafkaOffsetStore(admin, true, brokers, config.get(KafkaSettings.GROUP_PREFIX), timeout, refresh);
  }

  private static long millis(Object value, String file) {
    try {
      return Long.parseLong(value.toString().trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(KafkaSettings.CLIENT_CONFIG.name(), file, "its request.timeout.ms '" + value
          + "' is not a number of milliseconds");
    }
  }
}
