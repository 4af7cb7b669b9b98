package io.coffer.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A private PKI made by the real {@code openssl} for TLS tests: a CA, a server certificate for
 * 127.0.0.1 and localhost signed by it, a client certificate signed by it (RSA key in PKCS#1, as
 * cert-manager writes {@code tls.key} by default, with {@code clientAuth}), and a second CA that
 * signed nothing the server has (a "wrong CA"). Files live in {@code dir}; nothing is simulated.
 */
public final class TestPki {
  public final Path dir;
  public final Path ca;
  public final Path serverCert;
  public final Path serverKey;
  public final Path clientCert;
  public final Path clientKey;
  public final Path otherCa;

  private TestPki(Path dir) {
    this.dir = dir;
    this.ca = dir.resolve("ca.pem");
    this.serverCert = dir.resolve("server.pem");
    this.serverKey = dir.resolve("server.key");
    this.clientCert = dir.resolve("client.pem");
    this.clientKey = dir.resolve("client.key");
    this.otherCa = dir.resolve("other-ca.pem");
  }

  /** Makes the files in {@code dir} (created when missing). */
  public static TestPki create(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    TestPki p = new TestPki(dir);
    Files.writeString(dir.resolve("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    Files.writeString(
        dir.resolve("client.ext"), "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n");
    ec("ca.key", dir);
    run(
        dir,
        "req",
        "-x509",
        "-new",
        "-key",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "3",
        "-subj",
        "/CN=coffer test CA");
    ec("other-ca.key", dir);
    run(
        dir,
        "req",
        "-x509",
        "-new",
        "-key",
        "other-ca.key",
        "-out",
        "other-ca.pem",
        "-days",
        "3",
        "-subj",
        "/CN=another CA");
    ec("server.key", dir);
    run(dir, "req", "-new", "-key", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
    run(
        dir,
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "3",
        "-extfile",
        "server.ext");
    run(dir, "genrsa", "-traditional", "-out", "client.key", "2048");
    run(
        dir,
        "req",
        "-new",
        "-key",
        "client.key",
        "-out",
        "client.csr",
        "-subj",
        "/CN=coffer-backup/O=coffer");
    run(
        dir,
        "x509",
        "-req",
        "-in",
        "client.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "client.pem",
        "-days",
        "3",
        "-extfile",
        "client.ext");
    return p;
  }

  /** The client certificate and its key in one PEM file, as mongod's tlsCertificateKeyFile. */
  public Path clientCombined() throws IOException {
    Path f = dir.resolve("client-combined.pem");
    Files.writeString(f, Files.readString(clientCert) + Files.readString(clientKey));
    return f;
  }

  private static void ec(String key, Path dir) throws IOException, InterruptedException {
    run(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key);
  }

  /** Runs the real openssl in {@code dir}; fails with its output when it fails. */
  public static void openssl(Path dir, String... args) throws IOException, InterruptedException {
    run(dir, args);
  }

  private static void run(Path dir, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) throw new IOException(String.join(" ", cmd) + " failed: " + out);
  }
}
