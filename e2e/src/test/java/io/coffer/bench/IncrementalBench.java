package io.coffer.bench;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.e2e.EngineCalls;
import io.coffer.e2e.EngineCalls.What;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.engine.storage.FileStorage;
import io.coffer.protocol.BackupResult;
import io.coffer.protocol.Request;
import io.coffer.testing.EmbeddedServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Prints what an incremental backup costs next to a full one (a command, never a timed test): 1 %
 * of the documents changed (updates, inserts and deletes) and 1 % of the files changed, stored
 * bytes (the archive and the chain index objects) and time of the increment as shares of the full
 * backup's, on mongo-java-server without and with an oplog. The documents are small events (about
 * 130 bytes, the shape where an index costs most), or with {@code orders} the engine benchmark's
 * orders (about 400 bytes).
 *
 * <p>Run: {@code e2e/bench/incremental.sh [documents] [files] [events|orders]} (defaults 200,000, 0
 * and events: the goal's case, small documents and no files).
 */
public final class IncrementalBench {
  public static void main(String[] args) throws Exception {
    int docs = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int fileCount = args.length > 1 ? Integer.parseInt(args[1]) : 0;
    boolean events = args.length <= 2 || !"orders".equals(args[2]);
    System.out.printf(
        "machine: %d cores, Java %s; %,d %s, %,d files (100 KiB each, half of them incompressible)%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        docs,
        events ? "events (about 130 bytes each)" : "orders (about 400 bytes each)",
        fileCount);
    for (boolean oplog : new boolean[] {false, true}) {
      System.out.println(
          oplog
              ? "\nMongoDB with an oplog (a replica set): the increment reads only touched documents"
              : "\nplain MongoDB, no oplog: the increment reads every document and compares it with the index");
      run(docs, fileCount, oplog, events);
    }
  }

  /** Small documents: an ERP's audit events, about 130 bytes of BSON each. */
  static void seedEvents(MongoClient client, int docs) {
    var c = client.getDatabase("bench").getCollection("orders");
    Random r = new Random(1);
    List<org.bson.Document> batch = new ArrayList<>();
    for (int i = 0; i < docs; i++) {
      batch.add(
          new org.bson.Document("_id", i)
              .append("type", i % 7 == 0 ? "login" : "document.viewed")
              .append("user", "user" + r.nextInt(5000))
              .append("at", new Date(1_700_000_000_000L + i * 1000L))
              .append("module", "HR")
              .append("ok", r.nextInt(50) != 0)
              .append("ms", r.nextInt(2000))
              .append("ref", "DOC-" + r.nextInt(1_000_000)));
      if (batch.size() == 10_000) {
        c.insertMany(batch);
        batch.clear();
      }
    }
    if (!batch.isEmpty()) c.insertMany(batch);
  }

  /** What a backup stores: its archive and its chain index objects. */
  static long stored(FileStorage storage, BackupResult r) throws Exception {
    long total = r.storedSize();
    for (String k : storage.list(r.id()))
      if (k.contains("/index/")) total += storage.size(k).orElse(0);
    return total;
  }

  static void run(int docs, int fileCount, boolean oplog, boolean events) throws Exception {
    Path work = Files.createTempDirectory("coffer-incr-bench");
    MongoServer server = new MongoServer(new de.bwaldvogel.mongo.backend.memory.MemoryBackend());
    if (oplog) server.enableOplog();
    server.bind("127.0.0.1", 0);
    String uri = EmbeddedServers.uri(server);
    try (MongoClient client = MongoClients.create(uri)) {
      if (events) seedEvents(client, docs);
      else EngineBench.seed(client, docs);
      Path tree = Files.createDirectories(work.resolve("uploads"));
      Random r = new Random(3);
      byte[] b = new byte[100 * 1024];
      for (int i = 0; i < fileCount; i++) {
        if (i % 2 == 0) r.nextBytes(b);
        else Arrays.fill(b, (byte) ('a' + i % 26));
        Files.write(tree.resolve("f" + i + ".bin"), b);
      }
      FileStorage storage = new FileStorage(work.resolve("store"));
      AgeKeys.Identity ops = AgeKeys.generate();
      String key =
          EngineCalls.secretFile(
              work.resolve("keys"), "index-key", "bench-index-key-0123456789abcdef");
      What what = What.databases("bench").withFiles(new Request.Tree("uploads", tree.toString()));
      // warm-up (JIT), not measured
      EngineCalls.backup(storage, uri, "warm", what, ops.recipient(), "deflate", 1, 15, null, null);
      long t0 = System.nanoTime();
      BackupResult full =
          EngineCalls.backup(
              storage, uri, "full", what, ops.recipient(), "deflate", 1, 15, null, key);
      double fullSeconds = (System.nanoTime() - t0) / 1e9;
      // 1 % of the documents: updates, inserts and deletes; 1 % of the files rewritten
      int changes = docs / 100;
      var orders = client.getDatabase("bench").getCollection("orders");
      for (int i = 0; i < changes * 8 / 10; i++)
        orders.updateOne(Filters.eq("_id", r.nextInt(docs)), Updates.set("status", "changed-" + i));
      for (int i = 0; i < changes / 10; i++)
        orders.insertOne(new org.bson.Document("_id", docs + i).append("status", "new"));
      orders.deleteMany(
          Filters.in(
              "_id", IntStream.range(0, changes / 10).map(i -> i * 97 % docs).boxed().toList()));
      for (int i = 0; i < fileCount / 100; i++) {
        r.nextBytes(b);
        Files.write(tree.resolve("f" + (i * 100) + ".bin"), b);
      }
      t0 = System.nanoTime();
      BackupResult inc =
          EngineCalls.backup(
              storage, uri, "incr", what, ops.recipient(), "deflate", 1, 15, "full", key);
      double incSeconds = (System.nanoTime() - t0) / 1e9;
      long fullBytes = stored(storage, full);
      long incBytes = stored(storage, inc);
      System.out.printf(
          "full backup:        %,12d bytes stored (%,d archive + %,d index) in %6.2f s%n",
          fullBytes, full.storedSize(), fullBytes - full.storedSize(), fullSeconds);
      System.out.printf(
          "incremental backup: %,12d bytes stored (%,d archive + %,d index) in %6.2f s%n",
          incBytes, inc.storedSize(), incBytes - inc.storedSize(), incSeconds);
      double share = 100.0 * incBytes / fullBytes;
      System.out.printf(
          "increment / full:   %6.1f %% of the bytes (goal <= 5 %%: %s), %6.1f %% of the time (goal <= 30 %%)%n",
          share, share <= 5 ? "met" : "missed", 100.0 * incSeconds / fullSeconds);
    } finally {
      server.shutdownNow();
      EngineBench.deleteTree(work);
    }
  }
}
