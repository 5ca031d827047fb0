package io.tidemark.testkit.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A TLS endpoint on loopback that demands a client certificate and relays each connection's bytes
 * to a plain port: the JDK's own TLS, in front of a server whose client-certificate setting is
 * fixed when it is built (Quarkus fixes {@code quarkus.http.ssl.client-auth} at build time).
 */
public final class TlsRelay implements AutoCloseable {

  private final SSLServerSocket server;
  private final int target;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;

  private TlsRelay(SSLServerSocket server, int target) {
    this.server = server;
    this.target = target;
    this.acceptor = new Thread(this::acceptLoop, "tls-relay-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /**
   * Listens on a free loopback port with the key of {@code keyStore}, accepts only clients whose
   * certificate {@code trustStore} trusts, and relays to {@code 127.0.0.1:target}.
   */
  public static TlsRelay start(Path keyStore, Path trustStore, String password, int target) {
    try {
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(load(keyStore, password), password.toCharArray());
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(load(trustStore, password));
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory()
          .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
      server.setNeedClientAuth(true);
      return new TlsRelay(server, target);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start a TLS relay to port " + target, e);
    } catch (Exception e) {
      throw new IllegalStateException("cannot set up TLS for the relay to port " + target + ": " + e, e);
    }
  }

  private static KeyStore load(Path path, String password) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(path)) {
      store.load(in, password.toCharArray());
    }
    return store;
  }

  /** The TLS port. */
  public int port() {
    return server.getLocalPort();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      open.add(client);
      Thread t = new Thread(() -> relay(client), "tls-relay-conn");
      t.setDaemon(true);
      t.start();
    }
  }

  private void relay(Socket client) {
    try (client; Socket upstream = new Socket()) {
      upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 5_000);
      open.add(upstream);
      // the handshake happens on the first read: a client without a trusted certificate fails here
      Thread back = new Thread(() -> pump(upstream, client), "tls-relay-back");
      back.setDaemon(true);
      back.start();
      pump(client, upstream);
      back.join(5_000);
    } catch (IOException e) {
      // a refused handshake or a closed peer ends this connection only
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      open.remove(client);
    }
  }

  private void pump(Socket from, Socket to) {
    byte[] buffer = new byte[16 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // either side closed
    } finally {
      closeQuietly(from);
      closeQuietly(to);
      open.remove(from);
      open.remove(to);
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing
    }
  }

  /** Stops listening and closes every relayed connection. */
  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException ignored) {
      // closing
    }
    open.forEach(TlsRelay::closeQuietly);
    open.clear();
  }
}
