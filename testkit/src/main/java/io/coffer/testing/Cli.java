package io.coffer.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code coffer} as its own process (as a Job pod or a person would), with a chosen
 * environment.
 */
public final class Cli {
  private Cli() {}

  public record Result(int exit, String out, String err) {}

  /**
   * Runs coffer with its standard output and error going, as they come, to one log file; returns
   * the exit code.
   */
  public static int runLogged(Path dir, Map<String, String> env, Path log, String... args)
      throws IOException, InterruptedException {
    Process p = startLogged(dir, env, log, args);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("coffer timed out: " + List.of(args));
    }
    return p.exitValue();
  }

  /** Starts coffer with its standard output and error going, as they come, to one log file. */
  public static Process startLogged(Path dir, Map<String, String> env, Path log, String... args)
      throws IOException {
    Process p =
        builder(dir, env, args).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    p.getOutputStream().close();
    return p;
  }

  private static ProcessBuilder builder(Path dir, Map<String, String> env, String... args) {
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                cp,
                "io.coffer.cli.Main"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("COFFER_") || k.startsWith("AWS_"));
    pb.environment().putAll(env);
    return pb;
  }

  public static Result run(Path dir, Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    return run(builder(dir, env, args));
  }

  /** Runs coffer with {@code input} on its standard input (as {@code cat input | coffer ...}). */
  public static Result runWithInput(Path dir, Map<String, String> env, Path input, String... args)
      throws IOException, InterruptedException {
    return run(builder(dir, env, args).redirectInput(input.toFile()));
  }

  /**
   * Runs coffer with the largest file it may write capped ({@code ulimit -f}, KiB): writes beyond
   * fail as on a full disk (EFBIG instead of ENOSPC; the JVM ignores SIGXFSZ).
   */
  public static Result runWithFileLimit(
      Path dir, Map<String, String> env, long maxFileKiB, String... args)
      throws IOException, InterruptedException {
    ProcessBuilder pb = builder(dir, env, args);
    List<String> cmd =
        new ArrayList<>(
            List.of("bash", "-c", "ulimit -f " + maxFileKiB + " && exec \"$0\" \"$@\""));
    cmd.addAll(pb.command());
    return run(pb.command(cmd));
  }

  private static Result run(ProcessBuilder pb) throws IOException, InterruptedException {
    String[] args = pb.command().toArray(String[]::new);
    Path dir = pb.directory().toPath();
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    if (pb.redirectInput() == ProcessBuilder.Redirect.PIPE) p.getOutputStream().close();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("coffer timed out: " + List.of(args));
    }
    Result r =
        new Result(
            p.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
    Files.delete(out);
    Files.delete(err);
    return r;
  }
}
