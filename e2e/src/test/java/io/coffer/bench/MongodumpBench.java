package io.coffer.bench;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.e2e.EngineCalls;
import io.coffer.e2e.EngineCalls.What;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.engine.storage.FileStorage;
import io.coffer.protocol.Request;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.MongodumpFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bson.RawBsonDocument;

/**
 * Prints what {@code coffer restore --from-mongodump} takes next to {@code coffer restore} of a
 * Coffer backup of the same documents, in one run, on one server (mongo-java-server). Goal: a
 * mongodump restores no slower than a Coffer backup (ratio <= 1.0). The peer the issue names,
 * mongorestore, cannot be built here (the Go module proxy refuses mongo-tools), and the dumps are
 * written to mongodump's format by {@link MongodumpFixtures}, not by mongodump.
 *
 * <p>Run: {@code e2e/bench/mongodump.sh [documents=300000]}.
 */
public final class MongodumpBench {
  public static void main(String[] args) throws Exception {
    int docs = args.length > 0 ? Integer.parseInt(args[0]) : 300_000;
    Path work = Files.createTempDirectory("coffer-bench-dump");
    System.out.printf(
        "machine: %d cores, Java %s%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    MongoServer server = EmbeddedServers.mongo();
    String uri = EmbeddedServers.uri(server);
    try (MongoClient client = MongoClients.create(uri)) {
      System.out.printf("seeding %,d documents...%n", docs);
      EngineBench.seed(client, docs);
      List<RawBsonDocument> all =
          client
              .getDatabase("bench")
              .getCollection("orders", RawBsonDocument.class)
              .find()
              .batchSize(2000)
              .into(new ArrayList<>());
      long bytes = 0;
      for (RawBsonDocument d : all) bytes += d.getByteBuffer().remaining();
      List<MongodumpFixtures.Coll> colls =
          List.of(new MongodumpFixtures.Coll("bench", "orders", all));
      MongodumpFixtures.folder(work.resolve("dump"), colls, null, false);
      MongodumpFixtures.folder(work.resolve("dumpgz"), colls, null, true);
      Path archive = work.resolve("dump.archive.gz");
      Files.write(archive, MongodumpFixtures.archive(colls, null, 1000, 4, true));
      all = null;
      FileStorage storage = new FileStorage(work.resolve("store"));
      AgeKeys.Identity id = AgeKeys.generate();
      EngineCalls.backup(storage, uri, "ref", What.databases("bench"), id.recipient());
      Request.Decryption keys = EngineCalls.identity(work.resolve("keys"), id);
      Map<String, String> rename = Map.of("bench", "bench_restored");
      List<Double> coffer = new ArrayList<>();
      List<Double> folder = new ArrayList<>();
      List<Double> folderGz = new ArrayList<>();
      List<Double> archiveGz = new ArrayList<>();
      for (int round = 0;
          round <= EngineBench.ROUNDS;
          round++) { // one warm-up round, then the measured ones, in turn
        double c =
            EngineBench.time(
                () -> EngineCalls.restore(storage, uri, "ref", keys, rename, List.of()));
        double f =
            EngineBench.time(
                () -> EngineCalls.restoreMongodump(work.resolve("dump").toString(), uri, rename));
        double g =
            EngineBench.time(
                () -> EngineCalls.restoreMongodump(work.resolve("dumpgz").toString(), uri, rename));
        double a =
            EngineBench.time(() -> EngineCalls.restoreMongodump(archive.toString(), uri, rename));
        if (round > 0) {
          coffer.add(c);
          folder.add(f);
          folderGz.add(g);
          archiveGz.add(a);
        }
      }
      double ref = EngineBench.median(coffer);
      System.out.printf(
          "%,d documents, %,d bytes of BSON; medians of %d rounds%n",
          docs, bytes, EngineBench.ROUNDS);
      System.out.printf(
          "  coffer restore of a Coffer backup (age)      : %6.2f s  %6.1f MB/s%n",
          ref, bytes / ref / 1e6);
      for (var row :
          List.of(
              Map.entry("--from-mongodump folder (mongodump --out)    ", folder),
              Map.entry("--from-mongodump folder --gzip               ", folderGz),
              Map.entry("--from-mongodump archive --gzip (4 at once)  ", archiveGz))) {
        double t = EngineBench.median(row.getValue());
        System.out.printf(
            "  %s: %6.2f s  %6.1f MB/s  ratio to coffer restore %.2f (goal <= 1.0)%n",
            row.getKey(), t, bytes / t / 1e6, t / ref);
      }
      System.out.println(
          "  mongorestore: not measured (github.com/mongodb/mongo-tools cannot be fetched from the Go module proxy here)");
    } finally {
      server.shutdownNow();
      EngineBench.deleteTree(work);
    }
  }
}
