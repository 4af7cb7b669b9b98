package io.coffer.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import io.coffer.engine.archive.Compression;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.engine.crypto.Encryption;
import io.coffer.engine.mongo.MongoRestorer;
import io.coffer.engine.mongo.Selection;
import io.coffer.engine.storage.FileStorage;
import io.coffer.engine.storage.Storage;
import io.coffer.protocol.BackupResult;
import io.coffer.protocol.RestoreResult;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.FerretDb;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine against a second MongoDB-compatible server: FerretDB v1.24.2 with SQLite (real wire
 * protocol, real command set), through the real driver, into file storage. FerretDB has no
 * renameCollection with dropTarget, so a Replace falls back (drop, then rename) and says so, as a
 * Merge does (delete, then insert each batch); the data must come back byte for byte either way.
 * {@link IncrementalFerretDbIT} runs the chains on it.
 */
class FerretDbRoundTripIT {
  static FerretDb server;
  static MongoClient client;
  @TempDir Path tmp;

  @BeforeAll
  static void start() throws Exception {
    server = FerretDb.start();
    client = MongoClients.create(server.uri());
  }

  @AfterAll
  static void stop() {
    if (client != null) client.close();
    if (server != null) server.close();
  }

  static List<RawBsonDocument> raw(String db, String coll) {
    return client
        .getDatabase(db)
        .getCollection(coll, RawBsonDocument.class)
        .find()
        .sort(new Document("_id", 1))
        .into(new ArrayList<>());
  }

  static void seed(String db) {
    for (String c : client.getDatabase(db).listCollectionNames())
      client.getDatabase(db).getCollection(c).drop();
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      docs.add(
          new Document("_id", i)
              .append("name", "Employee " + i)
              .append("salary", 1000.5 + i)
              .append("tags", List.of("hr", "x" + (i % 7)))
              .append("address", new Document("city", "Bremen").append("zip", 28195 + i % 50)));
    }
    client.getDatabase(db).getCollection("employees").insertMany(docs);
    client
        .getDatabase(db)
        .getCollection("employees")
        .createIndex(Indexes.ascending("name"), new IndexOptions().unique(true).name("name_1"));
    client
        .getDatabase(db)
        .getCollection("invoices")
        .insertOne(new Document("_id", 1).append("total", 10));
  }

  @Test
  void
      givenFerretDb_whenBackedUpAndRestoredElsewhereAndInPlace_thenEveryDocumentAndTheUniqueIndexComeBack()
          throws Exception {
    seed("erp");
    Storage storage = new FileStorage(tmp.resolve("store"));
    BackupResult b =
        new BackupEngine(storage, new EngineLog(null), new Progress())
            .run(
                new BackupOptions(
                    "f1",
                    BackupType.DATABASE,
                    server.uri(),
                    new Selection(List.of("erp"), List.of(), List.of(), null),
                    List.of(),
                    List.of(),
                    List.of(),
                    Encryption.NONE,
                    Compression.DEFLATE,
                    1,
                    5));
    assertThat(b.documents()).isEqualTo(3001);
    List<RawBsonDocument> employees = raw("erp", "employees");

    // into another database: nothing to drop there, so the rename stays one step
    List<String> log = new ArrayList<>();
    RestoreResult copy =
        new RestoreEngine(storage, new EngineLog(log::add), new Progress())
            .run(
                new RestoreOptions(
                    "f1",
                    server.uri(),
                    null,
                    List.of(),
                    List.of(),
                    List.of(),
                    List.of(),
                    null,
                    Map.of("erp", "erp_copy"),
                    MongoRestorer.Mode.REPLACE,
                    Map.of(),
                    false,
                    5));
    assertThat(copy.documents()).isEqualTo(3001);
    assertThat(raw("erp_copy", "employees")).isEqualTo(employees);
    assertThat(raw("erp_copy", "invoices")).hasSize(1);
    assertThat(
            client
                .getDatabase("erp_copy")
                .getCollection("employees")
                .listIndexes()
                .into(new ArrayList<>()))
        .anySatisfy(
            ix -> {
              assertThat(ix.getString("name")).isEqualTo("name_1");
              assertThat(ix.getBoolean("unique", false)).isTrue();
            });

    // in place, over changed data: the fallback drops and renames, says it is not atomic, and the
    // data is the backup's
    client
        .getDatabase("erp")
        .getCollection("employees")
        .deleteMany(new Document("_id", new Document("$lt", 100)));
    client
        .getDatabase("erp")
        .getCollection("employees")
        .insertOne(new Document("_id", 99999).append("name", "Intruder"));
    List<String> log2 = new ArrayList<>();
    new RestoreEngine(storage, new EngineLog(log2::add), new Progress())
        .run(
            new RestoreOptions(
                "f1",
                server.uri(),
                null,
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                null,
                Map.of(),
                MongoRestorer.Mode.REPLACE,
                Map.of(),
                false,
                5));
    assertThat(raw("erp", "employees")).isEqualTo(employees);
    assertThat(String.join("\n", log2))
        .contains("no renameCollection with dropTarget")
        .contains("not atomic");
    assertThat(log2.stream().filter(l -> l.contains("dropTarget")))
        .as("said once per restore")
        .hasSize(1);
    assertThat(client.getDatabase("erp").listCollectionNames().into(new ArrayList<>()))
        .as("no staging collection left")
        .containsExactlyInAnyOrder("employees", "invoices");

    // a Merge over changed data: documents of the backup come back, others stay; FerretDB's bulk
    // upserts scan per
    // document, so the merge deletes and inserts each batch instead, and says once that this is not
    // atomic per document
    client
        .getDatabase("erp")
        .getCollection("employees")
        .updateOne(new Document("_id", 5), new Document("$set", new Document("name", "Renamed")));
    client.getDatabase("erp").getCollection("employees").deleteOne(new Document("_id", 6));
    client
        .getDatabase("erp")
        .getCollection("employees")
        .insertOne(new Document("_id", 77777).append("name", "Kept"));
    List<String> log3 = new ArrayList<>();
    RestoreResult merged =
        new RestoreEngine(storage, new EngineLog(log3::add), new Progress())
            .run(
                new RestoreOptions(
                    "f1",
                    server.uri(),
                    null,
                    List.of(),
                    List.of(),
                    List.of(),
                    List.of(),
                    null,
                    Map.of(),
                    MongoRestorer.Mode.MERGE,
                    Map.of(),
                    false,
                    5));
    assertThat(merged.documents()).isEqualTo(3001);
    List<RawBsonDocument> after = raw("erp", "employees");
    assertThat(after).hasSize(3001).containsAll(employees);
    assertThat(after.get(after.size() - 1).getString("name").getValue()).isEqualTo("Kept");
    assertThat(log3.stream().filter(l -> l.contains("not atomic per document")))
        .as("said once per restore")
        .hasSize(1);
    assertThat(client.getDatabase("erp").listCollectionNames().into(new ArrayList<>()))
        .containsExactlyInAnyOrder("employees", "invoices");
  }

  @Test
  void givenABackupWithIndexKindsFerretDbLacks_whenRestoredIntoIt_thenAClearErrorAndNothingWritten()
      throws Exception {
    // the archive comes from mongo-java-server (a TTL and a partial index); FerretDB 1.x builds key
    // / name / unique only
    de.bwaldvogel.mongo.MongoServer mongo = EmbeddedServers.mongo();
    try (MongoClient source = MongoClients.create(EmbeddedServers.uri(mongo))) {
      var sessions = source.getDatabase("hr").getCollection("sessions");
      sessions.insertOne(
          new Document("_id", 1).append("user", "ada").append("expires", new Date()));
      sessions.createIndex(
          Indexes.ascending("expires"), new IndexOptions().expireAfter(3600L, TimeUnit.SECONDS));
      sessions.createIndex(
          Indexes.ascending("user"),
          new IndexOptions()
              .name("user_partial")
              .partialFilterExpression(new Document("user", new Document("$exists", true))));
      Storage storage = new FileStorage(tmp.resolve("store"));
      new BackupEngine(storage, new EngineLog(null), new Progress())
          .run(
              new BackupOptions(
                  "ttl",
                  BackupType.DATABASE,
                  EmbeddedServers.uri(mongo),
                  new Selection(List.of("hr"), List.of(), List.of(), null),
                  List.of(),
                  List.of(),
                  List.of(),
                  Encryption.NONE,
                  Compression.DEFLATE,
                  1,
                  5));
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () ->
                  new RestoreEngine(storage, new EngineLog(null), new Progress())
                      .run(
                          new RestoreOptions(
                              "ttl",
                              server.uri(),
                              null,
                              List.of(),
                              List.of(),
                              List.of(),
                              List.of(),
                              null,
                              Map.of(),
                              MongoRestorer.Mode.REPLACE,
                              Map.of(),
                              false,
                              5)))
          .isInstanceOf(CofferException.class)
          .hasMessageContaining(
              "collection hr.sessions: this server cannot build the backup's indexes")
          .hasMessageContaining("expireAfterSeconds")
          .hasMessageContaining("Nothing was put in place")
          .hasMessageNotContaining("full response");
      assertThat(client.getDatabase("hr").listCollectionNames().into(new ArrayList<>()))
          .as("nothing staged or restored")
          .isEmpty();
    } finally {
      mongo.shutdownNow();
    }
  }
}
