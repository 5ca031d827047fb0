package io.tidemark.offsets.zookeeper.internal;

import io.tidemark.offsets.spi.ConfigDef;
import io.tidemark.offsets.spi.ConfigKey;
import java.time.Duration;

/** The settings of the {@code zk:} store. */
public final class ZooKeeperSettings {
  private ZooKeeperSettings() {}

  public static final ConfigKey<Duration> SESSION_TIMEOUT = ConfigKey.duration("zk.session.timeout",
      Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofMinutes(10),
      "ZooKeeper session timeout. A partition longer than this expires the session; the store reconnects.");
  public static final ConfigKey<Duration> CONNECTION_TIMEOUT = ConfigKey.duration("zk.connection.timeout",
      Duration.ofSeconds(15), Duration.ofMillis(100), Duration.ofMinutes(10),
      "How long to wait for a connection before an attempt counts as failed.");
  public static final ConfigKey<Duration> OPERATION_DEADLINE = ConfigKey.duration("zk.operation.deadline",
      Duration.ofSeconds(60), Duration.ofMillis(100), Duration.ofHours(1),
      "How long one store operation may retry through connection loss and session expiry before it fails with"
          + " StoreUnavailableException.");
  public static final ConfigKey<Duration> RETRY_BACKOFF = ConfigKey.duration("zk.retry.backoff",
      Duration.ofMillis(200), Duration.ofMillis(1), Duration.ofMinutes(1),
      "Pause between retries of an operation (doubling up to ten times this).");
  public static final ConfigKey<String> AUTH_DIGEST = ConfigKey.password("zk.auth.digest",
      "Digest credentials 'user:password'. With them every node the store creates is readable and writable only by"
          + " this user (plus zk.acl.read-only); never logged.");
  public static final ConfigKey<String> ACL_READ_ONLY = ConfigKey.password("zk.acl.read-only",
      "Digest credentials 'user:password' of a principal that may read (not write) the store's nodes, for"
          + " monitoring. Only the digest of the password is written to ZooKeeper.");

  public static final ConfigKey<Boolean> SASL_ENABLED = ConfigKey.bool("zk.sasl.enabled", false,
      "Authenticate with SASL (Kerberos or DIGEST-MD5) using the JAAS file named by the JVM's"
          + " java.security.auth.login.config. Without zk.auth.digest, nodes are then created creator-only"
          + " (ZooKeeper's 'auth' ACL for the SASL principal).");
  public static final ConfigKey<String> SASL_LOGIN_CONTEXT = ConfigKey.string("zk.sasl.login-context", "Client",
      "The JAAS login context section ZooKeeper's SASL client uses (zookeeper.sasl.clientconfig).");
  public static final ConfigKey<String> SASL_SERVER_PRINCIPAL = ConfigKey.string("zk.sasl.server-principal", "",
      "The server's Kerberos principal, e.g. zookeeper/zk1.example.com@EXAMPLE.COM (zookeeper.server.principal);"
          + " empty: ZooKeeper's default derived from the host name.");
  public static final ConfigKey<Integer> MAX_REQUEST_BYTES = ConfigKey.integer("zk.max.request.bytes", 1_000_000,
      1024, Integer.MAX_VALUE, "The largest transaction a commit may send. Larger commits fail with"
          + " CommitTooLargeException before anything is written. Raise it only together with jute.maxbuffer on the"
          + " ZooKeeper servers and this client (default 1 MiB); 10,000 partitions need about 200 KB.");
  public static final ConfigKey<Integer> HISTORY_MAX_ENTRIES = ConfigKey.integer("history.max.entries", 1000, 1,
      100_000, "History entries kept per job (commits and rewinds); older ones are deleted in the commit's own transaction.");

  /** The settings of {@code zk:}. */
  public static ConfigDef def() {
    return new ConfigDef("zk: store")
        .define(HISTORY_MAX_ENTRIES)
        .define(SESSION_TIMEOUT).define(CONNECTION_TIMEOUT).define(OPERATION_DEADLINE).define(RETRY_BACKOFF)
        .define(MAX_REQUEST_BYTES)
        .define(AUTH_DIGEST).define(ACL_READ_ONLY).define(SASL_ENABLED).define(SASL_LOGIN_CONTEXT)
        .define(SASL_SERVER_PRINCIPAL);
  }

}
