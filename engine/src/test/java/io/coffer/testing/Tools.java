package io.coffer.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * External CLIs the tests check interop with: skipped with a message when missing, failed under
 * CI=true.
 */
public final class Tools {
  private Tools() {}

  public static void require(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Path.of(dir, tool).toFile().canExecute()) return;
    }
    String msg =
        "'"
            + tool
            + "' is not installed (apt-get install -y age unzip 7zip); interop check skipped";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(msg + " - but CI=true requires it");
    Assumptions.abort(msg);
  }

  public record Run(int exit, String out) {}

  /** Runs a command, returning its exit code and combined output. */
  public static Run run(Path dir, List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("timed out: " + cmd);
    }
    return new Run(p.exitValue(), out);
  }
}
