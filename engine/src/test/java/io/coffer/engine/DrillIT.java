package io.coffer.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.model.Indexes;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.protocol.BackupRequest;
import io.coffer.protocol.DrillRequest;
import io.coffer.protocol.DrillResult;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Request;
import io.coffer.protocol.RestoreRequest;
import io.coffer.testing.EmbeddedServers;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restore drills: a backup of a database (two collections, an index) and a file tree restored into
 * scratch databases and a scratch directory, checked and removed. Simulated: one mongo-java-server
 * is both the source and the drill's MongoDB (the scratch databases sit beside the source ones, as
 * on a shared server); storage is a directory.
 */
class DrillIT {
  @TempDir Path tmp;
  MongoServer mongo;
  MongoClient client;
  String uri;
  Path store;
  Path uploads;

  @BeforeEach
  void start() throws Exception {
    mongo = EmbeddedServers.mongo();
    uri = EmbeddedServers.uri(mongo);
    client = MongoClients.create(uri);
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < 500; i++) docs.add(new Document("_id", i).append("total", i * 3));
    client.getDatabase("erp").getCollection("invoices").insertMany(docs);
    client.getDatabase("erp").getCollection("invoices").createIndex(Indexes.ascending("total"));
    client.getDatabase("erp").getCollection("employees").insertOne(new Document("_id", "e1"));
    store = Files.createDirectories(tmp.resolve("store"));
    uploads = Files.createDirectories(tmp.resolve("uploads"));
    Files.writeString(uploads.resolve("contract.txt"), "signed");
    Files.createDirectories(uploads.resolve("2026"));
    Files.writeString(uploads.resolve("2026/scan.txt"), "scan");
  }

  @AfterEach
  void stop() {
    client.close();
    mongo.shutdownNow();
  }

  Engine.Context context() {
    return new Engine.Context(
        new EngineLog(null),
        new Progress(),
        new Secrets(Map.of()),
        uri,
        Confirmation.GIVEN,
        InputStream.nullInputStream());
  }

  void backup(String id) throws Exception {
    Engine.backup(
        new BackupRequest(
            id,
            "full",
            new Request.StorageRef(store.toUri().toString()),
            new BackupRequest.Mongo(null, List.of("erp"), List.of(), List.of(), null, null),
            List.of(new Request.Tree("uploads", uploads.toString())),
            List.of(),
            List.of(),
            null,
            null,
            null,
            null,
            null,
            Request.Report.NONE),
        context());
  }

  DrillResult drill(String id, String prefix, Path files) throws Exception {
    return Engine.drill(
        new DrillRequest(
            id,
            new Request.StorageRef(store.toUri().toString()),
            null,
            new RestoreRequest.Mongo(null, List.of(), List.of(), List.of(), Map.of(), false, 10),
            prefix,
            files == null ? null : files.toString(),
            Request.Report.NONE),
        context());
  }

  List<String> databases() {
    return client.listDatabaseNames().into(new ArrayList<>()).stream()
        .filter(db -> client.getDatabase(db).listCollectionNames().first() != null)
        .toList();
  }

  @Test
  void givenAGoodBackup_thenTheDrillPasses_comparingDocumentsIndexesAndFiles_andLeavesNothing()
      throws Exception {
    backup("nightly-1");
    Path scratch = Files.createDirectories(tmp.resolve("scratch"));
    Files.writeString(scratch.resolve("mine.txt"), "not the drill's");
    DrillResult r = drill(null, "coffer_drill_", scratch);
    assertThat(r.status()).isEqualTo("Passed");
    assertThat(r.backupId()).as("the newest, when none is named").isEqualTo("nightly-1");
    assertThat(r.documents()).isEqualTo(501);
    assertThat(r.files()).isEqualTo(2);
    assertThat(r.hashesCompared()).isEqualTo(2);
    assertThat(r.indexesCompared()).isEqualTo(2);
    assertThat(r.rtoSeconds()).isPositive();
    assertThat(databases()).as("the scratch databases are gone").doesNotContain("coffer_drill_erp");
    try (var left = Files.list(scratch)) {
      assertThat(left)
          .as("the drill's own directory is gone, what was there before stays")
          .containsExactly(scratch.resolve("mine.txt"));
    }
    assertThat(client.getDatabase("erp").getCollection("invoices").countDocuments())
        .as("the source untouched")
        .isEqualTo(500);
  }

  @Test
  void givenADamagedArchive_thenTheDrillFails_andLeavesNoScratchDatabase() throws Exception {
    backup("nightly-2");
    Path archive = store.resolve("nightly-2/archive.zip");
    byte[] b = Files.readAllBytes(archive);
    b[b.length / 3] ^= 0x20;
    Files.write(archive, b);
    assertThatThrownBy(() -> drill("nightly-2", "coffer_drill_", null))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.INTEGRITY));
    assertThat(databases()).doesNotContain("coffer_drill_erp");
  }

  @Test
  void givenAPrefixThatWouldNameASourceDatabase_orNoPrefix_thenRefusedBeforeAnythingIsWritten()
      throws Exception {
    client.getDatabase("x_erp_erp").getCollection("c").insertOne(new Document("_id", 1));
    Engine.backup(
        TestRequests.backup(
            "two-dbs",
            "database",
            new Request.StorageRef(store.toUri().toString()),
            List.of("erp", "x_erp_erp"),
            List.of()),
        context());
    assertThatThrownBy(() -> drill("two-dbs", "x_erp_", null))
        .isInstanceOf(CofferException.class)
        .hasMessageContaining("is a database of the backup itself");
    // a database under the prefix that no drill made: refused, left as it is
    client.getDatabase("coffer_drill_erp").getCollection("users").insertOne(new Document("_id", 1));
    assertThatThrownBy(() -> drill("two-dbs", "coffer_drill_", null))
        .isInstanceOf(CofferException.class)
        .hasMessageContaining("is not a drill's scratch copy");
    assertThat(client.getDatabase("coffer_drill_erp").getCollection("users").countDocuments())
        .isEqualTo(1);
    assertThatThrownBy(() -> drill("two-dbs", "", null))
        .isInstanceOf(CofferException.class)
        .hasMessageContaining("must be lower-case letters");
    assertThat(client.getDatabase("x_erp_erp").getCollection("c").countDocuments()).isEqualTo(1);
  }
}
