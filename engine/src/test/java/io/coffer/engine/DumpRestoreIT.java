package io.coffer.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.engine.mongo.MongoRestorer;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import io.coffer.protocol.RestoreResult;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.MongodumpFixtures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.bson.BsonArray;
import org.bson.BsonBoolean;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code coffer restore --from-mongodump} through the real driver against mongo-java-server ({@link
 * DumpRestoreFerretDbIT}: FerretDB). Simulated: the dumps. No real mongodump can be built here (the
 * Go module proxy refuses mongo-tools), so they are written by {@link MongodumpFixtures} to the
 * format as read in mongo-tools' source; the checksum is checked against the CRC catalogue's value
 * and Go's hash/crc64 separately ({@link DumpArchiveTest}).
 */
class DumpRestoreIT {
  static MongoServer server;
  static String uri;
  static MongoClient client;
  @TempDir Path tmp;
  EngineLog log;

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
    log = new EngineLog(null);
  }

  static final String ODD = "a/b café ✓";

  /** 127 bytes, but 369 once escaped: mongodump cuts its file name to 238 with a hash. */
  static final String LONG = "report " + "✓".repeat(40);

  static RawBsonDocument doc(BsonDocument d) {
    return new RawBsonDocument(MongodumpFixtures.bson(d));
  }

  /**
   * What a mongodump of RayERP holds: a collection with a unique index, odd and long names, an
   * empty one, users.
   */
  static List<MongodumpFixtures.Coll> dump() {
    List<RawBsonDocument> employees = new ArrayList<>();
    for (int i = 0; i < 2500; i++) {
      employees.add(
          doc(
              new BsonDocument("_id", new BsonInt32(i))
                  .append("name", new BsonString("Employee " + i))
                  .append("email", new BsonString("e" + i + "@rayerp.test"))
                  .append("dept", new BsonString("D" + i % 7))));
    }
    List<RawBsonDocument> contacts = new ArrayList<>();
    for (int i = 0; i < 10; i++)
      contacts.add(
          doc(
              new BsonDocument("_id", new BsonString("c" + i))
                  .append("name", new BsonString("Contact " + i))));
    BsonDocument unique =
        new BsonDocument("v", new BsonInt32(2))
            .append("key", new BsonDocument("email", new BsonInt32(1)))
            .append("name", new BsonString("email_1"))
            .append("unique", BsonBoolean.TRUE);
    return List.of(
        new MongodumpFixtures.Coll(
            "erp", "employees", employees, new BsonDocument(), List.of(unique), ""),
        new MongodumpFixtures.Coll(
            "erp",
            ODD,
            List.of(doc(new BsonDocument("_id", new BsonInt32(1)))),
            new BsonDocument(),
            List.of(),
            ""),
        new MongodumpFixtures.Coll(
            "erp",
            LONG,
            List.of(doc(new BsonDocument("_id", new BsonInt32(2)))),
            new BsonDocument(),
            List.of(),
            ""),
        new MongodumpFixtures.Coll("erp", "empty_one", List.of()),
        new MongodumpFixtures.Coll("crm", "contacts", contacts),
        new MongodumpFixtures.Coll(
            "admin",
            "system.users",
            List.of(doc(new BsonDocument("_id", new BsonString("admin.root"))))));
  }

  static List<RawBsonDocument> oplog() {
    return List.of(
        doc(
            new BsonDocument("op", new BsonString("n"))
                .append("ns", new BsonString(""))
                .append("o", new BsonDocument())));
  }

  RestoreOptions options(
      List<String> include,
      List<String> exclude,
      Map<String, String> rename,
      MongoRestorer.Mode mode,
      boolean dryRun,
      Confirmation confirmation) {
    return new RestoreOptions(
        "mongodump test",
        uri,
        null,
        include,
        exclude,
        List.of(),
        List.of(),
        BackupType.DATABASE,
        rename,
        mode,
        Map.of(),
        dryRun,
        5,
        false,
        confirmation);
  }

  RestoreOptions all() {
    return options(
        List.of(), List.of(), Map.of(), MongoRestorer.Mode.REPLACE, false, Confirmation.GIVEN);
  }

  RestoreResult restore(Path source, RestoreOptions o) throws Exception {
    return new DumpRestoreEngine(log, new Progress()).run(source.toString(), null, o);
  }

  static List<byte[]> rawDocs(String db, String coll) {
    List<byte[]> out = new ArrayList<>();
    for (RawBsonDocument d :
        client
            .getDatabase(db)
            .getCollection(coll, RawBsonDocument.class)
            .find()
            .sort(new Document("_id", 1))) out.add(MongodumpFixtures.raw(d));
    return out;
  }

  /**
   * Every collection of the dump (but admin's) holds exactly its documents, byte for byte, with its
   * indexes.
   */
  void assertRestored(String erp) {
    for (MongodumpFixtures.Coll c : dump()) {
      if (c.db().equals("admin")) continue;
      String db = c.db().equals("erp") ? erp : c.db();
      assertThat(client.getDatabase(db).listCollectionNames().into(new ArrayList<>()))
          .as(db)
          .contains(c.name());
      List<byte[]> want = new ArrayList<>();
      for (RawBsonDocument d : c.docs()) want.add(MongodumpFixtures.raw(d));
      assertThat(rawDocs(db, c.name()))
          .as(c.name())
          .usingElementComparator(Arrays::compare)
          .containsExactlyInAnyOrderElementsOf(want);
    }
    List<Document> ix =
        client.getDatabase(erp).getCollection("employees").listIndexes().into(new ArrayList<>());
    assertThat(ix)
        .anySatisfy(
            i -> {
              assertThat(i.getString("name")).isEqualTo("email_1");
              assertThat(i.getBoolean("unique")).isTrue();
            });
    for (String db : List.of(erp, "crm")) {
      assertThat(client.getDatabase(db).listCollectionNames().into(new ArrayList<>()))
          .noneMatch(n -> n.startsWith("coffer_restore"));
    }
  }

  @Test
  void
      givenAMongodumpFolder_whenRestored_thenEveryCollectionIsBackByteForByteAndUsersAreLeftOutWithAWarning()
          throws Exception {
    for (boolean gzip : List.of(false, true)) {
      clean();
      Path dir = tmp.resolve("dump" + gzip);
      MongodumpFixtures.folder(dir, dump(), oplog(), gzip);
      RestoreResult r = restore(dir, all());
      assertThat(r.status()).isEqualTo("Succeeded");
      assertThat(r.documents()).isEqualTo(2500 + 1 + 1 + 10);
      assertThat(r.consistency().mode()).isEqualTo("PointInTime"); // its oplog: one no-op
      assertThat(r.collections()).isEqualTo(5);
      assertRestored("erp");
      assertThat(String.join("\n", log.lines()))
          .contains("oplog", "left out system database admin", "7.0.16");
      assertThat(client.listDatabaseNames().into(new ArrayList<>())).doesNotContain("admin");
    }
  }

  /**
   * `mongodump --db erp --out D` puts its prelude.json into D/erp/: given that database's folder,
   * it is read (the server's version), not warned about as a stranger's file.
   */
  @Test
  void givenOneDatabasesFolderWithItsPrelude_whenRestored_thenThePreludeIsReadWithoutAWarning()
      throws Exception {
    clean();
    Path dir = tmp.resolve("dump-db");
    MongodumpFixtures.folder(dir, dump(), null, false);
    Files.move(dir.resolve("prelude.json"), dir.resolve("erp/prelude.json"));
    int before = log.lines().size();
    RestoreResult r = restore(dir.resolve("erp"), all());
    assertThat(r.status()).isEqualTo("Succeeded");
    List<String> all = log.lines();
    String lines = String.join("\n", all.subList(before, all.size()));
    assertThat(lines).contains("7.0.16").doesNotContain("prelude.json");
  }

  /**
   * What {@code mongodump --oplog} of a replica set keeps (entries in MongoDB's documented forms:
   * an insert, a {@code $v: 2} diff, a delete, a no-op; and entries of collections not restored,
   * which are passed over even where they could not be replayed): replayed onto the restored
   * collections, as mongorestore --oplogReplay does, in a folder (plain and gzipped) and an
   * archive.
   */
  static List<RawBsonDocument> busyOplog() {
    return List.of(
        doc(BsonDocument.parse("{op: 'n', ns: '', o: {msg: 'periodic noop'}}")),
        doc(
            BsonDocument.parse(
                "{op: 'i', ns: 'erp.employees', o: {_id: 2500, name: 'Employee 2500',"
                    + " email: 'e2500@rayerp.test', dept: 'D1'}}")),
        doc(
            BsonDocument.parse(
                "{op: 'u', ns: 'erp.employees', o: {$v: 2, diff: {u: {dept: 'D9'}}}, o2: {_id: 7}}")),
        doc(BsonDocument.parse("{op: 'd', ns: 'crm.contacts', o: {_id: 'c3'}}")),
        doc(BsonDocument.parse("{op: 'u', ns: 'other.counters', o: {$inc: {n: 1}}, o2: {_id: 1}}")),
        doc(BsonDocument.parse("{op: 'c', ns: 'other.$cmd', o: {drop: 'old'}}")));
  }

  @Test
  void givenADumpMadeWithItsOplog_whenRestored_thenTheOplogIsReplayedOntoTheRestoredCollections()
      throws Exception {
    for (int form = 0; form < 3; form++) {
      clean();
      Path source;
      if (form < 2) {
        source = tmp.resolve("oplog-dump" + form);
        MongodumpFixtures.folder(source, dump(), busyOplog(), form == 1);
      } else {
        source = tmp.resolve("oplog.archive.gz");
        Files.write(source, MongodumpFixtures.archive(dump(), busyOplog(), 100, 4, true));
      }
      RestoreResult r = restore(source, all());
      assertThat(r.consistency().mode()).isEqualTo("PointInTime");
      var employees = client.getDatabase("erp").getCollection("employees");
      assertThat(employees.countDocuments()).as("form " + form).isEqualTo(2501);
      assertThat(employees.find(new Document("_id", 7)).first().getString("dept")).isEqualTo("D9");
      assertThat(employees.find(new Document("_id", 8)).first().getString("dept")).isEqualTo("D1");
      assertThat(client.getDatabase("crm").getCollection("contacts").countDocuments()).isEqualTo(9);
      assertThat(client.listDatabaseNames().into(new ArrayList<>())).doesNotContain("other");
      assertThat(String.join("\n", log.lines())).contains("replayed the dump's oplog: 6 entries");
    }
    // renamed: the entries follow their collection into its new database; the excluded one's pass
    clean();
    Path dir = tmp.resolve("oplog-renamed");
    MongodumpFixtures.folder(dir, dump(), busyOplog(), false);
    restore(
        dir,
        options(
            List.of(),
            List.of("crm.*"),
            Map.of("erp", "erp_copy"),
            MongoRestorer.Mode.REPLACE,
            false,
            Confirmation.GIVEN));
    assertThat(client.getDatabase("erp_copy").getCollection("employees").countDocuments())
        .isEqualTo(2501);
    assertThat(client.listDatabaseNames().into(new ArrayList<>())).doesNotContain("crm", "erp");
  }

  @Test
  void givenEntriesOfACollectionLeftOut_whoseNameARenamedOneTakes_thenTheyArePassedOver()
      throws Exception {
    // crm.contacts is restored as erp.contacts; the oplog's erp.contacts is another collection
    // (left out): its entries must not reach the restored one
    Path dir = tmp.resolve("oplog-collide");
    List<RawBsonDocument> oplog =
        List.of(
            doc(BsonDocument.parse("{op: 'd', ns: 'erp.contacts', o: {_id: 'c1'}}")),
            doc(BsonDocument.parse("{op: 'i', ns: 'erp.contacts', o: {_id: 'zzz'}}")),
            doc(BsonDocument.parse("{op: 'd', ns: 'crm.contacts', o: {_id: 'c2'}}")));
    MongodumpFixtures.folder(dir, dump(), oplog, false);
    restore(
        dir,
        options(
            List.of("crm.*"),
            List.of(),
            Map.of("crm", "erp"),
            MongoRestorer.Mode.REPLACE,
            false,
            Confirmation.GIVEN));
    List<Object> ids = new ArrayList<>();
    for (Document d : client.getDatabase("erp").getCollection("contacts").find())
      ids.add(d.get("_id"));
    assertThat(ids).hasSize(9).contains("c1").doesNotContain("zzz", "c2");
  }

  /**
   * A dump's oplog that drops a restored collection (as mongodump --oplog keeps a drop made while
   * it read): replayed as mongorestore --oplogReplay does, so the collection is not put in place
   * and a Replace removes the target's; one that changes a collection in a way Coffer does not
   * replay (emptycapped) is refused by name before anything is put in place, in a dry run too.
   */
  @Test
  void givenADumpWhoseOplogDropsARestoredCollection_whenRestored_thenTheDropIsReplayed()
      throws Exception {
    client.getDatabase("crm").getCollection("contacts").insertOne(new Document("_id", "old"));
    Path dir = tmp.resolve("oplog-drop");
    MongodumpFixtures.folder(
        dir,
        dump(),
        List.of(doc(BsonDocument.parse("{op: 'c', ns: 'crm.$cmd', o: {drop: 'contacts'}}"))),
        false);
    restore(dir, all());
    assertThat(client.getDatabase("erp").listCollectionNames().into(new ArrayList<>()))
        .contains("employees");
    assertNoCollections("crm");

    client.getDatabase("erp").drop();
    client.getDatabase("erp").getCollection("employees").insertOne(new Document("_id", "mine"));
    Path odd = tmp.resolve("oplog-emptycapped");
    MongodumpFixtures.folder(
        odd,
        dump(),
        List.of(doc(BsonDocument.parse("{op: 'c', ns: 'crm.$cmd', o: {emptycapped: 'contacts'}}"))),
        false);
    assertThatThrownBy(() -> restore(odd, all()))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.USAGE))
        .hasMessageContaining("a command (emptycapped) changed crm.contacts")
        .hasMessageContaining("mongorestore --oplogReplay");
    assertUntouched();
    assertThatThrownBy(
            () ->
                restore(
                    odd,
                    options(
                        List.of(),
                        List.of(),
                        Map.of(),
                        MongoRestorer.Mode.REPLACE,
                        true,
                        Confirmation.GIVEN)))
        .isInstanceOf(CofferException.class)
        .hasMessageContaining("a command (emptycapped) changed crm.contacts");
  }

  /**
   * Neither mongo-java-server nor FerretDB 1.24 makes views (one ignores viewOn, the other answers
   * NotImplemented), so what is tested is that a view the server cannot make stops the restore
   * before any collection is put in place, and that the dry run lists it. Making a real view is not
   * tested here (no real mongod).
   */
  @Test
  void givenAViewAndAServerWithoutViews_whenRestored_thenRefusedBeforeAnythingIsPutInPlace()
      throws Exception {
    client.getDatabase("erp").getCollection("employees").insertOne(new Document("_id", "mine"));
    List<MongodumpFixtures.Coll> colls = new ArrayList<>(dump());
    colls.add(
        new MongodumpFixtures.Coll(
            "erp",
            "d1",
            List.of(),
            new BsonDocument("viewOn", new BsonString("employees"))
                .append(
                    "pipeline",
                    new BsonArray(
                        List.of(
                            new BsonDocument(
                                "$match", new BsonDocument("dept", new BsonString("D1")))))),
            List.of(),
            "view"));
    for (boolean archive : List.of(false, true)) {
      Path p = tmp.resolve("v" + archive);
      if (archive) Files.write(p, MongodumpFixtures.archive(colls, null, 100, 3, true));
      else MongodumpFixtures.folder(p, colls, null, false);
      RestoreResult plan =
          restore(
              p,
              options(
                  List.of(),
                  List.of(),
                  Map.of(),
                  MongoRestorer.Mode.REPLACE,
                  true,
                  Confirmation.GIVEN));
      assertThat(plan.items())
          .filteredOn(i -> i.kind().equals("view"))
          .singleElement()
          .satisfies(i -> assertThat(i.source()).isEqualTo("erp.d1"));
      assertThatThrownBy(() -> restore(p, all()))
          .isInstanceOf(CofferException.class)
          .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.SOURCE))
          .hasMessageContaining("view erp.d1: this server cannot create views")
          .hasMessageContaining("Nothing was put in place");
      assertUntouched();
    }
  }

  @Test
  void givenOneDatabasesFolder_whenRestoredUnderAnotherName_thenItLandsThere() throws Exception {
    MongodumpFixtures.folder(tmp.resolve("dump"), dump(), null, false);
    RestoreResult r =
        restore(
            tmp.resolve("dump/erp"),
            options(
                List.of(),
                List.of(),
                Map.of("erp", "erp_copy"),
                MongoRestorer.Mode.REPLACE,
                false,
                Confirmation.GIVEN));
    assertThat(r.items())
        .extracting(RestoreResult.Item::target)
        .contains("erp_copy.employees", "erp_copy." + ODD)
        .noneMatch(t -> t.startsWith("crm"));
    assertThat(rawDocs("erp_copy", "employees")).hasSize(2500);
    assertNoCollections("erp");
  }

  @Test
  void givenAnInterleavedArchive_whenRestoredPlainGzippedAndFromStdin_thenEveryCollectionIsBack()
      throws Exception {
    for (boolean gzip : List.of(false, true)) {
      clean();
      Path file = tmp.resolve("dump.archive" + (gzip ? ".gz" : ""));
      Files.write(file, MongodumpFixtures.archive(dump(), oplog(), 100, 4, gzip));
      RestoreResult r = restore(file, all());
      assertThat(r.documents()).isEqualTo(2512);
      assertRestored("erp");
      assertThat(String.join("\n", log.lines())).contains("oplog", "7.0.16", "100.10.0");
    }
    clean();
    byte[] archive = MongodumpFixtures.archive(dump(), null, 7, 2, true);
    RestoreResult r =
        new DumpRestoreEngine(log, new Progress())
            .run("-", new ByteArrayInputStream(archive), all());
    assertThat(r.documents()).isEqualTo(2512);
    assertThat(r.consistency().reason()).contains("without --oplog");
    assertRestored("erp");
  }

  /**
   * A document of crm.contacts changed after mongodump wrote it: found by the CRC, after erp was
   * staged already.
   */
  @Test
  void givenAnArchiveAlteredAfterTheDump_whenRestored_thenIntegrityErrorAndTheTargetsAreUntouched()
      throws Exception {
    client.getDatabase("erp").getCollection("employees").insertOne(new Document("_id", "mine"));
    byte[] archive = MongodumpFixtures.archive(dump(), null, 500, 1, false);
    byte[] needle = "Contact 7".getBytes(StandardCharsets.UTF_8);
    int at = indexOf(archive, needle);
    assertThat(at).isPositive();
    archive[at + 8] = '8'; // still well-formed BSON: only the CRC can tell
    Path file = tmp.resolve("altered.archive");
    Files.write(file, archive);
    assertThatThrownBy(() -> restore(file, all()))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.INTEGRITY))
        .hasMessageContaining("crm.contacts do not match their CRC")
        .hasMessageContaining("nothing was restored");
    assertUntouched();
    // cut short: the same
    byte[] whole = MongodumpFixtures.archive(dump(), null, 500, 2, false);
    Files.write(file, Arrays.copyOf(whole, whole.length - 40));
    assertThatThrownBy(() -> restore(file, all()))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.INTEGRITY))
        .hasMessageContaining("truncated");
    assertUntouched();
    // gzipped and cut short
    byte[] gz = MongodumpFixtures.archive(dump(), null, 500, 2, true);
    Files.write(file, Arrays.copyOf(gz, gz.length - 100));
    assertThatThrownBy(() -> restore(file, all()))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.INTEGRITY))
        .hasMessageContaining("nothing was restored");
    assertUntouched();
  }

  void assertUntouched() {
    assertThat(rawDocs("erp", "employees")).hasSize(1);
    assertThat(client.getDatabase("erp").listCollectionNames().into(new ArrayList<>()))
        .containsExactly("employees");
    assertNoCollections("crm");
  }

  /**
   * A database that does not exist, or holds nothing (mongo-java-server keeps an emptied database
   * listed).
   */
  static void assertNoCollections(String... dbs) {
    for (String db : dbs)
      assertThat(client.getDatabase(db).listCollectionNames().into(new ArrayList<>()))
          .as(db)
          .isEmpty();
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
      return i;
    }
    return -1;
  }

  @Test
  void givenAFolderWithADamagedFile_whenRestored_thenIntegrityErrorAndNothingIsPutInPlace()
      throws Exception {
    client.getDatabase("erp").getCollection("employees").insertOne(new Document("_id", "mine"));
    Path dir = tmp.resolve("dump");
    MongodumpFixtures.folder(dir, dump(), null, false);
    Path contacts = dir.resolve("crm/contacts.bson");
    byte[] b = Files.readAllBytes(contacts);
    Files.write(contacts, Arrays.copyOf(b, b.length - 3));
    assertThatThrownBy(() -> restore(dir, all()))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.INTEGRITY))
        .hasMessageContaining("contacts.bson is damaged");
    assertUntouched();
  }

  @Test
  void givenADryRun_whenPlanned_thenTheWholeDumpIsReadAndCountedAndNothingIsWritten()
      throws Exception {
    Files.write(tmp.resolve("a"), MongodumpFixtures.archive(dump(), null, 100, 4, true));
    RestoreResult r =
        restore(
            tmp.resolve("a"),
            options(
                List.of(),
                List.of(),
                Map.of(),
                MongoRestorer.Mode.REPLACE,
                true,
                l -> {
                  throw new AssertionError("a dry run asks nothing");
                }));
    assertThat(r.status()).isEqualTo("Planned");
    assertThat(r.items())
        .filteredOn(i -> i.source().equals("erp.employees"))
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.documents()).isEqualTo(2500);
              assertThat(i.action()).isEqualTo("create");
            });
    assertNoCollections("erp", "crm");
  }

  @Test
  void
      givenExistingCollections_whenReplacedWithoutConsent_thenRefusedAndMergeKeepsWhatTheDumpLacks()
          throws Exception {
    client.getDatabase("crm").getCollection("contacts").insertOne(new Document("_id", "mine"));
    MongodumpFixtures.folder(tmp.resolve("dump"), dump(), null, true);
    List<List<String>> asked = new ArrayList<>();
    assertThatThrownBy(
            () ->
                restore(
                    tmp.resolve("dump"),
                    options(
                        List.of(),
                        List.of(),
                        Map.of(),
                        MongoRestorer.Mode.REPLACE,
                        false,
                        l -> {
                          asked.add(l);
                          return false;
                        })))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.USAGE))
        .hasMessageContaining(
            "a replace would delete what the dump does not hold (collection crm.contacts and its 1 documents)");
    assertThat(asked).singleElement().asList().hasSize(1);
    assertThat(rawDocs("crm", "contacts")).hasSize(1);
    RestoreResult r =
        restore(
            tmp.resolve("dump"),
            options(
                List.of("crm"), List.of(), Map.of(), MongoRestorer.Mode.MERGE, false, l -> false));
    assertThat(r.items()).singleElement().satisfies(i -> assertThat(i.action()).isEqualTo("merge"));
    assertThat(rawDocs("crm", "contacts")).hasSize(11);
    assertNoCollections("erp");
  }

  @Test
  void givenATimeSeriesCollection_whenRestored_thenRefusedUnlessLeftOut() throws Exception {
    List<MongodumpFixtures.Coll> colls = new ArrayList<>(dump());
    colls.add(
        new MongodumpFixtures.Coll(
            "erp",
            "readings",
            List.of(doc(new BsonDocument("_id", new BsonInt32(1)))),
            new BsonDocument("timeseries", new BsonDocument("timeField", new BsonString("t"))),
            List.of(),
            "timeseries"));
    for (boolean archive : List.of(false, true)) {
      Path p = tmp.resolve("ts" + archive);
      if (archive) Files.write(p, MongodumpFixtures.archive(colls, null, 100, 2, false));
      else MongodumpFixtures.folder(p, colls, null, false);
      assertThatThrownBy(() -> restore(p, all()))
          .isInstanceOf(CofferException.class)
          .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.USAGE))
          .hasMessageContaining("time-series collection erp.readings")
          .hasMessageContaining(Field.EXCLUDE.mark() + " 'erp.readings'");
      assertNoCollections("erp");
      RestoreResult r =
          restore(
              p,
              options(
                  List.of(),
                  List.of("erp.readings"),
                  Map.of(),
                  MongoRestorer.Mode.REPLACE,
                  false,
                  Confirmation.GIVEN));
      assertThat(r.documents()).isEqualTo(2512);
      clean();
    }
  }

  @Test
  void givenSomethingElse_whenRestored_thenAClearErrorSaysWhatToGive() throws Exception {
    Files.writeString(tmp.resolve("notes.txt"), "hello");
    assertThatThrownBy(() -> restore(tmp.resolve("notes.txt"), all()))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.USAGE))
        .hasMessageContaining("is not a mongodump archive");
    Files.createDirectories(tmp.resolve("empty"));
    assertThatThrownBy(() -> restore(tmp.resolve("empty"), all()))
        .isInstanceOf(CofferException.class)
        .hasMessageContaining("holds no mongodump collections");
    assertThatThrownBy(() -> restore(tmp.resolve("missing"), all()))
        .isInstanceOf(CofferException.class)
        .hasMessageContaining("does not exist");
    Files.createDirectories(tmp.resolve("bad/erp"));
    Files.write(tmp.resolve("bad/erp/100%.bson"), new byte[0]);
    assertThatThrownBy(() -> restore(tmp.resolve("bad"), all()))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.USAGE))
        .hasMessageContaining("is not a name mongodump writes");
  }

  /**
   * Dumps a stranger (or a slip) could hand over: each is refused before anything is written, with
   * what to do.
   */
  @Test
  void givenAmbiguousOrIncompleteDumps_whenRestored_thenEachIsRefusedWithWhatToDo()
      throws Exception {
    // two collections into one target
    Path two = tmp.resolve("two");
    MongodumpFixtures.folder(
        two,
        List.of(
            new MongodumpFixtures.Coll(
                "erp", "contacts", List.of(doc(new BsonDocument("_id", new BsonInt32(1))))),
            new MongodumpFixtures.Coll(
                "crm", "contacts", List.of(doc(new BsonDocument("_id", new BsonInt32(2)))))),
        null,
        false);
    assertThatThrownBy(
            () ->
                restore(
                    two,
                    options(
                        List.of(),
                        List.of(),
                        Map.of("erp", "crm"),
                        MongoRestorer.Mode.REPLACE,
                        false,
                        Confirmation.GIVEN)))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.USAGE))
        .hasMessageContaining(
            "crm.contacts and erp.contacts of the dump would both be restored into crm.contacts");
    // two files whose names unescape alike
    Files.copy(two.resolve("crm/contacts.bson"), two.resolve("crm/%63ontacts.bson"));
    assertThatThrownBy(() -> restore(two, all()))
        .hasMessageContaining("the dump holds collection crm.contacts twice");
    Files.delete(two.resolve("crm/%63ontacts.bson"));
    // metadata without its .bson: an incomplete dump, not an empty collection
    Files.delete(two.resolve("crm/contacts.bson"));
    assertThatThrownBy(() -> restore(two, all()))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.INTEGRITY))
        .hasMessageContaining("but no .bson file beside it");
    // collection files beside database folders
    Files.write(two.resolve("stray.bson"), new byte[0]);
    assertThatThrownBy(() -> restore(two, all()))
        .hasMessageContaining("holds both collection files and folders");
    // a well-framed document that is not BSON inside: refused before the server sees it
    byte[] bad =
        MongodumpFixtures.bson(
            new BsonDocument("_id", new BsonInt32(1)).append("s", new BsonString("abc")));
    bad[4] = 0x7f; // an element type that does not exist
    List<MongodumpFixtures.Coll> broken =
        List.of(new MongodumpFixtures.Coll("erp", "broken", List.of(new RawBsonDocument(bad))));
    Files.write(tmp.resolve("broken"), MongodumpFixtures.archive(broken, null, 10, 1, false));
    assertThatThrownBy(() -> restore(tmp.resolve("broken"), all()))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.INTEGRITY))
        .hasMessageContaining("document 1 of erp.broken in the dump is malformed BSON");
    MongodumpFixtures.folder(tmp.resolve("brokenDir"), broken, null, false);
    assertThatThrownBy(() -> restore(tmp.resolve("brokenDir"), all()))
        .hasMessageContaining("malformed BSON");
    // a time-series collection that an older mongodump wrote without a type: known by its options
    MongodumpFixtures.folder(
        tmp.resolve("ts"),
        List.of(
            new MongodumpFixtures.Coll(
                "erp",
                "readings",
                List.of(doc(new BsonDocument("_id", new BsonInt32(1)))),
                new BsonDocument("timeseries", new BsonDocument("timeField", new BsonString("t"))),
                List.of(),
                "")),
        null,
        false);
    assertThatThrownBy(() -> restore(tmp.resolve("ts"), all()))
        .hasMessageContaining("time-series collection erp.readings");
    assertNoCollections("erp", "crm");
  }

  /**
   * Hostile archives: data for a namespace the prelude does not list, data after a namespace's end,
   * too many at once.
   */
  @Test
  void givenForgedArchives_whenRestored_thenEachIsRefusedAndNothingIsWritten() throws Exception {
    byte[] good =
        MongodumpFixtures.archive(
            List.of(
                new MongodumpFixtures.Coll(
                    "erp", "a", List.of(doc(new BsonDocument("_id", new BsonInt32(1)))))),
            null,
            10,
            1,
            false);
    // a second block of erp.a after its EOF
    ByteArrayOutputStream after = new ByteArrayOutputStream();
    after.write(good);
    after.write(MongodumpFixtures.bson(MongodumpFixtures.header("erp", "a", false, 0)));
    after.write(MongodumpFixtures.bson(new BsonDocument("_id", new BsonInt32(2))));
    after.write(MongodumpFixtures.TERMINATOR);
    Files.write(tmp.resolve("after"), after.toByteArray());
    assertThatThrownBy(() -> restore(tmp.resolve("after"), all()))
        .hasMessageContaining("after that namespace ended");
    // a namespace the prelude does not list
    ByteArrayOutputStream stranger = new ByteArrayOutputStream();
    stranger.write(good);
    stranger.write(MongodumpFixtures.bson(MongodumpFixtures.header("erp", "b", false, 0)));
    stranger.write(MongodumpFixtures.TERMINATOR);
    Files.write(tmp.resolve("stranger"), stranger.toByteArray());
    assertThatThrownBy(() -> restore(tmp.resolve("stranger"), all()))
        .hasMessageContaining("which its prelude does not list");
    // seventeen collections open at once
    List<MongodumpFixtures.Coll> many = new ArrayList<>();
    for (int i = 0; i < 17; i++)
      many.add(
          new MongodumpFixtures.Coll(
              "erp",
              "c" + i,
              List.of(
                  doc(new BsonDocument("_id", new BsonInt32(1))),
                  doc(new BsonDocument("_id", new BsonInt32(2))))));
    Files.write(tmp.resolve("many"), MongodumpFixtures.archive(many, null, 1, 17, false));
    assertThatThrownBy(() -> restore(tmp.resolve("many"), all()))
        .hasMessageContaining("interleaves more than 16 collections");
    assertNoCollections("erp");
  }
}
