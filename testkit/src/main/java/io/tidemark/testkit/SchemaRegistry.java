package io.tidemark.testkit;

import io.tidemark.testkit.internal.Archives;
import io.tidemark.testkit.internal.ChildJvm;
import io.tidemark.testkit.internal.Jdks;
import io.tidemark.testkit.internal.Ports;
import io.tidemark.testkit.internal.RuntimeArtifacts;
import io.tidemark.testkit.internal.TempDirs;
import io.tidemark.testkit.internal.TlsRelay;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real schema registry: Apicurio Registry (in-memory storage) in a child JVM on loopback,
 * exposing the Confluent-compatible API at {@link #baseUrl()}.
 *
 * <p>The version is {@code 2.6.13.Final} (runs on Java 17) unless the builder or the system
 * property {@code tidemark.registry.version} says {@code 3.3.3}, which needs Java 21+: the
 * running JDK if new enough, else {@code -Dtidemark.registry.java=<java home>}, else the newest
 * JDK 21+ found under {@code /usr/lib/jvm}. The distribution is taken from the local Maven
 * repository ({@code io.apicurio:apicurio-registry-app:<v>:tar.gz:all}, fetched by building
 * tidemark-testkit-runtime) and unpacked once into {@code java.io.tmpdir}.
 *
 * <p>Apicurio's default compatibility is NONE, unlike Confluent's BACKWARD; this fixture sets the
 * global level explicitly at start ({@link Builder#compatibility}, default BACKWARD).
 *
 * <p>As a JUnit 5 extension, declare it on a {@code static} field.
 */
public final class SchemaRegistry implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

  /** The path of the Confluent-compatible API on an Apicurio server. */
  public static final String CCOMPAT_PATH = "/apis/ccompat/v7";

  private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistry.class);
  private static final String TOKEN_ISSUER = "tidemark-testkit";
  private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*(\\d+)");

  private final String requestedVersion;
  private final String compatibility;
  private final Duration startTimeout;
  private final TlsFiles tls;
  private final boolean requireClientCertificates;
  private final KeyPair tokenKeys;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private volatile String version;
  private Path dir;
  private volatile int port;
  private int managementPort;
  private int tlsPort;
  private TlsRelay relay;
  private ChildJvm child;
  private Duration lastStartup = Duration.ZERO;

  private SchemaRegistry(Builder b) {
    this.requestedVersion = b.version;
    this.compatibility = b.compatibility;
    this.startTimeout = b.startTimeout;
    this.tls = b.tls;
    this.requireClientCertificates = b.requireClientCertificates;
    this.tokenKeys = b.bearerAuth ? rsaKeyPair() : null;
  }

  private static KeyPair rsaKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no RSA in this JDK", e);
    }
  }

  /** A builder: version from {@code tidemark.registry.version} or 2.6.13.Final, BACKWARD, 90 s timeout. */
  public static Builder builder() {
    return new Builder();
  }

  /** Starts the registry and sets the global compatibility; returns once it is ready. */
  public synchronized SchemaRegistry start() {
    if (child != null) {
      throw new IllegalStateException("the registry is already running at " + baseUrl());
    }
    long t0 = System.nanoTime();
    Properties runtime = RuntimeArtifacts.properties();
    version = requestedVersion != null ? requestedVersion
        : System.getProperty("tidemark.registry.version", runtime.getProperty("registry.default.version"));
    if (runtime.getProperty("registry." + version + ".archive") == null) {
      throw new ServerStartException("unknown Apicurio Registry version " + version + "; known: "
          + runtime.getProperty("registry.versions"));
    }
    int minJava = Integer.parseInt(runtime.getProperty("registry." + version + ".minJava", "17"));
    String javaHome = System.getProperty("tidemark.registry.java");
    Path java = Jdks.find(minJava, javaHome).orElseThrow(() -> new ServerStartException(
        "Apicurio Registry " + version + " needs Java " + minJava + "+, but this JVM is "
            + Runtime.version().feature() + (javaHome != null ? " and " + javaHome + " is not a JDK " + minJava + "+"
            : " and none was found under " + Jdks.searched())
            + ". Set -Dtidemark.registry.java=<java home> or use -Dtidemark.registry.version="
            + runtime.getProperty("registry.default.version")));
    Path archive = RuntimeArtifacts.artifact("registry." + version + ".archive", "Apicurio Registry " + version);
    Path home = Archives.unpackOnce(archive, "apicurio-registry-app-" + version);
    Path jar = launcherJar(home);
    dir = TempDirs.create("registry");
    port = Ports.freeLoopbackPort();
    managementPort = Ports.freeLoopbackPort();
    tlsPort = tls == null ? 0 : Ports.freeLoopbackPort();
    try {
      launch(java, jar);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    lastStartup = Duration.ofNanos(System.nanoTime() - t0);
    LOG.info("Apicurio Registry {} started in {} ms at {}", version, lastStartup.toMillis(), baseUrl());
    return this;
  }

  private static Path launcherJar(Path home) {
    for (String name : List.of("quarkus-run.jar")) {
      if (Files.isRegularFile(home.resolve(name))) {
        return home.resolve(name);
      }
    }
    try (var files = Files.list(home)) {
      return files.filter(p -> p.getFileName().toString().endsWith("-runner.jar")).findFirst()
          .orElseThrow(() -> new ServerStartException("no quarkus-run.jar or *-runner.jar in " + home
              + "; delete that directory to unpack the registry again"));
    } catch (IOException e) {
      throw new ServerStartException("cannot list " + home + ": " + e, e);
    }
  }

  private void launch(Path java, Path jar) {
    String mainClass;
    try (JarFile jf = new JarFile(jar.toFile())) {
      mainClass = jf.getManifest().getMainAttributes().getValue("Main-Class");
    } catch (IOException e) {
      throw new ServerStartException("cannot read the manifest of " + jar + ": " + e, e);
    }
    List<String> jvmArgs = new ArrayList<>(List.of(
        "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Dquarkus.http.host=127.0.0.1",
        "-Dquarkus.http.port=" + port,
        "-Dquarkus.management.host=127.0.0.1",
        "-Dquarkus.management.port=" + managementPort,
        "-Dquarkus.log.level=WARN",
        "-Dquarkus.banner.enabled=false"));
    if (tokenKeys != null) {
      if (!version.startsWith("2.")) {
        throw new ServerStartException("bearerAuth() is set up for Apicurio 2.x only, not " + version);
      }
      // OIDC bearer tokens checked against a local public key: no identity server needed
      jvmArgs.addAll(List.of(
          "-Dregistry.auth.enabled=true",
          "-Dquarkus.oidc.tenant-enabled=true",
          "-Dquarkus.oidc.auth-server-url=",
          "-Dquarkus.oidc.public-key=" + Base64.getEncoder().encodeToString(tokenKeys.getPublic().getEncoded()),
          "-Dquarkus.oidc.token.issuer=" + TOKEN_ISSUER));
    }
    if (tls != null && !requireClientCertificates) {
      // Apicurio's own TLS; the plain port stays open on loopback for the fixture's calls and the health check
      jvmArgs.addAll(List.of(
          "-Dquarkus.http.ssl-port=" + tlsPort,
          "-Dquarkus.http.ssl.certificate.key-store-file=" + tls.serverKeyStore(),
          "-Dquarkus.http.ssl.certificate.key-store-file-type=PKCS12",
          "-Dquarkus.http.ssl.certificate.key-store-password=" + tls.password()));
    }
    child = ChildJvm.start("schema-registry", java, List.of(jar), jvmArgs, mainClass, List.of(), dir);
    child.awaitReady(this::healthy, startTimeout);
    if (tls != null && requireClientCertificates) {
      // Quarkus fixes quarkus.http.ssl.client-auth when the server is built (Apicurio ships it as NONE),
      // so mutual TLS is the JDK's TLS in front of the plain port
      relay = TlsRelay.start(tls.serverKeyStore(), tls.clientTrustStore(), tls.password(), port);
      tlsPort = relay.port();
    }
    setCompatibility(compatibility);
  }

  private boolean healthy() throws IOException, InterruptedException {
    for (int p : new int[] {managementPort, port}) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p + "/health/ready"))
            .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return true;
        }
      } catch (IOException e) {
        // not listening yet on this port
      }
    }
    return false;
  }

  /** The Apicurio version running. */
  public synchronized String version() {
    requireStarted();
    return version;
  }

  /** The Confluent-compatible base URL, {@code http://127.0.0.1:<port>/apis/ccompat/v7}. */
  public synchronized String baseUrl() {
    return rootUrl() + CCOMPAT_PATH;
  }

  /**
   * The Confluent-compatible base URL over TLS, {@code https://127.0.0.1:<port>/apis/ccompat/v7};
   * only with {@link Builder#tls}. Its certificate is {@link TlsFiles#serverKeyStore()}'s.
   */
  public synchronized String tlsBaseUrl() {
    requireStarted();
    if (tls == null) {
      throw new IllegalStateException("this registry was built without tls(...)");
    }
    return "https://127.0.0.1:" + tlsPort + CCOMPAT_PATH;
  }

  /**
   * A bearer token this registry accepts (RS256, signed with the key whose public half the
   * registry was started with), for {@code subject}, valid for {@code ttl}; only with
   * {@link Builder#bearerAuth()}. A negative {@code ttl} gives an expired token.
   */
  public String issueToken(String subject, Duration ttl) {
    if (tokenKeys == null) {
      throw new IllegalStateException("this registry was built without bearerAuth()");
    }
    long now = System.currentTimeMillis() / 1000;
    String header = base64Url("{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
    String claims = base64Url("{\"iss\":" + jsonString(TOKEN_ISSUER) + ",\"sub\":" + jsonString(subject)
        + ",\"preferred_username\":" + jsonString(subject) + ",\"iat\":" + Math.min(now, now + ttl.toSeconds())
        + ",\"exp\":" + (now + ttl.toSeconds()) + "}");
    try {
      Signature rs256 = Signature.getInstance("SHA256withRSA");
      rs256.initSign(tokenKeys.getPrivate());
      rs256.update((header + "." + claims).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return header + "." + claims + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(rs256.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign a token", e);
    }
  }

  private static String base64Url(String json) {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /**
   * The server's root, {@code http://127.0.0.1:<port>}, for Apicurio's own APIs
   * ({@code /apis/registry/v2} on 2.x, {@code /apis/registry/v3} on 3.x).
   */
  public synchronized String rootUrl() {
    requireStarted();
    return "http://127.0.0.1:" + port;
  }

  /**
   * Whether this machine can run the given Apicurio version: it is one the testkit knows, and a
   * JDK new enough for it is found (see the class comment).
   */
  public static boolean canRun(String version) {
    Properties runtime = RuntimeArtifacts.properties();
    if (runtime.getProperty("registry." + version + ".archive") == null) {
      return false;
    }
    int minJava = Integer.parseInt(runtime.getProperty("registry." + version + ".minJava", "17"));
    return Jdks.find(minJava, System.getProperty("tidemark.registry.java")).isPresent();
  }

  /** How long the last {@link #start()} took, unpacking included. */
  public Duration startupTime() {
    return lastStartup;
  }

  /** The registry's log file. */
  public synchronized Path logFile() {
    requireStarted();
    return child.logFile();
  }

  /** Sets the global compatibility level (NONE, BACKWARD, FORWARD, FULL and their _TRANSITIVE forms). */
  public void setCompatibility(String level) {
    put("/config", "{\"compatibility\":\"" + level + "\"}");
  }

  /** Sets the compatibility level of one subject. */
  public void setCompatibility(String subject, String level) {
    put("/config/" + encode(subject), "{\"compatibility\":\"" + level + "\"}");
  }

  private static String encode(String pathSegment) {
    return java.net.URLEncoder.encode(pathSegment, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
  }

  /**
   * Registers an Avro schema under {@code subject} and returns its id.
   *
   * @throws IllegalStateException with the registry's answer when it refuses (for example HTTP
   *     409 for an incompatible schema)
   */
  public int register(String subject, String avroSchemaJson) {
    String body = send("POST", "/subjects/" + encode(subject) + "/versions",
        "{\"schema\":" + jsonString(avroSchemaJson) + "}");
    Matcher m = ID.matcher(body);
    if (!m.find()) {
      throw new IllegalStateException("the registry answered without an id: " + body);
    }
    return Integer.parseInt(m.group(1));
  }

  /** The raw JSON answer of {@code GET /schemas/ids/{id}}. */
  public String schemaById(int id) {
    return send("GET", "/schemas/ids/" + id, null);
  }

  private void put(String path, String json) {
    send("PUT", path, json);
  }

  private String send(String method, String path, String json) {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(Duration.ofSeconds(10))
        .header("Accept", "application/vnd.schemaregistry.v1+json, application/json");
    if (tokenKeys != null) {
      req.header("Authorization", "Bearer " + issueToken("tidemark-testkit", Duration.ofMinutes(1)));
    }
    if (json == null) {
      req.GET();
    } else {
      req.header("Content-Type", "application/vnd.schemaregistry.v1+json")
          .method(method, HttpRequest.BodyPublishers.ofString(json));
    }
    try {
      HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() / 100 != 2) {
        throw new IllegalStateException(method + " " + path + " answered HTTP " + r.statusCode() + ": " + r.body());
      }
      return r.body();
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + baseUrl() + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + method + " " + path, e);
    }
  }

  private static String jsonString(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  /** Stops the registry (it becomes unreachable; its in-memory schemas are gone). Idempotent. */
  @Override
  public synchronized void close() {
    if (relay != null) {
      relay.close();
      relay = null;
    }
    if (child != null) {
      child.stop(Duration.ofSeconds(30));
      child = null;
    }
    TempDirs.deleteRecursively(dir);
    dir = null;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  private void requireStarted() {
    if (child == null) {
      throw new IllegalStateException("the schema registry is not running: call start() first");
    }
  }

  /** Options of a {@link SchemaRegistry}. */
  public static final class Builder {
    private String version;
    private String compatibility = "BACKWARD";
    private Duration startTimeout = Duration.ofSeconds(90);
    private TlsFiles tls;
    private boolean requireClientCertificates;
    private boolean bearerAuth;

    private Builder() {}

    /** The Apicurio version: {@code 2.6.13.Final} (Java 17) or {@code 3.3.3} (Java 21+). */
    public Builder version(String version) {
      this.version = Objects.requireNonNull(version, "version");
      return this;
    }

    /** The global compatibility level set at start (default BACKWARD, as Confluent's registry). */
    public Builder compatibility(String level) {
      this.compatibility = Objects.requireNonNull(level, "level");
      return this;
    }

    /** How long start-up may take before it fails with the registry's log (default 90 s). */
    public Builder startTimeout(Duration timeout) {
      if (Objects.requireNonNull(timeout, "timeout").isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("startTimeout must be positive, got " + timeout);
      }
      this.startTimeout = timeout;
      return this;
    }

    /**
     * Also serve HTTPS ({@link SchemaRegistry#tlsBaseUrl()}) with the server certificate of
     * {@code files}; with {@code requireClientCertificates}, only clients presenting
     * {@link TlsFiles#clientKeyStore()}'s certificate get through (mutual TLS). Apicurio serves
     * plain TLS itself; because its build fixes client authentication off, mutual TLS is served by
     * a JDK TLS endpoint in this JVM that relays to the registry's loopback port.
     */
    public Builder tls(TlsFiles files, boolean requireClientCertificates) {
      this.tls = Objects.requireNonNull(files, "files");
      this.requireClientCertificates = requireClientCertificates;
      return this;
    }

    /**
     * Demand an OIDC bearer token on every request (Apicurio 2.x): tokens come from
     * {@link SchemaRegistry#issueToken}, checked by the registry against a public key given at
     * start, so no identity server runs. Requests without one are refused with HTTP 401.
     */
    public Builder bearerAuth() {
      this.bearerAuth = true;
      return this;
    }

    /** The fixture; nothing starts until {@link SchemaRegistry#start()} or the extension's beforeAll. */
    public SchemaRegistry build() {
      return new SchemaRegistry(this);
    }
  }
}
