package io.coffer.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * versitygw v1.8.0 (testkit/bin/versitygw.sh builds it from the Go module proxy): a real S3 server
 * whose POSIX backend keeps buckets in a temporary folder, with Object Lock (retention, legal
 * holds), conditional writes ({@code If-None-Match}) and bucket policies, none of which S3Proxy
 * has. Started on a free port with a root user ({@link #ACCESS_KEY}); run without a versioning
 * folder, so a locked object cannot be deleted or overwritten at all (with versioning, as on AWS, a
 * delete would add a delete marker and leave the locked version). Missing binary: the test is
 * skipped, except under CI=true, where it fails.
 */
public final class Versitygw implements AutoCloseable {
  public static final String VERSION = "v1.8.0";
  public static final String ACCESS_KEY = "coffer-vgw-root";
  public static final String SECRET_KEY = "coffer-vgw-root-Secr3t-Key";

  private final Process process;
  private final Path dir;
  private final int port;

  private Versitygw(Process process, Path dir, int port) {
    this.process = process;
    this.dir = dir;
    this.port = port;
  }

  /** The built binary, or null. */
  public static Path binary() {
    String env = System.getenv("COFFER_VERSITYGW_CACHE");
    Path root =
        env != null
            ? Path.of(env)
            : Path.of(System.getProperty("user.home"), ".cache/coffer/versitygw");
    Path p = root.resolve(VERSION).resolve("versitygw");
    return Files.isExecutable(p) ? p : null;
  }

  /** Starts one, or skips (fails under CI=true) the calling test when it is not built. */
  public static Versitygw start() throws IOException, InterruptedException {
    Path bin = binary();
    String missing =
        "versitygw is not built: testkit/bin/versitygw.sh (the Maven build runs it when Go is on the PATH)";
    if (bin == null && "true".equalsIgnoreCase(System.getenv("CI")))
      Assertions.fail(missing + " - CI=true requires it");
    Assumptions.assumeTrue(bin != null, missing);
    Path dir = Files.createTempDirectory("coffer-versitygw");
    Files.createDirectories(dir.resolve("data"));
    Files.createDirectories(dir.resolve("iam"));
    int port = LocalServer.freePort();
    List<String> cmd = new ArrayList<>();
    cmd.add(bin.toString());
    cmd.add("--port");
    cmd.add("127.0.0.1:" + port);
    cmd.add("--access");
    cmd.add(ACCESS_KEY);
    cmd.add("--secret");
    cmd.add(SECRET_KEY);
    cmd.add("--region");
    cmd.add("us-east-1");
    cmd.add("--iam-dir");
    cmd.add(dir.resolve("iam").toString());
    cmd.add("--quiet");
    cmd.add("posix");
    cmd.add(dir.resolve("data").toString());
    return new Versitygw(LocalServer.start("versitygw", cmd, dir, port), dir, port);
  }

  /**
   * Creates a user of role {@code user} (its own buckets only, unless a bucket policy grants more)
   * through the gateway's admin API, with versitygw's own admin command.
   */
  public void createUser(String access, String secret) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                binary().toString(),
                "admin",
                "--access",
                ACCESS_KEY,
                "--secret",
                SECRET_KEY,
                "--endpoint-url",
                endpoint(),
                "create-user",
                "--access",
                access,
                "--secret",
                secret,
                "--role",
                "user")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) throw new IOException("versitygw admin create-user failed: " + out);
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  /** The folder its buckets live in (a bucket is a directory, an object a file). */
  public Path data() {
    return dir.resolve("data");
  }

  @Override
  public void close() {
    LocalServer.stop(process, dir);
  }
}
