package io.coffer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.engine.Engine;
import io.coffer.engine.storage.FileStorage;
import io.coffer.engine.storage.S3Storage;
import io.coffer.protocol.ExitCode;
import io.coffer.testing.ChaosProxy;
import io.coffer.testing.Cli;
import io.coffer.testing.EmbeddedServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bson.Document;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Things fail mid-way: S3 goes away in the middle of an upload, MongoDB in the middle of a dump (a
 * proxy cuts every connection and refuses new ones), a file target refuses further writes (a
 * file-size limit, as a full volume). The engine stops with the cause in one line and the right
 * exit code (so the operator retries with back-off, then fails with that cause), nothing partial is
 * visible, and once the network is back the retry with the same id succeeds.
 */
class FaultsE2E {
  static MongoServer mongo;
  static S3Proxy s3;
  @TempDir static Path tmp;

  @BeforeAll
  static void start() throws Exception {
    mongo = EmbeddedServers.mongo();
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      Random r = new Random(9);
      List<Document> docs = new ArrayList<>();
      for (int i = 0; i < 40_000; i++) {
        byte[] blob = new byte[400];
        r.nextBytes(blob);
        docs.add(new Document("_id", i).append("blob", new org.bson.types.Binary(blob)));
        if (docs.size() == 5000) {
          c.getDatabase("erp").getCollection("ledger").insertMany(docs);
          docs.clear();
        }
      }
    }
    s3 = EmbeddedServers.s3();
    EmbeddedServers.makeBucket(s3, "backups");
  }

  @AfterAll
  static void stop() throws Exception {
    mongo.shutdownNow();
    s3.stop();
  }

  static Map<String, String> env(String mongoUri) {
    return Map.of(
        "COFFER_MONGODB_URI",
        mongoUri,
        "AWS_ACCESS_KEY_ID",
        EmbeddedServers.ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY",
        EmbeddedServers.SECRET_KEY);
  }

  @Test
  void
      givenS3GoingAwayMidUpload_thenTheBackupFailsWithTheCause_nothingIsVisible_andTheRetrySucceeds()
          throws Exception {
    S3Storage direct =
        new S3Storage(
            EmbeddedServers.endpoint(s3),
            null,
            EmbeddedServers.ACCESS_KEY,
            EmbeddedServers.SECRET_KEY,
            "backups",
            "faults");
    try (ChaosProxy proxy = new ChaosProxy(s3.getPort())) {
      String[] args = {
        "backup",
        "--storage",
        "s3://backups/faults",
        "--s3-endpoint",
        "http://127.0.0.1:" + proxy.port(),
        "--id",
        "s3cut",
        "--compression",
        "store",
        "--timeout",
        "5"
      };
      proxy.cutAfter(6 << 20); // the archive is ~17 MB
      Cli.Result r = Cli.run(tmp, env(EmbeddedServers.uri(mongo)), args);
      assertThat(proxy.isDown()).as("the cut happened").isTrue();
      assertThat(r.exit()).as(r.err()).isEqualTo(ExitCode.STORAGE.code());
      assertThat(r.err()).contains("coffer: error:").doesNotContain(EmbeddedServers.SECRET_KEY);
      assertThat(Engine.list(direct).backups())
          .noneMatch(l -> l.id().equals("s3cut") && l.descriptor() != null);
      assertThat(direct.list("s3cut")).as("no object of the failed attempt is visible").isEmpty();
      proxy.heal();
      Cli.Result retry = Cli.run(tmp, env(EmbeddedServers.uri(mongo)), args);
      assertThat(retry.exit()).as(retry.err()).isZero();
      assertThat(Engine.descriptor(direct, "s3cut").documents()).isEqualTo(40_000);
    }
  }

  @Test
  void
      givenMongoGoingAwayMidDump_thenTheBackupFailsWithTheCause_nothingIsVisible_andTheRetrySucceeds()
          throws Exception {
    Path store = tmp.resolve("store");
    try (ChaosProxy proxy = new ChaosProxy(mongo.getLocalAddress().getPort())) {
      String uri = "mongodb://127.0.0.1:" + proxy.port();
      String[] args = {
        "backup", "--storage", "file://" + store, "--id", "mongocut", "--timeout", "3"
      };
      proxy.cutAfter(5 << 20); // the collection is ~17 MB of BSON
      Cli.Result r = Cli.run(tmp, env(uri), args);
      assertThat(proxy.isDown()).as("the cut happened").isTrue();
      assertThat(r.exit()).as(r.err()).isEqualTo(ExitCode.SOURCE.code());
      assertThat(r.err()).contains("coffer: error:").contains("erp.ledger");
      assertThat(Engine.list(new FileStorage(store)).backups())
          .noneMatch(l -> l.descriptor() != null);
      proxy.heal();
      Cli.Result retry = Cli.run(tmp, env(uri), args);
      assertThat(retry.exit()).as(retry.err()).isZero();
      assertThat(Engine.descriptor(new FileStorage(store), "mongocut").documents())
          .isEqualTo(40_000);
      try (var s = Files.list(store.resolve("mongocut"))) {
        assertThat(s.map(p -> p.getFileName().toString()).toList())
            .containsExactlyInAnyOrder("archive.zip", "manifest.json", "backup.log", "backup.json");
      }
    }
  }

  @Test
  void
      givenAFileTargetThatRefusesWritesMidBackup_thenTheBackupFailsWithTheCause_nothingIsVisible_andTheRetrySucceeds()
          throws Exception {
    Path store = tmp.resolve("small-store");
    String[] args = {
      "backup", "--storage", "file://" + store, "--id", "full", "--compression", "store"
    };
    // no file above 4 MiB: the ~17 MB archive cannot be written, as on a full volume
    Cli.Result r = Cli.runWithFileLimit(tmp, env(EmbeddedServers.uri(mongo)), 4096, args);
    assertThat(r.exit()).as(r.err()).isEqualTo(ExitCode.STORAGE.code());
    assertThat(r.err()).contains("coffer: error: cannot write").contains("archive.zip");
    // nothing of the failed attempt is left: not even its folder
    assertThat(store.resolve("full")).doesNotExist();
    Cli.Result retry = Cli.run(tmp, env(EmbeddedServers.uri(mongo)), args);
    assertThat(retry.exit()).as(retry.err()).isZero();
    assertThat(Engine.descriptor(new FileStorage(store), "full").documents()).isEqualTo(40_000);
  }
}
