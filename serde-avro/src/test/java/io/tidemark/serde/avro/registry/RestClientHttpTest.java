package io.tidemark.serde.avro.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the REST client sends and how it treats answers a real registry cannot give on demand:
 * scripted HTTP statuses on a loopback server, which counts the requests. The real registry's own
 * answers (409, 40403, auth, TLS) are in the ITs.
 */
class RestClientHttpTest {

  private HttpServer server;
  private final List<String> headers = new CopyOnWriteArrayList<>();
  /** Answers to give, in order: status and body; once used up, 200 with {@code ["a"]}. */
  private final Queue<String[]> script = new ConcurrentLinkedQueue<>();

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      headers.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
      String[] answer = script.poll();
      int status = answer == null ? 200 : Integer.parseInt(answer[0]);
      byte[] body = (answer == null ? "[\"a\"]" : answer[1]).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private RestSchemaRegistryClient.Builder client() {
    return RestSchemaRegistryClient.builder(url()).retries(3).backoff(Duration.ofMillis(10));
  }

  @Test
  void basicCredentialsAreSentAsRfc7617() {
    assertThat(client().basicAuth("svc", "s3cret:x").build().subjects()).containsExactly("a");
    // base64("svc:s3cret:x"): the password may itself hold a colon
    assertThat(headers).containsExactly("Basic c3ZjOnMzY3JldDp4");
  }

  @Test
  void aBearerTokenIsSentAsIs() {
    assertThat(client().bearerToken("t0k.e.n").build().subjects()).containsExactly("a");
    assertThat(headers).containsExactly("Bearer t0k.e.n");
  }

  @Test
  void noCredentialsSendNoHeader() {
    assertThat(client().build().subjects()).containsExactly("a");
    assertThat(headers).containsExactly("null");
  }

  @Test
  void serverErrorsAreRetriedUntilAnAnswer() {
    script.add(new String[] {"503", "{\"error_code\":50301,\"message\":\"busy\"}"});
    script.add(new String[] {"500", "{\"error_code\":50001,\"message\":\"oops\"}"});
    assertThat(client().build().subjects()).containsExactly("a");
    assertThat(headers).hasSize(3);
  }

  @Test
  void serverErrorsPastTheRetriesAreUnavailable() {
    for (int i = 0; i < 4; i++) {
      script.add(new String[] {"503", "{\"error_code\":50301,\"message\":\"busy\"}"});
    }
    assertThatThrownBy(() -> client().build().subjects()).isInstanceOf(RegistryUnavailableException.class)
        .hasMessageContaining("busy").hasMessageContaining("after 4 attempts");
    assertThat(headers).hasSize(4);
  }

  @Test
  void clientErrorsAreNeverRetried() {
    script.add(new String[] {"401", "{\"error_code\":401,\"message\":\"no\"}"});
    assertThatThrownBy(() -> client().build().subjects()).isInstanceOf(RegistryAuthException.class);
    script.add(new String[] {"404", "{\"error_code\":40403,\"message\":\"Schema 9 not found\"}"});
    assertThatThrownBy(() -> client().build().schema(9)).isInstanceOf(SchemaNotFoundException.class)
        .hasMessageContaining("Schema 9 not found");
    script.add(new String[] {"422", "{\"error_code\":42203,\"message\":\"Invalid compatibility level\"}"});
    assertThatThrownBy(() -> client().build().subjects()).isInstanceOf(RegistryException.class)
        .isNotInstanceOf(InvalidSchemaException.class).hasMessageContaining("42203");
    assertThat(headers).as("one request each").hasSize(3);
  }

  @Test
  void anUnreachableUrlFailsOverToTheNext() throws IOException {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort(); // nothing listens there once this closes
    }
    RestSchemaRegistryClient client = RestSchemaRegistryClient.builder(List.of(URI.create("http://127.0.0.1:" + closed),
        URI.create(url()))).retries(3).backoff(Duration.ofMillis(10)).build();
    assertThat(client.subjects()).containsExactly("a");
    assertThat(headers).hasSize(1);
  }
}
