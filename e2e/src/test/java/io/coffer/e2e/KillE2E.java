package io.coffer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.engine.BackupDescriptor;
import io.coffer.engine.Engine;
import io.coffer.engine.storage.FileStorage;
import io.coffer.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine killed (SIGKILL, as the OOM killer or a node failure would) at 20 seeded random
 * moments of a backup: a killed backup never reads as complete, a complete one always verifies, the
 * retry with the same id succeeds, and no leftover of the killed attempts remains.
 */
class KillE2E {
  @TempDir Path tmp;

  @Test
  void
      givenTwentyBackupsKilledAtRandomMoments_thenNoneLooksComplete_eachRetrySucceeds_andNothingIsLeftOver()
          throws Exception {
    Path tree = Files.createDirectories(tmp.resolve("uploads"));
    Random r = new Random(42);
    byte[] b = new byte[1 << 20];
    for (int i = 0; i < 6; i++) {
      r.nextBytes(b);
      Files.write(tree.resolve("scan-" + i + ".pdf"), b);
    }
    Files.writeString(tree.resolve("notes.txt"), "kill me softly\n".repeat(1000));
    Path store = tmp.resolve("store");
    FileStorage storage = new FileStorage(store);
    int killedBeforeTheEnd = 0;
    int incomplete = 0;
    for (int i = 0; i < 20; i++) {
      String id = "k" + i;
      String[] args = {
        "backup",
        "--storage",
        "file://" + store,
        "--type",
        "files",
        "--files",
        "uploads=" + tree,
        "--id",
        id,
        "--limit-upload",
        "8",
        "-q"
      };
      Process p = Cli.startLogged(tmp, Map.of(), tmp.resolve("log-" + i + ".txt"), args);
      long delay = 150 + r.nextInt(1600);
      boolean finished = p.waitFor(delay, TimeUnit.MILLISECONDS);
      if (!finished) {
        p.destroyForcibly().waitFor();
        killedBeforeTheEnd++;
      }
      boolean complete =
          Engine.list(storage).backups().stream()
              .anyMatch(l -> l.id().equals(id) && l.descriptor() != null);
      if (finished) assertThat(p.exitValue()).isZero();
      if (complete) {
        // complete-looking means complete: (killed in its last instant, after backup.json, it still
        // is)
        EngineCalls.verify(storage, id, null);
      } else {
        incomplete++;
      }
      // the retry (what the next attempt of the Backup's Job does) succeeds and verifies
      Cli.Result retry = Cli.run(tmp, Map.of(), args);
      assertThat(retry.exit()).as(retry.err()).isIn(0, 2);
      if (retry.exit() == 2)
        assertThat(complete).as("only a complete backup can already exist").isTrue();
      BackupDescriptor d = Engine.descriptor(storage, id);
      EngineCalls.verify(storage, id, null);
      assertThat(d.files()).isEqualTo(7);
      try (Stream<Path> s = Files.list(store.resolve(id))) {
        Set<String> names = s.map(x -> x.getFileName().toString()).collect(Collectors.toSet());
        assertThat(names)
            .as("what " + id + " holds after the retry")
            .containsExactlyInAnyOrder("archive.zip", "manifest.json", "backup.log", "backup.json");
      }
    }
    assertThat(killedBeforeTheEnd)
        .as("the delays do hit running backups")
        .isGreaterThanOrEqualTo(10);
    assertThat(incomplete)
        .as("killed backups left incomplete (and retried)")
        .isGreaterThanOrEqualTo(10);
    assertThat(Engine.list(storage).backups()).hasSize(20).allMatch(l -> l.descriptor() != null);
  }
}
