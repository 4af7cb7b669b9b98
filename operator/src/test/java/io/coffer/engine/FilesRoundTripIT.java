package io.coffer.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coffer.engine.archive.Compression;
import io.coffer.engine.files.FileTreeDumper;
import io.coffer.engine.mongo.MongoRestorer;
import io.coffer.engine.mongo.Selection;
import io.coffer.engine.storage.FileStorage;
import io.coffer.engine.storage.Storage;
import io.coffer.testing.Tools;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** File trees: content, empty directories, symlinks, modes, mtimes, Unicode names, special files. */
class FilesRoundTripIT {
  @TempDir Path tmp;
  Path src;
  Storage storage;

  @BeforeEach
  void tree() throws IOException {
    src = tmp.resolve("uploads");
    Files.createDirectories(src.resolve("projects/2026/q4"));
    Files.createDirectories(src.resolve("empty/nested-empty"));
    Files.writeString(src.resolve("readme.txt"), "RayERP uploads\n");
    Files.writeString(src.resolve("projects/2026/q4/Angebot für Müller – 見積書.txt"), "ünïcødé content ✓");
    byte[] random = new byte[700_000];
    new Random(7).nextBytes(random);
    Files.write(src.resolve("projects/scan.pdf"), random);
    Files.write(src.resolve("projects/zeros.bin"), new byte[2_000_000]);
    Files.writeString(src.resolve("script.sh"), "#!/bin/sh\necho hi\n");
    Files.setPosixFilePermissions(src.resolve("script.sh"), PosixFilePermissions.fromString("rwxr-x---"));
    Files.setPosixFilePermissions(src.resolve("readme.txt"), PosixFilePermissions.fromString("r--------"));
    Files.createSymbolicLink(src.resolve("latest"), Path.of("projects/scan.pdf"));
    Files.createSymbolicLink(src.resolve("dangling"), Path.of("/nonexistent/target"));
    Files.setLastModifiedTime(src.resolve("projects/scan.pdf"), FileTime.fromMillis(946_684_800_000L));
    Files.setLastModifiedTime(src.resolve("empty"), FileTime.fromMillis(1_600_000_000_000L));
    storage = new FileStorage(tmp.resolve("store"));
  }

  BackupResult backup(String id, Compression c) throws IOException {
    return new BackupEngine(storage, new EngineLog(null), new Progress()).run(new BackupOptions(id, BackupType.FILES, null,
        Selection.all(), List.of(new FileTreeDumper.Tree("uploads", src)), List.of(), List.of(), Encryption.NONE, c, 6, 5));
  }

  RestoreResult restore(String id, Path target, MongoRestorer.Mode mode) throws IOException {
    return new RestoreEngine(storage, new EngineLog(null), new Progress()).run(new RestoreOptions(id, null, null, List.of(), List.of(),
        List.of(), List.of(), null, Map.of(), mode, Map.of("uploads", target), false, 5));
  }

  /** path -> kind, mode, mtime (files and dirs), content or link target. */
  static Map<String, String> describe(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String rel = root.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          out.put(rel, "link->" + Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p)) {
          out.put(rel, "dir " + PosixFilePermissions.toString(Files.getPosixFilePermissions(p))
              + (rel.isEmpty() ? "" : " " + Files.getLastModifiedTime(p).toMillis() / 1000));
        } else {
          out.put(rel, "file " + PosixFilePermissions.toString(Files.getPosixFilePermissions(p)) + " "
              + Files.getLastModifiedTime(p).toMillis() / 1000 + " " + java.util.Arrays.hashCode(Files.readAllBytes(p)));
        }
      }
    }
    return out;
  }

  @Test
  void givenATree_whenBackedUpAndRestored_thenContentModesTimesLinksAndEmptyDirectoriesAreEqual() throws IOException {
    Map<String, String> before = describe(src);
    BackupResult r = backup("f1", Compression.DEFLATE);
    assertThat(r.files()).isEqualTo(7);
    assertThat(r.storedSize()).isLessThan(r.rawSize());
    Path target = tmp.resolve("restored");
    restore("f1", target, MongoRestorer.Mode.REPLACE);
    assertThat(describe(target)).isEqualTo(before);
    assertThat(Files.isSymbolicLink(target.resolve("dangling"))).isTrue();
  }

  @Test
  void givenStoreCompression_whenRoundTripped_thenEqualAndNotCompressed() throws IOException {
    BackupResult r = backup("s1", Compression.STORE);
    assertThat(r.storedSize()).isGreaterThan(r.rawSize());
    Path target = tmp.resolve("r");
    restore("s1", target, MongoRestorer.Mode.REPLACE);
    assertThat(describe(target)).isEqualTo(describe(src));
  }

  @Test
  void givenReplaceOrMerge_whenRestoringOverAnExistingTree_thenExtraFilesGoOrStay() throws IOException {
    backup("m1", Compression.DEFLATE);
    Path target = tmp.resolve("live");
    Files.createDirectories(target.resolve("projects"));
    Files.writeString(target.resolve("projects/new-upload.txt"), "added after the backup");
    Files.writeString(target.resolve("readme.txt"), "changed");
    restore("m1", target, MongoRestorer.Mode.MERGE);
    assertThat(target.resolve("projects/new-upload.txt")).exists();
    assertThat(Files.readString(target.resolve("readme.txt"))).isEqualTo("RayERP uploads\n");
    restore("m1", target, MongoRestorer.Mode.REPLACE);
    assertThat(target.resolve("projects/new-upload.txt")).doesNotExist();
    assertThat(describe(target)).isEqualTo(describe(src));
    try (Stream<Path> s = Files.list(target)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".coffer-"));
    }
  }

  @Test
  void givenADamagedArchive_whenRestoringFiles_thenRefusedAndTheTargetIsUntouched() throws IOException {
    backup("d1", Compression.DEFLATE);
    Path target = tmp.resolve("live");
    Files.createDirectories(target);
    Files.writeString(target.resolve("keep.txt"), "precious");
    Path archive = tmp.resolve("store/d1/archive.zip");
    try (RandomAccessFile f = new RandomAccessFile(archive.toFile(), "rw")) {
      f.seek(f.length() / 2);
      int b = f.read();
      f.seek(f.length() / 2);
      f.write(b ^ 0xff);
    }
    assertThatThrownBy(() -> restore("d1", target, MongoRestorer.Mode.REPLACE)).isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.INTEGRITY));
    try (Stream<Path> s = Files.list(target)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("keep.txt");
    }
    assertThat(Files.readString(target.resolve("keep.txt"))).isEqualTo("precious");
  }

  @Test
  void givenATruncatedArchive_whenVerifyingOrRestoring_thenRefusedAndTheTargetIsUntouched() throws IOException {
    backup("t1", Compression.DEFLATE);
    Path archive = tmp.resolve("store/t1/archive.zip");
    try (RandomAccessFile f = new RandomAccessFile(archive.toFile(), "rw")) {
      f.setLength(f.length() * 2 / 3);
    }
    Path target = tmp.resolve("live");
    Files.createDirectories(target);
    Files.writeString(target.resolve("keep.txt"), "precious");
    assertThatThrownBy(() -> new VerifyEngine(storage, new EngineLog(null), new Progress()).run("t1", true, null))
        .isInstanceOf(CofferException.class).satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.INTEGRITY));
    assertThatThrownBy(() -> restore("t1", target, MongoRestorer.Mode.REPLACE)).isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.INTEGRITY));
    try (Stream<Path> s = Files.list(target)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("keep.txt");
    }
  }

  @Test
  void givenIncludeAndExcludeGlobs_whenBackingUp_thenOnlyMatchingFilesAreTaken() throws IOException {
    BackupResult r = new BackupEngine(storage, new EngineLog(null), new Progress()).run(new BackupOptions("g1", BackupType.FILES, null,
        Selection.all(), List.of(new FileTreeDumper.Tree("uploads", src)), List.of("**.txt", "*.txt"), List.of("empty"),
        Encryption.NONE, Compression.DEFLATE, 1, 5));
    Path target = tmp.resolve("globbed");
    restore("g1", target, MongoRestorer.Mode.REPLACE);
    try (Stream<Path> s = Files.walk(target)) {
      assertThat(s.filter(Files::isRegularFile).map(p -> target.relativize(p).toString()).sorted().toList())
          .containsExactly("projects/2026/q4/Angebot für Müller – 見積書.txt", "readme.txt");
    }
    assertThat(target.resolve("empty")).doesNotExist();
    assertThat(r.files()).isEqualTo(4); // two text files and the two symlinks
  }

  @Test
  void givenAFifo_whenBackingUp_thenItIsReportedAsSkippedNotSilentlyDropped() throws Exception {
    Tools.require("mkfifo");
    assertThat(Tools.run(src, List.of("mkfifo", "pipe")).exit()).isZero();
    BackupResult r = backup("p1", Compression.DEFLATE);
    assertThat(r.skipped()).singleElement().asString().contains("files/uploads/pipe").contains("special file");
    assertThat(r.warnings()).isEqualTo(1);
    String log = new String(storage.open("p1/backup.log").readAllBytes(), StandardCharsets.UTF_8);
    assertThat(log).contains("WARN skipped files/uploads/pipe");
  }

  @Test
  void givenAnUnencryptedFilesBackup_whenUnzipped_thenUnzipRecreatesTheTreeWithLinksAndModes() throws Exception {
    Tools.require("unzip");
    backup("u1", Compression.DEFLATE);
    Tools.Run x = Tools.run(tmp, List.of("unzip", "-q", tmp.resolve("store/u1/archive.zip").toString(), "-d", "x"));
    assertThat(x.exit()).as(x.out()).isZero();
    Path out = tmp.resolve("x/files/uploads");
    assertThat(Files.readSymbolicLink(out.resolve("latest"))).isEqualTo(Path.of("projects/scan.pdf"));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("script.sh")))).isEqualTo("rwxr-x---");
    assertThat(Files.readString(out.resolve("projects/2026/q4/Angebot für Müller – 見積書.txt"))).isEqualTo("ünïcødé content ✓");
    assertThat(out.resolve("empty/nested-empty")).isDirectory();
    assertThat(Files.getLastModifiedTime(out.resolve("projects/scan.pdf"), LinkOption.NOFOLLOW_LINKS).toMillis() / 1000)
        .isBetween(946_684_800L - 2, 946_684_800L + 2);
  }
}
