package io.coffer.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server the tests run as a process of its own (FerretDB, versitygw): started with its log in its
 * temporary folder, waited for until it listens on its port, stopped and its folder removed.
 */
final class LocalServer {
  private LocalServer() {}

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Starts {@code cmd}, logging to {@code dir/log}, and waits up to 30 s for {@code port}. */
  static Process start(String name, List<String> cmd, Path dir, int port)
      throws IOException, InterruptedException {
    Path log = dir.resolve(name + ".log");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) throw new IOException(name + " ended at start: " + Files.readString(log));
      try (Socket ignored = new Socket("127.0.0.1", port)) {
        return p;
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    p.destroyForcibly();
    throw new IOException(
        name + " did not listen on port " + port + " within 30 s: " + Files.readString(log));
  }

  static void stop(Process process, Path dir) {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try (var files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // a temporary folder
    }
  }
}
