package io.tidemark.offsets.hbase.internal;

import io.tidemark.offsets.spi.ConfigDef;
import io.tidemark.offsets.spi.ConfigKey;
import java.time.Duration;

/** The settings of the {@code hbase:} store. */
public final class HBaseSettings {
  private HBaseSettings() {}

  public static final ConfigKey<Boolean> CREATE_TABLE = ConfigKey.bool("hbase.create.table", false,
      "Create the namespace and table (families h, p and c with history.ttl) when they are missing. Off by default:"
          + " without it a missing table is an error that prints the HBase shell command creating it.");
  public static final ConfigKey<Duration> HISTORY_TTL = ConfigKey.duration("history.ttl", Duration.ofDays(30),
      Duration.ofSeconds(1), Duration.ofDays(3650),
      "How long history rows are kept (the TTL of family c when Tidemark creates the table). The job's current"
          + " position never expires.");
  public static final ConfigKey<Duration> OPERATION_DEADLINE = ConfigKey.duration("hbase.operation.deadline",
      Duration.ofSeconds(60), Duration.ofMillis(100), Duration.ofHours(1),
      "How long one store operation may retry through region moves, region-server failures and timeouts before it"
          + " fails with StoreUnavailableException.");
  public static final ConfigKey<Duration> RETRY_BACKOFF = ConfigKey.duration("hbase.retry.backoff",
      Duration.ofMillis(200), Duration.ofMillis(1), Duration.ofMinutes(1),
      "Pause between the store's retries of an operation (doubling up to ten times this).");
  public static final ConfigKey<Duration> RPC_TIMEOUT = ConfigKey.duration("hbase.rpc.timeout", Duration.ofSeconds(10),
      Duration.ofMillis(100), Duration.ofMinutes(10),
      "Timeout of one RPC (HBase's hbase.rpc.timeout). The HBase client retries an operation internally for up to"
          + " three times this (at most hbase.operation.deadline); the store retries it until the deadline.");
  public static final ConfigKey<String> ZNODE_PARENT = ConfigKey.string("hbase.zookeeper.znode.parent", "/hbase",
      "The cluster's root znode in ZooKeeper (HBase's zookeeper.znode.parent). When not set, the value in"
          + " hbase-site.xml on the class path applies, else /hbase.");

  /** The settings of {@code hbase:}. */
  public static ConfigDef def() {
    return new ConfigDef("hbase: store")
        .define(CREATE_TABLE).define(HISTORY_TTL).define(OPERATION_DEADLINE).define(RETRY_BACKOFF).define(RPC_TIMEOUT)
        .define(ZNODE_PARENT);
  }
}
