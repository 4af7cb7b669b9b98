package io.coffer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.demo.Demo;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * `coffer demo` as a newcomer runs it: the whole system on embedded parts, every check of the demo
 * passing.
 */
class DemoE2E {
  @Test
  void givenAFreshCheckout_whenTheDemoRuns_thenEveryCheckHolds_andTheArchiveAndTheCopyAreThere(
      @TempDir Path dir) throws Exception {
    int exit = new CommandLine(new Demo()).execute("--dir", dir.toString(), "--home", "..");
    assertThat(exit).isZero();
    assertThat(dir.resolve("ops.key")).content().contains("AGE-SECRET-KEY-1");
    try (var s = Files.walk(dir.resolve("s3/rayerp-backups/production"))) {
      assertThat(s.filter(p -> p.getFileName().toString().equals("archive.zip.age")).count())
          .isEqualTo(1);
    }
    assertThat(dir.resolve("volumes/rayerp-uploads-restored/hr/contracts/contract-0001.pdf"))
        .hasSameBinaryContentAs(
            dir.resolve("volumes/rayerp-uploads/hr/contracts/contract-0001.pdf"));
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
