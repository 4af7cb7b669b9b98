package io.coffer.bench;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.coffer.engine.Confirmation;
import io.coffer.engine.Engine;
import io.coffer.engine.Secrets;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.protocol.BackupRequest;
import io.coffer.protocol.OplogArchiveRequest;
import io.coffer.protocol.OplogWindow;
import io.coffer.protocol.Request;
import io.coffer.protocol.RestoreRequest;
import io.coffer.protocol.RestoreResult;
import io.coffer.testing.EmbeddedServers;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.bson.Document;

/**
 * The oplog archive's two rates on this machine: entries archived per second (the archiver reading
 * mongo-java-server's oplog from a point-in-time backup on, gzip, age to a recipient, into a volume
 * storage: the time from its start until its window reaches the last write), and entries replayed
 * per second by a restore to a moment (the whole window, after the backup's own restore). The
 * server runs in this JVM: its costs are counted too. Prints figures; no goal is set.
 */
public final class OplogArchiveBench {
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    System.out.printf(
        "machine: %d cores, Java %s%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    MongoServer server = new MongoServer(new MemoryBackend());
    server.enableOplog();
    server.bind("127.0.0.1", 0);
    String uri = EmbeddedServers.uri(server);
    Path dir = Files.createTempDirectory("coffer-oplog-bench");
    Engine.KeyPair key = Engine.newKeyPair();
    Path identity = dir.resolve("key.txt");
    Files.writeString(identity, key.identityFile());
    Engine.Context ctx =
        new Engine.Context(
            new EngineLog(null),
            new Progress(),
            new Secrets(Map.of()),
            uri,
            Confirmation.GIVEN,
            InputStream.nullInputStream());
    Request.StorageRef storage = new Request.StorageRef("file://" + dir.resolve("store"));
    Files.createDirectories(dir.resolve("store"));
    try (MongoClient client = MongoClients.create(uri)) {
      var orders = client.getDatabase("erp").getCollection("orders");
      orders.insertOne(new Document("_id", -1));
      Engine.backup(
          new BackupRequest(
              "base",
              "database",
              storage,
              null,
              List.of(),
              List.of(),
              List.of(),
              new BackupRequest.Encryption(List.of(key.recipient()), null, null),
              null,
              null,
              null,
              null,
              null),
          ctx);
      Thread.sleep(1100); // the writes start in the second after the backup's moment
      List<Document> batch = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        // half inserts, half updates ($set): what an application writes
        orders.insertOne(new Document("_id", i).append("state", "open").append("total", i));
        if (i % 2 == 1)
          orders.updateOne(
              new Document("_id", i - 1), new Document("$set", new Document("state", "paid")));
      }
      Thread.sleep(1100);
      orders.insertOne(new Document("_id", "last"));
      long entries = n + n / 2 + 1;
      AtomicReference<Runnable> stop = new AtomicReference<>();
      AtomicReference<OplogWindow> last = new AtomicReference<>();
      Instant lastWrite = Instant.now().minusSeconds(1).truncatedTo(ChronoUnit.SECONDS);
      long t0 = System.nanoTime();
      Thread archiver =
          new Thread(
              () -> {
                try {
                  Engine.oplogArchive(
                      new OplogArchiveRequest(
                          storage,
                          null,
                          new BackupRequest.Encryption(List.of(key.recipient()), null, null),
                          1,
                          1,
                          null,
                          Request.Report.NONE),
                      ctx,
                      last::set,
                      stop::set);
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              });
      archiver.start();
      while (last.get() == null
          || last.get().recoverableUntil() == null
          || Instant.parse(last.get().recoverableUntil()).isBefore(lastWrite)) Thread.sleep(20);
      double archived = (System.nanoTime() - t0) / 1e9;
      stop.get().run();
      archiver.join();
      long stored = last.get().bytes();
      System.out.printf(
          "archive: %,d oplog entries in %.2f s: %,.0f entries/s, %.1f MiB stored (%.0f bytes per entry, gzip + age)%n",
          entries, archived, entries / archived, stored / 1048576.0, (double) stored / entries);
      long t1 = System.nanoTime();
      RestoreResult r =
          Engine.restore(
              new RestoreRequest(
                  new RestoreRequest.Source(null, null, null),
                  storage,
                  new Request.Decryption(identity.toString(), null),
                  new RestoreRequest.Mongo(
                      null, List.of(), List.of(), List.of(), Map.of("erp", "erp_at"), false, 10),
                  List.of(),
                  null,
                  List.of(),
                  "replace",
                  false,
                  true,
                  last.get().recoverableUntil(),
                  null),
              ctx);
      double restored = (System.nanoTime() - t1) / 1e9;
      System.out.printf(
          "restore to %s: %,d entries replayed from %d slices in %.2f s (the backup's restore included): %,.0f entries/s%n",
          r.pointInTime().until(),
          r.pointInTime().entries(),
          r.pointInTime().slices(),
          restored,
          r.pointInTime().entries() / restored);
    } finally {
      server.shutdownNow();
    }
  }
}
