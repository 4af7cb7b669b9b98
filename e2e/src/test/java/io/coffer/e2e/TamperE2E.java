package io.coffer.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.e2e.EngineCalls.What;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.engine.storage.FileStorage;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Request;
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
    EngineCalls.backup(
        storage,
        uri,
        "good",
        What.databases("erp").withFiles(new Request.Tree("uploads", uploads.toString())),
        ops.recipient(),
        "deflate",
        1,
        5,
        null,
        null);
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

  static void restoreIntoTarget(Request.Decryption keys) throws Exception {
    EngineCalls.restore(
        storage,
        uri,
        "good",
        keys,
        Map.of("erp", "target"),
        List.of(new Request.Tree("uploads", tmp.resolve("target-files").toString())));
  }

  /** The right identity, as a file. */
  static Request.Decryption opsKey() throws Exception {
    return EngineCalls.identity(tmp.resolve("keys"), ops);
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
      assertThatThrownBy(() -> EngineCalls.verify(storage, "good", null))
          .as(what + ": checksum verification")
          .isInstanceOf(CofferException.class)
          .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.INTEGRITY));
      assertThatThrownBy(() -> EngineCalls.verify(storage, "good", opsKey()))
          .as(what + ": deep verification")
          .isInstanceOf(CofferException.class);
      assertThatThrownBy(() -> restoreIntoTarget(opsKey()))
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
    EngineCalls.verify(storage, "good", opsKey());
  }

  @Test
  void givenAWrongKeyOrPassphrase_whenRestored_thenRefusedAndTheTargetIsUntouched()
      throws Exception {
    assertThatThrownBy(
            () -> restoreIntoTarget(EngineCalls.identity(tmp.resolve("keys"), AgeKeys.generate())))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.KEY));
    assertTargetUntouched();
    assertThatThrownBy(
            () ->
                restoreIntoTarget(
                    EngineCalls.passphrase(tmp.resolve("keys"), "not the passphrase")))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.KEY));
    assertTargetUntouched();
  }
}
