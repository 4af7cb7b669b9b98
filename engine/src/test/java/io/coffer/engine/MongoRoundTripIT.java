package io.coffer.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.engine.archive.Compression;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.engine.crypto.Encryption;
import io.coffer.engine.mongo.ModuleMap;
import io.coffer.engine.mongo.MongoRestorer;
import io.coffer.engine.mongo.Selection;
import io.coffer.engine.storage.FileStorage;
import io.coffer.engine.storage.Storage;
import io.coffer.protocol.BackupResult;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.RestoreResult;
import io.coffer.protocol.VerifyResult;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.Tools;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.bson.BsonArray;
import org.bson.BsonBinary;
import org.bson.BsonBinarySubType;
import org.bson.BsonBoolean;
import org.bson.BsonDateTime;
import org.bson.BsonDecimal128;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonJavaScript;
import org.bson.BsonMaxKey;
import org.bson.BsonMinKey;
import org.bson.BsonNull;
import org.bson.BsonObjectId;
import org.bson.BsonRegularExpression;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backups and restores of MongoDB through the real driver against mongo-java-server, into file
 * storage; {@link MongoRoundTripFerretDbIT} runs them on FerretDB, without the types and index
 * kinds it lacks.
 */
class MongoRoundTripIT {
  static MongoServer server;
  static String uri;
  static MongoClient client;
  @TempDir Path tmp;
  Storage storage;

  @BeforeAll
  static void start() {
    server = EmbeddedServers.mongo();
    uri = EmbeddedServers.uri(server);
    client = MongoClients.create(uri);
  }

  @AfterAll
  static void stop() {
    client.close();
    if (server != null) server.shutdownNow();
  }

  @BeforeEach
  void clean() {
    for (String db : client.listDatabaseNames()) client.getDatabase(db).drop();
    storage = new FileStorage(tmp.resolve("store"));
  }

  /** Fields of {@link #everyType} the server cannot store (none for MongoDB). */
  Set<String> unsupportedFields() {
    return Set.of();
  }

  /** The secondary indexes of employees (every kind the archive must carry). */
  void createIndexes(MongoCollection<Document> employees) {
    employees.createIndex(
        Indexes.ascending("email"), new IndexOptions().unique(true).name("email_unique"));
    employees.createIndex(
        Indexes.compoundIndex(Indexes.ascending("dept"), Indexes.descending("name")));
    employees.createIndex(
        Indexes.ascending("expires"),
        new IndexOptions().expireAfter(3600L, TimeUnit.SECONDS).sparse(true));
    employees.createIndex(Indexes.text("name"), new IndexOptions().name("name_text"));
    employees.createIndex(
        Indexes.ascending("dept"),
        new IndexOptions()
            .name("dept_partial")
            .partialFilterExpression(new Document("dept", new Document("$exists", true))));
  }

  List<String> indexNames() {
    return List.of("email_unique", "dept_1_name_-1", "expires_1", "name_text", "dept_partial");
  }

  /** A collection name with dots, where the server can rename one. */
  String dottedName() {
    return "dotted.name.coll";
  }

  /** An invoice total: a Decimal128 where the server has the type. */
  Object money(String amount) {
    return new Decimal128(new BigDecimal(amount));
  }

  BsonDocument everyType(int i) {
    BsonDocument d = everyBsonType(i);
    for (String f : unsupportedFields()) d.remove(f);
    return d;
  }

  static BsonDocument everyBsonType(int i) {
    BsonDocument d = new BsonDocument("_id", new BsonObjectId(new ObjectId()));
    d.append("double", new BsonDouble(1.5 + i))
        .append("nan", new BsonDouble(Double.NaN))
        .append("negzero", new BsonDouble(-0.0))
        .append("inf", new BsonDouble(Double.NEGATIVE_INFINITY))
        .append("string", new BsonString("héllo wörld \u4e16\u754c \ud83d\ude00 \u0000 inside"))
        .append(
            "nested",
            new BsonDocument(
                "a",
                new BsonArray(List.of(new BsonInt32(1), new BsonDocument("b", new BsonNull())))))
        .append("uuid", new BsonBinary(UUID.nameUUIDFromBytes(new byte[] {(byte) i})))
        .append("bin", new BsonBinary(new byte[] {0, 1, 2, (byte) 255}))
        .append("md5", new BsonBinary(BsonBinarySubType.UUID_LEGACY, new byte[16]))
        .append("bool", BsonBoolean.valueOf(i % 2 == 0))
        .append("before1970", new BsonDateTime(-5_000_000_000_000L))
        .append("future", new BsonDateTime(253_402_300_799_000L))
        .append("null", BsonNull.VALUE)
        .append("regex", new BsonRegularExpression("^a.*b$", "im"))
        .append("js", new BsonJavaScript("function(){return 1;}"))
        .append("int32max", new BsonInt32(Integer.MAX_VALUE))
        .append("int32min", new BsonInt32(Integer.MIN_VALUE))
        .append("int64max", new BsonInt64(Long.MAX_VALUE))
        .append("int64min", new BsonInt64(Long.MIN_VALUE))
        .append("ts", new BsonTimestamp(1_700_000_000, i))
        .append("dec", new BsonDecimal128(new Decimal128(new BigDecimal("1234567890.123456789"))))
        .append("decnan", new BsonDecimal128(Decimal128.NaN))
        .append("min", new BsonMinKey())
        .append("max", new BsonMaxKey());
    return d;
  }

  void seed() {
    MongoDatabase erp = client.getDatabase("erp");
    var types = erp.getCollection("types", BsonDocument.class);
    for (int i = 0; i < 50; i++) types.insertOne(everyType(i));
    var employees = erp.getCollection("employees");
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < 3000; i++)
      docs.add(
          new Document("_id", i)
              .append("name", "Employee " + i)
              .append("dept", "D" + (i % 7))
              .append("email", "e" + i + "@rayerp.test"));
    employees.insertMany(docs);
    createIndexes(employees);
    erp.getCollection("departments")
        .insertOne(
            new Document("_id", new Document("org", 1).append("code", "HR"))
                .append("name", "Human resources"));
    erp.getCollection("invoices").insertOne(new Document("_id", 1).append("total", money("99.95")));
    erp.getCollection("ledger_2026").insertOne(new Document("_id", 1).append("amount", 5));
    erp.getCollection("audit_log").insertOne(new Document("_id", 1).append("event", "login"));
    erp.createCollection("empty_one");
    erp.getCollection(dottedName()).insertOne(new Document("_id", "x"));
    erp.getCollection("ünïcødé_名前").insertOne(new Document("_id", "y"));
    client
        .getDatabase("crm")
        .getCollection("contacts")
        .insertOne(new Document("_id", 1).append("name", "ACME"));
  }

  BackupOptions options(String id, Selection sel, Encryption enc) {
    return new BackupOptions(
        id,
        BackupType.DATABASE,
        uri,
        sel,
        List.of(),
        List.of(),
        List.of(),
        enc,
        Compression.DEFLATE,
        1,
        5);
  }

  BackupResult backup(BackupOptions o) throws IOException {
    return new BackupEngine(storage, new EngineLog(null), new Progress()).run(o);
  }

  RestoreResult restore(
      String id,
      Age.DecryptionKeys keys,
      Map<String, String> rename,
      MongoRestorer.Mode mode,
      List<String> include,
      List<String> modules,
      boolean dryRun)
      throws IOException {
    return new RestoreEngine(storage, new EngineLog(null), new Progress())
        .run(
            new RestoreOptions(
                id, uri, keys, include, List.of(), modules, List.of(), null, rename, mode, Map.of(),
                dryRun, 5));
  }

  static List<byte[]> rawDocs(String db, String coll) {
    List<byte[]> out = new ArrayList<>();
    for (RawBsonDocument d :
        client
            .getDatabase(db)
            .getCollection(coll, RawBsonDocument.class)
            .find()
            .sort(new Document("_id", 1))
            .batchSize(1000)) {
      var bb = d.getByteBuffer();
      byte[] b = new byte[bb.remaining()];
      bb.get(b);
      out.add(b);
    }
    return out;
  }

  static List<Document> indexSpecs(String db, String coll) {
    List<Document> out = new ArrayList<>();
    for (Document d : client.getDatabase(db).getCollection(coll).listIndexes()) {
      d.remove("ns");
      d.remove("v");
      out.add(d);
    }
    out.sort((a, b) -> a.getString("name").compareTo(b.getString("name")));
    return out;
  }

  /**
   * Every collection of {@code from} is in {@code to}, document for document and byte for byte,
   * with its indexes.
   */
  static void assertCopied(String from, String to) {
    for (String coll : client.getDatabase(from).listCollectionNames()) {
      List<byte[]> src = rawDocs(from, coll);
      List<byte[]> dst = rawDocs(to, coll);
      assertThat(dst).as(coll).hasSameSizeAs(src);
      for (int i = 0; i < src.size(); i++)
        assertThat(dst.get(i)).as(coll + " #" + i).isEqualTo(src.get(i));
      assertThat(indexSpecs(to, coll)).as(coll).isEqualTo(indexSpecs(from, coll));
    }
  }

  @Test
  void
      givenEveryBsonType_whenBackedUpAndRestoredElsewhere_thenEveryDocumentIsByteForByteEqualWithItsIndexes()
          throws IOException {
    seed();
    BackupResult r = backup(options("b1", Selection.all(), Encryption.NONE));
    assertThat(r.collections()).isEqualTo(10);
    assertThat(r.documents()).isEqualTo(50 + 3000 + 1 + 1 + 1 + 1 + 0 + 1 + 1 + 1);
    restore(
        "b1",
        null,
        Map.of("erp", "erp_copy", "crm", "crm_copy"),
        MongoRestorer.Mode.REPLACE,
        List.of(),
        List.of(),
        false);
    assertCopied("erp", "erp_copy");
    assertThat(client.getDatabase("erp_copy").listCollectionNames().into(new ArrayList<>()))
        .contains("empty_one", dottedName(), "ünïcødé_名前");
    assertThat(rawDocs("crm_copy", "contacts")).hasSize(1);
    assertThat(indexSpecs("erp_copy", "employees"))
        .extracting(d -> d.getString("name"))
        .containsAll(indexNames());
  }

  /**
   * A Coffer archive's mongodb/ folder follows mongodump's layout: unzipped by unzip and read back
   * with {@code --from-mongodump}, as a team's own tooling (or a stranger) would, it gives every
   * document and index back.
   */
  @Test
  void
      givenAnUnzippedBackup_whenItsMongodbFolderIsRestoredAsAMongodump_thenEveryDocumentAndIndexIsBack()
          throws Exception {
    Tools.require("unzip");
    seed();
    backup(options("u1", Selection.all(), Encryption.NONE));
    Tools.Run x =
        Tools.run(
            tmp,
            List.of("unzip", "-q", tmp.resolve("store/u1/archive.zip").toString(), "-d", "out"));
    assertThat(x.exit()).as(x.out()).isZero();
    RestoreOptions o =
        new RestoreOptions(
            "mongodump out/mongodb",
            uri,
            null,
            List.of(),
            List.of(),
            List.of(),
            List.of(),
            BackupType.DATABASE,
            Map.of("erp", "erp_copy", "crm", "crm_copy"),
            MongoRestorer.Mode.REPLACE,
            Map.of(),
            false,
            5,
            false,
            Confirmation.GIVEN);
    RestoreResult r =
        new DumpRestoreEngine(new EngineLog(null), new Progress())
            .run(tmp.resolve("out/mongodb").toString(), null, o);
    assertThat(r.documents()).isEqualTo(50 + 3000 + 1 + 1 + 1 + 1 + 0 + 1 + 1 + 1);
    assertCopied("erp", "erp_copy");
    assertThat(rawDocs("crm_copy", "contacts"))
        .usingElementComparator(Arrays::compare)
        .containsExactlyElementsOf(rawDocs("crm", "contacts"));
  }

  @Test
  void givenRenamesThatMergeTwoDatabases_whenRestored_thenRefusedBeforeAnythingIsWritten()
      throws IOException {
    client.getDatabase("erp").getCollection("contacts").insertOne(new Document("_id", 1));
    client.getDatabase("crm").getCollection("contacts").insertOne(new Document("_id", 2));
    backup(options("two", Selection.all(), Encryption.NONE));
    assertThatThrownBy(
            () ->
                restore(
                    "two",
                    null,
                    Map.of("crm", "merged", "erp", "merged"),
                    MongoRestorer.Mode.REPLACE,
                    List.of(),
                    List.of(),
                    false))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.USAGE))
        .hasMessageContaining("would both be restored into merged.contacts");
    assertThat(client.getDatabase("merged").listCollectionNames().into(new ArrayList<>()))
        .isEmpty();
  }

  @Test
  void givenADocumentNear16MiB_whenRoundTripped_thenItSurvives() throws IOException {
    var coll = client.getDatabase("big").getCollection("blobs", BsonDocument.class);
    byte[] blob = new byte[16 * 1024 * 1024 - 1024];
    new Random(1).nextBytes(blob);
    coll.insertOne(new BsonDocument("_id", new BsonInt32(1)).append("blob", new BsonBinary(blob)));
    backup(
        options("big", new Selection(List.of("big"), List.of(), List.of(), null), Encryption.NONE));
    restore(
        "big",
        null,
        Map.of("big", "big2"),
        MongoRestorer.Mode.REPLACE,
        List.of(),
        List.of(),
        false);
    assertThat(rawDocs("big2", "blobs").get(0)).isEqualTo(rawDocs("big", "blobs").get(0));
  }

  @Test
  void givenModulesAndPatterns_whenBackingUp_thenOnlyTheSelectionIsTakenAndTaggedWithItsModule()
      throws IOException {
    seed();
    ModuleMap map =
        ModuleMap.parse(
            "modules:\n  hr: [erp.employees, erp.departments]\n  finance: [erp.invoices, \"erp.ledger_*\"]\n",
            "test");
    BackupResult r =
        backup(
            options(
                "m1",
                new Selection(List.of(), List.of(), List.of("hr", "finance"), map),
                Encryption.NONE));
    assertThat(r.collectionCounts())
        .containsOnlyKeys("erp.departments", "erp.employees", "erp.invoices", "erp.ledger_2026");
    assertThat(r.modules()).containsEntry("hr", 3001L).containsEntry("finance", 2L);
    BackupResult p =
        backup(
            options(
                "p1",
                new Selection(
                    List.of("erp.*", "!erp.audit_*"), List.of("erp.types"), List.of(), null),
                Encryption.NONE));
    assertThat(p.collectionCounts())
        .doesNotContainKeys("erp.audit_log", "erp.types", "crm.contacts")
        .containsKey("erp.employees");
    // restore one module only, from the module tags recorded in the backup
    RestoreResult rr =
        restore(
            "m1",
            null,
            Map.of("erp", "erp_hr"),
            MongoRestorer.Mode.REPLACE,
            List.of(),
            List.of("hr"),
            false);
    assertThat(client.getDatabase("erp_hr").listCollectionNames().into(new ArrayList<>()))
        .containsExactlyInAnyOrder("employees", "departments");
    assertThat(rr.documents()).isEqualTo(3001);
    assertThatThrownBy(() -> new Selection(List.of(), List.of(), List.of("payroll"), map))
        .isInstanceOf(CofferException.class)
        .hasMessageContaining("unknown module 'payroll'")
        .hasMessageContaining("hr, finance");
  }

  @Test
  void givenMergeMode_whenRestoring_thenBackedUpDocumentsAreUpsertedAndOthersKept()
      throws IOException {
    var coll = client.getDatabase("erp").getCollection("contacts");
    coll.insertMany(
        List.of(
            new Document("_id", 1).append("v", "old1"),
            new Document("_id", 2).append("v", "old2")));
    // more than a page (1,000) of one _id type and a few of another: every page is merged, whatever
    // the types
    var ledger = client.getDatabase("erp").getCollection("ledger");
    List<Document> lines = new ArrayList<>();
    for (int i = 0; i < 1500; i++) lines.add(new Document("_id", i).append("v", "line"));
    lines.add(new Document("_id", "opening").append("v", "line"));
    lines.add(new Document("_id", new ObjectId()).append("v", "line"));
    ledger.insertMany(lines);
    backup(options("g1", Selection.all(), Encryption.NONE));
    ledger.deleteMany(new Document());
    ledger.insertOne(new Document("_id", "kept").append("v", "mine"));
    coll.deleteMany(new Document());
    coll.insertMany(
        List.of(
            new Document("_id", 1).append("v", "changed"),
            new Document("_id", 3).append("v", "new")));
    RestoreResult dry =
        restore("g1", null, Map.of(), MongoRestorer.Mode.MERGE, List.of(), List.of(), true);
    assertThat(dry.items()).hasSize(2).allSatisfy(i -> assertThat(i.action()).isEqualTo("merge"));
    assertThat(coll.find(new Document("_id", 1)).first().getString("v")).isEqualTo("changed");
    restore("g1", null, Map.of(), MongoRestorer.Mode.MERGE, List.of(), List.of(), false);
    assertThat(coll.find().sort(new Document("_id", 1)).into(new ArrayList<>()))
        .extracting(d -> d.getString("v"))
        .containsExactly("old1", "old2", "new");
    assertThat(ledger.countDocuments())
        .as("1,500 ints, a string, an ObjectId, and the target's own")
        .isEqualTo(1503);
    assertThat(ledger.countDocuments(new Document("_id", "opening"))).isEqualTo(1);
    restore("g1", null, Map.of(), MongoRestorer.Mode.REPLACE, List.of(), List.of(), false);
    assertThat(coll.find().sort(new Document("_id", 1)).into(new ArrayList<>()))
        .extracting(d -> d.getString("v"))
        .containsExactly("old1", "old2");
    assertThat(client.getDatabase("erp").listCollectionNames().into(new ArrayList<>()))
        .noneMatch(n -> n.startsWith("coffer_restore_"));
  }

  @Test
  void
      givenAnEncryptedBackup_whenTamperedOrTheKeyIsWrong_thenRestoreRefusesAndTheTargetIsUntouched()
          throws IOException {
    seed();
    AgeKeys.Identity id = AgeKeys.generate();
    backup(options("e1", Selection.all(), Encryption.toRecipients(List.of(id.recipient()))));
    client
        .getDatabase("erp")
        .getCollection("invoices")
        .insertOne(new Document("_id", 2).append("total", 1));
    List<byte[]> before = rawDocs("erp", "invoices");
    assertThatThrownBy(
            () ->
                restore(
                    "e1",
                    Age.DecryptionKeys.of(List.of(AgeKeys.generate())),
                    Map.of(),
                    MongoRestorer.Mode.REPLACE,
                    List.of(),
                    List.of(),
                    false))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.KEY));
    assertThatThrownBy(
            () ->
                restore(
                    "e1", null, Map.of(), MongoRestorer.Mode.REPLACE, List.of(), List.of(), false))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.KEY));
    Path archive = tmp.resolve("store/e1/archive.zip.age");
    try (RandomAccessFile f = new RandomAccessFile(archive.toFile(), "rw")) {
      long pos = f.length() - 100;
      f.seek(pos);
      int b = f.read();
      f.seek(pos);
      f.write(b ^ 0x10);
    }
    assertThatThrownBy(
            () ->
                restore(
                    "e1",
                    Age.DecryptionKeys.of(List.of(id)),
                    Map.of(),
                    MongoRestorer.Mode.REPLACE,
                    List.of(),
                    List.of(),
                    false))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.INTEGRITY));
    assertThat(rawDocs("erp", "invoices"))
        .usingElementComparator(Arrays::compare)
        .containsExactlyElementsOf(before);
    assertThat(client.getDatabase("erp").listCollectionNames().into(new ArrayList<>()))
        .noneMatch(n -> n.startsWith("coffer_restore_"));
    assertThatThrownBy(
            () ->
                new VerifyEngine(storage, new EngineLog(null), new Progress())
                    .run("e1", false, null))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.INTEGRITY));
  }

  @Test
  void givenAnUnencryptedBackup_whenUnzipped_thenItHasMongodumpsLayoutAndPassesUnzipAnd7zz()
      throws Exception {
    Tools.require("unzip");
    seed();
    backup(options("z1", Selection.all(), Encryption.NONE));
    Path zip = tmp.resolve("store/z1/archive.zip");
    Tools.Run t = Tools.run(tmp, List.of("unzip", "-t", zip.toString()));
    assertThat(t.exit()).as(t.out()).isZero();
    assertThat(t.out())
        .contains(
            "mongodb/erp/employees.bson",
            "mongodb/erp/employees.metadata.json",
            "mongodb/crm/contacts.bson",
            "coffer-manifest.json");
    Tools.Run x = Tools.run(tmp, List.of("unzip", "-q", zip.toString(), "-d", "out"));
    assertThat(x.exit()).as(x.out()).isZero();
    String meta = Files.readString(tmp.resolve("out/mongodb/erp/employees.metadata.json"));
    assertThat(Document.parse(meta).getList("indexes", Document.class))
        .extracting(d -> d.getString("name"))
        .contains("_id_", "email_unique");
    assertThat(Files.size(tmp.resolve("out/mongodb/erp/employees.bson"))).isPositive();
    Tools.require("7zz");
    Tools.Run z = Tools.run(tmp, List.of("7zz", "t", zip.toString()));
    assertThat(z.exit()).as(z.out()).isZero();
    // deep verification passes on an intact backup
    VerifyResult v =
        new VerifyEngine(storage, new EngineLog(null), new Progress()).run("z1", true, null);
    assertThat(v.documents()).isEqualTo(3057);
  }

  @Test
  void givenAnUnreachableMongo_whenBackingUp_thenSourceErrorAndNothingLooksComplete()
      throws IOException {
    BackupOptions o =
        new BackupOptions(
            "u1",
            BackupType.DATABASE,
            "mongodb://user:pa55w0rd@127.0.0.1:1",
            Selection.all(),
            List.of(),
            List.of(),
            List.of(),
            Encryption.NONE,
            Compression.DEFLATE,
            1,
            1);
    assertThatThrownBy(() -> backup(o))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.SOURCE))
        .hasMessageContaining("cannot reach MongoDB at mongodb://127.0.0.1:1")
        .hasMessageNotContaining("pa55w0rd");
    assertThat(tmp.resolve("store/u1")).doesNotExist();
  }
}
