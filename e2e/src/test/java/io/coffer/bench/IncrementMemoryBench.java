package io.coffer.bench;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.ImageRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine's peak RSS for an incremental backup of a large collection of small documents, inside
 * the real image under a container memory limit (a memory cgroup, as on a node; the image's own JVM
 * settings): a full backup with a chain index, 1 % of the documents changed, then the increment.
 * Goal: peak RSS of the increment at most 200 MiB in a 256 MiB container, never OOM-killed. The
 * increment reads the collection in _id order and merges it with the parent's index, so memory
 * holds the changes, not the collection. MongoDB is mongo-java-server, outside the container.
 *
 * <pre>
 *   e2e/bench/increment-memory.sh [documents=10000000] [limitMiB=256]   (as root: mount namespaces)
 * </pre>
 */
public final class IncrementMemoryBench {
  public static void main(String[] args) throws Exception {
    int docs = args.length > 0 ? Integer.parseInt(args[0]) : 10_000_000;
    long limit = args.length > 1 ? Long.parseLong(args[1]) : 256;
    ImageRuntime image = ImageRuntime.shared();
    if (image == null) {
      System.err.println(
          "increment-memory: cannot run the image here: " + ImageRuntime.unavailable());
      System.exit(2);
    }
    Path work = Files.createTempDirectory("coffer-increment-memory");
    MongoServer server = EmbeddedServers.mongo();
    String uri = EmbeddedServers.uri(server);
    long t0 = System.nanoTime();
    try (MongoClient client = MongoClients.create(uri)) {
      IncrementalBench.seedEvents(client, docs);
      System.out.printf(
          "engine memory of an increment in the image %s: %,d events (about 130 bytes each), 1 %% changed; seeded in %.0f s%n",
          image.reference(), docs, (System.nanoTime() - t0) / 1e9);
      System.out.println(
          "goal: peak RSS of the increment at most 200 MiB in a "
              + limit
              + " MiB container, never OOM-killed");
      Path store = Files.createDirectories(work.resolve("store"));
      Path keys = Files.createDirectories(work.resolve("keys"));
      Files.writeString(keys.resolve("index.key"), "bench-index-key-0123456789abcdef");
      String recipient = AgeKeys.generate().recipient().encoded();
      ImageRuntime.run(List.of("chown", "-R", "65532:65532", store.toString(), keys.toString()));
      Result full = run(image, work, "full", limit, uri, recipient, store, keys, List.of());
      // 1 %: updates of 0.8 %, inserts of 0.1 %, deletes of 0.1 %
      var events = client.getDatabase("bench").getCollection("orders");
      events.updateMany(Filters.mod("_id", 125, 0), Updates.set("type", "changed"));
      List<org.bson.Document> fresh = new ArrayList<>();
      for (int i = 0; i < docs / 1000; i++)
        fresh.add(new org.bson.Document("_id", docs + i).append("type", "new"));
      events.insertMany(fresh);
      events.deleteMany(Filters.mod("_id", 1000, 7));
      Result inc =
          run(
              image,
              work,
              "increment",
              limit,
              uri,
              recipient,
              store,
              keys,
              List.of("--type", "incremental", "--parent", "full"));
      boolean met = inc.exit == 0 && !inc.oom && inc.peakMiB <= 200;
      System.out.printf(
          "full backup:  peak RSS %4d MiB (%3d %% of %d MiB)  %6.1f s  exit %d%s%n",
          full.peakMiB,
          full.peakMiB * 100 / limit,
          limit,
          full.seconds,
          full.exit,
          full.oom ? " OOM-killed" : "");
      System.out.printf(
          "increment:    peak RSS %4d MiB (%3d %% of %d MiB)  %6.1f s  exit %d%s  goal <= 200 MiB: %s%n",
          inc.peakMiB,
          inc.peakMiB * 100 / limit,
          limit,
          inc.seconds,
          inc.exit,
          inc.oom ? " OOM-killed" : "",
          met ? "met" : "missed");
      server.shutdownNow();
      ImageRuntime.run(List.of("rm", "-rf", work.toString()));
      System.exit(met ? 0 : 1);
    }
  }

  record Result(long peakMiB, double seconds, int exit, boolean oom) {}

  static Result run(
      ImageRuntime image,
      Path work,
      String id,
      long limit,
      String uri,
      String recipient,
      Path store,
      Path keys,
      List<String> extra)
      throws Exception {
    Path pod = Files.createDirectories(work.resolve("pod-" + id));
    Map<String, ImageRuntime.Mount> mounts = new LinkedHashMap<>();
    mounts.put("/tmp", new ImageRuntime.Mount(Files.createDirectories(pod.resolve("tmp")), false));
    mounts.put("/data/storage", new ImageRuntime.Mount(store, false));
    mounts.put("/data/keys", new ImageRuntime.Mount(keys, true));
    List<String> a =
        new ArrayList<>(
            List.of(
                "backup",
                "--id",
                id,
                "--storage",
                "file:///data/storage",
                "--recipient",
                recipient,
                "-q",
                "--progress",
                "none",
                "--mongodb-uri",
                uri,
                "--include",
                "bench",
                "--index-key-file",
                "/data/keys/index.key"));
    a.addAll(extra);
    for (Path p : List.of(pod, pod.resolve("tmp")))
      ImageRuntime.run(List.of("chown", "65532:65532", p.toString()));
    var c =
        new ImageRuntime.Container(
            "bench",
            pod,
            mounts,
            pod.resolve("termination-log"),
            "/dev/termination-log",
            List.of(),
            a,
            Map.of(),
            65532,
            65532,
            List.of(65532L),
            true,
            limit << 20,
            pod.resolve("log.txt"));
    ImageMemoryBench.Run r = ImageMemoryBench.measure(image, c);
    if (r.exit() != 0)
      System.out.println(
          "  "
              + id
              + ": "
              + Files.readString(pod.resolve("log.txt")).strip().replace("\n", "\n  "));
    return new Result(r.peakKiB() >> 10, r.seconds(), r.exit(), r.oom());
  }
}
