package io.coffer.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.engine.archive.Compression;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.engine.crypto.Encryption;
import io.coffer.engine.files.FileTreeDumper;
import io.coffer.engine.incremental.ChainIndex;
import io.coffer.engine.incremental.DocHash;
import io.coffer.engine.incremental.IdOrder;
import io.coffer.engine.mongo.MongoRestorer;
import io.coffer.engine.mongo.Selection;
import io.coffer.engine.storage.FileStorage;
import io.coffer.engine.storage.Storage;
import io.coffer.protocol.BackupResult;
import io.coffer.protocol.Field;
import io.coffer.protocol.RestoreResult;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.Tools;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.bson.BsonBinary;
import org.bson.BsonBoolean;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonNull;
import org.bson.BsonObjectId;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Incremental backups on a plain MongoDB (no oplog) and on files: a chain of several increments
 * with inserts, updates, deletes, a dropped and a new collection, changed, renamed, touched and
 * deleted files; each point of the chain restores to the source as it was then, byte for byte.
 * Encrypted to a public key: the backup side never holds the private key, only the index key.
 */
class IncrementalIT {
  static MongoServer server;
  static String uri;
  static MongoClient client;
  static final AgeKeys.Identity ops = AgeKeys.generate();
  static final char[] INDEX_KEY = "index-key-for-tests-0123456789".toCharArray();
  static final List<String> log = Collections.synchronizedList(new ArrayList<>());

  /** Whether the server keeps an oplog (see {@link IncrementalOplogIT}). */
  boolean oplog() {
    return false;
  }

  @TempDir Path tmp;

  /** An invoice amount: a Decimal128 where the server has the type. */
  Object amount() {
    return new Decimal128(new BigDecimal("12.50"));
  }

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

  BackupResult backup(Storage storage, String id, String parent, Path uploads) throws IOException {
    return new BackupEngine(storage, new EngineLog(log::add), new Progress())
        .run(
            new BackupOptions(
                id,
                BackupType.FULL,
                uri,
                new Selection(List.of("shop"), List.of(), List.of(), null),
                List.of(new FileTreeDumper.Tree("uploads", uploads)),
                List.of(),
                List.of(),
                Encryption.toRecipients(List.of(ops.recipient())),
                Compression.DEFLATE,
                1,
                5,
                parent,
                INDEX_KEY));
  }

  RestoreResult restore(Storage storage, String id, String db, Path files) throws IOException {
    return new RestoreEngine(storage, new EngineLog(null), new Progress())
        .run(
            new RestoreOptions(
                id,
                uri,
                Age.DecryptionKeys.of(List.of(ops)),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                null,
                Map.of("shop", db),
                MongoRestorer.Mode.REPLACE,
                Map.of("uploads", files),
                false,
                5));
  }

  /** Every collection of a database: its documents' bytes in _id order, as hex. */
  static Map<String, List<String>> snapshot(String db) {
    Map<String, List<String>> out = new TreeMap<>();
    for (String name : client.getDatabase(db).listCollectionNames()) {
      List<String> docs = new ArrayList<>();
      MongoCollection<RawBsonDocument> c =
          client.getDatabase(db).getCollection(name, RawBsonDocument.class);
      try (MongoCursor<RawBsonDocument> it =
          c.find().sort(Sorts.ascending("_id")).batchSize(1000).iterator()) {
        while (it.hasNext()) {
          var bb = it.next().getByteBuffer();
          byte[] b = new byte[bb.remaining()];
          bb.get(b);
          docs.add(HexFormat.of().formatHex(b));
        }
      }
      out.put(name, docs);
    }
    return out;
  }

  static Map<String, String> tree(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String rel = root.relativize(p).toString();
        if (Files.isDirectory(p)) out.put(rel + "/", "dir");
        else
          out.put(
              rel,
              Files.getLastModifiedTime(p).toMillis() / 1000
                  + " "
                  + Arrays.hashCode(Files.readAllBytes(p)));
      }
    }
    return out;
  }

  @Test
  void
      givenAChainOfIncrements_whenEachPointIsRestored_thenItEqualsTheSourceAsItWasThen_andIncrementsStoreLittle()
          throws Exception {
    Storage storage = new FileStorage(tmp.resolve("store"));
    Path uploads = Files.createDirectories(tmp.resolve("uploads"));
    var shop = client.getDatabase("shop");
    List<Document> orders = new ArrayList<>();
    for (int i = 0; i < 5000; i++)
      orders.add(
          new Document("_id", i)
              .append("customer", "c" + (i % 300))
              .append("total", i * 1.5)
              .append("lines", List.of(new Document("sku", "A" + i).append("qty", i % 7))));
    shop.getCollection("orders").insertMany(orders);
    shop.getCollection("customers")
        .insertMany(
            List.of(
                new Document("_id", "c1").append("name", "Ada"),
                new Document("_id", "c2").append("name", "Bo")));
    shop.getCollection("audit")
        .insertOne(new Document("_id", new ObjectId()).append("at", new Date(0)));
    byte[] big = new byte[400_000];
    new Random(1).nextBytes(big);
    Files.write(uploads.resolve("contract.pdf"), big);
    Files.writeString(uploads.resolve("notes.txt"), "version 1");
    Files.createDirectories(uploads.resolve("scans"));
    Files.writeString(uploads.resolve("scans/a.txt"), "scan a");

    Map<String, Map<String, List<String>>> dbAt = new LinkedHashMap<>();
    Map<String, Map<String, String>> filesAt = new LinkedHashMap<>();
    BackupResult full = backup(storage, "b0", null, uploads);
    dbAt.put("b0", snapshot("shop"));
    filesAt.put("b0", tree(uploads));

    // 1: inserts, updates, deletes; a file changed, one renamed, one new
    shop.getCollection("orders")
        .insertMany(
            List.of(new Document("_id", 9000).append("customer", "c9"), new Document("_id", 9001)));
    shop.getCollection("orders").updateOne(Filters.eq("_id", 10), Updates.set("total", -1));
    shop.getCollection("orders").deleteMany(Filters.in("_id", List.of(20, 21, 22)));
    Files.writeString(uploads.resolve("notes.txt"), "version 2, longer");
    Files.move(uploads.resolve("scans/a.txt"), uploads.resolve("scans/a-renamed.txt"));
    Files.writeString(uploads.resolve("new.txt"), "new");
    BackupResult i1 = backup(storage, "b1", "b0", uploads);
    dbAt.put("b1", snapshot("shop"));
    filesAt.put("b1", tree(uploads));

    // 2: a collection dropped, a new one, a field removed; a file deleted, one touched (same
    // content, new time)
    shop.getCollection("audit").drop();
    shop.getCollection("invoices")
        .insertOne(new Document("_id", "INV-1").append("amount", amount()));
    shop.getCollection("customers").updateOne(Filters.eq("_id", "c1"), Updates.unset("name"));
    Files.delete(uploads.resolve("new.txt"));
    Files.setLastModifiedTime(
        uploads.resolve("contract.pdf"), FileTime.fromMillis(1_700_000_000_000L));
    BackupResult i2 = backup(storage, "b2", "b1", uploads);
    dbAt.put("b2", snapshot("shop"));
    filesAt.put("b2", tree(uploads));

    // 3: everything in orders deleted but one; the document count shrinks, the chain still holds
    shop.getCollection("orders").deleteMany(Filters.ne("_id", 9000));
    BackupResult i3 = backup(storage, "b3", "b2", uploads);
    dbAt.put("b3", snapshot("shop"));
    filesAt.put("b3", tree(uploads));

    assertThat(log)
        .as("how increments found the changes")
        .anyMatch(l -> l.contains(oplog() ? "(from the oplog)" : "compared with its index"));
    assertThat(i1.storedSize())
        .as("an increment stores what changed, not the 400 KB contract")
        .isLessThan(full.storedSize() / 5);
    assertThat(i2.storedSize()).isLessThan(full.storedSize() / 5);
    // each point of the chain, restored elsewhere, equals the source then
    for (String id : dbAt.keySet()) {
      String db = "restored_" + id;
      Path files = tmp.resolve("restored-" + id);
      restore(storage, id, db, files);
      assertThat(snapshot(db)).as("database at " + id).isEqualTo(dbAt.get(id));
      assertThat(tree(files)).as("files at " + id).isEqualTo(filesAt.get(id));
    }
    assertThat(snapshot("restored_b2")).doesNotContainKey("audit").containsKey("invoices");
    assertThat(snapshot("restored_b3").get("orders")).hasSize(1);
    // the chain is visible, and verification of an increment covers its own archive
    assertThat(new BackupStore(storage).chainIds(new BackupStore(storage).descriptor("b3")))
        .containsExactly("b0", "b1", "b2", "b3");
    assertThat(
            new VerifyEngine(storage, new EngineLog(null), new Progress())
                .run("b2", true, Age.DecryptionKeys.of(List.of(ops)))
                .message())
        .contains("its chain of 3 backups is complete");
  }

  /**
   * The index objects of one collection: how many bytes, and whether checkpoint or delta (the
   * header after the magic).
   */
  static String indexKind(Storage storage, String backupId) throws IOException {
    try (var r = new ChainIndex(storage, INDEX_KEY).reader(backupId, "mongodb.shop.events")) {
      return r.parent() == null ? "checkpoint" : "delta on " + r.parent();
    }
  }

  @Test
  void
      givenALongChainOfSmallIncrements_whenEachPointIsRestored_thenItIsExact_andIndexesAreDeltasWithPeriodicCheckpoints()
          throws Exception {
    // small documents, one changed, one inserted and one deleted per increment: the index of an
    // increment holds
    // those three records, not the 2,000 of the collection; after MAX_DELTAS deltas a checkpoint
    // starts again
    Storage storage = new FileStorage(tmp.resolve("store"));
    Path uploads = Files.createDirectories(tmp.resolve("u"));
    var events = client.getDatabase("shop").getCollection("events");
    events.drop();
    client.getDatabase("shop").getCollection("orders").drop();
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < 2000; i++)
      docs.add(new Document("_id", i).append("type", "login").append("user", "u" + (i % 97)));
    events.insertMany(docs);
    int steps = ChainIndex.MAX_DELTAS + 3;
    Map<String, Map<String, List<String>>> dbAt = new LinkedHashMap<>();
    backup(storage, "l0", null, uploads);
    dbAt.put("l0", snapshot("shop"));
    long fullIndex = Files.size(tmp.resolve("store/l0/index/mongodb.shop.events.idx"));
    for (int s = 1; s <= steps; s++) {
      events.updateOne(Filters.eq("_id", s), Updates.set("type", "changed-" + s));
      events.insertOne(new Document("_id", 10_000 + s).append("type", "new"));
      events.deleteOne(Filters.eq("_id", 1000 + s));
      if (s == 5)
        events.insertOne(
            new Document("_id", 1000 + 4)
                .append("type", "back again")); // deleted at 4, inserted at 5
      backup(storage, "l" + s, "l" + (s - 1), uploads);
      dbAt.put("l" + s, snapshot("shop"));
    }
    int max = ChainIndex.MAX_DELTAS;
    assertThat(indexKind(storage, "l0")).isEqualTo("checkpoint");
    assertThat(indexKind(storage, "l1")).isEqualTo("delta on l0");
    assertThat(indexKind(storage, "l" + max)).isEqualTo("delta on l" + (max - 1));
    assertThat(indexKind(storage, "l" + (max + 1)))
        .as("the chain's 17th index is a checkpoint again")
        .isEqualTo("checkpoint");
    assertThat(indexKind(storage, "l" + (max + 2))).isEqualTo("delta on l" + (max + 1));
    assertThat(Files.size(tmp.resolve("store/l3/index/mongodb.shop.events.idx")))
        .as("a delta of three records next to 2,000")
        .isLessThan(fullIndex / 10);
    for (String id : dbAt.keySet()) {
      restore(storage, id, "chain_" + id, tmp.resolve("chain-" + id));
      assertThat(snapshot("chain_" + id)).as("database at " + id).isEqualTo(dbAt.get(id));
    }
    events.drop();
  }

  /**
   * An increment's mongodb/ folder, unzipped beside its manifest, holds only the changes: read as a
   * mongodump it would replace whole collections with them, so {@code --from-mongodump} refuses it
   * (the full backup's folder it reads).
   */
  @Test
  void
      givenAnUnzippedIncrement_whenItsMongodbFolderIsReadAsAMongodump_thenRefused_andTheFullBackupsIsRestored()
          throws Exception {
    Tools.require("unzip");
    for (String db : List.of("shop", "shop_dump"))
      client.getDatabase(db).drop(); // what other tests of the suite left
    Storage storage = new FileStorage(tmp.resolve("store"));
    Path uploads = Files.createDirectories(tmp.resolve("uploads"));
    client
        .getDatabase("shop")
        .getCollection("orders")
        .insertOne(new Document("_id", 1).append("total", 5));
    // a control character in a name: written %09 as mongodump does, so unzip keeps it
    client.getDatabase("shop").getCollection("tab\tx").insertOne(new Document("_id", 1));
    backup(storage, "f1", null, uploads);
    client
        .getDatabase("shop")
        .getCollection("orders")
        .insertOne(new Document("_id", 2).append("total", 7));
    backup(storage, "i1", "f1", uploads);
    RestoreOptions o =
        new RestoreOptions(
            "mongodump",
            uri,
            null,
            List.of(),
            List.of(),
            List.of(),
            List.of(),
            BackupType.DATABASE,
            Map.of("shop", "shop_dump"),
            MongoRestorer.Mode.REPLACE,
            Map.of(),
            false,
            5,
            false,
            Confirmation.GIVEN);
    for (String id : List.of("f1", "i1")) {
      Path zip = tmp.resolve(id + ".zip");
      String name =
          storage.list(id).stream().filter(k -> k.contains("archive")).findFirst().orElseThrow();
      try (var in = Age.decrypt(storage.open(name), Age.DecryptionKeys.of(List.of(ops)))) {
        Files.copy(in, zip);
      }
      var x = Tools.run(tmp, List.of("unzip", "-q", zip.toString(), "-d", id));
      assertThat(x.exit()).as(x.out()).isZero();
    }
    var engine = new DumpRestoreEngine(new EngineLog(null), new Progress());
    // a stock mongorestore --dir i1/mongodb finds no folder: it cannot take the changes for a dump
    assertThat(tmp.resolve("i1/mongodb")).doesNotExist();
    assertThat(tmp.resolve("i1/coffer-changes/shop/orders.bson")).exists();
    assertThat(tmp.resolve("f1/mongodb/shop/orders.bson")).exists();
    assertThat(tmp.resolve("f1/mongodb/shop/tab%09x.bson")).exists();
    assertThatThrownBy(() -> engine.run(tmp.resolve("i1/coffer-changes").toString(), null, o))
        .isInstanceOf(CofferException.class)
        .hasMessageContaining(
            "is the coffer-changes/ folder of an incremental Coffer backup (i1): it holds only the changes since backup f1");
    assertThatThrownBy(() -> engine.run(tmp.resolve("i1").toString(), null, o))
        .hasMessageContaining("is an unzipped Coffer archive");
    assertThat(engine.run(tmp.resolve("f1/mongodb").toString(), null, o).documents()).isEqualTo(2);
    assertThat(client.getDatabase("shop_dump").listCollectionNames().into(new ArrayList<>()))
        .contains("tab\tx");
  }

  @Test
  void givenIdsOfManyTypes_whenTheServerSortsThem_thenItAgreesWithIdOrder() {
    // increments read collections in _id order and merge them with the parent's index in IdOrder;
    // where the two
    // disagree the merge stays exact but holds more in memory (ChainDiffTest), so each server's
    // order is checked here
    var c = client.getDatabase("order").getCollection("ids", BsonDocument.class);
    c.drop();
    List<BsonValue> ids =
        new ArrayList<>(
            List.of(
                BsonNull.VALUE,
                new BsonInt32(-5),
                new BsonDouble(-4.5),
                new BsonInt32(1),
                new BsonDouble(1.5),
                new BsonInt64(2),
                new BsonString("A"),
                new BsonString("a"),
                new BsonString("ab"),
                new BsonString("é"),
                new BsonDocument("a", new BsonInt32(1)),
                new BsonDocument("a", new BsonInt32(2)),
                new BsonBinary(new byte[] {9}),
                new BsonBinary(new byte[] {1, 2}),
                new BsonObjectId(new ObjectId("000000000000000000000001")),
                new BsonObjectId(new ObjectId("ff0000000000000000000000")),
                BsonBoolean.FALSE,
                BsonBoolean.TRUE,
                // dates far from the numbers above: FerretDB 1.24 takes a date's _id as equal to
                // the number of its milliseconds
                new BsonDateTime(-86_400_000L),
                new BsonDateTime(1_700_000_000_000L)));
    List<BsonValue> shuffled = new ArrayList<>(ids);
    Collections.shuffle(shuffled, new Random(5));
    for (BsonValue id : shuffled) c.insertOne(new BsonDocument("_id", id));
    List<byte[]> server = new ArrayList<>();
    for (RawBsonDocument d :
        client
            .getDatabase("order")
            .getCollection("ids", RawBsonDocument.class)
            .find()
            .sort(Sorts.ascending("_id"))) {
      byte[] doc = bytes(d);
      server.add(Arrays.copyOfRange(doc, 4, doc.length - 1));
    }
    List<byte[]> ours = new ArrayList<>(server);
    ours.sort(IdOrder::compare);
    assertThat(
            server.stream()
                .map(b -> new RawBsonDocument(DocHash.idDocument(b)).get("_id").toString()))
        .containsExactlyElementsOf(
            ours.stream()
                .map(b -> new RawBsonDocument(DocHash.idDocument(b)).get("_id").toString())
                .toList());
    c.drop();
  }

  /** A raw document's bytes. */
  static byte[] bytes(RawBsonDocument d) {
    var bb = d.getByteBuffer();
    byte[] b = new byte[bb.remaining()];
    bb.get(b);
    return b;
  }

  @Test
  void
      givenARepeatedRecordInAHostileIndex_whenAnIncrementIsTaken_thenNoDocumentOnTheServerIsRecordedDeleted()
          throws Exception {
    // untrusted input: the parent's checkpoint rewritten (with the index key) to list document 1
    // again at its end; the
    // increment's merge takes that repeat for a deletion candidate, and the server, asked, still
    // has it
    Storage storage = new FileStorage(tmp.resolve("store"));
    Path uploads = Files.createDirectories(tmp.resolve("u"));
    var events = client.getDatabase("shop").getCollection("events");
    events.drop();
    client.getDatabase("shop").getCollection("orders").drop();
    for (int i = 1; i <= 5; i++) events.insertOne(new Document("_id", i).append("type", "login"));
    backup(storage, "h0", null, uploads);
    var index = new ChainIndex(storage, INDEX_KEY);
    var hasher = new DocHash();
    List<DocHash.Ids> docs = new ArrayList<>();
    for (RawBsonDocument d :
        client
            .getDatabase("shop")
            .getCollection("events", RawBsonDocument.class)
            .find()
            .sort(Sorts.ascending("_id"))) {
      byte[] b = bytes(d);
      docs.add(hasher.of(b, 0, b.length));
    }
    docs.add(docs.get(0));
    var w = index.writer("h0", "mongodb.shop.events");
    for (var d : docs) w.document(d.idHash(), d.docHash(), d.idElement());
    w.close();
    events.updateOne(Filters.eq("_id", 2), Updates.set("type", "changed"));
    backup(storage, "h1", "h0", uploads);
    Map<String, List<String>> now = snapshot("shop");
    if (oplog()) {
      // from the oplog the increment counts the parent's records, the repeat included: the count is
      // off by one, and
      // restore, which checks it, refuses before anything is written (no document is lost either
      // way)
      assertThatThrownBy(() -> restore(storage, "h1", "hostile_h1", tmp.resolve("hostile-h1")))
          .isInstanceOf(CofferException.class)
          .hasMessageContaining("nothing was restored");
      assertThat(client.getDatabase("hostile_h1").listCollectionNames().into(new ArrayList<>()))
          .isEmpty();
    } else {
      restore(storage, "h1", "hostile_h1", tmp.resolve("hostile-h1"));
      assertThat(snapshot("hostile_h1"))
          .as("document 1 is not deleted by the increment")
          .isEqualTo(now);
    }
    events.drop();
  }

  @Test
  void givenADamagedOrLoopingDeltaIndex_whenAnIncrementReadsIt_thenAClearErrorAndNoBackup()
      throws Exception {
    // untrusted input: a delta index whose header names itself as its parent (a loop) is refused,
    // not followed forever
    Storage storage = new FileStorage(tmp.resolve("store"));
    Path uploads = Files.createDirectories(tmp.resolve("u"));
    var events = client.getDatabase("shop").getCollection("events");
    events.drop();
    events.insertOne(new Document("_id", 1).append("type", "login"));
    backup(storage, "d0", null, uploads);
    events.insertOne(new Document("_id", 2));
    backup(storage, "d1", "d0", uploads);
    // rewrite d1's delta so that it names d1 as its parent, with the index key (as a holder of it
    // could)
    var index = new ChainIndex(storage, INDEX_KEY);
    var w = index.deltaWriter("d1", "mongodb.shop.events", "d1", new ChainIndex.Chain(0, 0));
    w.close();
    events.insertOne(new Document("_id", 3));
    assertThatThrownBy(() -> backup(storage, "d2", "d1", uploads))
        .isInstanceOf(CofferException.class)
        .hasMessageContaining("is damaged")
        .hasMessageContaining("take a full backup");
    assertThat(storage.list("d2"))
        .as("no descriptor, no archive and no index objects of the failed backup")
        .isEmpty();
    events.drop();
  }

  @Test
  void givenAMissingLinkOrNoIndex_whenAnIncrementIsAskedFor_thenClearErrorsAndNothingHalfDone()
      throws Exception {
    Storage storage = new FileStorage(tmp.resolve("store"));
    Path uploads = Files.createDirectories(tmp.resolve("u"));
    Files.writeString(uploads.resolve("a.txt"), "a");
    client.getDatabase("shop").getCollection("orders").insertOne(new Document("_id", "x"));
    // a full backup without an index key cannot start a chain
    new BackupEngine(storage, new EngineLog(null), new Progress())
        .run(
            new BackupOptions(
                "plain",
                BackupType.FILES,
                null,
                Selection.all(),
                List.of(new FileTreeDumper.Tree("uploads", uploads)),
                List.of(),
                List.of(),
                Encryption.NONE,
                Compression.DEFLATE,
                1,
                5));
    assertThatThrownBy(() -> backup(storage, "i-on-plain", "plain", uploads))
        .isInstanceOf(CofferException.class)
        .hasMessageContaining("has no chain index");
    assertThatThrownBy(
            () ->
                new BackupOptions(
                    "x",
                    BackupType.FILES,
                    null,
                    Selection.all(),
                    List.of(new FileTreeDumper.Tree("uploads", uploads)),
                    List.of(),
                    List.of(),
                    Encryption.NONE,
                    Compression.DEFLATE,
                    1,
                    5,
                    "plain",
                    null))
        .hasMessageContaining(Field.INDEX_KEY.mark());
    // a chain whose middle link is deleted cannot be restored, and says which link is missing
    backup(storage, "c0", null, uploads);
    Files.writeString(uploads.resolve("a.txt"), "b");
    backup(storage, "c1", "c0", uploads);
    backup(storage, "c2", "c1", uploads);
    new BackupStore(storage).delete("c1");
    assertThatThrownBy(() -> restore(storage, "c2", "never", tmp.resolve("never")))
        .isInstanceOf(CofferException.class)
        .hasMessageContaining("needs backup c1");
    assertThatThrownBy(
            () ->
                new VerifyEngine(storage, new EngineLog(null), new Progress())
                    .run("c2", false, null))
        .hasMessageContaining("its chain lacks backup c1");
    assertThat(client.getDatabase("never").listCollectionNames().into(new ArrayList<>())).isEmpty();
    // a wrong index key is refused before anything is written
    assertThatThrownBy(
            () ->
                new BackupEngine(storage, new EngineLog(null), new Progress())
                    .run(
                        new BackupOptions(
                            "c3",
                            BackupType.FULL,
                            uri,
                            new Selection(List.of("shop"), List.of(), List.of(), null),
                            List.of(new FileTreeDumper.Tree("uploads", uploads)),
                            List.of(),
                            List.of(),
                            Encryption.toRecipients(List.of(ops.recipient())),
                            Compression.DEFLATE,
                            1,
                            5,
                            "c2",
                            "another-index-key-0123456789".toCharArray())))
        .hasMessageContaining("does not open with this index key");
    assertThat(new BackupStore(storage).list().stream().map(StoredBackup::id)).doesNotContain("c3");
  }
}
