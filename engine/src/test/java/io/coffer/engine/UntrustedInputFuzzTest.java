package io.coffer.engine;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.crypto.AgeException;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.engine.mongo.BsonStream;
import io.coffer.engine.mongo.DiffApplier;
import io.coffer.engine.mongo.MongoMetadata;
import io.coffer.engine.mongo.MongoRestorer;
import io.coffer.engine.mongo.OplogReplay;
import io.coffer.engine.mongodump.DumpArchive;
import io.coffer.engine.pitr.Slice;
import io.coffer.engine.pitr.Slices;
import io.coffer.engine.pitr.Windows;
import io.coffer.engine.storage.FileStorage;
import io.coffer.protocol.ExitCode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.bson.BsonDocument;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;

/**
 * Coverage-guided fuzzing (Jazzer) of everything Coffer reads from storage: the manifest, the
 * descriptor, an age file, a whole archive through {@code --archive}'s reader, deep verification
 * and a files-only restore into a scratch folder, and a mongodump archive ({@code
 * --from-mongodump}) read to its end with every namespace's metadata parsed. Each input either
 * reads or is refused with an engine error carrying an exit code other than 1; any other exception,
 * and any write outside the scratch target, is a finding. The first byte picks the reader.
 *
 * <p>With {@code JAZZER_FUZZ=1} (the Maven build's default, in a surefire execution of its own) it
 * fuzzes for its {@code maxDuration}; without, it replays the seeds in {@code
 * src/test/resources/.../UntrustedInputFuzzTestInputs} (written by {@link FuzzSeeds}: archives,
 * manifests and age files as Coffer writes them) and any findings kept there. Nothing is simulated:
 * the readers are the engine's own, on real files in a temporary folder.
 */
class UntrustedInputFuzzTest {
  static final Path WORK;
  static final Age.DecryptionKeys KEYS;

  static {
    try {
      WORK = Files.createTempDirectory("coffer-fuzz");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    KEYS =
        new Age.DecryptionKeys(
            List.of(AgeKeys.parseIdentity(FuzzSeeds.IDENTITY)), FuzzSeeds.PASSPHRASE.toCharArray());
  }

  @FuzzTest(maxDuration = "60s")
  void givenAnyBytes_whenReadAsStorageContent_thenReadOrRefusedWithAnEngineError(byte[] input)
      throws Exception {
    if (input.length == 0) return;
    byte[] data = Arrays.copyOfRange(input, 1, input.length);
    try {
      switch (Math.floorMod(input[0], 8)) {
        case 0 -> BackupStore.parseManifest(data, "fuzz");
        case 1 -> descriptor(data);
        case 2 -> age(data);
        case 4 -> mongodump(data);
        case 5 -> oplog(data);
        case 6 -> slice(data);
        default -> archive(data);
      }
    } catch (CofferException e) {
      if (e.code() == ExitCode.INTERNAL)
        throw new AssertionError("an internal error on storage content: " + e.getMessage(), e);
    }
  }

  static void descriptor(byte[] data) throws IOException {
    Path store = WORK.resolve("store");
    Files.createDirectories(store.resolve("fuzz"));
    Files.write(store.resolve("fuzz/backup.json"), data);
    new BackupStore(new FileStorage(store)).descriptor("fuzz");
  }

  static void age(byte[] data) throws IOException {
    try (InputStream in = Age.decrypt(new ByteArrayInputStream(data), KEYS)) {
      in.transferTo(OutputStream.nullOutputStream());
    } catch (AgeException e) {
      // refused: the one way an age file may fail
    } catch (IOException e) {
      if (!(e.getCause() instanceof AgeException)) throw e;
    }
  }

  /**
   * A mongodump archive (gzipped or not): the prelude and its metadata, every block, every CRC, to
   * the end.
   */
  static void mongodump(byte[] data) throws IOException {
    DumpArchive a = DumpArchive.open(new ByteArrayInputStream(data), "fuzz");
    for (DumpArchive.Namespace ns : a.prelude()) {
      if (!ns.metadata().isEmpty()) {
        MongoMetadata.parse(
            ns.metadata().getBytes(StandardCharsets.UTF_8), "fuzz", "view".equals(ns.type()));
      }
    }
    while (a.next() != null) {
      // every document and end is read; the CRCs are checked on the way
    }
  }

  /**
   * An oplog as a backup or a mongodump holds it: every entry read and checked as a restore's
   * replay does (a dry run: nothing written), and each update that passes applied in memory to a
   * document.
   */
  static void oplog(byte[] data) throws IOException {
    OplogReplay.replay(
        new ByteArrayInputStream(data),
        "fuzz",
        new OplogReplay.Targets(Set.of("erp.orders"), null),
        new Progress());
    BsonStream in = new BsonStream(new ByteArrayInputStream(data), "fuzz");
    byte[] raw;
    while ((raw = in.next()) != null) {
      BsonDocument e = new RawBsonDocument(raw).decode(new BsonDocumentCodec());
      if (!"u".equals(e.isString("op") ? e.getString("op").getValue() : "")) continue;
      if (OplogReplay.unreplayable(e) != null) continue; // a replay refuses it before applying
      BsonDocument o = e.getDocument("o");
      try {
        boolean diff =
            o.isNumber("$v") && o.getNumber("$v").intValue() == 2 && o.isDocument("diff");
        if (diff)
          DiffApplier.applyDiff(DOC, o.getDocument("diff")); // as the replay tells them apart
        else if (o.keySet().stream().anyMatch(k -> k.startsWith("$")))
          DiffApplier.applySetUnset(DOC, o);
      } catch (IllegalArgumentException refused) {
        // a replay says: the entry cannot be applied (exit 5)
      }
    }
  }

  /**
   * A slice of the oplog archive (two bytes of descriptor length, the descriptor, the data) in a
   * storage: listed (the descriptor checked), read to its end (every entry's position, the count,
   * size and SHA-256), its window reported and a restore to a moment planned.
   */
  static void slice(byte[] data) throws IOException {
    if (data.length < 2) return;
    int n = Math.min(data.length - 2, ((data[0] & 0xff) << 8) | (data[1] & 0xff));
    Path store = WORK.resolve("slices");
    deleteTree(store);
    Files.createDirectories(store.resolve(Slices.FOLDER));
    Files.write(
        store.resolve(Slices.FOLDER + "/0000000100000000-0000000200000000.json"),
        Arrays.copyOfRange(data, 2, 2 + n));
    byte[] body = Arrays.copyOfRange(data, 2 + n, data.length);
    Files.write(store.resolve(Slices.FOLDER + "/0000000100000000.bson.gz"), body);
    Files.write(store.resolve(Slices.FOLDER + "/0000000100000000.bson.gz.age"), body);
    FileStorage storage = new FileStorage(store);
    Slices.Listing l = Slices.list(storage);
    for (Slice s : l.slices()) Slices.read(storage, s, KEYS, (raw, ts) -> {});
    List<Windows.Base> bases = List.of(new Windows.Base("b", Instant.ofEpochSecond(1)));
    Windows.report(l, bases, null, null);
    Windows.plan(l, bases, Instant.ofEpochSecond(1), null, "fuzz");
  }

  static final BsonDocument DOC =
      BsonDocument.parse("{_id: 1, a: 1, b: {c: 1, d: [1, {e: 2}]}, arr: [1, 2, 3]}");

  /**
   * The archive alone: opened, verified deep, and its file trees restored into a scratch target,
   * which alone may change.
   */
  static void archive(byte[] data) throws IOException {
    Path file = WORK.resolve("archive.zip");
    Files.write(file, data);
    Path target = WORK.resolve("target");
    deleteTree(target);
    Files.createDirectories(target);
    long before = census(WORK);
    ArchiveFile a = ArchiveFile.open(file, KEYS);
    new VerifyEngine(a, new EngineLog(null), new Progress()).run(a.backupId(), true, KEYS);
    try {
      new RestoreEngine(a, new EngineLog(null), new Progress())
          .run(
              new RestoreOptions(
                  a.backupId(),
                  null,
                  KEYS,
                  List.of(),
                  List.of(),
                  List.of(),
                  List.of(),
                  BackupType.FILES,
                  Map.of(),
                  MongoRestorer.Mode.MERGE,
                  Map.of("up", target),
                  false,
                  1));
    } finally {
      long after = census(WORK);
      long restored = census(target);
      if (after - restored != before - 1)
        throw new AssertionError("a restore changed something outside its target");
    }
  }

  /** How many entries lie under {@code root}, links not followed. */
  static long census(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) return 0;
    try (Stream<Path> s = Files.walk(root)) {
      return s.count();
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) return;
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        p.toFile().setWritable(true);
        Files.delete(p);
      }
    }
  }
}
