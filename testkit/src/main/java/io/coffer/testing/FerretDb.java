package io.coffer.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

  private FerretDb(Process process, Path dir, int port) {
    this.process = process;
    this.dir = dir;
    this.port = port;
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
    Path bin = binary();
    String missing =
        "FerretDB is not built: testkit/bin/ferretdb.sh (the Maven build runs it when Go is on the PATH)";
    if (bin == null && "true".equalsIgnoreCase(System.getenv("CI")))
      Assertions.fail(missing + " - CI=true requires it");
    Assumptions.assumeTrue(bin != null, missing);
    Path dir = Files.createTempDirectory("coffer-ferretdb");
    int port = LocalServer.freePort();
    Process p =
        LocalServer.start(
            "ferretdb",
            List.of(
                bin.toString(),
                "--handler=sqlite",
                "--sqlite-url=file:" + dir + "/",
                "--listen-addr=127.0.0.1:" + port,
                "--telemetry=disable",
                "--log-level=warn",
                "--state-dir=" + dir),
            dir,
            port);
    return new FerretDb(p, dir, port);
  }

  public String uri() {
    return "mongodb://127.0.0.1:" + port + "/";
  }

  @Override
  public void close() {
    LocalServer.stop(process, dir);
  }
}
