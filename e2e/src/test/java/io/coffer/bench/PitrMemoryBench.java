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
import io.coffer.protocol.OplogWindow;
import io.coffer.protocol.Protocol;
import io.coffer.protocol.Request;
import io.coffer.testing.ImageRuntime;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bson.Document;

/**
 * The oplog archive's memory inside the real image under a container memory limit (a memory cgroup,
 * as on a node): peak RSS of {@code coffer oplog-archive} catching up on an oplog of {@code writes}
 * inserts and half as many updates after a backup, and of {@code coffer restore --until} replaying
 * all of it; whether the kernel OOM-killed either. Goal: peak RSS at most 80 % of the limit (256
 * MiB by default), never killed. mongo-java-server runs in this JVM (the container shares the
 * host's network), a volume storage.
 *
 * <pre>
 *   e2e/bench/pitr-memory.sh [writes=200000] [limitMiB=256]   (as root: mount namespaces)
 * </pre>
 */
public final class PitrMemoryBench {
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    long limit = args.length > 1 ? Long.parseLong(args[1]) : 256;
    ImageRuntime image = ImageRuntime.shared();
    if (image == null) {
      System.err.println("pitr-memory: cannot run the image here: " + ImageRuntime.unavailable());
      System.exit(2);
    }
    Path work = Files.createTempDirectory("coffer-pitr-memory");
    Path store = Files.createDirectories(work.resolve("store"));
    Path keys = Files.createDirectories(work.resolve("keys"));
    Engine.KeyPair key = Engine.newKeyPair();
    Files.writeString(keys.resolve("key.txt"), key.identityFile());
    MongoServer server = new MongoServer(new MemoryBackend());
    server.enableOplog();
    server.bind("127.0.0.1", 0);
    String uri = "mongodb://127.0.0.1:" + server.getLocalAddress().getPort();
    Instant lastWrite;
    try (MongoClient client = MongoClients.create(uri)) {
      var orders = client.getDatabase("erp").getCollection("orders");
      orders.insertOne(new Document("_id", -1));
      Engine.backup(
          new BackupRequest(
              "base",
              "database",
              new Request.StorageRef("file://" + store),
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
          new Engine.Context(
              new EngineLog(null),
              new Progress(),
              new Secrets(Map.of()),
              uri,
              Confirmation.GIVEN,
              InputStream.nullInputStream()));
      Thread.sleep(1100);
      for (int i = 0; i < n; i++) {
        orders.insertOne(
            new Document("_id", i).append("state", "open").append("memo", "order line " + i));
        if (i % 2 == 1)
          orders.updateOne(
              new Document("_id", i - 1), new Document("$set", new Document("state", "paid")));
      }
      Thread.sleep(1100);
      orders.insertOne(new Document("_id", "last"));
      lastWrite = Instant.now().minusSeconds(1).truncatedTo(ChronoUnit.SECONDS);
    }
    System.out.printf(
        "oplog archive memory in the image %s (%s): %,d oplog entries, limit %d MiB%n",
        image.reference(), image.digest(), n + n / 2 + 1, limit);
    System.out.println("goal: peak RSS at most 80 % of the memory limit, never OOM-killed");
    for (Path p : List.of(work, store, keys))
      ImageRuntime.run(List.of("chown", "-R", "65532:65532", p.toString()));
    boolean met = true;
    // the archiver: until its window reaches the last write, then stopped
    Path pod = Files.createDirectories(work.resolve("pod-archive"));
    ImageRuntime.Container archiver =
        container(
            pod,
            store,
            keys,
            limit,
            List.of(
                "oplog-archive",
                "--storage",
                "file:///data/storage",
                "--mongodb-uri",
                uri,
                "--recipient",
                key.recipient(),
                "--slice-interval",
                "5s",
                "--progress",
                "json"));
    long t0 = System.nanoTime();
    var started = image.start(archiver);
    long peak = 0;
    OplogWindow w = null;
    while (started.process.isAlive()
        && (w == null
            || w.recoverableUntil() == null
            || Instant.parse(w.recoverableUntil()).isBefore(lastWrite))) {
      peak = Math.max(peak, EngineBench.vmHwm(started.process.pid()));
      Thread.sleep(50);
      if (Files.exists(pod.resolve("log.txt")))
        for (String line : Files.readAllLines(pod.resolve("log.txt"))) {
          OplogWindow x = Protocol.window(line.strip());
          if (x != null) w = x;
        }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    boolean alive = started.process.isAlive();
    started.process.destroy();
    started.process.waitFor();
    boolean oom = started.oomKilled();
    started.cleanUp();
    met &= report("oplog-archive", limit, peak, seconds, alive, oom);
    if (w == null || w.recoverableUntil() == null) {
      System.out.println("    " + Files.readString(pod.resolve("log.txt")).strip());
      System.exit(1);
    }
    // the restore to the window's end
    Path rpod = Files.createDirectories(work.resolve("pod-restore"));
    ImageRuntime.run(List.of("chown", "-R", "65532:65532", rpod.toString()));
    ImageMemoryBench.Run run =
        ImageMemoryBench.measure(
            image,
            container(
                rpod,
                store,
                keys,
                limit,
                List.of(
                    "restore",
                    "--storage",
                    "file:///data/storage",
                    "--until",
                    w.recoverableUntil(),
                    "--identity-file",
                    "/data/keys/key.txt",
                    "--mongodb-uri",
                    uri,
                    "--rename-db",
                    "erp=erp_at",
                    "--yes",
                    "-q",
                    "--progress",
                    "none")));
    met &=
        report("restore --until", limit, run.peakKiB(), run.seconds(), run.exit() == 0, run.oom());
    if (run.exit() != 0)
      System.out.println("    " + Files.readString(rpod.resolve("log.txt")).strip());
    server.shutdownNow();
    ImageRuntime.run(List.of("rm", "-rf", work.toString()));
    System.out.println(met ? "goal met" : "goal missed");
    System.exit(met ? 0 : 1);
  }

  static boolean report(
      String what, long limit, long peakKiB, double seconds, boolean ok, boolean oom) {
    boolean met = ok && !oom && (peakKiB >> 10) <= limit * 8 / 10;
    System.out.printf(
        "  limit %4d MiB  %-16s  peak RSS %4d MiB (%3d %%)  %6.1f s%s  %s%n",
        limit,
        what,
        peakKiB >> 10,
        (peakKiB >> 10) * 100 / limit,
        seconds,
        oom ? " OOM-killed" : ok ? "" : " failed",
        met ? "ok" : "MISSED");
    return met;
  }

  static ImageRuntime.Container container(
      Path pod, Path store, Path keys, long limit, List<String> args) throws Exception {
    Map<String, ImageRuntime.Mount> mounts = new LinkedHashMap<>();
    mounts.put("/tmp", new ImageRuntime.Mount(Files.createDirectories(pod.resolve("tmp")), false));
    mounts.put("/data/storage", new ImageRuntime.Mount(store, false));
    mounts.put("/data/keys", new ImageRuntime.Mount(keys, true));
    ImageRuntime.run(List.of("chown", "-R", "65532:65532", pod.toString()));
    return new ImageRuntime.Container(
        "bench",
        pod,
        mounts,
        pod.resolve("termination-log"),
        "/dev/termination-log",
        List.of(),
        args,
        Map.of(),
        65532,
        65532,
        List.of(65532L),
        true,
        limit << 20,
        pod.resolve("log.txt"));
  }
}
