package io.coffer.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.MongoNamespace;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.coffer.engine.archive.Compression;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.engine.crypto.Encryption;
import io.coffer.engine.mongo.Selection;
import io.coffer.engine.pitr.OplogArchiver;
import io.coffer.engine.pitr.Slice;
import io.coffer.engine.pitr.Slices;
import io.coffer.engine.storage.FileStorage;
import io.coffer.engine.storage.Storage;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.OplogWindow;
import io.coffer.protocol.Request;
import io.coffer.protocol.RestoreRequest;
import io.coffer.protocol.RestoreResult;
import io.coffer.testing.EmbeddedServers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery to any second: a point-in-time backup, the oplog archived beside it while the
 * application goes on writing, and restores to moments between two writes. mongo-java-server with
 * its oplog on stands in for a replica set (real driver, real wire protocol; its tailable cursor
 * never sees new entries, so the archiver's poll opens a new one each time, as it would after a
 * real server ended a cursor). Simulated: the replica set (one in-memory server), the oplog's
 * rollover (its oldest entries deleted by hand), a crash (a storage that fails on cue), age keys
 * made by the test. Slices are a second or less long so the test takes seconds.
 */
class PointInTimeIT {
  @TempDir Path tmp;
  MongoServer server;
  String uri;
  MongoClient client;
  Storage storage;
  AgeKeys.Identity identity;
  Path identityFile;

  @BeforeEach
  void start() throws Exception {
    server = new MongoServer(new MemoryBackend());
    server.enableOplog();
    server.bind("127.0.0.1", 0);
    uri = EmbeddedServers.uri(server);
    client = MongoClients.create(uri);
    storage = new FileStorage(tmp.resolve("store"));
    Engine.KeyPair k = Engine.newKeyPair();
    identityFile = tmp.resolve("key.txt");
    Files.writeString(identityFile, k.identityFile());
    recipient = k.recipient();
  }

  String recipient;

  @AfterEach
  void stop() {
    client.close();
    server.shutdownNow();
  }

  MongoCollection<Document> orders() {
    return client.getDatabase("erp").getCollection("orders");
  }

  void backup(String id) throws Exception {
    new BackupEngine(storage, new EngineLog(null), new Progress())
        .run(
            new BackupOptions(
                id,
                BackupType.DATABASE,
                uri,
                new Selection(List.of("erp"), List.of(), List.of(), null),
                List.of(),
                List.of(),
                List.of(),
                Encryption.NONE,
                Compression.DEFLATE,
                1,
                10,
                null,
                null));
  }

  /** An archiver on its own thread, slices of half a second, encrypted to the test's key. */
  final class Running implements AutoCloseable {
    final List<OplogWindow> reports = new CopyOnWriteArrayList<>();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    final OplogArchiver archiver;
    final Thread thread;
    OplogWindow last;

    Running(Storage into) {
      archiver =
          new OplogArchiver(
              into,
              client,
              uri,
              Encryption.toRecipients(List.of(AgeKeys.parseRecipient(recipient))),
              Duration.ofMillis(500),
              Duration.ofMillis(50),
              "test archiver",
              "schedule-uid",
              new EngineLog(null),
              () -> {
                try {
                  return Engine.basesOf(new BackupStore(into));
                } catch (IOException e) {
                  throw new RuntimeException(e);
                }
              },
              reports::add,
              Clock.systemUTC());
      thread =
          new Thread(
              () -> {
                try {
                  last = archiver.run();
                } catch (Throwable t) {
                  failure.set(t);
                }
              });
      thread.start();
    }

    /** Waits until the archive holds every entry written so far (a slice ends at or after it). */
    void caughtUp() throws Exception {
      long latest = latest();
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (System.nanoTime() < deadline && failure.get() == null) {
        Long end = Slices.list(storage).end();
        if (end != null && Long.compareUnsigned(end, latest) >= 0) return;
        Thread.sleep(20);
      }
      throw new AssertionError("the archiver did not catch up", failure.get());
    }

    @Override
    public void close() throws Exception {
      archiver.stop();
      thread.join(20_000);
      assertThat(thread.isAlive()).isFalse();
    }
  }

  long latest() {
    return client
        .getDatabase("local")
        .getCollection("oplog.rs", BsonDocument.class)
        .find()
        .sort(new BsonDocument("$natural", new BsonInt32(-1)))
        .first()
        .getTimestamp("ts")
        .getValue();
  }

  /** Waits into the next whole second and returns it: writes after this lie in it or later. */
  static Instant nextSecond() throws InterruptedException {
    Instant now = Instant.now();
    Instant next = now.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
    Thread.sleep(Duration.between(now, next).toMillis() + 20);
    return next;
  }

  RestoreResult restore(String until, String backup, boolean dryRun) throws Exception {
    return restore(until, backup, dryRun, "erp_at");
  }

  /** The same into database {@code target}. */
  RestoreResult restore(String until, String backup, boolean dryRun, String target)
      throws Exception {
    return Engine.restore(
        new RestoreRequest(
            new RestoreRequest.Source(backup, null, null),
            null,
            new Request.Decryption(identityFile.toString(), null),
            new RestoreRequest.Mongo(
                null, List.of(), List.of(), List.of(), Map.of("erp", target), false, 10),
            List.of(),
            null,
            List.of(),
            "replace",
            dryRun,
            true,
            until,
            null),
        storage,
        new Engine.Context(
            new EngineLog(null),
            new Progress(),
            new Secrets(Map.of()),
            uri,
            Confirmation.GIVEN,
            InputStream.nullInputStream()));
  }

  Document restoredOrder(int id) {
    return client.getDatabase("erp_at").getCollection("orders").find(Filters.eq("_id", id)).first();
  }

  long restoredOrders() {
    return client.getDatabase("erp_at").getCollection("orders").countDocuments();
  }

  @Test
  void givenWritesAfterTheBackup_whenRestoredToASecondBetweenTwo_thenExactlyTheWritesBeforeIt()
      throws Exception {
    for (int i = 0; i < 100; i++) orders().insertOne(new Document("_id", i).append("state", "new"));
    backup("nightly");
    Instant t1;
    Instant t2;
    Instant t3;
    try (Running a = new Running(storage)) {
      t1 = nextSecond();
      orders().insertOne(new Document("_id", 1000).append("state", "new"));
      t2 = nextSecond();
      orders().updateOne(Filters.eq("_id", 1000), Updates.set("state", "paid"));
      orders().deleteOne(Filters.eq("_id", 5));
      t3 = nextSecond();
      orders().insertOne(new Document("_id", 1001).append("state", "new"));
      nextSecond();
      orders().insertOne(new Document("_id", 1002)); // ends second t3 in the archive
      a.caughtUp();
    }
    // the first second after the backup: the insert, not yet the update
    RestoreResult r = restore(t1.toString(), null, false);
    assertThat(r.pointInTime().base()).isEqualTo("nightly");
    assertThat(r.pointInTime().until()).isEqualTo(t1.toString());
    assertThat(r.consistency().at()).isEqualTo(t1.toString());
    assertThat(restoredOrder(1000).getString("state")).isEqualTo("new");
    assertThat(restoredOrder(5)).isNotNull();
    assertThat(restoredOrders()).isEqualTo(101);
    // the second of the update and the delete
    r = restore(t2.toString(), "nightly", false);
    assertThat(restoredOrder(1000).getString("state")).isEqualTo("paid");
    assertThat(restoredOrder(5)).isNull();
    assertThat(restoredOrders()).isEqualTo(100);
    // the dry run names the base, the slices and what it would replay, and changes nothing
    RestoreResult plan = restore(t3.toString(), null, true);
    assertThat(plan.status()).isEqualTo("Planned");
    assertThat(plan.pointInTime().entries()).isEqualTo(4);
    assertThat(plan.pointInTime().slices()).isPositive();
    assertThat(restoredOrder(1001)).isNull();
    r = restore(t3.toString(), null, false);
    assertThat(r.pointInTime().entries()).isEqualTo(4);
    assertThat(restoredOrder(1001)).isNotNull();
    assertThat(restoredOrder(1002)).isNull();

    // before the backup, or past what the archive holds: refused, with the window in the message
    Instant backupAt =
        Instant.parse(new BackupStore(storage).descriptor("nightly").consistency().at());
    for (Instant outside :
        List.of(
            backupAt.minusSeconds(60),
            Instant.now().plusSeconds(3600).truncatedTo(ChronoUnit.SECONDS))) {
      assertThatThrownBy(() -> restore(outside.toString(), null, false))
          .isInstanceOf(CofferException.class)
          .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.USAGE))
          .hasMessageContaining("no restore reaches " + outside)
          .hasMessageContaining("reaches " + backupAt + " to ");
    }
    assertThatThrownBy(() -> restore("yesterday", null, false)).hasMessageContaining("RFC 3339");
    // what coffer list shows
    OplogWindow w = Engine.list(storage).oplog();
    assertThat(w.recoverableFrom()).isEqualTo(backupAt.toString());
    assertThat(Instant.parse(w.recoverableUntil())).isAfterOrEqualTo(t3);
    assertThat(w.gaps()).isEmpty();
    // the slices are encrypted: without the key nothing is replayed
    for (Slice s : Slices.list(storage).slices())
      if (s.data() != null) assertThat(s.encryption()).isEqualTo("age-x25519");
  }

  @Test
  void givenTheArchiverStoppedAndStarted_thenEveryEntryIsArchivedOnceWithoutAGap()
      throws Exception {
    orders().insertOne(new Document("_id", 0));
    backup("base");
    try (Running a = new Running(storage)) {
      for (int i = 1; i <= 200; i++) orders().insertOne(new Document("_id", i));
      a.caughtUp();
    }
    for (int i = 201; i <= 400; i++) orders().insertOne(new Document("_id", i)); // while stopped
    // a crash: the storage fails as the second run publishes a slice (its data is never seen)
    FailingStorage failing = new FailingStorage(storage);
    Running crashed = new Running(failing);
    crashed.thread.join(20_000);
    assertThat(crashed.failure.get()).hasMessageContaining("disk gone");
    try (Running a = new Running(storage)) {
      for (int i = 401; i <= 600; i++) orders().insertOne(new Document("_id", i));
      a.caughtUp();
      assertThat(a.reports).isNotEmpty();
    }
    List<Slice> slices = Slices.list(storage).slices();
    for (int i = 1; i < slices.size(); i++)
      assertThat(slices.get(i).from())
          .as("slice %d starts where the one before ended", i)
          .isEqualTo(slices.get(i - 1).to());
    Set<Long> seen = new HashSet<>();
    List<Integer> ids = new ArrayList<>();
    Age.DecryptionKeys keys = new Secrets(Map.of()).decryptionKeys(identityFile.toString(), null);
    for (Slice s : slices)
      Slices.read(
          storage,
          s,
          keys,
          (raw, ts) -> {
            assertThat(seen.add(ts)).as("entry %s archived once", Slice.time(ts)).isTrue();
            BsonDocument e = new RawBsonDocument(raw);
            if (e.getString("op").getValue().equals("i"))
              ids.add(e.getDocument("o").getInt32("_id").getValue());
          });
    List<Integer> missing = new ArrayList<>();
    for (int i = 1; i <= 600; i++) if (!ids.contains(i)) missing.add(i);
    assertThat(missing).as("inserts missing from the archive").isEmpty();
    assertThat(new HashSet<>(ids)).as("each insert archived once").hasSameSizeAs(ids);
    RestoreResult r = restore(Engine.list(storage).oplog().recoverableUntil(), null, false);
    assertThat(r.pointInTime().base()).isEqualTo("base");
  }

  @Test
  void givenTheOplogRolledOverWhileStopped_thenAGapIsReportedAndARestoreIntoItRefused()
      throws Exception {
    orders().insertOne(new Document("_id", 0));
    backup("before");
    try (Running a = new Running(storage)) {
      orders().insertOne(new Document("_id", 1));
      a.caughtUp();
    }
    Instant lost = nextSecond();
    orders().insertOne(new Document("_id", 2)); // written while the archiver is stopped...
    nextSecond();
    orders().insertOne(new Document("_id", 3));
    // ...and gone from the oplog before it comes back (a capped oplog that rolled over)
    // mongo-java-server's oplog is a plain collection that reuses freed slots first, so the oldest
    // entries are replaced in place by no-ops just older than what stays, as a capped oplog that
    // wrapped would hold them: its natural order stays its time order
    long keepFrom = latest();
    MongoCollection<BsonDocument> oplog =
        client.getDatabase("local").getCollection("oplog.rs", BsonDocument.class);
    long gone = oplog.deleteMany(Filters.lt("ts", new BsonTimestamp(keepFrom))).getDeletedCount();
    for (long i = 0; i < gone; i++)
      oplog.insertOne(
          new BsonDocument("ts", new BsonTimestamp(keepFrom - gone + i))
              .append("op", new BsonString("n"))
              .append("ns", new BsonString(""))
              .append("o", new BsonDocument("msg", new BsonString("rolled over"))));
    Instant afterGap;
    try (Running a = new Running(storage)) {
      nextSecond();
      orders().insertOne(new Document("_id", 4));
      a.caughtUp();
      assertThat(a.reports.get(a.reports.size() - 1).gaps()).hasSize(1);
      OplogWindow w = Engine.list(storage).oplog();
      assertThat(w.gaps()).hasSize(1);
      assertThat(w.gaps().get(0).reason()).contains("the oplog no longer held the entries");
      assertThatThrownBy(() -> restore(lost.toString(), null, false))
          .hasMessageContaining("no restore reaches")
          .hasMessageContaining("a gap from");
      // the next backup opens a new window after the gap
      backup("after");
      nextSecond();
      orders().insertOne(new Document("_id", 5));
      afterGap = nextSecond();
      orders().insertOne(new Document("_id", 6));
      a.caughtUp();
    }
    RestoreResult r = restore(afterGap.minusSeconds(1).toString(), null, false);
    assertThat(r.pointInTime().base()).isEqualTo("after");
    assertThat(restoredOrder(5)).isNotNull();
    assertThat(restoredOrder(6)).isNull();
    assertThat(Engine.list(storage).oplog().recoverableFrom())
        .isEqualTo(new BackupStore(storage).descriptor("after").consistency().at());
  }

  /**
   * Writes of many documents interleaved (an insert, an update of an earlier one, a delete, a
   * re-insert of a deleted one, in groups larger than the replay's): the restored collection is the
   * source, document for document.
   */
  @Test
  void givenInterleavedWritesOfManyDocuments_whenRestoredToTheEnd_thenEqualToTheSource()
      throws Exception {
    orders().insertOne(new Document("_id", -1).append("n", 0));
    backup("base");
    try (Running a = new Running(storage)) {
      nextSecond();
      for (int i = 0; i < 600; i++) {
        orders().insertOne(new Document("_id", i).append("n", 0));
        if (i % 2 == 1) orders().updateOne(Filters.eq("_id", i - 1), Updates.set("n", i));
        if (i % 7 == 6) orders().deleteOne(Filters.eq("_id", i - 3));
        if (i % 7 == 0 && i > 7) orders().insertOne(new Document("_id", i - 4).append("n", -i));
        if (i % 5 == 4) orders().updateOne(Filters.eq("_id", i), Updates.set("n", 2 * i));
      }
      nextSecond();
      orders().insertOne(new Document("_id", "end"));
      nextSecond();
      orders().insertOne(new Document("_id", "after"));
      a.caughtUp();
    }
    String until = Engine.list(storage).oplog().recoverableUntil();
    restore(until, null, false);
    List<Document> source = orders().find(Filters.ne("_id", "after")).into(new ArrayList<>());
    List<Document> restored =
        client.getDatabase("erp_at").getCollection("orders").find().into(new ArrayList<>());
    assertThat(restored).containsExactlyInAnyOrderElementsOf(source);
  }

  void oplogFixture(long ts, String ns, String command) {
    client
        .getDatabase("local")
        .getCollection("oplog.rs", BsonDocument.class)
        .insertOne(
            new BsonDocument("ts", new BsonTimestamp(ts))
                .append("op", new BsonString("c"))
                .append("ns", new BsonString(ns))
                .append("o", BsonDocument.parse(command)));
  }

  List<String> restoredCollections() {
    return client.getDatabase("erp_at").listCollectionNames().into(new ArrayList<>());
  }

  List<Object> ids(String collection) {
    List<Object> ids = new ArrayList<>();
    client
        .getDatabase("erp_at")
        .getCollection(collection)
        .find()
        .forEach(d -> ids.add(d.get("_id")));
    return ids;
  }

  /**
   * Commands in the replayed stretch, each as MongoDB logs it. Simulated: mongo-java-server logs
   * only drops (the drop here is its own entry), so the index builds, the create, the rename and
   * the collMods are written into its oplog by hand in MongoDB's documented forms, beside the same
   * change made on the server; a collection it creates at its first insert (no create logged) is
   * the other form. Each moment restores that moment's collections: created ones appear, a dropped
   * or renamed-away one is gone from the target after a Replace, a renamed one carries its
   * documents, index builds, drops and hides follow; option changes the target server cannot make
   * (mongo-java-server has no collMod) and a rename from outside the restore are refused by name
   * and time, leaving the target as it was. (MongoDB logs a rename across databases as a copy into
   * a temporary collection of the target database, renamed in it; the one-entry form across
   * databases here is what a forged oplog could hold.)
   */
  @Test
  void givenCollectionsCreatedDroppedRenamedAndChangedInTheStretch_thenEachMomentHasItsCollections()
      throws Exception {
    orders().insertOne(new Document("_id", 0));
    client.getDatabase("erp").getCollection("tmp").insertOne(new Document("_id", "t"));
    client.getDatabase("erp").getCollection("old").insertOne(new Document("_id", "o1"));
    backup("base");
    Instant indexed;
    Instant created;
    Instant changed;
    Instant validated;
    Instant renamedIn;
    try (Running a = new Running(storage)) {
      nextSecond();
      orders().insertOne(new Document("_id", 1));
      // a fixture's inc lies above the server's own in its second, and the server's writes that
      // follow a fixture go into the next second: the oplog's order stays its time order
      indexed = nextSecond();
      oplogFixture(
          Slice.at(indexed) + 1000,
          "erp.$cmd",
          "{createIndexes: 'orders', v: 2, key: {state: 1}, name: 'state_1'}");
      oplogFixture(
          Slice.at(indexed) + 1001,
          "erp.$cmd",
          "{commitIndexBuild: 'orders', indexBuildUUID: 1, indexes: [{v: 2, key: {total: -1}, name:"
              + " 'total_-1'}, {v: 2, key: {gone: 1}, name: 'gone_1'}]}");
      oplogFixture(
          Slice.at(indexed) + 1002, "erp.$cmd", "{dropIndexes: 'orders', index: 'gone_1'}");
      oplogFixture(
          Slice.at(indexed) + 1003,
          "erp.$cmd",
          "{create: 'invoices', idIndex: {v: 2, key: {_id: 1}, name: '_id_'}}");
      created = nextSecond();
      client.getDatabase("erp").getCollection("invoices").insertOne(new Document("_id", "i1"));
      client.getDatabase("erp").getCollection("ledger").insertOne(new Document("_id", "l1"));
      changed = nextSecond();
      client.getDatabase("erp").getCollection("tmp").drop();
      client
          .getDatabase("erp")
          .getCollection("old")
          .renameCollection(new MongoNamespace("erp", "archive"));
      oplogFixture(
          Slice.at(changed) + 1000,
          "erp.$cmd",
          "{renameCollection: 'erp.old', to: 'erp.archive', stayTemp: false, dropTarget: false}");
      oplogFixture(
          Slice.at(changed) + 1001,
          "erp.$cmd",
          "{collMod: 'orders', index: {name: 'total_-1', hidden: true}}");
      validated = nextSecond();
      client.getDatabase("erp").getCollection("archive").insertOne(new Document("_id", "o2"));
      oplogFixture(
          Slice.at(validated) + 1000,
          "erp.$cmd",
          "{collMod: 'invoices', validator: {total: {$gte: 0}}, validationLevel: 'moderate'}");
      renamedIn = nextSecond();
      oplogFixture(
          Slice.at(renamedIn) + 1000,
          "other.$cmd",
          "{renameCollection: 'other.x', to: 'erp.x', stayTemp: false, dropTarget: false}");
      nextSecond();
      orders().insertOne(new Document("_id", 2));
      a.caughtUp();
    }

    restore(indexed.minusSeconds(1).toString(), null, false);
    assertThat(restoredCollections()).containsExactlyInAnyOrder("orders", "tmp", "old");

    RestoreResult plan = restore(changed.toString(), null, true);
    assertThat(plan.pointInTime().changes())
        .containsExactly(
            "created erp.invoices at " + indexed,
            "created (by its first insert) erp.ledger at " + created,
            "dropped erp.tmp at " + changed,
            "renamed erp.old to erp.archive at " + changed,
            "changed the options of erp.orders (index) at " + changed);
    assertThat(restoredCollections()).as("a dry run changes nothing").contains("tmp", "old");

    restore(changed.toString(), null, false);
    assertThat(restoredCollections())
        .as("the dropped and the renamed-away collection left the target of the Replace")
        .containsExactlyInAnyOrder("orders", "archive", "invoices", "ledger");
    assertThat(ids("archive")).containsExactly("o1");
    assertThat(ids("invoices")).containsExactly("i1");
    assertThat(ids("ledger")).containsExactly("l1");
    Map<String, Document> indexes = new HashMap<>();
    client
        .getDatabase("erp_at")
        .getCollection("orders")
        .listIndexes()
        .forEach(ix -> indexes.put(ix.getString("name"), ix));
    assertThat(indexes).containsKeys("_id_", "state_1", "total_-1").doesNotContainKey("gone_1");
    assertThat(indexes.get("total_-1").get("hidden")).as("collMod's index change").isEqualTo(true);

    // into a database of their own: erp_at holds what the stretch creates now
    assertThatThrownBy(() -> restore(validated.toString(), null, false, "erp_v"))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.SOURCE))
        .hasMessageContaining("the target server has no collMod")
        .hasMessageContaining("erp_v.invoices (validator, validationLevel)");
    assertThatThrownBy(() -> restore(renamedIn.toString(), null, false, "erp_v"))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.USAGE))
        .hasMessageContaining(
            "(at "
                + renamedIn
                + "): other.x was renamed to erp.x from a collection this restore does not hold");
    assertThat(restoredCollections())
        .as("the refused restores left the target as the last one put it, no staging behind")
        .containsExactlyInAnyOrder("orders", "archive", "invoices", "ledger");
    assertThat(client.getDatabase("erp_v").listCollectionNames().into(new ArrayList<>()))
        .as("nothing, not even a staging collection, in the refused restores' target")
        .isEmpty();
  }

  /**
   * A restored collection dropped and filled again (an application's reload) is restored as it was
   * filled again; a collection the stretch creates under a name the target holds, which the restore
   * did not plan to replace, is refused by name, the target's collection untouched. Simulated:
   * mongo-java-server logs the drop, and creates the collections at their first insert without a
   * create entry.
   */
  @Test
  void givenAReloadedCollectionAndANewOneTheTargetHolds_thenTheReloadIsRestored_andTheOtherRefused()
      throws Exception {
    orders().insertOne(new Document("_id", 0));
    backup("base");
    Instant reloaded;
    try (Running a = new Running(storage)) {
      nextSecond();
      orders().drop();
      orders().insertOne(new Document("_id", 1));
      reloaded = nextSecond();
      client.getDatabase("erp").getCollection("report").insertOne(new Document("_id", "r"));
      nextSecond();
      orders().insertOne(new Document("_id", 2));
      a.caughtUp();
    }
    RestoreResult r = restore(reloaded.minusSeconds(1).toString(), null, false);
    assertThat(ids("orders")).containsExactly(1);
    assertThat(r.pointInTime().changes())
        .containsExactly(
            "dropped erp.orders at " + reloaded.minusSeconds(1),
            "created (by its first insert) erp.orders at " + reloaded.minusSeconds(1));
    client.getDatabase("erp_at").getCollection("report").insertOne(new Document("_id", "mine"));
    assertThatThrownBy(() -> restore(reloaded.toString(), null, false))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.USAGE))
        .hasMessageContaining(
            "the oplog creates erp_at.report, and the target holds a collection of that name this"
                + " restore did not plan to replace");
    assertThat(ids("report")).containsExactly("mine");
    assertThat(ids("orders")).containsExactly(1);
  }

  /** A storage whose descriptor writes fail: a crash as a slice is published. */
  record FailingStorage(Storage inner) implements Storage {
    @Override
    public String describe() {
      return inner.describe();
    }

    @Override
    public AtomicOutput create(String key) throws IOException {
      if (key.endsWith(".json")) throw new IOException("disk gone");
      return inner.create(key);
    }

    @Override
    public InputStream open(String key) throws IOException {
      return inner.open(key);
    }

    @Override
    public OptionalLong size(String key) throws IOException {
      return inner.size(key);
    }

    @Override
    public List<String> listFolders() throws IOException {
      return inner.listFolders();
    }

    @Override
    public List<String> list(String folder) throws IOException {
      return inner.list(folder);
    }

    @Override
    public void delete(String key) throws IOException {
      inner.delete(key);
    }

    @Override
    public int removeLeftovers(String folder) throws IOException {
      return inner.removeLeftovers(folder);
    }

    @Override
    public Lock lock(String folder, String owner, String token, String[] holder)
        throws IOException {
      return inner.lock(folder, owner, token, holder);
    }

    @Override
    public boolean createIfAbsent(String key, byte[] content) throws IOException {
      return inner.createIfAbsent(key, content);
    }
  }
}
