package io.coffer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.demo.Demo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * `coffer demo` as a newcomer runs it: the whole system on embedded parts, every check of the demo
 * passing; with --keep, ended by Ctrl-C or SIGTERM, leaving nothing running and no folder behind.
 * The kept demos run as processes of their own (the JVM `./coffer demo` starts), on the real
 * control plane; the signals are real. What the demo itself simulates, it says.
 */
class DemoE2E {
  /**
   * Ctrl-C in a terminal: SIGINT to the demo's whole process group (the JVM and every process it
   * started get it).
   */
  @Test
  void givenAKeptDemo_whenCtrlCIsPressed_thenEverythingItStartedEndsWithin10s_andItsFolderIsGone(
      @TempDir Path tmp) throws Exception {
    Kept demo = Kept.start(tmp);
    Path dir = demo.dir();
    assertThat(dir.resolve("ops.key")).content().contains("AGE-SECRET-KEY-1");
    try (var s = Files.walk(dir.resolve("s3/rayerp-backups/production"))) {
      assertThat(s.filter(p -> p.getFileName().toString().equals("archive.zip.age")).count())
          .isEqualTo(1);
    }
    assertThat(dir.resolve("volumes/rayerp-uploads-restored/hr/contracts/contract-0001.pdf"))
        .hasSameBinaryContentAs(
            dir.resolve("volumes/rayerp-uploads/hr/contracts/contract-0001.pdf"));
    demo.endsWithin10s("-INT", "-" + demo.process.pid());
  }

  /** SIGTERM to the JVM alone (kill PID, a service manager): its children get no signal. */
  @Test
  void givenAKeptDemo_whenItsJvmGetsSigterm_thenEverythingItStartedEndsWithin10s_andItsFolderIsGone(
      @TempDir Path tmp) throws Exception {
    Kept demo = Kept.start(tmp);
    demo.endsWithin10s("-TERM", String.valueOf(demo.process.pid()));
  }

  /** A `./coffer demo --keep` of its own: its temporary folder made inside {@code tmp}. */
  record Kept(Process process, Path tmp, Path log) {
    static Kept start(Path tmp) throws Exception {
      Path log = tmp.resolve("demo.log");
      Path temp = Files.createDirectories(tmp.resolve("t"));
      Process p =
          new ProcessBuilder(
                  "setsid",
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-Xmx1g",
                  "-Djava.io.tmpdir=" + temp,
                  "-cp",
                  System.getProperty("java.class.path"),
                  Demo.class.getName(),
                  "--keep",
                  "--home",
                  Path.of("..").toAbsolutePath().normalize().toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      Kept k = new Kept(p, temp, log);
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
      while (!Files.readString(log).contains("Still running (Ctrl-C ends it)")) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          p.destroyForcibly();
          throw new AssertionError("the demo did not come up:\n" + Files.readString(log));
        }
        Thread.sleep(200);
      }
      return k;
    }

    /** The folder the demo made for itself. */
    Path dir() throws IOException {
      try (Stream<Path> s = Files.list(tmp)) {
        return s.filter(d -> d.getFileName().toString().startsWith("coffer-demo-"))
            .findFirst()
            .orElseThrow();
      }
    }

    void endsWithin10s(String signal, String target) throws Exception {
      Path dir = dir();
      List<ProcessHandle> started = process.descendants().toList();
      assertThat(started)
          .as("the control plane and the node's pods run as processes of the demo")
          .isNotEmpty();
      long start = System.nanoTime();
      Process kill = new ProcessBuilder("kill", signal, "--", target).inheritIO().start();
      assertThat(kill.waitFor()).isZero();
      boolean ended = process.waitFor(10, TimeUnit.SECONDS);
      long deadline = start + TimeUnit.SECONDS.toNanos(10);
      for (ProcessHandle h : started) {
        long left = deadline - System.nanoTime();
        if (left > 0) {
          try {
            h.onExit().get(left, TimeUnit.NANOSECONDS);
          } catch (Exception e) {
            // asserted below
          }
        }
      }
      List<String> alive =
          started.stream()
              .filter(ProcessHandle::isAlive)
              .map(h -> h.pid() + " " + h.info().commandLine().orElse("?"))
              .toList();
      started.forEach(ProcessHandle::destroyForcibly);
      if (!ended) process.destroyForcibly();
      assertThat(ended).as("the demo's JVM ended within 10 s:\n" + Files.readString(log)).isTrue();
      assertThat(alive).as("processes the demo started, still running after 10 s").isEmpty();
      assertThat(dir).as("the demo's folder is removed").doesNotExist();
      assertThat(Files.readString(log)).contains("coffer demo: stopped");
    }
  }

  /**
   * The fresh machine's path: `./coffer demo` builds without the control plane, so the demo runs on
   * fabric8's mock.
   */
  @Test
  void givenNoControlPlane_whenTheDemoRunsOnTheMock_thenEveryCheckHoldsThereToo(@TempDir Path dir)
      throws Exception {
    int exit =
        new CommandLine(new Demo()).execute("--dir", dir.toString(), "--home", "..", "--mock");
    assertThat(exit).isZero();
    try (var s = Files.walk(dir.resolve("s3/rayerp-backups/production"))) {
      assertThat(s.filter(p -> p.getFileName().toString().equals("archive.zip.age")).count())
          .isEqualTo(1);
    }
  }

  @Test
  void givenNoCheckout_whenTheDemoRuns_thenItSaysWhatIsMissingInOneLine(@TempDir Path dir) {
    int exit = new CommandLine(new Demo()).execute("--home", dir.toString());
    assertThat(exit).isEqualTo(2);
  }
}
