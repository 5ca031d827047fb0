package io.tidemark.offsets;

import io.tidemark.offsets.internal.MirrorSettings;
import io.tidemark.offsets.spi.OffsetStoreProvider;
import io.tidemark.offsets.spi.StoreConfig;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Opens {@link OffsetStore}s from URIs through the {@link OffsetStoreProvider}s on the classpath.
 *
 * <table>
 *   <caption>Schemes</caption>
 *   <tr><th>URI</th><th>store</th><th>module</th></tr>
 *   <tr><td>{@code memory:} or {@code memory:name}</td><td>in this JVM, for tests</td><td>tidemark-offsets-core</td></tr>
 *   <tr><td>{@code file:/path/to/dir}</td><td>a directory on one machine; the embedded default</td><td>tidemark-offsets-core</td></tr>
 *   <tr><td>{@code zk://host:port[,host:port]/chroot}</td><td>ZooKeeper</td><td>tidemark-offsets-zookeeper</td></tr>
 *   <tr><td>{@code hbase://quorum[:port]/namespace:table}</td><td>HBase</td><td>tidemark-offsets-hbase</td></tr>
 * </table>
 *
 * <p>Settings come from the URI's query ({@code file:/var/lib/tidemark?history.max.entries=100})
 * and from the config map; a setting given in both with different values is refused.
 */
public final class OffsetStores {
  private static final Map<String, String> MODULES = Map.of(
      "memory", "io.tidemark:tidemark-offsets-core",
      "file", "io.tidemark:tidemark-offsets-core",
      "zk", "io.tidemark:tidemark-offsets-zookeeper",
      "hbase", "io.tidemark:tidemark-offsets-hbase",
      "kafka", "io.tidemark:tidemark-offsets-kafka");

  private OffsetStores() {}

  /** Opens the store {@code uri} names, with default settings plus those in its query. */
  public static OffsetStore open(String uri) {
    // "memory:" alone is not a URI in java.net.URI's eyes: it means the memory store named "default"
    return open(URI.create(uri.equals("memory:") ? "memory:default" : uri), Map.of());
  }

  /**
   * Opens the store {@code uri} names.
   *
   * @param uri the store, for example {@code file:/var/lib/tidemark/offsets}
   * @param config settings (names as in the configuration reference); values are strings or
   *     values of the setting's type
   * @throws ConfigException for an unknown scheme (the message lists the available ones), an
   *     unknown setting, or a bad value
   */
  public static OffsetStore open(URI uri, Map<String, ?> config) {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(config, "config");
    String scheme = uri.getScheme();
    if (scheme == null) {
      throw new ConfigException("offset store URI '" + uri + "' has no scheme; use one of " + providers().keySet()
          + ", for example file:/var/lib/tidemark/offsets");
    }
    OffsetStoreProvider provider = providers().get(scheme);
    if (provider == null) {
      String hint = MODULES.containsKey(scheme) ? " Add " + MODULES.get(scheme) + " to the classpath." : "";
      throw new ConfigException("no offset store for scheme '" + scheme + "' (" + redact(uri) + "); available: "
          + String.join(", ", providers().keySet()) + "." + hint);
    }
    Map<String, Object> merged = new LinkedHashMap<>(queryOf(uri));
    for (Map.Entry<String, ?> e : config.entrySet()) {
      Object fromUri = merged.get(e.getKey());
      if (fromUri != null && !String.valueOf(fromUri).equals(String.valueOf(e.getValue()))) {
        boolean secret = provider.configDef().keys().stream()
            .anyMatch(k -> k.name().equals(e.getKey()) && k.type() == io.tidemark.offsets.spi.ConfigKey.Type.PASSWORD);
        throw new ConfigException(e.getKey(), secret ? "[hidden]" : e.getValue(), "the store URI sets it "
            + (secret ? "to another value" : "to '" + fromUri + "'") + "; give it in one place only");
      }
      merged.put(e.getKey(), e.getValue());
    }
    // mirror.* belongs to every store: taken out before the store's own settings are checked
    Map<String, Object> mirror = new LinkedHashMap<>();
    Map<String, Object> client = new LinkedHashMap<>();
    merged.entrySet().removeIf(e -> {
      if (e.getKey().startsWith(MirrorSettings.CLIENT_PREFIX)) {
        client.put(e.getKey().substring(MirrorSettings.CLIENT_PREFIX.length()), e.getValue());
        return true;
      }
      if (e.getKey().startsWith("mirror.")) {
        mirror.put(e.getKey(), e.getValue());
        return true;
      }
      return false;
    });
    StoreConfig mirroring = MirrorSettings.def().parse(mirror);
    StoreConfig parsed = provider.configDef().parse(merged);
    String bootstrap = mirroring.get(MirrorSettings.BOOTSTRAP);
    if (!bootstrap.isBlank()) {
      provider.consumerGroupPrefix().ifPresent(key -> MirrorSettings.checkApart(mirroring, key, parsed.get(key)));
    }
    OffsetStore store = provider.open(uri, parsed);
    if (bootstrap.isBlank()) {
      return store;
    }
    client.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    client.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "tidemark-group-mirror");
    try {
      return new ConsumerGroupMirror(store, Admin.create(client), mirroring.get(MirrorSettings.GROUP_PREFIX),
          mirroring.get(MirrorSettings.TIMEOUT));
    } catch (RuntimeException e) {
      store.close();
      throw new ConfigException("cannot create the Kafka admin client of mirror.bootstrap.servers=" + bootstrap
          + ": " + e.getMessage());
    }
  }

  /** The providers on the classpath, by scheme. */
  public static Map<String, OffsetStoreProvider> providers() {
    Map<String, OffsetStoreProvider> byScheme = new TreeMap<>();
    for (OffsetStoreProvider p : ServiceLoader.load(OffsetStoreProvider.class, OffsetStores.class.getClassLoader())) {
      byScheme.putIfAbsent(p.scheme(), p);
    }
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    if (context != null && context != OffsetStores.class.getClassLoader()) {
      for (OffsetStoreProvider p : ServiceLoader.load(OffsetStoreProvider.class, context)) {
        byScheme.putIfAbsent(p.scheme(), p);
      }
    }
    return byScheme;
  }

  /** The query parameters of {@code uri}, decoded. */
  static Map<String, String> queryOf(URI uri) {
    Map<String, String> params = new LinkedHashMap<>();
    String query = uri.getRawQuery();
    if (uri.isOpaque()) { // memory:name?key=value has no query in java.net.URI's eyes
      String ssp = uri.getRawSchemeSpecificPart();
      query = ssp.contains("?") ? ssp.substring(ssp.indexOf('?') + 1) : null;
    }
    if (query == null || query.isEmpty()) {
      return params;
    }
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      if (params.put(key, value) != null) {
        throw ConfigException.withoutValue(key, "setting '" + key + "' is given twice in the store URI " + redact(uri));
      }
    }
    return params;
  }

  /** {@code uri} without user info or query (which may hold credentials). */
  public static String redact(URI uri) {
    String s = uri.toString();
    int q = s.indexOf('?');
    if (q >= 0) {
      s = s.substring(0, q);
    }
    // java.net.URI finds no user info in multi-host authorities (zk://u:p@h1:1,h2:2/x): cut it by hand
    int authority = s.indexOf("//");
    if (authority >= 0) {
      int end = s.indexOf('/', authority + 2);
      int at = s.lastIndexOf('@', end < 0 ? s.length() - 1 : end);
      if (at > authority) {
        s = s.substring(0, authority + 2) + "***" + s.substring(at);
      }
    }
    return s;
  }
}
