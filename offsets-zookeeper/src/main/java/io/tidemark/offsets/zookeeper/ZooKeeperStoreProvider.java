package io.tidemark.offsets.zookeeper;

import io.tidemark.offsets.ConfigException;
import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.offsets.StoreUnavailableException;
import io.tidemark.offsets.spi.ConfigDef;
import io.tidemark.offsets.spi.OffsetStoreProvider;
import io.tidemark.offsets.spi.StoreConfig;
import io.tidemark.offsets.zookeeper.internal.ZooKeeperSettings;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

/**
 * Opens {@code zk://host:port[,host:port...]/root} stores (root defaults to {@code /tidemark}).
 * Settings: {@code zk.session.timeout}, {@code zk.connection.timeout}, {@code zk.operation.deadline},
 * {@code zk.retry.backoff}, {@code zk.max.request.bytes}, {@code zk.auth.digest}, {@code zk.acl.read-only}, {@code zk.sasl.enabled}, {@code zk.sasl.login-context},
 * {@code zk.sasl.server-principal}, {@code history.max.entries}.
 */
public final class ZooKeeperStoreProvider implements OffsetStoreProvider {

  @Override
  public String scheme() {
    return "zk";
  }

  @Override
  public ConfigDef configDef() {
    return ZooKeeperSettings.def();
  }

  @Override
  public OffsetStore open(URI uri, StoreConfig config) {
    String hosts = uri.getRawAuthority();
    if (hosts == null || hosts.isBlank()) {
      throw new ConfigException("zk: store URI '" + OffsetStores.redact(uri) + "' names no host; use"
          + " zk://host:2181[,host2:2181]/tidemark");
    }
    if (hosts.contains("@")) {
      throw new ConfigException("zk: store URI '" + OffsetStores.redact(uri) + "' carries credentials; give them"
          + " as the zk.auth.digest setting instead");
    }
    String path = uri.getPath() == null || uri.getPath().isEmpty() || uri.getPath().equals("/") ? "/tidemark"
        : uri.getPath().replaceAll("/+$", "");
    Duration session = config.get(ZooKeeperSettings.SESSION_TIMEOUT);
    Duration connection = config.get(ZooKeeperSettings.CONNECTION_TIMEOUT);
    Duration deadline = config.get(ZooKeeperSettings.OPERATION_DEADLINE);
    CuratorFrameworkFactory.Builder b = CuratorFrameworkFactory.builder().connectString(hosts)
        .sessionTimeoutMs((int) session.toMillis()).connectionTimeoutMs((int) connection.toMillis())
        .retryPolicy(new ExponentialBackoffRetry((int) config.get(ZooKeeperSettings.RETRY_BACKOFF).toMillis(), 5));
    List<ACL> acl = new ArrayList<>(ZooDefs.Ids.OPEN_ACL_UNSAFE);
    if (config.find(ZooKeeperSettings.AUTH_DIGEST).isPresent()) {
      String credentials = config.get(ZooKeeperSettings.AUTH_DIGEST);
      requireUserPassword(credentials, ZooKeeperSettings.AUTH_DIGEST.name());
      b.authorization("digest", credentials.getBytes(StandardCharsets.UTF_8));
      acl = new ArrayList<>(List.of(new ACL(ZooDefs.Perms.ALL, new Id("digest", digest(credentials)))));
    }
    ZKClientConfig clientConfig = new ZKClientConfig();
    if (config.get(ZooKeeperSettings.SASL_ENABLED)) {
      clientConfig.setProperty(ZKClientConfig.ENABLE_CLIENT_SASL_KEY, "true");
      clientConfig.setProperty(ZKClientConfig.LOGIN_CONTEXT_NAME_KEY, config.get(ZooKeeperSettings.SASL_LOGIN_CONTEXT));
      String principal = config.get(ZooKeeperSettings.SASL_SERVER_PRINCIPAL);
      if (!principal.isBlank()) {
        clientConfig.setProperty(ZKClientConfig.ZOOKEEPER_SERVER_PRINCIPAL, principal);
      }
      if (config.find(ZooKeeperSettings.AUTH_DIGEST).isEmpty()) {
        acl = new ArrayList<>(ZooDefs.Ids.CREATOR_ALL_ACL);
      }
    } else {
      clientConfig.setProperty(ZKClientConfig.ENABLE_CLIENT_SASL_KEY, "false");
    }
    b.zkClientConfig(clientConfig);
    if (config.find(ZooKeeperSettings.ACL_READ_ONLY).isPresent() && acl.equals(ZooDefs.Ids.OPEN_ACL_UNSAFE)) {
      throw new ConfigException(ZooKeeperSettings.ACL_READ_ONLY.name(), "[hidden]", "a read-only principal means"
          + " nothing on open nodes; set zk.auth.digest (or zk.sasl.enabled) so that only the store's own user may write");
    }
    if (config.find(ZooKeeperSettings.ACL_READ_ONLY).isPresent()) {
      String reader = config.get(ZooKeeperSettings.ACL_READ_ONLY);
      requireUserPassword(reader, ZooKeeperSettings.ACL_READ_ONLY.name());
      acl.add(new ACL(ZooDefs.Perms.READ, new Id("digest", digest(reader))));
    }
    CuratorFramework client = b.build();
    client.start();
    try {
      if (!client.blockUntilConnected((int) deadline.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new StoreUnavailableException("ZooKeeper at " + hosts + " did not accept a connection within " + deadline
            + " (zk.operation.deadline); check that it runs and that this host can reach it", null);
      }
      return ZooKeeperOffsetStore.builder(client).root(path).ownsClient(true)
          .historyMaxEntries(config.get(ZooKeeperSettings.HISTORY_MAX_ENTRIES)).operationDeadline(deadline)
          .maxRequestBytes(config.get(ZooKeeperSettings.MAX_REQUEST_BYTES))
          .retryBackoff(config.get(ZooKeeperSettings.RETRY_BACKOFF)).acl(acl).build();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      client.close();
      throw new StoreUnavailableException("interrupted while connecting to ZooKeeper at " + hosts, e);
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
  }

  private static void requireUserPassword(String credentials, String setting) {
    int colon = credentials.indexOf(':');
    if (colon <= 0 || colon == credentials.length() - 1) {
      throw new ConfigException(setting, "[hidden]", "expected 'user:password'");
    }
  }

  /** {@code user:base64(sha1(user:password))}, the id ZooKeeper's digest scheme checks. */
  private static String digest(String credentials) {
    try {
      return DigestAuthenticationProvider.generateDigest(credentials);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is not available", e);
    }
  }
}
