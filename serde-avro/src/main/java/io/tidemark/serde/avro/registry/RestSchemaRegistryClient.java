package io.tidemark.serde.avro.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SchemaRegistryClient} over the Confluent-compatible REST API, on the JDK's
 * {@link HttpClient} and Jackson: Confluent's registry, Apicurio's {@code /apis/ccompat/v7} and
 * others that speak it. No caching: put a {@link CachingSchemaRegistryClient} in front.
 *
 * <p>Requests retry with exponential backoff on I/O errors and HTTP 5xx, moving to the next URL
 * when several are given; never on 4xx. Answers with an error map to typed
 * {@link RegistryException}s carrying the registry's message. Credentials (basic or bearer) are
 * never in messages, logs or {@link #toString()}. Thread-safe.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {
  private static final Logger LOG = LoggerFactory.getLogger(RestSchemaRegistryClient.class);
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<URI> urls;
  private final HttpClient http;
  private final Duration requestTimeout;
  private final int retries;
  private final Duration backoff;
  private final Optional<String> authorization;
  /** The URL the next request starts with: the last one that answered. */
  private final AtomicInteger current = new AtomicInteger();

  private RestSchemaRegistryClient(Builder b) {
    this.urls = List.copyOf(b.urls);
    this.requestTimeout = b.requestTimeout;
    this.retries = b.retries;
    this.backoff = b.backoff;
    this.authorization = b.authorization;
    HttpClient.Builder hb = HttpClient.newBuilder().connectTimeout(b.connectTimeout);
    if (b.sslContext != null) {
      hb.sslContext(b.sslContext);
    }
    this.http = hb.build();
  }

  /** A builder for the registry at {@code urls} (several: tried in turn when one fails). */
  public static Builder builder(List<URI> urls) {
    return new Builder(urls);
  }

  /** A builder for the registry at {@code url}, for example {@code http://registry:8081}. */
  public static Builder builder(String url) {
    return new Builder(List.of(URI.create(url)));
  }

  // ---- the API

  @Override
  public int register(String subject, Schema schema) {
    return requireId(send("POST", "/subjects/" + segment(subject) + "/versions", schemaBody(schema),
        "register a schema under " + subject), "register a schema under " + subject);
  }

  @Override
  public int id(String subject, Schema schema) {
    return requireId(send("POST", "/subjects/" + segment(subject), schemaBody(schema), "look up a schema under "
        + subject), "look up a schema under " + subject);
  }

  @Override
  public Schema schema(int id) {
    JsonNode answer = send("GET", "/schemas/ids/" + id, null, "get schema " + id);
    String type = answer.path("schemaType").asText("AVRO");
    if (!type.equals("AVRO")) {
      throw new InvalidSchemaException(200, 0, "schema " + id + " at " + this + " is a " + type
          + " schema, not Avro", null);
    }
    return parse(answer.path("schema").asText(), "schema " + id);
  }

  @Override
  public SchemaVersion latest(String subject) {
    return version(subject, "latest");
  }

  @Override
  public SchemaVersion version(String subject, int version) {
    return version(subject, Integer.toString(version));
  }

  private SchemaVersion version(String subject, String version) {
    JsonNode a = send("GET", "/subjects/" + segment(subject) + "/versions/" + version, null,
        "get version " + version + " of " + subject);
    return new SchemaVersion(a.path("subject").asText(subject), a.path("version").asInt(), a.path("id").asInt(),
        parse(a.path("schema").asText(), "version " + version + " of " + subject));
  }

  @Override
  public List<String> subjects() {
    List<String> subjects = new ArrayList<>();
    send("GET", "/subjects", null, "list subjects").forEach(n -> subjects.add(n.asText()));
    return subjects;
  }

  @Override
  public List<Integer> versions(String subject) {
    List<Integer> versions = new ArrayList<>();
    send("GET", "/subjects/" + segment(subject) + "/versions", null, "list the versions of " + subject)
        .forEach(n -> versions.add(n.asInt()));
    return versions;
  }

  @Override
  public boolean isCompatible(String subject, Schema schema) {
    try {
      return send("POST", "/compatibility/subjects/" + segment(subject) + "/versions/latest", schemaBody(schema),
          "test compatibility under " + subject).path("is_compatible").asBoolean();
    } catch (SubjectNotFoundException | VersionNotFoundException none) {
      return true; // nothing registered yet: nothing to be incompatible with
    }
  }

  @Override
  public String compatibility(Optional<String> subject) {
    // defaultToGlobal: a subject without a level of its own has the global one (Confluent answers 40408 otherwise)
    JsonNode a = send("GET", "/config" + subject.map(s -> "/" + segment(s) + "?defaultToGlobal=true").orElse(""), null,
        "get the compatibility of " + subject.orElse("the registry"));
    return a.has("compatibilityLevel") ? a.path("compatibilityLevel").asText() : a.path("compatibility").asText();
  }

  @Override
  public void setCompatibility(Optional<String> subject, String level) {
    ObjectNode body = JSON.createObjectNode().put("compatibility", level);
    send("PUT", "/config" + subject.map(s -> "/" + segment(s)).orElse(""), body.toString(),
        "set the compatibility of " + subject.orElse("the registry"));
  }

  @Override
  public String toString() {
    return "RestSchemaRegistryClient" + urls;
  }

  // ---- HTTP

  private static String schemaBody(Schema schema) {
    return JSON.createObjectNode().put("schema", schema.toString()).toString();
  }

  private static String segment(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static int requireId(JsonNode answer, String what) {
    JsonNode id = answer.get("id");
    if (id == null || !id.canConvertToInt()) {
      throw new RegistryException(200, 0, "the schema registry answered the request to " + what + " without an id: "
          + answer, null);
    }
    return id.asInt();
  }

  private static Schema parse(String json, String what) {
    try {
      return new Schema.Parser().parse(json);
    } catch (AvroRuntimeException e) { // SchemaParseException, AvroTypeException for bad defaults, ...
      throw new InvalidSchemaException(200, 0, "the registry sent " + what + " as a schema Avro cannot parse: "
          + e.getMessage(), e);
    }
  }

  private JsonNode send(String method, String path, String body, String what) {
    long pause = backoff.toMillis();
    RegistryException last = null;
    int index = current.get();
    for (int attempt = 0; attempt <= retries; attempt++) {
      URI base = urls.get(Math.floorMod(index, urls.size()));
      HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(base.toString().replaceAll("/+$", "") + path))
          .timeout(requestTimeout).header("Accept", CONTENT_TYPE + ", application/json");
      authorization.ifPresent(a -> req.header("Authorization", a));
      if (body == null) {
        req.method(method, HttpRequest.BodyPublishers.noBody());
      } else {
        req.header("Content-Type", CONTENT_TYPE).method(method, HttpRequest.BodyPublishers.ofString(body));
      }
      try {
        HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 == 2) {
          return json(r.body(), base, what);
        }
        RegistryException e = error(r, base, what);
        if (r.statusCode() < 500) {
          throw e;
        }
        last = e;
        current.set(++index); // a failing server: the next attempt tries the next URL
      } catch (IOException e) {
        SSLException tlsFailure = tlsFailure(e);
        if (tlsFailure != null) {
          throw new RegistryTlsException("TLS with the schema registry at " + base + " failed while trying to " + what
              + ": " + tlsFailure.getMessage() + ". Check that the truststore (schema.registry.ssl.truststore.location,"
              + " or the SSLContext given to RestSchemaRegistryClient.Builder.sslContext) holds the registry's"
              + " certificate or its CA, and, if the registry demands client certificates, that the keystore"
              + " (schema.registry.ssl.keystore.location) holds one it trusts.", e);
        }
        last = new RegistryUnavailableException(0, 0, "could not " + what + " at " + base + ": " + e, e);
        current.set(++index); // the next attempt tries the next URL
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RegistryUnavailableException(0, 0, "interrupted while trying to " + what + " at " + base, e);
      }
      if (attempt < retries) {
        LOG.warn("schema registry at {}: {}; retry {} of {} in {} ms", base, last.getMessage(), attempt + 1, retries,
            pause);
        try {
          Thread.sleep(pause);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new RegistryUnavailableException(0, 0, "interrupted while trying to " + what + " at " + base, e);
        }
        pause = Math.min(pause * 2, backoff.toMillis() * 10);
      }
    }
    throw new RegistryUnavailableException(last.status(), last.errorCode(), last.getMessage() + " (after "
        + (retries + 1) + " attempts)", last);
  }

  /** The TLS failure among {@code e} and its causes, or null when {@code e} is not about TLS. */
  private static SSLException tlsFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SSLException ssl) {
        return ssl;
      }
    }
    return null;
  }

  /** A 2xx answer's JSON; a body that is not JSON is the server's fault, and retrying will not fix it. */
  private static JsonNode json(String body, URI base, String what) {
    if (body.isBlank()) {
      return JSON.createObjectNode();
    }
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new RegistryException(200, 0, "the schema registry at " + base + " answered the request to " + what
          + " with a body that is not JSON; is the registry URL right?", e);
    }
  }

  private static RegistryException error(HttpResponse<String> r, URI base, String what) {
    int code = 0;
    String message = r.body();
    try {
      JsonNode e = JSON.readTree(r.body());
      code = e.path("error_code").asInt(0);
      if (e.hasNonNull("message")) {
        message = e.path("message").asText();
      }
    } catch (IOException notJson) {
      // keep the body as the message
    }
    int status = r.statusCode();
    String text = "the schema registry at " + base + " refused to " + what + ": HTTP " + status
        + (code != 0 ? ", error " + code : "") + ": " + message;
    if (status == 401 || status == 403) {
      return new RegistryAuthException(status, code, text + ". Check the registry credentials"
          + " (basic.auth.user.info or bearer.auth.token).", null);
    }
    if (code == 40401) {
      return new SubjectNotFoundException(status, code, text, null);
    }
    if (code == 40402) {
      return new VersionNotFoundException(status, code, text, null);
    }
    if (code == 40403) {
      return new SchemaNotFoundException(status, code, text, null);
    }
    if (status == 404) {
      // not a registry's "not found": most likely schema.registry.url points at the wrong place
      return new RegistryException(status, code, text + ". Is the registry URL right (Apicurio:"
          + " .../apis/ccompat/v7)?", null);
    }
    if (status == 409) {
      return new IncompatibleSchemaException(status, code, text, null);
    }
    if (code == 42201 || (status == 422 && code == 0)) {
      return new InvalidSchemaException(status, code, text, null);
    }
    if (status >= 500) {
      return new RegistryUnavailableException(status, code, text, null);
    }
    return new RegistryException(status, code, text, null);
  }

  /** Options of a {@link RestSchemaRegistryClient}. */
  public static final class Builder {
    private final List<URI> urls;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration requestTimeout = Duration.ofSeconds(10);
    private int retries = 3;
    private Duration backoff = Duration.ofMillis(100);
    private Optional<String> authorization = Optional.empty();
    private SSLContext sslContext;

    private Builder(List<URI> urls) {
      if (Objects.requireNonNull(urls, "urls").isEmpty()) {
        throw new IllegalArgumentException("give at least one schema registry URL");
      }
      for (URI u : urls) {
        if (u.getUserInfo() != null) {
          throw new IllegalArgumentException("schema registry URL " + u.getScheme() + "://" + u.getHost()
              + " carries credentials; give them with basicAuth() instead");
        }
      }
      this.urls = List.copyOf(urls);
    }

    /** How long to wait for a connection (default 5 s). */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** How long one request may take (default 10 s). */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** Retries after an I/O error or HTTP 5xx (default 3), never after 4xx. */
    public Builder retries(int retries) {
      if (retries < 0) {
        throw new IllegalArgumentException("retries must be >= 0, got " + retries);
      }
      this.retries = retries;
      return this;
    }

    /** The first pause between retries (default 100 ms, doubling up to ten times). */
    public Builder backoff(Duration backoff) {
      if (Objects.requireNonNull(backoff, "backoff").toMillis() < 1) {
        throw new IllegalArgumentException("backoff must be at least 1 ms, got " + backoff);
      }
      this.backoff = backoff;
      return this;
    }

    /** HTTP basic authentication. */
    public Builder basicAuth(String user, String password) {
      String token = Base64.getEncoder().encodeToString((Objects.requireNonNull(user, "user") + ":"
          + Objects.requireNonNull(password, "password")).getBytes(StandardCharsets.UTF_8));
      this.authorization = Optional.of("Basic " + token);
      return this;
    }

    /** A bearer token (OAuth). */
    public Builder bearerToken(String token) {
      this.authorization = Optional.of("Bearer " + Objects.requireNonNull(token, "token"));
      return this;
    }

    /** TLS with this context: its trust managers (a truststore) and, for mutual TLS, its key managers. */
    public Builder sslContext(SSLContext context) {
      this.sslContext = Objects.requireNonNull(context, "context");
      return this;
    }

    /** The client. */
    public RestSchemaRegistryClient build() {
      return new RestSchemaRegistryClient(this);
    }
  }
}
