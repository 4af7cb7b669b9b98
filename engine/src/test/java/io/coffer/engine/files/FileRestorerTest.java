package io.coffer.engine.files;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.engine.fs.Name;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restore killed while it moves its checked files into place: the disk is left as the moves had
 * got it (built here step by step as {@link FileRestorer#commit()} makes them), and the next
 * restore into that target finishes those moves first, so the tree is wholly the killed restore's
 * content, never half old and half new.
 */
class FileRestorerTest {
  @TempDir Path dir;

  static final Map<String, String> OLD = Map.of("a.txt", "old a", "sub/b.txt", "old b");
  static final Map<String, String> NEW =
      Map.of("a.txt", "new a", "c.txt", "new c", "docs/d.txt", "new d");

  static final String R1 = "0000aa01";
  static final String R2 = "0000aa02";

  FileRestorer restorer(Path target, boolean replace, String run) {
    return new FileRestorer(
        Map.of("uploads", target), replace, run, new EngineLog(null), new Progress());
  }

  static List<Name> rel(String path) {
    List<Name> out = new ArrayList<>();
    if (!path.isEmpty()) for (String p : path.split("/")) out.add(Name.of(p));
    return out;
  }

  void write(Path root, Map<String, String> files) throws IOException {
    for (var e : files.entrySet()) {
      Files.createDirectories(root.resolve(e.getKey()).getParent());
      Files.writeString(root.resolve(e.getKey()), e.getValue());
    }
  }

  /**
   * Stages NEW for run r1 (as a restore does after reading the archive), and returns the target.
   */
  Path stagedOverOld(boolean replace) throws IOException {
    Path target = dir.resolve("uploads");
    write(target, OLD);
    FileRestorer r1 = restorer(target, replace, R1);
    for (var e : NEW.entrySet()) {
      r1.file(
          "uploads",
          rel(e.getKey()),
          new ByteArrayInputStream(e.getValue().getBytes(StandardCharsets.UTF_8)),
          0644,
          1_700_000_000_000L,
          e.getKey());
    }
    r1.abandon(); // killed: its descriptors and its lock go with the process
    return target;
  }

  static Map<String, String> content(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(Files::isRegularFile).toList())
        out.put(root.relativize(p).toString(), Files.readString(p));
    }
    return out;
  }

  /**
   * What the next restore finds: it finishes the killed one's moves before it stages anything of
   * its own.
   */
  Map<String, String> afterTheNextRestoreStarts(Path target) throws IOException {
    FileRestorer r2 = restorer(target, true, R2);
    r2.directory(
        "uploads",
        rel(""),
        0755,
        1_700_000_000_000L,
        "files/uploads/"); // its first write into the target
    r2.rollback(); // leaves the target as it found it after the recovery
    return content(target);
  }

  @Test
  void givenAReplaceKilledWhileMovingTheOldContentAside_thenTheNextRestoreFinishesIt()
      throws IOException {
    Path target = stagedOverOld(true);
    Files.writeString(target.resolve(".coffer-commit-" + R1), "replace:aside");
    Files.createDirectories(target.resolve(".coffer-old-" + R1));
    Files.move(
        target.resolve("sub"), target.resolve(".coffer-old-" + R1 + "/sub")); // a.txt was next
    assertThat(afterTheNextRestoreStarts(target)).isEqualTo(new TreeMap<>(NEW));
  }

  @Test
  void givenAReplaceKilledWhileMovingTheNewContentIn_thenTheNextRestoreFinishesIt()
      throws IOException {
    Path target = stagedOverOld(true);
    Files.writeString(target.resolve(".coffer-commit-" + R1), "replace:in");
    Files.createDirectories(target.resolve(".coffer-old-" + R1));
    Files.move(target.resolve("sub"), target.resolve(".coffer-old-" + R1 + "/sub"));
    Files.move(target.resolve("a.txt"), target.resolve(".coffer-old-" + R1 + "/a.txt"));
    Files.move(
        target.resolve(".coffer-restore-" + R1 + "/a.txt"),
        target.resolve("a.txt")); // c.txt and docs/ were next
    assertThat(content(target)).doesNotContainKey("c.txt"); // half: what a killed restore leaves
    assertThat(afterTheNextRestoreStarts(target)).isEqualTo(new TreeMap<>(NEW));
  }

  @Test
  void givenAMergeKilledHalfway_thenTheNextRestoreFinishesIt_andKeepsWhatMergeKeeps()
      throws IOException {
    Path target = stagedOverOld(false);
    Files.writeString(target.resolve(".coffer-commit-" + R1), "merge");
    Files.move(
        target.resolve(".coffer-restore-" + R1 + "/a.txt"),
        target.resolve("a.txt"),
        StandardCopyOption.REPLACE_EXISTING);
    Map<String, String> merged = new TreeMap<>(OLD);
    merged.putAll(NEW);
    assertThat(afterTheNextRestoreStarts(target)).isEqualTo(merged);
  }

  @Test
  void givenACommitThatRanToTheEnd_thenNothingOfCoffersOwnIsLeft_andModesAndTimesAreTheBackups()
      throws IOException {
    Path target = dir.resolve("uploads");
    write(target, OLD);
    FileRestorer r = restorer(target, true, R1);
    r.directory("uploads", rel("docs"), 0750, 1_600_000_000_000L, "files/uploads/docs/");
    r.file(
        "uploads",
        rel("docs/d.txt"),
        new ByteArrayInputStream("new d".getBytes(StandardCharsets.UTF_8)),
        0600,
        1_650_000_000_000L,
        "files/uploads/docs/d.txt");
    r.commit();
    try (Stream<Path> s = Files.list(target)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("docs");
    }
    assertThat(Files.getLastModifiedTime(target.resolve("docs/d.txt")).toMillis())
        .isEqualTo(1_650_000_000_000L);
    assertThat(Files.getLastModifiedTime(target.resolve("docs")).toMillis())
        .isEqualTo(1_600_000_000_000L);
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(target.resolve("docs/d.txt"))))
        .isEqualTo("rw-------");
  }

  /**
   * Below the manifest's checks, the restorer itself: a link and a file under its name, in either
   * order.
   */
  @Test
  void givenALinkAndAFileUnderItsName_thenTheRestoreIsRefused_andNothingIsWrittenThroughTheLink()
      throws IOException {
    Path outside = Files.createDirectories(dir.resolve("outside"));
    for (boolean linkFirst : List.of(true, false)) {
      Path target = Files.createDirectories(dir.resolve("t-" + linkFirst));
      FileRestorer r = restorer(target, false, R1);
      Runnable link =
          () -> {
            try {
              r.symlink(
                  "uploads",
                  rel("evil"),
                  outside.toString().getBytes(StandardCharsets.UTF_8),
                  0,
                  "files/uploads/evil");
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          };
      if (linkFirst) link.run();
      r.file(
          "uploads",
          rel("evil/pwned.txt"),
          new ByteArrayInputStream("x".getBytes(StandardCharsets.UTF_8)),
          0644,
          0,
          "files/uploads/evil/pwned.txt");
      if (!linkFirst) link.run();
      org.assertj.core.api.Assertions.assertThatThrownBy(r::commit)
          .isInstanceOf(CofferException.class)
          .hasMessageContaining("collides with another entry");
      r.rollback();
      try (Stream<Path> s = Files.list(outside)) {
        assertThat(s.toList()).isEmpty();
      }
      try (Stream<Path> s = Files.list(target)) {
        assertThat(s.toList()).isEmpty();
      }
    }
  }
}
