package io.coffer.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.engine.BackupEngine;
import io.coffer.engine.BackupOptions;
import io.coffer.engine.BackupType;
import io.coffer.engine.RestoreEngine;
import io.coffer.engine.RestoreOptions;
import io.coffer.engine.VerifyEngine;
import io.coffer.engine.archive.Compression;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.engine.crypto.Encryption;
import io.coffer.engine.files.FileTreeDumper;
import io.coffer.engine.mongo.MongoRestorer;
import io.coffer.engine.mongo.Selection;
import io.coffer.engine.storage.FileStorage;
import io.coffer.protocol.ExitCode;
import io.coffer.testing.EmbeddedServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged and altered archives: 20 random byte flips and 5 truncations (seeded) of a stored,
 * encrypted backup, a wrong key and a wrong passphrase. Verification catches every one, and restore
 * refuses every one with the target untouched: a database and a folder that hold other data keep
 * it, byte for byte.
 */
class TamperE2E {
  static MongoServer server;
  static String uri;
  static MongoClient client;
  static final AgeKeys.Identity ops = AgeKeys.generate();
  @TempDir static Path tmp;
  static FileStorage storage;
  static Path archive;
  static byte[] pristine;

  @BeforeAll
  static void backup() throws Exception {
    server = EmbeddedServers.mongo();
    uri = EmbeddedServers.uri(server);
    client = MongoClients.create(uri);
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < 3000; i++)
      docs.add(new Document("_id", i).append("name", "Employee " + i).append("salary", 1000 + i));
    client.getDatabase("erp").getCollection("employees").insertMany(docs);
    Path uploads = Files.createDirectories(tmp.resolve("uploads"));
    byte[] scan = new byte[300_000];
    new Random(5).nextBytes(scan);
    Files.write(uploads.resolve("scan.pdf"), scan);
    storage = new FileStorage(tmp.resolve("store"));
    new BackupEngine(storage, new EngineLog(null), new Progress())
        .run(
            new BackupOptions(
                "good",
                BackupType.FULL,
                uri,
                new Selection(List.of("erp"), List.of(), List.of(), null),
                List.of(new FileTreeDumper.Tree("uploads", uploads)),
                List.of(),
                List.of(),
                Encryption.toRecipients(List.of(ops.recipient())),
                Compression.DEFLATE,
                1,
                5));
    archive = tmp.resolve("store/good/archive.zip.age");
    pristine = Files.readAllBytes(archive);
    // the target: a database and a folder that already hold other data
    client
        .getDatabase("target")
        .getCollection("employees")
        .insertOne(new Document("_id", "keep-me").append("v", 1));
    Files.createDirectories(tmp.resolve("target-files"));
    Files.writeString(tmp.resolve("target-files/existing.txt"), "keep me");
  }

  @AfterAll
  static void stop() {
    client.close();
    server.shutdownNow();
  }

  static void restoreIntoTarget(Age.DecryptionKeys keys) throws Exception {
    new RestoreEngine(storage, new EngineLog(null), new Progress())
        .run(
            new RestoreOptions(
                "good",
                uri,
                keys,
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                null,
                Map.of("erp", "target"),
                MongoRestorer.Mode.REPLACE,
                Map.of("uploads", tmp.resolve("target-files")),
                false,
                5));
  }

  static void assertTargetUntouched() throws Exception {
    assertThat(client.getDatabase("target").listCollectionNames().into(new ArrayList<>()))
        .containsExactly("employees");
    assertThat(
            client.getDatabase("target").getCollection("employees").find().into(new ArrayList<>()))
        .containsExactly(new Document("_id", "keep-me").append("v", 1));
    try (var s = Files.list(tmp.resolve("target-files"))) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("existing.txt");
    }
    assertThat(tmp.resolve("target-files/existing.txt")).hasContent("keep me");
  }

  static void damaged(String what, byte[] bytes) throws Exception {
    Files.write(archive, bytes);
    try {
      VerifyEngine verify = new VerifyEngine(storage, new EngineLog(null), new Progress());
      assertThatThrownBy(() -> verify.run("good", false, null))
          .as(what + ": checksum verification")
          .isInstanceOf(CofferException.class)
          .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.INTEGRITY));
      assertThatThrownBy(() -> verify.run("good", true, Age.DecryptionKeys.of(List.of(ops))))
          .as(what + ": deep verification")
          .isInstanceOf(CofferException.class);
      assertThatThrownBy(() -> restoreIntoTarget(Age.DecryptionKeys.of(List.of(ops))))
          .as(what + ": restore")
          .isInstanceOf(CofferException.class);
      assertTargetUntouched();
    } finally {
      Files.write(archive, pristine);
    }
  }

  @Test
  void
      givenTwentyByteFlipsAndFiveTruncations_whenVerifiedOrRestored_thenEachIsCaught_andTheTargetIsUntouched()
          throws Exception {
    Random r = new Random(20261126);
    for (int i = 0; i < 20; i++) {
      byte[] b = pristine.clone();
      int at = r.nextInt(b.length);
      b[at] ^= (byte) (1 << r.nextInt(8));
      damaged("flip #" + i + " at byte " + at, b);
    }
    for (int i = 0; i < 5; i++) {
      int len = r.nextInt(pristine.length);
      damaged("truncation #" + i + " to " + len + " bytes", Arrays.copyOf(pristine, len));
    }
    // the pristine archive still verifies and restores: the checks above were not failing for
    // another reason
    new VerifyEngine(storage, new EngineLog(null), new Progress())
        .run("good", true, Age.DecryptionKeys.of(List.of(ops)));
  }

  @Test
  void givenAWrongKeyOrPassphrase_whenRestored_thenRefusedAndTheTargetIsUntouched()
      throws Exception {
    assertThatThrownBy(() -> restoreIntoTarget(Age.DecryptionKeys.of(List.of(AgeKeys.generate()))))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.KEY));
    assertTargetUntouched();
    assertThatThrownBy(
            () ->
                restoreIntoTarget(
                    Age.DecryptionKeys.passphrase("not the passphrase".toCharArray())))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.KEY));
    assertTargetUntouched();
  }
}
