package io.coffer.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * FerretDB v1.24.2 (testkit/bin/ferretdb.sh builds it from the Go module proxy) with its SQLite
 * backend, in a temporary folder on a free port: a second MongoDB-compatible server beside
 * mongo-java-server, so the engine does not depend on one fake's quirks. Real: FerretDB's wire
 * protocol and its command set (it lacks some, e.g. renameCollection with dropTarget). Missing
 * binary: the test is skipped, except under CI=true, where it fails.
 */
public final class FerretDb implements AutoCloseable {
  private final Process process;
  private final Path dir;
  private final int port;
  private final int tlsPort;

  private FerretDb(Process process, Path dir, int port, int tlsPort) {
    this.process = process;
    this.dir = dir;
    this.port = port;
    this.tlsPort = tlsPort;
  }

  /** The built binary, or null. */
  public static Path binary() {
    Path p = Path.of(System.getProperty("user.home"), ".cache/coffer/ferretdb/v1.24.2/ferretdb");
    String env = System.getenv("COFFER_FERRETDB_CACHE");
    if (env != null) p = Path.of(env, "v1.24.2/ferretdb");
    return Files.isExecutable(p) ? p : null;
  }

  /** Starts one, or skips (fails under CI=true) the calling test when it is not built. */
  public static FerretDb start() throws IOException, InterruptedException {
    return start(null);
  }

  /**
   * Starts one that also serves TLS on a port of its own ({@link #tlsUri()}) with {@code pki}'s
   * server certificate, and requires a client certificate signed by {@code pki}'s CA there
   * (FerretDB's {@code --listen-tls-ca-file}).
   */
  public static FerretDb startTls(TestPki pki) throws IOException, InterruptedException {
    return start(pki);
  }

  private static FerretDb start(TestPki pki) throws IOException, InterruptedException {
    Path bin = binary();
    String missing =
        "FerretDB is not built: testkit/bin/ferretdb.sh (the Maven build runs it when Go is on the PATH)";
    if (bin == null && "true".equalsIgnoreCase(System.getenv("CI")))
      Assertions.fail(missing + " - CI=true requires it");
    Assumptions.assumeTrue(bin != null, missing);
    Path dir = Files.createTempDirectory("coffer-ferretdb");
    int port = LocalServer.freePort();
    List<String> cmd =
        new ArrayList<>(
            List.of(
                bin.toString(),
                "--handler=sqlite",
                "--sqlite-url=file:" + dir + "/",
                "--listen-addr=127.0.0.1:" + port,
                // its debug handler defaults to the fixed 127.0.0.1:8088: a free port instead
                "--debug-addr=127.0.0.1:0",
                "--telemetry=disable",
                "--log-level=warn",
                "--state-dir=" + dir));
    int tlsPort = -1;
    if (pki != null) {
      tlsPort = LocalServer.freePort();
      cmd.addAll(
          List.of(
              "--listen-tls=127.0.0.1:" + tlsPort,
              "--listen-tls-cert-file=" + pki.serverCert,
              "--listen-tls-key-file=" + pki.serverKey,
              "--listen-tls-ca-file=" + pki.ca));
    }
    Process p = LocalServer.start("ferretdb", cmd, dir, port);
    return new FerretDb(p, dir, port, tlsPort);
  }

  /**
   * The TLS listener (startTls only): the client must trust the test CA and show its client cert.
   */
  public String tlsUri() {
    if (tlsPort < 0) throw new IllegalStateException("started without TLS");
    return "mongodb://127.0.0.1:" + tlsPort + "/";
  }

  public String uri() {
    return "mongodb://127.0.0.1:" + port + "/";
  }

  @Override
  public void close() {
    LocalServer.stop(process, dir);
  }
}
