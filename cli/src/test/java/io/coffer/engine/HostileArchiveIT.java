package io.coffer.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.engine.archive.Manifest;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.engine.fs.Dir;
import io.coffer.testing.Cli;
import io.coffer.testing.Coffer;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.Forger;
import io.coffer.testing.World;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Archives from an attacker who can write to the bucket (or hand an admin an "uploaded backup"):
 * each is forged by {@link Forger} with every size and SHA-256 rewritten to match, so only the
 * content is hostile. Each test runs {@code coffer restore --storage}, {@code --archive} and {@code
 * verify --deep} on it (in this JVM, as the CLI's main does; MongoDB is mongo-java-server over the
 * real driver) and checks the exit code, the one error line, and that the sandbox (the target, a
 * folder outside it, everything but the storage) is exactly as it was.
 */
class HostileArchiveIT {
  @TempDir Path sandbox;
  Path store;
  Path target;
  Path outside;
  static MongoServer mongo;
  static MongoClient client;
  static final BsonDocument DOC =
      new BsonDocument("_id", new BsonInt32(1)).append("name", new BsonString("Ada"));

  @BeforeAll
  static void startMongo() {
    mongo = EmbeddedServers.mongo();
    client = MongoClients.create(EmbeddedServers.uri(mongo));
  }

  @AfterAll
  static void stopMongo() {
    client.close();
    mongo.shutdownNow();
  }

  @BeforeEach
  void world() throws IOException {
    store = Files.createDirectories(sandbox.resolve("store"));
    target = Files.createDirectories(sandbox.resolve("target"));
    outside = Files.createDirectories(sandbox.resolve("outside"));
    Files.writeString(target.resolve("keep.txt"), "the user's own file");
    Files.writeString(outside.resolve("secret.txt"), "must never change");
    Files.createDirectories(outside.resolve("etc"));
  }

  /** The sandbox without the storage: what no restore of a hostile archive may change. */
  Map<String, String> snapshot() throws IOException {
    Map<String, String> all = World.snapshot(sandbox);
    all.keySet()
        .removeIf(
            k ->
                k.equals("store")
                    || k.startsWith("store/")
                    || k.startsWith("out") && k.endsWith(".txt") && !k.startsWith("outside"));
    return all;
  }

  String storage() {
    return "file://" + store;
  }

  /** Restores the forged backup (merge: no confirmation needed) into the target. */
  Coffer.Run restore(Forger f, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "restore",
                "--storage",
                storage(),
                "--backup",
                f.id(),
                "--mode",
                "merge",
                "--mongodb-uri",
                EmbeddedServers.uri(mongo),
                "--progress",
                "none"));
    if (f.hasTrees()) args.addAll(List.of("--files-target", "up=" + target));
    args.addAll(List.of(extra));
    return Coffer.run(args.toArray(String[]::new));
  }

  /**
   * The forged backup refused the same way through the three readers: restore from storage, restore
   * of the archive file alone, deep verification; each with {@code exit}, one error line holding
   * {@code message}, the world unchanged.
   */
  void refusedEverywhere(Forger f, int exit, String message) throws IOException {
    refusedEverywhere(f, exit, message, true);
  }

  /**
   * {@code archiveToo} false: what only a storage location can get wrong (the archive alone names
   * its own backup).
   */
  void refusedEverywhere(Forger f, int exit, String message, boolean archiveToo)
      throws IOException {
    f.writeTo(store);
    Map<String, String> before = snapshot();
    Coffer.Run r = restore(f);
    assertRefused(r, exit, message);
    assertThat(snapshot()).as("nothing changed by restore --storage").isEqualTo(before);

    Coffer.Run v = Coffer.run("verify", "--storage", storage(), "--backup", f.id(), "--deep");
    assertRefused(v, exit == 2 ? 5 : exit, null);

    if (!archiveToo) return;
    Path file = f.writeArchive(sandbox.resolve("store/" + f.id() + ".zip"));
    List<String> args =
        new ArrayList<>(
            List.of(
                "restore",
                "--archive",
                file.toString(),
                "--mode",
                "merge",
                "--mongodb-uri",
                EmbeddedServers.uri(mongo),
                "--progress",
                "none"));
    if (f.hasTrees()) args.addAll(List.of("--files-target", "up=" + target));
    Coffer.Run a = Coffer.run(args.toArray(String[]::new));
    assertRefused(a, exit, null);
    assertThat(snapshot()).as("nothing changed by restore --archive").isEqualTo(before);
  }

  static void assertRefused(Coffer.Run r, int exit, String message) {
    assertThat(r.exit()).as(r.all()).isEqualTo(exit);
    List<String> errors = r.err().lines().filter(l -> l.startsWith("coffer: error:")).toList();
    assertThat(errors).as(r.err()).hasSize(1);
    assertThat(errors.get(0)).doesNotContain("unexpected error").doesNotContain("Exception");
    if (message != null) assertThat(errors.get(0)).contains(message);
  }

  Forger forged(String id) {
    return new Forger(id).directory("up", "");
  }

  // 1. Nothing outside the target, whatever the entry order, names or link targets

  @Test
  void
      givenALinkToAnAbsolutePathAndAFileUnderIt_whenRestored_thenRefusedAndNothingOutsideIsWritten()
          throws IOException {
    refusedEverywhere(
        forged("link-abs")
            .symlink("up", "evil", outside.toString())
            .file("up", "evil/pwned.txt", "owned"),
        5,
        "under a file or a link");
  }

  @Test
  void givenARelativeLinkOutAndADirectoryAndFileThroughIt_whenRestored_thenRefused()
      throws IOException {
    refusedEverywhere(
        forged("link-rel")
            .symlink("up", "evil", "../outside")
            .directory("up", "evil/etc")
            .file("up", "evil/etc/passwd", "x"),
        5,
        "under a file or a link");
  }

  @Test
  void givenNamesThatNormaliseOntoOthers_whenRestored_thenEachIsRefused() throws IOException {
    for (String bad :
        List.of("./evil.txt", "a//b.txt", "a/../../outside/secret.txt", "../outside/secret.txt")) {
      world();
      refusedEverywhere(
          forged("norm-" + Integer.toHexString(bad.hashCode())).file("up", bad, "x"), 5, "with ");
    }
    refusedEverywhere(
        new Forger("abs")
            .add(
                "/etc/passwd",
                "x".getBytes(),
                0100644,
                Forger.record("/etc/passwd", Manifest.Kind.file, "x".getBytes(), "up", 0644, null)),
        5,
        "outside its tree's folder");
    refusedEverywhere(forged("nul").file("up", "a\u0000b", "x"), 5, "NUL");
    refusedEverywhere(
        forged("twice").file("up", "a.txt", "one").file("up", "a.txt", "two"), 5, "twice");
  }

  @Test
  void givenALinkOutThatIsRestoredAsALink_thenALaterMergeWithADirectoryThereWritesNothingThroughIt()
      throws IOException {
    Forger first = forged("link-only").symlink("up", "docs", outside.toString());
    first.writeTo(store);
    Coffer.Run r = restore(first);
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(Files.readSymbolicLink(target.resolve("docs")))
        .isEqualTo(outside); // a link, restored as a link
    Map<String, String> outsideBefore = World.snapshot(outside);
    Forger second =
        forged("dir-there").directory("up", "docs").file("up", "docs/secret.txt", "overwritten?");
    second.writeTo(store);
    Coffer.Run m = restore(second);
    assertThat(m.exit()).as(m.all()).isZero();
    assertThat(World.snapshot(outside)).isEqualTo(outsideBefore);
    assertThat(Files.isSymbolicLink(target.resolve("docs"))).isFalse();
    assertThat(Files.readString(target.resolve("docs/secret.txt"))).isEqualTo("overwritten?");
  }

  // 2. Coffer's own working names cannot come from an archive; planted state is never followed

  @Test
  void givenAnArchiveCarryingCoffersRestoreState_whenRestored_thenRefused() throws IOException {
    refusedEverywhere(
        forged("plant")
            .file("up", ".coffer-commit-0000beef", "replace:in")
            .symlink("up", ".coffer-restore-0000beef", outside.toString()),
        5,
        "reserves for its own restore state");
  }

  @Test
  void
      givenRestoreStatePlantedInTheTarget_whenAHarmlessRestoreRuns_thenItFollowsNothingAndTouchesNothingOutside()
          throws IOException {
    Forger harmless = forged("harmless").file("up", "a.txt", "fine");
    harmless.writeTo(store);
    String[][] plants = {
      {
        ".coffer-commit-0000beef", "replace:in", ".coffer-restore-0000beef"
      }, // staging is a link out
      {".coffer-commit-0000beef", "replace:aside", ".coffer-old-0000beef"}, // old is a link out
      {".coffer-commit-0000beef", "no such step", null},
      {".coffer-commit-notarun", "merge", null}
    };
    for (String[] p : plants) {
      world();
      Files.writeString(target.resolve(p[0]), p[1]);
      if (p[2] != null) Files.createSymbolicLink(target.resolve(p[2]), outside);
      Map<String, String> before = snapshot();
      Coffer.Run r = restore(harmless);
      assertRefused(r, 3, "looks like Coffer's restore state");
      assertThat(snapshot()).isEqualTo(before);
      cleanTarget();
    }
    world();
    Path outsideMarker = Files.writeString(outside.resolve("marker"), "replace:in");
    Files.createSymbolicLink(
        target.resolve(".coffer-commit-0000beef"), outsideMarker); // the marker itself a link
    Map<String, String> before = snapshot();
    assertRefused(restore(harmless), 3, "not a regular file");
    assertThat(snapshot()).isEqualTo(before);
  }

  void cleanTarget() throws IOException {
    try (var s = Files.list(target)) {
      for (Path p : s.toList()) if (!p.getFileName().toString().equals("keep.txt")) Files.delete(p);
    }
  }

  // 3. Where a tree goes is the user's choice, never the manifest's

  @Test
  void givenAManifestNamingWhereItsTreeCameFrom_whenRestoredWithoutATarget_thenRefused()
      throws IOException {
    Forger f =
        forged("elsewhere").source("up", outside.toString()).file("up", "secret.txt", "replaced");
    f.writeTo(store);
    Map<String, String> before = snapshot();
    Coffer.Run r =
        Coffer.run(
            "restore", "--storage", storage(), "--backup", f.id(), "--yes", "--progress", "none");
    assertRefused(r, 2, "give --files-target up=DIR");
    assertThat(r.err()).contains("backed up from " + outside); // shown as a hint, never used
    assertThat(snapshot()).isEqualTo(before);
  }

  // 4. Declared sizes and counts are limits, enforced while streaming

  @Test
  void givenAFileLargerThanItsDeclaredSize_whenRestored_thenCutAtTheLimitAndRefused()
      throws Exception {
    byte[] big = new byte[6 << 20];
    Forger f = forged("inflate").file("up", "small.txt", big).lie(e -> withSize(e, 10));
    refusedEverywhere(f, 5, "more than the 10 bytes");
    // with files capped at 1 MiB, a restore that wrote past the declared 10 bytes would fail
    // writing (exit 3) instead
    Cli.Result capped =
        Cli.runWithFileLimit(
            sandbox,
            Map.of(),
            1024,
            "restore",
            "--storage",
            storage(),
            "--backup",
            "inflate",
            "--mode",
            "merge",
            "--files-target",
            "up=" + target);
    assertThat(capped.exit()).as(capped.err()).isEqualTo(5);
  }

  @Test
  void givenMoreDocumentsThanDeclared_whenRestored_thenRefusedAtTheFirstExtraDocument()
      throws IOException {
    BsonDocument[] docs = new BsonDocument[3000];
    for (int i = 0; i < docs.length; i++)
      docs[i] =
          new BsonDocument("_id", new BsonInt32(i)).append("pad", new BsonString("x".repeat(100)));
    Forger f =
        new Forger("many")
            .collection("erp", "people", "{\"options\":{},\"indexes\":[]}", docs)
            .lie(e -> withDocuments(e, 1));
    refusedEverywhere(f, 5, "more than the 1 documents");
    assertThat(client.getDatabase("erp").listCollectionNames().into(new ArrayList<>()))
        .noneMatch(n -> n.startsWith("coffer_"));
  }

  /**
   * Documents whose frame is sound (length, terminating zero) but whose body is not BSON: an
   * unknown element type, a name without its terminator. Refused as damaged before the server sees
   * them, with no staging collection left, as the mongodump reader refuses them.
   */
  @Test
  void givenFrameValidDocumentsWithGarbageBodies_whenRestored_thenRefusedAsDamaged()
      throws IOException {
    byte[] good = Forger.bson(DOC);
    // length 12: type 0x1f (no such type), name "a", then a zero that ends the document
    byte[] unknownType = {12, 0, 0, 0, 0x1f, 'a', 0, 1, 2, 3, 4, 0};
    // length 9: a string element named "abc" whose value is missing (the document ends)
    byte[] missingValue = {9, 0, 0, 0, 0x02, 'a', 'b', 'c', 0};
    for (byte[] bad : List.of(unknownType, missingValue)) {
      byte[] bson = new byte[good.length + bad.length];
      System.arraycopy(good, 0, bson, 0, good.length);
      System.arraycopy(bad, 0, bson, good.length, bad.length);
      refusedEverywhere(
          new Forger("garbage-" + bad[4])
              .collection("erp", "people", "{\"options\":{},\"indexes\":[]}", bson, 2),
          5,
          "is damaged: document 2 is malformed BSON");
      assertThat(client.getDatabase("erp").listCollectionNames().into(new ArrayList<>()))
          .noneMatch(n -> n.startsWith("coffer_"));
    }
  }

  /**
   * A small archive whose manifest inflates past what the engine's heap could hold (JSON
   * whitespace, deflated to a few hundred KiB; just over this JVM's limit, which is a fifth of its
   * heap or 256 MiB): refused at the size limit, exit 5, not read until the heap runs out.
   */
  @Test
  void givenAManifestThatInflatesPastTheLimit_whenRestoredFromTheFile_thenRefusedAtTheLimit()
      throws IOException {
    Path file = sandbox.resolve("bomb.zip");
    try (var zip = new ZipOutputStream(Files.newOutputStream(file))) {
      zip.putNextEntry(new ZipEntry(Manifest.ENTRY_NAME));
      zip.write("{\"format\":1".getBytes(StandardCharsets.UTF_8));
      byte[] spaces = new byte[1 << 20];
      Arrays.fill(spaces, (byte) ' ');
      for (int i = 0; i < ManifestCheck.limit() / (1 << 20) + 2; i++) zip.write(spaces);
      zip.write('}');
      zip.closeEntry();
    }
    assertThat(Files.size(file)).isLessThan(2L << 20);
    Coffer.Run r =
        Coffer.run(
            "restore",
            "--archive",
            file.toString(),
            "--mongodb-uri",
            EmbeddedServers.uri(mongo),
            "--dry-run",
            "--progress",
            "none");
    assertRefused(r, 5, "MiB this engine reads");
  }

  @Test
  void givenOversizedOrMalformedMetadata_whenRestored_thenRefused() throws IOException {
    refusedEverywhere(
        new Forger("meta-big")
            .collection("erp", "people", "{}", DOC)
            .lie(e -> e)
            .manifest(
                m ->
                    mapEntries(
                        m, e -> e.kind() == Manifest.Kind.metadata ? withSize(e, 17L << 20) : e)),
        5,
        "metadata entry");
    refusedEverywhere(
        new Forger("meta-junk").collection("erp", "people", "not json {", DOC),
        5,
        "not valid extended JSON");
    refusedEverywhere(
        new Forger("meta-view")
            .collection("erp", "people", "{\"options\":{\"viewOn\":\"x\",\"pipeline\":[]}}", DOC),
        5,
        "makes a collection a view");
  }

  @Test
  void givenADeclaredSizeNoDiskHolds_whenRestored_thenRefusedBeforeAnythingIsWritten()
      throws IOException {
    Forger f = forged("petabyte").file("up", "huge.bin", "tiny").lie(e -> withSize(e, 1L << 50));
    f.writeTo(store);
    Map<String, String> before = snapshot();
    assertRefused(restore(f), 3, "needs 1024");
    assertThat(snapshot()).isEqualTo(before);
  }

  // 5. Malformed input: exit 5 (or 2) with one line naming what is wrong; exit 1 only for real bugs

  @Test
  void givenMalformedManifestsAndDescriptors_thenEachEndsWithExitFiveAndOneLine()
      throws IOException {
    refusedEverywhere(
        forged("no-kind").file("up", "a.txt", "x").lie(e -> withKind(e, null)),
        5,
        "without a kind");
    refusedEverywhere(
        new Forger("slash-db").collection("a/b", "people", "{}", DOC),
        5,
        "database name holding '/'");
    refusedEverywhere(
        new Forger("dotdot-db").collection("..", "people", "{}", DOC),
        5,
        "database name holding '.'");
    refusedEverywhere(
        new Forger("nul-coll").collection("erp", "peo\u0000ple", "{}", DOC), 5, "NUL");
    refusedEverywhere(
        new Forger("sys-coll").collection("erp", "system.views", "{}", DOC),
        5,
        "system collection");
    refusedEverywhere(
        new Forger("stage-coll").collection("erp", "coffer_restore_0000beef_x", "{}", DOC),
        5,
        "reserves for its restores");
    refusedEverywhere(
        forged("neg").file("up", "a.txt", "x").lie(e -> withSize(e, -1)), 5, "negative size");
    refusedEverywhere(
        forged("not-json").file("up", "a.txt", "x").rawManifest("{ this is not json"),
        5,
        "not valid JSON");
    refusedEverywhere(
        forged("array").file("up", "a.txt", "x").rawManifest("[1,2,3]"), 5, "not valid JSON");
    refusedEverywhere(
        forged("dup-key")
            .file("up", "a.txt", "x")
            .rawManifest("{\"format\":\"coffer-archive\",\"format\":\"x\"}"),
        5,
        "not valid JSON");
    refusedEverywhere(
        forged("other-id").file("up", "a.txt", "x").manifest(m -> withId(m, "someone-else")),
        5,
        "names backup 'someone-else'",
        false);
    refusedEverywhere(
        forged("not-zip").rawArchive("PK\u0003\u0004 garbage that is no zip at all".getBytes()),
        5,
        null);
    byte[] zip = forged("x").file("up", "a.txt", "some content".repeat(100)).zip();
    refusedEverywhere(forged("truncated").rawArchive(Arrays.copyOf(zip, zip.length / 2)), 5, null);
  }

  @Test
  void givenADescriptorCopiedFromAnotherBackupsFolder_whenRead_thenRefused() throws IOException {
    forged("real").file("up", "a.txt", "x").writeTo(store);
    forged("victim").file("up", "b.txt", "y").writeTo(store);
    Files.copy(
        store.resolve("real/backup.json"),
        store.resolve("victim/backup.json"),
        StandardCopyOption.REPLACE_EXISTING);
    for (String cmd : List.of("restore", "verify", "inspect")) {
      Coffer.Run r =
          cmd.equals("restore")
              ? restore(forged("victim").file("up", "b.txt", "y"))
              : Coffer.run(cmd, "--storage", storage(), "--backup", "victim");
      assertRefused(r, 5, "copied from another backup's folder");
    }
    forged("escape")
        .file("up", "a.txt", "x")
        .descriptor(
            d ->
                new BackupDescriptor(
                    d.format(),
                    1,
                    d.id(),
                    d.createdAt(),
                    d.completedAt(),
                    d.type(),
                    "../real/archive.zip",
                    d.storedSize(),
                    d.sha256(),
                    d.rawSize(),
                    false,
                    null,
                    null,
                    d.manifest(),
                    d.manifestSha256(),
                    0,
                    0,
                    0,
                    0,
                    null,
                    null,
                    null))
        .writeTo(store);
    assertRefused(
        Coffer.run("verify", "--storage", storage(), "--backup", "escape"),
        5,
        "names objects Coffer does not write");
    Files.writeString(
        store.resolve("escape/backup.json"),
        "{\"format\":\"coffer-backup\",\"formatVersion\":1,\"id\":\"escape\"");
    assertRefused(
        Coffer.run("inspect", "--storage", storage(), "--backup", "escape"), 5, "is damaged");
  }

  // 6. No secret echoed; names escaped before they reach a terminal or a log

  @Test
  void givenASecretFileGivenToTheWrongOption_thenNoPartOfItIsPrinted() throws IOException {
    Path pass = Files.writeString(sandbox.resolve("pass.txt"), "correct-horse-battery-staple\n");
    AgeKeys.Identity id = AgeKeys.generate();
    Path key = Files.writeString(sandbox.resolve("key.txt"), id.encoded() + "\n");
    Files.createDirectories(sandbox.resolve("src"));
    for (Path wrong : List.of(pass, key)) {
      Coffer.Run r =
          Coffer.run(
              "backup",
              "--storage",
              storage(),
              "--type",
              "files",
              "--files",
              "up=" + sandbox.resolve("src"),
              "--recipients-file",
              wrong.toString());
      assertThat(r.exit()).isEqualTo(2);
      String secret = Files.readString(wrong).strip();
      for (int i = 0; i + 6 <= secret.length(); i++) {
        String part = secret.substring(i, i + 6);
        if (!"AGE-SECRET-KEY-1".contains(part))
          assertThat(r.all()).as("no 6 characters of the secret").doesNotContain(part);
      }
    }
    Coffer.Run r =
        Coffer.run(
            "backup",
            "--storage",
            storage(),
            "--type",
            "files",
            "--files",
            "up=" + sandbox.resolve("src"),
            "--recipient",
            id.encoded());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("private key").doesNotContain(id.encoded().substring(16, 30));
  }

  @Test
  void givenNamesWithTerminalEscapes_whenInspectedAndRestored_thenPrintedEscapedOnOneLine()
      throws IOException {
    String evil = "x\u001b[2J\u001b]0;pwned\u0007\nINFO forged line";
    Forger f =
        new Forger("escapes")
            .collection("erp", evil, "{}", DOC)
            .directory("up", "")
            .file("up", evil + ".txt", "x");
    f.writeTo(store);
    Coffer.Run i = Coffer.run("inspect", "--storage", storage(), "--backup", "escapes");
    assertThat(i.exit()).as(i.all()).isZero();
    Coffer.Run r = restore(f);
    assertThat(r.exit()).as(r.all()).isZero();
    for (String out : List.of(i.out(), r.out(), r.err())) {
      assertThat(out).doesNotContain("\u001b").doesNotContain("\u0007");
      assertThat(out.lines()).noneMatch(l -> l.startsWith("INFO forged line"));
    }
    assertThat(i.out()).contains("x\\x1b[2J");
    assertThat(Files.exists(target.resolve(evil + ".txt")))
        .isTrue(); // the name itself is restored as it was
  }

  // 9. The CLI asks before a replace deletes, and refuses locations it cannot read as storage

  @Test
  void givenAReplaceIntoANonEmptyTarget_thenItListsWhatGoesAndNeedsYes() throws IOException {
    forged("replace").file("up", "new.txt", "new").writeTo(store);
    Map<String, String> before = snapshot();
    Coffer.Run r =
        Coffer.run(
            "restore",
            "--storage",
            storage(),
            "--backup",
            "replace",
            "--files-target",
            "up=" + target,
            "--progress",
            "none");
    assertRefused(r, 2, "keep.txt");
    assertThat(r.err()).contains("--yes").contains("1 entries in " + target);
    assertThat(snapshot()).isEqualTo(before);
    Coffer.Run plan =
        Coffer.run(
            "restore",
            "--storage",
            storage(),
            "--backup",
            "replace",
            "--files-target",
            "up=" + target,
            "--dry-run");
    assertThat(plan.out()).contains("deletes 1 entries not in the backup");
    Coffer.Run yes =
        Coffer.run(
            "restore",
            "--storage",
            storage(),
            "--backup",
            "replace",
            "--files-target",
            "up=" + target,
            "--yes",
            "--progress",
            "none");
    assertThat(yes.exit()).as(yes.all()).isZero();
    assertThat(Files.exists(target.resolve("keep.txt"))).isFalse();
    assertThat(Files.readString(target.resolve("new.txt"))).isEqualTo("new");
  }

  @Test
  void givenAStorageLocationThatIsNeitherS3NorAnAbsoluteFileUri_thenAUsageErrorNamesTheFix() {
    assertRefused(Coffer.run("list", "--storage", "s3:/backups"), 2, "did you mean s3://backups");
    assertRefused(
        Coffer.run("list", "--storage", "relative/folder"),
        2,
        "neither s3://bucket[/prefix] nor file:///absolute/path");
    assertRefused(
        Coffer.run("restore", "--storage", storage(), "--backup", "x", "--file-target", "up=/tmp"),
        2,
        "did you mean --files-target");
    assertRefused(Coffer.run("restor", "--storage", storage()), 2, "did you mean restore");
  }

  // the mongo side of 8: one restore per target database

  @Test
  void givenARestoreHoldingATargetDatabase_thenASecondIsRefused_andALockOfADeadRestoreIsTakenOver()
      throws IOException {
    Forger f = new Forger("locked-db").collection("shop", "orders", "{}", DOC);
    f.writeTo(store);
    var locks = client.getDatabase("shop").getCollection("coffer_restore_lock");
    locks.insertOne(
        new Document("_id", "restore").append("run", "0000dead").append("seen", new Date()));
    assertRefused(restore(f), 8, "another restore (run 0000dead) is writing database shop");
    locks.updateOne(
        new Document("_id", "restore"),
        new Document("$set", new Document("seen", new Date(System.currentTimeMillis() - 600_000))));
    Coffer.Run r = restore(f);
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.err()).contains("took over the restore lock of database shop");
    assertThat(client.getDatabase("shop").listCollectionNames().into(new ArrayList<>()))
        .containsExactly("orders");
  }

  @Test
  void givenARestoreHoldingATargetFolder_thenASecondIsRefused() throws IOException {
    Forger f = forged("locked-dir").file("up", "a.txt", "x");
    f.writeTo(store);
    try (Dir held = Dir.open(target)) {
      assertThat(held.tryLock()).isTrue();
      Map<String, String> before = snapshot();
      assertRefused(restore(f), 8, "another restore is writing into " + target);
      assertThat(snapshot()).isEqualTo(before);
    }
    assertThat(restore(f).exit()).isZero();
  }

  // found by a hostile review of the first version of all this

  @Test
  void givenInputsThatExhaustedTheStackOrTheHeap_thenEachIsRefusedWithExitFive()
      throws IOException {
    String deepJson = "{\"options\":" + "{\"a\":".repeat(200_000) + "1" + "}".repeat(200_000) + "}";
    refusedEverywhere(
        new Forger("deep-meta").collection("erp", "people", deepJson, DOC), 5, "nests deeper than");
    // one document nested 100 000 levels: {a: {a: {...}}}, built from the inside out
    byte[] inner = {5, 0, 0, 0, 0};
    for (int i = 0; i < 100_000; i++) {
      byte[] outer = new byte[inner.length + 8];
      int len = outer.length;
      outer[0] = (byte) len;
      outer[1] = (byte) (len >> 8);
      outer[2] = (byte) (len >> 16);
      outer[3] = (byte) (len >> 24);
      outer[4] = 3;
      outer[5] = 'a';
      outer[6] = 0;
      System.arraycopy(inner, 0, outer, 7, inner.length);
      outer[len - 1] = 0;
      inner = outer;
    }
    byte[] deepDoc = inner;
    Forger real =
        new Forger("deep-bson")
            .add(
                "mongodb/erp/people.metadata.json",
                "{}".getBytes(),
                0100644,
                new Manifest.Entry(
                    "mongodb/erp/people.metadata.json",
                    Manifest.Kind.metadata,
                    2,
                    Forger.sha256("{}".getBytes()),
                    null,
                    "erp",
                    "people",
                    null,
                    null,
                    null,
                    null,
                    null))
            .add(
                "mongodb/erp/people.bson",
                deepDoc,
                0100644,
                new Manifest.Entry(
                    "mongodb/erp/people.bson",
                    Manifest.Kind.bson,
                    deepDoc.length,
                    Forger.sha256(deepDoc),
                    1L,
                    "erp",
                    "people",
                    null,
                    null,
                    null,
                    null,
                    null));
    real.writeTo(store);
    assertRefused(
        Coffer.run("verify", "--storage", storage(), "--backup", "deep-bson", "--deep"),
        5,
        "nested deeper");
    // an age header of megabytes (real ones are a few hundred bytes)
    Path big = sandbox.resolve("big-header.age");
    StringBuilder h =
        new StringBuilder("age-encryption.org/v1\n-> X25519 ").append("A".repeat(43)).append('\n');
    for (int i = 0; i < 20_000; i++) h.append("A".repeat(64)).append('\n');
    Files.writeString(big, h);
    Path key = Files.writeString(sandbox.resolve("k.txt"), AgeKeys.generate().encoded() + "\n");
    assertRefused(
        Coffer.run("inspect", "--archive", big.toString(), "--identity-file", key.toString()),
        5,
        "larger than");
  }

  @Test
  void givenManifestsThatLieAboutNamesLinksOrChains_thenRefused() throws IOException {
    // raw names must be the path's own name, and only where it is not UTF-8
    refusedEverywhere(
        forged("raw-other")
            .file("up", "innocent.txt", "#!/bin/sh")
            .lie(
                e ->
                    new Manifest.Entry(
                        e.path(),
                        e.kind(),
                        e.size(),
                        e.sha256(),
                        null,
                        null,
                        null,
                        null,
                        e.tree(),
                        0755,
                        e.mtime(),
                        null,
                        null,
                        null,
                        Base64.getEncoder().encodeToString(utf8("evil.sh")))),
        5,
        "raw name");
    // link targets with a NUL or nothing
    for (String t : List.of("a\u0000b", "")) {
      world();
      byte[] tb = utf8(t);
      refusedEverywhere(
          forged("link-" + t.length())
              .add(
                  "files/up/l",
                  tb,
                  0120777,
                  Forger.record("files/up/l", Manifest.Kind.symlink, tb, "up", 0777, "x")),
          5,
          "target");
    }
    // a chain that loops: verify and inspect refuse it, as restore does
    forged("loop-a").file("up", "a", "x").descriptor(d -> withParent(d, "loop-b")).writeTo(store);
    forged("loop-b").file("up", "b", "y").descriptor(d -> withParent(d, "loop-a")).writeTo(store);
    assertRefused(Coffer.run("verify", "--storage", storage(), "--backup", "loop-a"), 5, "loops");
    // a descriptor without its creation time does not break the listing
    forged("no-time")
        .file("up", "a", "x")
        .descriptor(
            d ->
                new BackupDescriptor(
                    d.format(),
                    1,
                    d.id(),
                    null,
                    null,
                    d.type(),
                    d.archive(),
                    d.storedSize(),
                    d.sha256(),
                    d.rawSize(),
                    false,
                    null,
                    null,
                    d.manifest(),
                    d.manifestSha256(),
                    0,
                    0,
                    0,
                    0,
                    null,
                    null,
                    null))
        .writeTo(store);
    Coffer.Run list = Coffer.run("list", "--storage", storage());
    assertThat(list.exit()).as(list.all()).isZero();
    assertThat(list.out()).contains("no-time");
    assertRefused(Coffer.run("restore", "--archive", "/", "--type", "files"), 2, "not a file");
  }

  @Test
  void
      givenATargetHoldingFilesNamedLikeCoffersOwn_whenReplaced_thenTheyCountAsTheUsersAndTheReplaceAsks()
          throws IOException {
    Files.delete(target.resolve("keep.txt"));
    Files.writeString(target.resolve(".coffer-notes.txt"), "the user's");
    forged("notes").file("up", "new.txt", "new").writeTo(store);
    Map<String, String> before = snapshot();
    assertRefused(
        Coffer.run(
            "restore",
            "--storage",
            storage(),
            "--backup",
            "notes",
            "--files-target",
            "up=" + target),
        2,
        ".coffer-notes.txt");
    assertThat(snapshot()).isEqualTo(before);
  }

  static BackupDescriptor withParent(BackupDescriptor d, String parent) {
    return new BackupDescriptor(
        d.format(),
        1,
        d.id(),
        d.createdAt(),
        d.completedAt(),
        d.type(),
        d.archive(),
        d.storedSize(),
        d.sha256(),
        d.rawSize(),
        d.encrypted(),
        d.encryption(),
        d.recipients(),
        d.manifest(),
        d.manifestSha256(),
        0,
        0,
        0,
        0,
        null,
        parent,
        null);
  }

  static Manifest.Entry withSize(Manifest.Entry e, long size) {
    return new Manifest.Entry(
        e.path(),
        e.kind(),
        size,
        e.sha256(),
        e.documents(),
        e.database(),
        e.collection(),
        e.module(),
        e.tree(),
        e.mode(),
        e.mtime(),
        e.target(),
        e.from(),
        e.delta(),
        e.raw());
  }

  static Manifest.Entry withDocuments(Manifest.Entry e, long docs) {
    return new Manifest.Entry(
        e.path(),
        e.kind(),
        e.size(),
        e.sha256(),
        docs,
        e.database(),
        e.collection(),
        e.module(),
        e.tree(),
        e.mode(),
        e.mtime(),
        e.target(),
        e.from(),
        e.delta(),
        e.raw());
  }

  static Manifest.Entry withKind(Manifest.Entry e, Manifest.Kind kind) {
    return new Manifest.Entry(
        e.path(),
        kind,
        e.size(),
        e.sha256(),
        e.documents(),
        e.database(),
        e.collection(),
        e.module(),
        e.tree(),
        e.mode(),
        e.mtime(),
        e.target(),
        e.from(),
        e.delta(),
        e.raw());
  }

  static Manifest withId(Manifest m, String id) {
    return new Manifest(
        m.format(),
        m.formatVersion(),
        id,
        m.createdAt(),
        m.type(),
        m.source(),
        m.selection(),
        m.compression(),
        m.compressionLevel(),
        m.entries(),
        m.skipped(),
        m.parent());
  }

  static Manifest mapEntries(Manifest m, UnaryOperator<Manifest.Entry> f) {
    return new Manifest(
        m.format(),
        m.formatVersion(),
        m.id(),
        m.createdAt(),
        m.type(),
        m.source(),
        m.selection(),
        m.compression(),
        m.compressionLevel(),
        m.entries().stream().map(f).toList(),
        m.skipped(),
        m.parent());
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
