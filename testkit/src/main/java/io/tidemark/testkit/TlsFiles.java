package io.tidemark.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Throw-away TLS material for tests, made with the running JDK's {@code keytool}: a server key
 * pair whose self-signed certificate names {@code 127.0.0.1} and {@code localhost}, a client key
 * pair for mutual TLS, and the two truststores that trust each of them. All stores are PKCS12
 * with one random password ({@link #password()}).
 */
public final class TlsFiles {

  private final Path dir;
  private final String password;

  private TlsFiles(Path dir, String password) {
    this.dir = dir;
    this.password = password;
  }

  /** Generates the files into {@code dir} (created if missing); takes about a second. */
  public static TlsFiles generate(Path dir) {
    try {
      Files.createDirectories(dir);
      byte[] random = new byte[12];
      new SecureRandom().nextBytes(random);
      TlsFiles files = new TlsFiles(dir, HexFormat.of().formatHex(random));
      files.keyPair("server.p12", "server", "CN=localhost", "SAN=ip:127.0.0.1,dns:localhost");
      files.keyPair("client.p12", "client", "CN=tidemark-test-client", null);
      files.trust("server.p12", "server", "server-truststore.p12");
      files.trust("client.p12", "client", "client-truststore.p12");
      return files;
    } catch (IOException e) {
      throw new ServerStartException("cannot write TLS test files under " + dir + ": " + e, e);
    }
  }

  /** The password of every store here. */
  public String password() {
    return password;
  }

  /** The server's key and certificate. */
  public Path serverKeyStore() {
    return dir.resolve("server.p12");
  }

  /** Trusts the server's certificate: what a client needs. */
  public Path serverTrustStore() {
    return dir.resolve("server-truststore.p12");
  }

  /** The client's key and certificate, for mutual TLS. */
  public Path clientKeyStore() {
    return dir.resolve("client.p12");
  }

  /** Trusts the client's certificate: what a server demanding client certificates needs. */
  public Path clientTrustStore() {
    return dir.resolve("client-truststore.p12");
  }

  private void keyPair(String store, String alias, String dname, String extension) throws IOException {
    List<String> args = new ArrayList<>(List.of("-genkeypair", "-alias", alias, "-keyalg", "EC", "-groupname",
        "secp256r1", "-validity", "2", "-dname", dname, "-storetype", "PKCS12",
        "-keystore", dir.resolve(store).toString(), "-storepass", password));
    if (extension != null) {
      args.addAll(List.of("-ext", extension));
    }
    keytool(args);
  }

  private void trust(String keyStore, String alias, String trustStore) throws IOException {
    Path cert = dir.resolve(alias + ".crt");
    keytool(List.of("-exportcert", "-rfc", "-alias", alias, "-keystore", dir.resolve(keyStore).toString(),
        "-storepass", password, "-file", cert.toString()));
    keytool(List.of("-importcert", "-noprompt", "-alias", alias, "-file", cert.toString(), "-storetype", "PKCS12",
        "-keystore", dir.resolve(trustStore).toString(), "-storepass", password));
  }

  private static void keytool(List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(args);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("keytool " + args.get(0) + " did not finish within 60 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted while running keytool", e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IOException("keytool " + args.get(0) + " exited " + p.exitValue() + ": " + out.strip());
    }
  }
}
