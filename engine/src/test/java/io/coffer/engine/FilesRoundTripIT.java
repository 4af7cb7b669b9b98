package io.coffer.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coffer.engine.archive.Compression;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.engine.crypto.Encryption;
import io.coffer.engine.files.FileTreeDumper;
import io.coffer.engine.fs.Dir;
import io.coffer.engine.fs.Name;
import io.coffer.engine.fs.Stat;
import io.coffer.engine.mongo.MongoRestorer;
import io.coffer.engine.mongo.Selection;
import io.coffer.engine.storage.FileStorage;
import io.coffer.engine.storage.Storage;
import io.coffer.protocol.BackupResult;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.RestoreResult;
import io.coffer.testing.Tools;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * File trees: content, empty directories, symlinks, modes, mtimes, Unicode names, special files.
 */
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
    Files.writeString(
        src.resolve("projects/2026/q4/Angebot für Müller – 見積書.txt"), "ünïcødé content ✓");
    byte[] random = new byte[700_000];
    new Random(7).nextBytes(random);
    Files.write(src.resolve("projects/scan.pdf"), random);
    Files.write(src.resolve("projects/zeros.bin"), new byte[2_000_000]);
    Files.writeString(src.resolve("script.sh"), "#!/bin/sh\necho hi\n");
    Files.setPosixFilePermissions(
        src.resolve("script.sh"), PosixFilePermissions.fromString("rwxr-x---"));
    Files.setPosixFilePermissions(
        src.resolve("readme.txt"), PosixFilePermissions.fromString("r--------"));
    Files.createSymbolicLink(src.resolve("latest"), Path.of("projects/scan.pdf"));
    Files.createSymbolicLink(src.resolve("dangling"), Path.of("/nonexistent/target"));
    Files.setLastModifiedTime(
        src.resolve("projects/scan.pdf"), FileTime.fromMillis(946_684_800_000L));
    Files.setLastModifiedTime(src.resolve("empty"), FileTime.fromMillis(1_600_000_000_000L));
    storage = new FileStorage(tmp.resolve("store"));
  }

  BackupResult backup(String id, Compression c) throws IOException {
    return new BackupEngine(storage, new EngineLog(null), new Progress())
        .run(
            new BackupOptions(
                id,
                BackupType.FILES,
                null,
                Selection.all(),
                List.of(new FileTreeDumper.Tree("uploads", src)),
                List.of(),
                List.of(),
                Encryption.NONE,
                c,
                6,
                5));
  }

  RestoreResult restore(String id, Path target, MongoRestorer.Mode mode) throws IOException {
    return new RestoreEngine(storage, new EngineLog(null), new Progress())
        .run(
            new RestoreOptions(
                id,
                null,
                null,
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                null,
                Map.of(),
                mode,
                Map.of("uploads", target),
                false,
                5));
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
          out.put(
              rel,
              "dir "
                  + PosixFilePermissions.toString(Files.getPosixFilePermissions(p))
                  + (rel.isEmpty() ? "" : " " + Files.getLastModifiedTime(p).toMillis() / 1000));
        } else {
          out.put(
              rel,
              "file "
                  + PosixFilePermissions.toString(Files.getPosixFilePermissions(p))
                  + " "
                  + Files.getLastModifiedTime(p).toMillis() / 1000
                  + " "
                  + Arrays.hashCode(Files.readAllBytes(p)));
        }
      }
    }
    return out;
  }

  @Test
  void givenATree_whenBackedUpAndRestored_thenContentModesTimesLinksAndEmptyDirectoriesAreEqual()
      throws IOException {
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
  void givenReplaceOrMerge_whenRestoringOverAnExistingTree_thenExtraFilesGoOrStay()
      throws IOException {
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
  void givenADamagedArchive_whenRestoringFiles_thenRefusedAndTheTargetIsUntouched()
      throws IOException {
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
    assertThatThrownBy(() -> restore("d1", target, MongoRestorer.Mode.REPLACE))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.INTEGRITY));
    try (Stream<Path> s = Files.list(target)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("keep.txt");
    }
    assertThat(Files.readString(target.resolve("keep.txt"))).isEqualTo("precious");
  }

  @Test
  void givenATruncatedArchive_whenVerifyingOrRestoring_thenRefusedAndTheTargetIsUntouched()
      throws IOException {
    backup("t1", Compression.DEFLATE);
    Path archive = tmp.resolve("store/t1/archive.zip");
    try (RandomAccessFile f = new RandomAccessFile(archive.toFile(), "rw")) {
      f.setLength(f.length() * 2 / 3);
    }
    Path target = tmp.resolve("live");
    Files.createDirectories(target);
    Files.writeString(target.resolve("keep.txt"), "precious");
    assertThatThrownBy(
            () ->
                new VerifyEngine(storage, new EngineLog(null), new Progress())
                    .run("t1", true, null))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.INTEGRITY));
    assertThatThrownBy(() -> restore("t1", target, MongoRestorer.Mode.REPLACE))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.INTEGRITY));
    try (Stream<Path> s = Files.list(target)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("keep.txt");
    }
  }

  @Test
  void givenIncludeAndExcludeGlobs_whenBackingUp_thenOnlyMatchingFilesAreTaken()
      throws IOException {
    BackupResult r =
        new BackupEngine(storage, new EngineLog(null), new Progress())
            .run(
                new BackupOptions(
                    "g1",
                    BackupType.FILES,
                    null,
                    Selection.all(),
                    List.of(new FileTreeDumper.Tree("uploads", src)),
                    List.of("**.txt", "*.txt"),
                    List.of("empty"),
                    Encryption.NONE,
                    Compression.DEFLATE,
                    1,
                    5));
    Path target = tmp.resolve("globbed");
    restore("g1", target, MongoRestorer.Mode.REPLACE);
    try (Stream<Path> s = Files.walk(target)) {
      assertThat(
              s.filter(Files::isRegularFile)
                  .map(p -> target.relativize(p).toString())
                  .sorted()
                  .toList())
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
    assertThat(r.skipped())
        .singleElement()
        .asString()
        .contains("files/uploads/pipe")
        .contains("special file");
    assertThat(r.warnings()).isEqualTo(1);
    String log = new String(storage.open("p1/backup.log").readAllBytes(), StandardCharsets.UTF_8);
    assertThat(log).contains("WARN skipped files/uploads/pipe");
  }

  @Test
  void givenAnUnencryptedFilesBackup_whenUnzipped_thenUnzipRecreatesTheTreeWithLinksAndModes()
      throws Exception {
    Tools.require("unzip");
    backup("u1", Compression.DEFLATE);
    Tools.Run x =
        Tools.run(
            tmp, List.of("unzip", "-q", tmp.resolve("store/u1/archive.zip").toString(), "-d", "x"));
    assertThat(x.exit()).as(x.out()).isZero();
    Path out = tmp.resolve("x/files/uploads");
    assertThat(Files.readSymbolicLink(out.resolve("latest")))
        .isEqualTo(Path.of("projects/scan.pdf"));
    assertThat(
            PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("script.sh"))))
        .isEqualTo("rwxr-x---");
    assertThat(Files.readString(out.resolve("projects/2026/q4/Angebot für Müller – 見積書.txt")))
        .isEqualTo("ünïcødé content ✓");
    assertThat(out.resolve("empty/nested-empty")).isDirectory();
    assertThat(
            Files.getLastModifiedTime(out.resolve("projects/scan.pdf"), LinkOption.NOFOLLOW_LINKS)
                    .toMillis()
                / 1000)
        .isBetween(946_684_800L - 2, 946_684_800L + 2);
  }

  /**
   * Every entry under a directory by its raw name bytes (read as ISO-8859-1, so each byte is one
   * char): kind and content.
   */
  static Map<String, String> rawTree(Dir dir, String prefix) throws IOException {
    Map<String, String> out = new TreeMap<>();
    for (Name n : dir.list()) {
      String key = prefix + new String(n.bytes(), StandardCharsets.ISO_8859_1);
      Stat st = dir.stat(n);
      if (st.isDirectory()) {
        out.put(key + "/", "dir");
        try (Dir c = dir.dir(n)) {
          out.putAll(rawTree(c, key + "/"));
        }
      } else if (st.isSymlink()) {
        out.put(key, "link " + new String(dir.readlink(n), StandardCharsets.ISO_8859_1));
      } else {
        try (var in = dir.read(n)) {
          out.put(key, "file " + new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
        }
      }
    }
    return out;
  }

  static Name raw(int... bytes) {
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) b[i] = (byte) bytes[i];
    return Name.of(b);
  }

  @Test
  void givenNamesThatAreNotUtf8_whenRoundTripped_thenEveryNameKeepsItsBytes() throws IOException {
    Path names = Files.createDirectories(tmp.resolve("latin1"));
    try (Dir d = Dir.open(names)) {
      // "M\xfcller" and "M\xfdller" are Latin-1, not UTF-8: as Java strings both would read
      // "M\ufffdller" and collapse
      for (Name n :
          List.of(
              raw('M', 0xfc, 'l', 'l', 'e', 'r'),
              raw('M', 0xfd, 'l', 'l', 'e', 'r'),
              raw('a', '%', 'F', 'F'),
              raw('a', 0xff))) {
        try (var out = d.create(n)) {
          out.write(n.bytes());
          out.finish(0644, 1_700_000_000_000L);
        }
      }
      d.mkdir(raw('d', 0xe9, 'j', 0xe0), 0755);
      try (Dir sub = d.dir(raw('d', 0xe9, 'j', 0xe0));
          var out = sub.create(Name.of("inside.txt"))) {
        out.write("in a Latin-1 folder".getBytes(StandardCharsets.UTF_8));
        out.finish(0644, 1_700_000_000_000L);
      }
      d.symlink(Name.of("link"), new byte[] {'M', (byte) 0xfc, 'l', 'l', 'e', 'r'});
    }
    Map<String, String> before;
    try (Dir d = Dir.open(names)) {
      before = rawTree(d, "");
    }
    BackupResult r =
        new BackupEngine(storage, new EngineLog(null), new Progress())
            .run(
                new BackupOptions(
                    "latin1",
                    BackupType.FILES,
                    null,
                    Selection.all(),
                    List.of(new FileTreeDumper.Tree("uploads", names)),
                    List.of(),
                    List.of(),
                    Encryption.NONE,
                    Compression.DEFLATE,
                    1,
                    5));
    assertThat(r.files()).isEqualTo(6);
    Path target = tmp.resolve("latin1-restored");
    restore("latin1", target, MongoRestorer.Mode.REPLACE);
    try (Dir d = Dir.open(target)) {
      assertThat(rawTree(d, "")).isEqualTo(before);
    }
    assertThat(
            new VerifyEngine(storage, new EngineLog(null), new Progress())
                .run("latin1", true, null)
                .status())
        .isEqualTo("Verified");
  }

  @Test
  void
      givenATreeThatFitsThePathLimitOnlyWhereItWas_whenRestoredUnderALongerPath_thenEveryLevelIsWritten()
          throws IOException {
    Path deep = Files.createDirectories(tmp.resolve("d"));
    int levels =
        (4000 - deep.toString().length())
            / 13; // each level "level-nnnnnn/": the source's paths stay under 4096
    Path p = deep;
    for (int i = 0; i < levels; i++) p = p.resolve(String.format("level-%06d", i));
    Files.createDirectories(p);
    Files.writeString(p.resolve("bottom.txt"), "at the bottom");
    new BackupEngine(storage, new EngineLog(null), new Progress())
        .run(
            new BackupOptions(
                "deep",
                BackupType.FILES,
                null,
                Selection.all(),
                List.of(new FileTreeDumper.Tree("uploads", deep)),
                List.of(),
                List.of(),
                Encryption.NONE,
                Compression.DEFLATE,
                1,
                5));
    // under this target (and its staging folder) the bottom's path is longer than PATH_MAX: only
    // descriptors reach it
    Path target =
        Files.createDirectories(
            tmp.resolve(
                "a-restore-target-whose-path-is-much-longer-than-where-the-tree-came-from"
                    .repeat(3)));
    restore("deep", target, MongoRestorer.Mode.REPLACE);
    Dir cur = Dir.open(target);
    for (int i = 0; i < levels; i++) {
      Dir next = cur.dir(Name.of(String.format("level-%06d", i)));
      cur.close();
      cur = next;
    }
    try (Dir bottom = cur;
        var in = bottom.read(Name.of("bottom.txt"))) {
      assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("at the bottom");
    }
    assertThat(target.toString().length() + levels * 13L).isGreaterThan(4096);
    try (Dir parent = Dir.open(target.getParent())) {
      parent.deleteTree(
          Name.of(target.getFileName().toString())); // past PATH_MAX, JUnit's own cleanup cannot
    }
  }

  @Test
  void givenATreeRootThatIsALinkToADirectory_whenBackedUp_thenTheDirectoryIsWhatIsStored()
      throws IOException {
    Path link = Files.createSymbolicLink(tmp.resolve("uploads-link"), src);
    BackupResult r =
        new BackupEngine(storage, new EngineLog(null), new Progress())
            .run(
                new BackupOptions(
                    "via-link",
                    BackupType.FILES,
                    null,
                    Selection.all(),
                    List.of(new FileTreeDumper.Tree("uploads", link)),
                    List.of(),
                    List.of(),
                    Encryption.NONE,
                    Compression.DEFLATE,
                    1,
                    5));
    assertThat(r.files()).isEqualTo(7);
    Path target = tmp.resolve("from-link");
    restore("via-link", target, MongoRestorer.Mode.REPLACE);
    assertThat(describe(target)).isEqualTo(describe(src));
  }
}
