package io.coffer.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.coffer.engine.archive.Compression;
import io.coffer.engine.archive.Manifest;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.engine.crypto.Encryption;
import io.coffer.engine.mongo.BsonStream;
import io.coffer.engine.mongo.MongoRestorer;
import io.coffer.engine.mongo.OplogReplay;
import io.coffer.engine.mongo.Selection;
import io.coffer.engine.storage.FileStorage;
import io.coffer.engine.storage.Storage;
import io.coffer.protocol.BackupResult;
import io.coffer.protocol.Consistency;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.RestoreResult;
import io.coffer.testing.EmbeddedServers;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import net.lingala.zip4j.io.inputstream.ZipInputStream;
import net.lingala.zip4j.model.LocalFileHeader;
import org.bson.BsonArray;
import org.bson.BsonBinaryWriter;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.EncoderContext;
import org.bson.io.BasicOutputBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup taken while an application writes is one moment of the database where the server keeps
 * an oplog, and says plainly that it is not where it does not. mongo-java-server with its oplog on
 * stands in for a replica set (real driver, real wire protocol); its oplog logs an update's
 * operators as given ({@code $inc}), where MongoDB logs their results, so MongoDB's own update
 * forms ({@code $v: 2} diffs, {@code applyOps}) are replayed from fixtures written in MongoDB's
 * documented format. Simulated: the replica set (one in-memory server).
 */
class ConsistencyIT {
  @TempDir Path tmp;
  MongoServer server;
  String uri;
  MongoClient client;
  Storage storage;

  @BeforeEach
  void start() {
    server = new MongoServer(new MemoryBackend());
    server.enableOplog();
    server.bind("127.0.0.1", 0);
    uri = EmbeddedServers.uri(server);
    client = MongoClients.create(uri);
    storage = new FileStorage(tmp.resolve("store"));
  }

  @AfterEach
  void stop() {
    client.close();
    server.shutdownNow();
  }

  BackupResult backup(String id, List<String> include) throws Exception {
    return backup(id, include, new Progress(), null, null);
  }

  BackupResult backup(
      String id, List<String> include, Progress progress, String parent, char[] indexKey)
      throws Exception {
    return new BackupEngine(storage, new EngineLog(null), progress)
        .run(
            new BackupOptions(
                id,
                BackupType.DATABASE,
                uri,
                new Selection(include, List.of(), List.of(), null),
                List.of(),
                List.of(),
                List.of(),
                Encryption.NONE,
                Compression.DEFLATE,
                1,
                10,
                parent,
                indexKey));
  }

  /**
   * Progress that, when the backup reaches the ledger (orders read, lines not yet), waits until the
   * application has written {@code more} further pairs: the race happens on every run, however slow
   * the machine.
   */
  static Progress waitingAt(String item, AtomicInteger pairs, int more) {
    return new Progress() {
      @Override
      public void item(String i) {
        super.item(i);
        if (!i.equals(item)) return;
        int target = pairs.get() + more;
        long until = System.nanoTime() + 30_000_000_000L;
        while (pairs.get() < target && System.nanoTime() < until) {
          try {
            Thread.sleep(2);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    };
  }

  RestoreResult restore(String id, Map<String, String> rename) throws Exception {
    return new RestoreEngine(storage, new EngineLog(null), new Progress())
        .run(
            new RestoreOptions(
                id,
                uri,
                null,
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                null,
                rename,
                MongoRestorer.Mode.REPLACE,
                Map.of(),
                false,
                10));
  }

  /** Orders first, lines last, and between them enough documents that the dump takes a while. */
  void seed() {
    var filler = client.getDatabase("erp").getCollection("b_ledger");
    List<Document> batch = new ArrayList<>();
    for (int i = 0; i < 60_000; i++) {
      batch.add(new Document("_id", i).append("memo", "ledger line " + i));
      if (batch.size() == 10_000) {
        filler.insertMany(batch);
        batch.clear();
      }
    }
  }

  /** Writes an order and then its line, pair after pair, until stopped. */
  Thread writer(AtomicBoolean stop, AtomicInteger pairs) {
    Thread t =
        new Thread(
            () -> {
              try (MongoClient c = MongoClients.create(uri)) {
                var orders = c.getDatabase("erp").getCollection("a_orders");
                var lines = c.getDatabase("erp").getCollection("c_lines");
                for (int i = 0; !stop.get(); i++) {
                  orders.insertOne(new Document("_id", i).append("total", 10 * i));
                  lines.insertOne(
                      new Document("_id", i).append("order", i).append("amount", 10 * i));
                  if (i % 3 == 0)
                    orders.updateOne(Filters.eq("_id", i), Updates.set("state", "paid"));
                  pairs.incrementAndGet();
                }
              }
            });
    t.start();
    return t;
  }

  @Test
  void givenAnApplicationWritingDuringTheBackup_whenRestored_thenEveryLineHasItsOrder()
      throws Exception {
    seed();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger pairs = new AtomicInteger();
    Thread w = writer(stop, pairs);
    while (pairs.get() < 50) Thread.sleep(5);
    BackupResult r;
    try {
      r = backup("busy", List.of("erp"), waitingAt("erp.b_ledger", pairs, 30), null, null);
    } finally {
      stop.set(true);
      w.join();
    }
    assertThat(r.consistency().mode()).isEqualTo(Consistency.POINT_IN_TIME);
    assertThat(r.consistency().at()).isNotNull();
    Manifest m =
        new BackupStore(storage).manifest(new BackupStore(storage).descriptor("busy"), null);
    long orders = count(m, "a_orders");
    long lines = count(m, "c_lines");
    // the race did happen (the backup waited for it): read one after the other, they disagree
    assertThat(lines).as("lines read after orders").isGreaterThanOrEqualTo(orders + 30);
    assertThat(m.oplog().entries()).isPositive();

    RestoreResult restored = restore("busy", Map.of("erp", "erp_copy"));
    assertThat(restored.consistency()).isEqualTo(r.consistency());
    var restoredOrders = client.getDatabase("erp_copy").getCollection("a_orders");
    var restoredLines = client.getDatabase("erp_copy").getCollection("c_lines");
    Set<Object> orderIds = new HashSet<>();
    for (Document d : restoredOrders.find()) orderIds.add(d.get("_id"));
    List<Object> orphans = new ArrayList<>();
    for (Document l : restoredLines.find()) if (!orderIds.contains(l.get("order"))) orphans.add(l);
    assertThat(orphans).as("lines whose order is not there").isEmpty();
    long o = restoredOrders.countDocuments();
    long l = restoredLines.countDocuments();
    assertThat(o - l)
        .as("orders without their line (one may be between its two writes)")
        .isBetween(0L, 1L);
    assertThat(o).as("the moment is the backup's end, not its start").isGreaterThan(orders);
    // an order marked paid before the moment is paid in the copy too
    for (Document d : restoredOrders.find(Filters.eq("_id", 0)))
      assertThat(d.get("state")).isEqualTo("paid");
    assertThat(client.getDatabase("erp_copy").getCollection("b_ledger").countDocuments())
        .isEqualTo(60_000);
  }

  @Test
  void givenAServerWithoutAnOplog_thenTheBackupSaysItIsPerCollection() throws Exception {
    stop();
    server = EmbeddedServers.mongo(); // no oplog
    uri = EmbeddedServers.uri(server);
    client = MongoClients.create(uri);
    client.getDatabase("erp").getCollection("orders").insertOne(new Document("_id", 1));
    BackupResult r = backup("plain", List.of("erp"));
    assertThat(r.consistency().mode()).isEqualTo(Consistency.PER_COLLECTION);
    assertThat(r.consistency().reason()).contains("no oplog");
    assertThat(new BackupStore(storage).descriptor("plain").consistency().mode())
        .isEqualTo(Consistency.PER_COLLECTION);
    restore("plain", Map.of("erp", "erp_copy"));
    assertThat(client.getDatabase("erp_copy").getCollection("orders").countDocuments()).isOne();
  }

  @Test
  void givenUpdatesLoggedAsOperators_thenTheBackupSaysItIsPerCollectionAndWhy() throws Exception {
    seed();
    var counters = client.getDatabase("erp").getCollection("a_counters");
    counters.insertOne(new Document("_id", "invoice").append("n", 0));
    AtomicBoolean stop = new AtomicBoolean();
    Thread t =
        new Thread(
            () -> {
              try (MongoClient c = MongoClients.create(uri)) {
                var cs = c.getDatabase("erp").getCollection("a_counters");
                while (!stop.get()) cs.updateOne(Filters.eq("_id", "invoice"), Updates.inc("n", 1));
              }
            });
    t.start();
    BackupResult r;
    try {
      Thread.sleep(50);
      r = backup("counters", List.of("erp"));
    } finally {
      stop.set(true);
      t.join();
    }
    assertThat(r.consistency().mode()).isEqualTo(Consistency.PER_COLLECTION);
    assertThat(r.consistency().reason()).contains("$inc").contains("erp.a_counters");
    Manifest m =
        new BackupStore(storage).manifest(new BackupStore(storage).descriptor("counters"), null);
    assertThat(m.oplog()).isNull();
    assertThat(m.entries()).noneMatch(e -> e.kind() == Manifest.Kind.oplog);
  }

  @Test
  void givenTheWritesOfOtherCollections_thenOnlyTheChosenOnesAreKept() throws Exception {
    client.getDatabase("erp").getCollection("a_orders").insertOne(new Document("_id", -1));
    seed();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger pairs = new AtomicInteger();
    Thread w = writer(stop, pairs);
    while (pairs.get() < 20) Thread.sleep(5);
    BackupResult r;
    try {
      r =
          backup(
              "orders-only",
              List.of("erp.a_orders", "erp.b_ledger"),
              waitingAt("erp.b_ledger", pairs, 10),
              null,
              null);
    } finally {
      stop.set(true);
      w.join();
    }
    assertThat(r.consistency().isPointInTime()).isTrue();
    assertThat(oplogNamespaces("orders-only"))
        .as("the namespaces of the entries kept: the lines' were written too, and left out")
        .containsExactly("erp.a_orders");
    restore("orders-only", Map.of("erp", "erp_orders"));
    assertThat(client.getDatabase("erp_orders").listCollectionNames().into(new ArrayList<>()))
        .containsExactlyInAnyOrder("a_orders", "b_ledger");
  }

  /** The namespaces of the entries a backup's mongodb/oplog.bson holds, as stored. */
  Set<String> oplogNamespaces(String id) throws Exception {
    Set<String> ns = new TreeSet<>();
    try (ZipInputStream zip =
        new ZipInputStream(
            Files.newInputStream(tmp.resolve("store").resolve(id).resolve("archive.zip")))) {
      LocalFileHeader e;
      while ((e = zip.getNextEntry()) != null) {
        if (!e.getFileName().equals("mongodb/oplog.bson")) continue;
        BsonStream docs = new BsonStream(zip, "oplog");
        byte[] d;
        while ((d = docs.next()) != null) ns.add(new RawBsonDocument(d).getString("ns").getValue());
      }
    }
    return ns;
  }

  @Test
  void givenAnIncrementTakenUnderWrites_whenTheChainIsRestored_thenEveryLineHasItsOrder()
      throws Exception {
    seed();
    char[] key = "consistency-index-key-0123456789".toCharArray();
    client.getDatabase("erp").getCollection("a_orders").insertOne(new Document("_id", -1));
    client
        .getDatabase("erp")
        .getCollection("c_lines")
        .insertOne(new Document("_id", -1).append("order", -1));
    backup("monday", List.of("erp"), new Progress(), null, key);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger pairs = new AtomicInteger();
    Thread w = writer(stop, pairs);
    BackupResult r;
    try {
      while (pairs.get() < 20) Thread.sleep(5);
      r = backup("tuesday", List.of("erp"), waitingAt("erp.b_ledger", pairs, 30), "monday", key);
    } finally {
      stop.set(true);
      w.join();
    }
    assertThat(r.consistency().isPointInTime()).isTrue();
    Manifest m =
        new BackupStore(storage).manifest(new BackupStore(storage).descriptor("tuesday"), null);
    restore("tuesday", Map.of("erp", "erp_copy"));
    assertLinesHaveOrders("erp_copy");
    assertThat(client.getDatabase("erp_copy").getCollection("a_orders").countDocuments())
        .as("the orders written while the increment read are there: replayed from its window")
        .isGreaterThanOrEqualTo(count(m, "a_orders") + 30);
  }

  void assertLinesHaveOrders(String db) {
    Set<Object> orderIds = new HashSet<>();
    for (Document d : client.getDatabase(db).getCollection("a_orders").find())
      orderIds.add(d.get("_id"));
    List<Object> orphans = new ArrayList<>();
    for (Document l : client.getDatabase(db).getCollection("c_lines").find())
      if (!orderIds.contains(l.get("order"))) orphans.add(l);
    assertThat(orphans).as("lines whose order is not there").isEmpty();
  }

  // --- replay of MongoDB's own oplog forms, from fixtures in its documented format ---

  static byte[] bson(List<BsonDocument> entries) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (BsonDocument d : entries) {
      BasicOutputBuffer buf = new BasicOutputBuffer();
      new BsonDocumentCodec()
          .encode(new BsonBinaryWriter(buf), d, EncoderContext.builder().build());
      out.writeBytes(buf.toByteArray());
    }
    return out.toByteArray();
  }

  static BsonDocument entry(String op, String ns, BsonDocument o, BsonDocument o2) {
    BsonDocument e =
        new BsonDocument("ts", new BsonTimestamp(1_800_000_000L << 32 | 1))
            .append("op", new BsonString(op))
            .append("ns", new BsonString(ns))
            .append("o", o);
    if (o2 != null) e.append("o2", o2);
    return e;
  }

  static BsonDocument doc(String json) {
    return BsonDocument.parse(json);
  }

  long replay(List<BsonDocument> entries, MongoCollection<BsonDocument> target) throws Exception {
    return OplogReplay.replay(
        new ByteArrayInputStream(bson(entries)),
        "fixture",
        new OplogReplay.Targets(Set.of("erp.orders"), (db, coll) -> target),
        new Progress());
  }

  @Test
  void givenMongoDbsUpdateDiffsAndATransaction_whenReplayedTwice_thenTheSameDocuments()
      throws Exception {
    MongoCollection<BsonDocument> orders =
        client.getDatabase("replay").getCollection("orders", BsonDocument.class);
    orders.insertOne(doc("{_id: 1, a: 1, b: {c: 1, d: 2}, arr: [1, 2, 3, 4], gone: true}"));
    List<BsonDocument> entries =
        List.of(
            // MongoDB 5.0+: an update as a $v: 2 diff (u: updated, i: inserted, d: deleted fields,
            // s<field>: a sub-document's diff, a: true with u<index> and l: an array's)
            entry(
                "u",
                "erp.orders",
                doc(
                    "{$v: 2, diff: {u: {a: 5}, i: {n: 1}, d: {gone: false},"
                        + " sb: {d: {d: false}, u: {c: 9}}, sarr: {a: true, l: 2, u1: 7}}}"),
                doc("{_id: 1}")),
            // a transaction: applyOps, its operations in order
            entry(
                "c",
                "erp.$cmd",
                new BsonDocument(
                    "applyOps",
                    new BsonArray(
                        List.of(
                            entry("i", "erp.orders", doc("{_id: 2, total: 20}"), null),
                            entry("i", "erp.lines", doc("{_id: 2, order: 2}"), null),
                            entry(
                                "u",
                                "erp.orders",
                                doc("{$v: 2, diff: {u: {total: 21}}}"),
                                doc("{_id: 2}"))))),
                null),
            // a replacement and a delete
            entry("i", "erp.orders", doc("{_id: 3, x: 1}"), null),
            entry("u", "erp.orders", doc("{_id: 3, y: 2}"), doc("{_id: 3}")),
            entry("i", "erp.orders", doc("{_id: 4}"), null),
            entry("d", "erp.orders", doc("{_id: 4}"), null),
            // $v: 1, as MongoDB 4.x logs an update
            entry("u", "erp.orders", doc("{$v: 1, $set: {v1: true}}"), doc("{_id: 3}")));
    assertThat(replay(entries, orders)).isEqualTo(entries.size());
    List<BsonDocument> once =
        orders.find().sort(new BsonDocument("_id", new BsonInt32(1))).into(new ArrayList<>());
    assertThat(once)
        .containsExactly(
            doc("{_id: 1, a: 5, b: {c: 9}, arr: [1, 7], n: 1}"),
            doc("{_id: 2, total: 21}"),
            doc("{_id: 3, y: 2, v1: true}"));
    replay(entries, orders); // idempotent: a change a collection's read already saw, applied again
    assertThat(
            orders.find().sort(new BsonDocument("_id", new BsonInt32(1))).into(new ArrayList<>()))
        .isEqualTo(once);
  }

  @Test
  void givenOneDocumentInsertedUpdatedDeletedAndInsertedAgain_whenReplayed_thenItsLastState()
      throws Exception {
    MongoCollection<BsonDocument> orders =
        client.getDatabase("replay").getCollection("orders", BsonDocument.class);
    List<BsonDocument> entries = new ArrayList<>();
    for (int i = 0; i < 450; i++) { // updates wait in groups of 200: the groups' edges are crossed
      entries.add(
          entry("u", "erp.orders", doc("{$v: 2, diff: {u: {n: " + i + "}}}"), doc("{_id: 7}")));
      if (i == 100) {
        entries.add(entry("d", "erp.orders", doc("{_id: 7}"), null));
        entries.add(entry("i", "erp.orders", doc("{_id: 7, again: true, n: -1}"), null));
      }
      if (i == 300)
        entries.add(entry("u", "erp.orders", doc("{$set: {'deep.x': 1}}"), doc("{_id: 7}")));
    }
    entries.add(
        entry("u", "erp.orders", doc("{$v: 2, diff: {u: {n: 1}}}"), doc("{_id: 8}"))); // gone
    orders.insertOne(doc("{_id: 7, first: true}"));
    replay(entries, orders);
    assertThat(orders.find().into(new ArrayList<>()))
        .extracting(BsonDocument::toJson) // field order counts
        .containsExactly(doc("{_id: 7, again: true, n: 449, deep: {x: 1}}").toJson());
  }

  @Test
  void givenIdsThatLookAlike_whenTheirUpdatesWaitTogether_thenEachReachesItsOwnDocument()
      throws Exception {
    MongoCollection<BsonDocument> orders =
        client.getDatabase("replay").getCollection("orders", BsonDocument.class);
    // two documents whose _ids differ only in field order (MongoDB tells them apart), and one
    // whose _id an entry names as a 64-bit number (the server takes 1L for 1)
    orders.insertOne(doc("{_id: {a: 1, b: 2}, n: 0}"));
    orders.insertOne(doc("{_id: {b: 2, a: 1}, n: 0}"));
    orders.insertOne(doc("{_id: 1, n: 0}"));
    List<BsonDocument> entries =
        List.of(
            entry("u", "erp.orders", doc("{$set: {n: 1}}"), doc("{_id: {a: 1, b: 2}}")),
            entry("u", "erp.orders", doc("{$set: {n: 2}}"), doc("{_id: {b: 2, a: 1}}")),
            entry("u", "erp.orders", doc("{$set: {n: 1, first: true}}"), doc("{_id: 1}")),
            entry("u", "erp.orders", doc("{$set: {n: 2}}"), doc("{_id: {$numberLong: '1'}}")),
            entry("u", "erp.orders", doc("{$set: {n: 3}}"), doc("{_id: 1}")));
    replay(entries, orders);
    List<String> after = new ArrayList<>();
    for (BsonDocument d : orders.find()) after.add(d.toJson());
    assertThat(after)
        .containsExactlyInAnyOrder(
            doc("{_id: {a: 1, b: 2}, n: 1}").toJson(),
            doc("{_id: {b: 2, a: 1}, n: 2}").toJson(),
            doc("{_id: 1, n: 3, first: true}").toJson());
  }

  @Test
  void givenAForgedOplog_whenReplayed_thenRefusedWithTheEntry() {
    MongoCollection<BsonDocument> orders =
        client.getDatabase("replay").getCollection("orders", BsonDocument.class);
    assertThatThrownBy(
            () ->
                replay(
                    List.of(
                        entry("i", "erp.orders", doc("{_id: 1}"), null),
                        entry("u", "erp.orders", doc("{$inc: {n: 1}}"), doc("{_id: 1}"))),
                    orders))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.INTEGRITY))
        .hasMessageContaining("entry 2 of fixture")
        .hasMessageContaining("$inc");
    assertThatThrownBy(
            () ->
                replay(
                    List.of(entry("u", "erp.orders", doc("{$v: 2, diff: {u: {a: 1}}}"), null)),
                    orders))
        .isInstanceOf(CofferException.class)
        .hasMessageContaining("without an _id");
  }

  @Test
  void givenAManifestWhoseOplogAndWindowDisagree_thenRefusedBeforeAnythingIsRead() {
    Manifest.Entry oplog =
        new Manifest.Entry(
            "mongodb/oplog.bson",
            Manifest.Kind.oplog,
            10,
            "a".repeat(64),
            1L,
            null,
            null,
            null,
            null,
            null,
            null,
            null);
    Manifest.Entry elsewhere =
        new Manifest.Entry(
            "mongodb/erp/oplog.bson",
            Manifest.Kind.oplog,
            10,
            "a".repeat(64),
            1L,
            null,
            null,
            null,
            null,
            null,
            null,
            null);
    Consistency at = Consistency.pointInTime("2026-12-07T10:00:00Z");
    Manifest.Oplog window = new Manifest.Oplog(1L << 32, 2L << 32, 1);
    assertThat(ManifestCheck.check(manifest(List.of(oplog), at, window), "x").oplog())
        .isEqualTo(window);
    for (Manifest forged :
        List.of(
            manifest(List.of(oplog), null, null), // an oplog no window announces
            manifest(List.of(), at, window), // a window without its oplog
            manifest(List.of(oplog), at, new Manifest.Oplog(1L << 32, 2L << 32, 7)), // miscounted
            manifest(List.of(oplog), at, new Manifest.Oplog(2L << 32, 1L << 32, 1)), // backwards
            manifest(List.of(elsewhere), at, window), // not where Coffer writes it
            manifest(List.of(), new Consistency("Sometimes", null, null), null))) {
      assertThatThrownBy(() -> ManifestCheck.check(forged, "x"))
          .isInstanceOf(CofferException.class)
          .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.INTEGRITY));
    }
  }

  static Manifest manifest(List<Manifest.Entry> entries, Consistency c, Manifest.Oplog oplog) {
    return new Manifest(
        Manifest.FORMAT,
        Manifest.FORMAT_VERSION,
        "x",
        "2026-12-07T10:00:00Z",
        "database",
        null,
        null,
        "deflate",
        1,
        entries,
        List.of(),
        null,
        c,
        oplog);
  }

  static long count(Manifest m, String collection) {
    return m.entries().stream()
        .filter(e -> e.kind() == Manifest.Kind.bson && collection.equals(e.collection()))
        .findFirst()
        .orElseThrow()
        .documents();
  }
}
