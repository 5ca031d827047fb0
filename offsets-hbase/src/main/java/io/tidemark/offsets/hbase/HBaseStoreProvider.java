package io.tidemark.offsets.hbase;

import io.tidemark.offsets.ConfigException;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.offsets.StoreUnavailableException;
import io.tidemark.offsets.hbase.internal.HBaseSettings;
import io.tidemark.offsets.spi.ConfigDef;
import io.tidemark.offsets.spi.OffsetStoreProvider;
import io.tidemark.offsets.spi.StoreConfig;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.HBaseConfiguration;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.ConnectionFactory;

/**
 * Opens {@code hbase://zk1[:port][,zk2[:port]...]/namespace:table} stores (the cluster's
 * ZooKeeper quorum; table defaults to {@code tidemark:offsets}). Settings are listed in
 * {@code docs/configuration/offsets-hbase.md}.
 */
public final class HBaseStoreProvider implements OffsetStoreProvider {
  /** The table when the URI names none. */
  public static final String DEFAULT_TABLE = "tidemark:offsets";

  @Override
  public String scheme() {
    return "hbase";
  }

  @Override
  public ConfigDef configDef() {
    return HBaseSettings.def();
  }

  @Override
  public OffsetStore open(URI uri, StoreConfig config) {
    String authority = uri.getRawAuthority();
    if (authority == null || authority.isBlank()) {
      throw new ConfigException("hbase: store URI '" + OffsetStores.redact(uri) + "' names no ZooKeeper quorum; use"
          + " hbase://zk1:2181,zk2:2181/namespace:table");
    }
    if (authority.contains("@")) {
      throw new ConfigException("hbase: store URI '" + OffsetStores.redact(uri) + "' carries credentials; HBase"
          + " authenticates through the JVM's Kerberos or SASL configuration instead");
    }
    List<String> hosts = new ArrayList<>();
    String port = null;
    for (String server : authority.split(",")) {
      int colon = server.lastIndexOf(':');
      String host = colon < 0 ? server : server.substring(0, colon);
      String p = colon < 0 ? "2181" : server.substring(colon + 1);
      if (host.isBlank() || !p.matches("\\d{1,5}")) {
        throw new ConfigException("hbase: '" + server + "' in store URI '" + OffsetStores.redact(uri)
            + "' is not host[:port]");
      }
      if (port != null && !port.equals(p)) {
        throw new ConfigException("hbase: the ZooKeeper servers in '" + OffsetStores.redact(uri) + "' use different"
            + " ports; HBase's client takes one client port for the whole quorum");
      }
      port = p;
      hosts.add(host);
    }
    String path = uri.getPath() == null ? "" : uri.getPath().replaceAll("^/+|/+$", "");
    TableName table;
    try {
      table = TableName.valueOf(path.isEmpty() ? DEFAULT_TABLE : path);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("hbase: '" + path + "' in store URI '" + OffsetStores.redact(uri)
          + "' is not a table name (namespace:table): " + e.getMessage());
    }
    Duration deadline = config.get(HBaseSettings.OPERATION_DEADLINE);
    Duration rpc = config.get(HBaseSettings.RPC_TIMEOUT);
    Configuration conf = HBaseConfiguration.create();
    conf.set("hbase.zookeeper.quorum", String.join(",", hosts));
    conf.set("hbase.zookeeper.property.clientPort", port);
    if (config.isSet(HBaseSettings.ZNODE_PARENT)) { // else hbase-site.xml's, or HBase's default /hbase
      conf.set("zookeeper.znode.parent", config.get(HBaseSettings.ZNODE_PARENT));
    }
    conf.setLong("hbase.rpc.timeout", rpc.toMillis());
    // the client's own retries stay inside one store attempt; the store retries up to its deadline
    conf.setLong("hbase.client.operation.timeout", Math.min(deadline.toMillis(), Math.max(rpc.toMillis() * 3, 1000)));
    conf.setInt("hbase.client.retries.number", 5);
    conf.setLong("hbase.client.pause", 100);
    // finding the cluster through ZooKeeper must also give up within the deadline
    conf.setInt("zookeeper.recovery.retry", 1);
    conf.setInt("zookeeper.recovery.retry.intervalmill", 200);
    conf.setLong("zookeeper.session.timeout", Math.min(deadline.toMillis(), 30_000));
    conf.setLong("hbase.client.meta.operation.timeout", Math.min(deadline.toMillis(), 30_000));
    String cluster = authority;
    Connection connection;
    try {
      connection = ConnectionFactory.createConnection(conf);
    } catch (IOException e) {
      throw new StoreUnavailableException("cannot connect to HBase through ZooKeeper at " + cluster + ": " + e, e);
    }
    try {
      return HBaseOffsetStore.builder(connection, table).ownsConnection(true, cluster)
          .createTableIfMissing(config.get(HBaseSettings.CREATE_TABLE))
          .historyTtl(config.get(HBaseSettings.HISTORY_TTL)).operationDeadline(deadline)
          .retryBackoff(config.get(HBaseSettings.RETRY_BACKOFF)).build();
    } catch (RuntimeException e) {
      try {
        connection.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }
}
