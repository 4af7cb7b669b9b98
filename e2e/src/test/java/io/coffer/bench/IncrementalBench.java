package io.coffer.bench;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.engine.BackupEngine;
import io.coffer.engine.BackupOptions;
import io.coffer.protocol.BackupResult;
import io.coffer.engine.BackupType;
import io.coffer.engine.Encryption;
import io.coffer.engine.EngineLog;
import io.coffer.engine.Progress;
import io.coffer.engine.archive.Compression;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.engine.files.FileTreeDumper;
import io.coffer.engine.mongo.Selection;
import io.coffer.engine.storage.FileStorage;
import io.coffer.testing.EmbeddedServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Prints what an incremental backup costs next to a full one (a command, never a timed test): 1 % of the
 * documents changed (updates, inserts and deletes) and 1 % of the files changed, stored bytes and time of the
 * increment as shares of the full backup's, on a plain MongoDB without oplog (mongo-java-server).
 *
 * <p>Run: {@code e2e/bench/incremental.sh [documents] [files]} (defaults 300,000 and 2,000).
 */
public final class IncrementalBench {
  public static void main(String[] args) throws Exception {
    int docs = args.length > 0 ? Integer.parseInt(args[0]) : 300_000;
    int fileCount = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
    System.out.printf("machine: %d cores, Java %s; %,d documents, %,d files (100 KiB each, half of them incompressible)%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), docs, fileCount);
    for (boolean oplog : new boolean[] {false, true}) {
      System.out.println(oplog ? "\nMongoDB with an oplog (a replica set): the increment reads only touched documents"
          : "\nplain MongoDB, no oplog: the increment reads every document and compares it with the index");
      run(docs, fileCount, oplog);
    }
  }

  static void run(int docs, int fileCount, boolean oplog) throws Exception {
    Path work = Files.createTempDirectory("coffer-incr-bench");
    MongoServer server = new MongoServer(new de.bwaldvogel.mongo.backend.memory.MemoryBackend());
    if (oplog) server.enableOplog();
    server.bind("127.0.0.1", 0);
    String uri = EmbeddedServers.uri(server);
    try (MongoClient client = MongoClients.create(uri)) {
      EngineBench.seed(client, docs);
      Path tree = Files.createDirectories(work.resolve("uploads"));
      Random r = new Random(3);
      byte[] b = new byte[100 * 1024];
      for (int i = 0; i < fileCount; i++) {
        if (i % 2 == 0) r.nextBytes(b);
        else java.util.Arrays.fill(b, (byte) ('a' + i % 26));
        Files.write(tree.resolve("f" + i + ".bin"), b);
      }
      FileStorage storage = new FileStorage(work.resolve("store"));
      AgeKeys.Identity ops = AgeKeys.generate();
      char[] key = "bench-index-key-0123456789abcdef".toCharArray();
      Selection sel = new Selection(List.of("bench"), List.of(), List.of(), null);
      List<FileTreeDumper.Tree> trees = List.of(new FileTreeDumper.Tree("uploads", tree));
      Encryption enc = Encryption.toRecipients(List.of(ops.recipient()));
      // warm-up (JIT), not measured
      new BackupEngine(storage, new EngineLog(null), new Progress()).run(new BackupOptions("warm", BackupType.FULL, uri, sel, trees, List.of(),
          List.of(), enc, Compression.DEFLATE, 1, 15));
      long t0 = System.nanoTime();
      BackupResult full = new BackupEngine(storage, new EngineLog(null), new Progress()).run(new BackupOptions("full", BackupType.FULL, uri, sel,
          trees, List.of(), List.of(), enc, Compression.DEFLATE, 1, 15, null, key));
      double fullSeconds = (System.nanoTime() - t0) / 1e9;
      // 1 % of the documents: updates, inserts and deletes; 1 % of the files rewritten
      int changes = docs / 100;
      var orders = client.getDatabase("bench").getCollection("orders");
      for (int i = 0; i < changes * 8 / 10; i++) orders.updateOne(Filters.eq("_id", r.nextInt(docs)), Updates.set("status", "changed-" + i));
      for (int i = 0; i < changes / 10; i++) orders.insertOne(new org.bson.Document("_id", docs + i).append("status", "new"));
      orders.deleteMany(Filters.in("_id", java.util.stream.IntStream.range(0, changes / 10).map(i -> i * 97 % docs).boxed().toList()));
      for (int i = 0; i < fileCount / 100; i++) {
        r.nextBytes(b);
        Files.write(tree.resolve("f" + (i * 100) + ".bin"), b);
      }
      t0 = System.nanoTime();
      BackupResult inc = new BackupEngine(storage, new EngineLog(null), new Progress()).run(new BackupOptions("incr", BackupType.FULL, uri, sel,
          trees, List.of(), List.of(), enc, Compression.DEFLATE, 1, 15, "full", key));
      double incSeconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf("full backup:        %,12d bytes stored in %6.2f s%n", full.storedSize(), fullSeconds);
      System.out.printf("incremental backup: %,12d bytes stored in %6.2f s%n", inc.storedSize(), incSeconds);
      System.out.printf("increment / full:   %6.1f %% of the bytes (goal <= 5 %%), %6.1f %% of the time (goal <= 30 %%)%n",
          100.0 * inc.storedSize() / full.storedSize(), 100.0 * incSeconds / fullSeconds);
    } finally {
      server.shutdownNow();
      EngineBench.deleteTree(work);
    }
  }
}
