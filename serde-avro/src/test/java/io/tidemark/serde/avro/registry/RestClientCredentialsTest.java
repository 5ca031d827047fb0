package io.tidemark.serde.avro.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The exact {@code Authorization} header each credential kind sends. A real registry that demands
 * bearer tokens is in {@code RegistryAuthIT}; none that checks basic credentials runs here without
 * an identity server, so this loopback server records the header instead.
 */
class RestClientCredentialsTest {

  private HttpServer server;
  private final List<String> headers = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      headers.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
      byte[] body = "[\"a\"]".getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
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

  @Test
  void basicCredentialsAreSentAsRfc7617() {
    RestSchemaRegistryClient client = RestSchemaRegistryClient.builder(url()).basicAuth("svc", "s3cret:x").build();
    assertThat(client.subjects()).containsExactly("a");
    // base64("svc:s3cret:x"): the password may itself hold a colon
    assertThat(headers).containsExactly("Basic c3ZjOnMzY3JldDp4");
  }

  @Test
  void aBearerTokenIsSentAsIs() {
    RestSchemaRegistryClient client = RestSchemaRegistryClient.builder(url()).bearerToken("t0k.e.n").build();
    assertThat(client.subjects()).containsExactly("a");
    assertThat(headers).containsExactly("Bearer t0k.e.n");
  }

  @Test
  void noCredentialsSendNoHeader() {
    RestSchemaRegistryClient client = RestSchemaRegistryClient.builder(url()).build();
    assertThat(client.subjects()).containsExactly("a");
    assertThat(headers).containsExactly("null");
  }
}
