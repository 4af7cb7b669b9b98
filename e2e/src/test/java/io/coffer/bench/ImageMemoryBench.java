package io.coffer.bench;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
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
 * The engine's memory inside the real image under a container memory limit (a memory cgroup, as on
 * a node), for the Job pods' default resources and the README's sizing table: peak RSS of {@code
 * coffer backup} (files, a MongoDB database, and an uploads volume of many small files) and of
 * {@code coffer restore} of those small files, and whether the kernel OOM-killed it. Goal: peak RSS
 * at most 80 % of the limit, never killed (issue 25 item 9: a million small files in the default
 * pod, memory flat in their number).
 *
 * <pre>
 *   e2e/bench/image-memory.sh [fileMiB=700] [documents=1000000] [limitsMiB=256,512] [smallFiles=300000]
 *   (as root: mount namespaces)
 * </pre>
 */
public final class ImageMemoryBench {
  public static void main(String[] args) throws Exception {
    int mib = args.length > 0 ? Integer.parseInt(args[0]) : 700;
    int docs = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    List<Long> limits = new ArrayList<>();
    for (String l : (args.length > 2 ? args[2] : "256,512").split(","))
      limits.add(Long.parseLong(l.trim()));
    int small = args.length > 3 ? Integer.parseInt(args[3]) : 300_000;
    ImageRuntime image = ImageRuntime.shared();
    if (image == null) {
      System.err.println("image-memory: cannot run the image here: " + ImageRuntime.unavailable());
      System.exit(2);
    }
    Path work = Files.createTempDirectory("coffer-image-memory");
    Path tree = Files.createDirectories(work.resolve("tree"));
    long total = EngineBench.generateTree(tree, mib);
    // an ERP's uploads after a few years: many small documents, 1,000 to a folder
    Path smallTree = Files.createDirectories(work.resolve("small"));
    for (int i = 0; i < small; i++) {
      Path d = smallTree.resolve(String.format("%04d", i / 1000));
      if (i % 1000 == 0) Files.createDirectories(d);
      Files.writeString(d.resolve("doc-" + i + ".txt"), "scanned document " + i + "\n");
    }
    MongoServer server = EmbeddedServers.mongo();
    String uri = EmbeddedServers.uri(server);
    try (MongoClient client = MongoClients.create(uri)) {
      EngineBench.seed(client, docs);
    }
    AgeKeys.Identity identity = AgeKeys.generate();
    String recipient = identity.recipient().encoded();
    System.out.printf(
        "engine memory in the image %s (%s): %d MiB of files, %,d documents, %,d small files%n",
        image.reference(), image.digest(), total >> 20, docs, small);
    System.out.println("goal: peak RSS at most 80 % of the memory limit, never OOM-killed");
    boolean met = true;
    for (long limit : limits) {
      for (String kind : List.of("files", "database", "small-files", "small-restore")) {
        Path pod = Files.createDirectories(work.resolve("pod-" + kind + "-" + limit));
        Path store = Files.createDirectories(work.resolve("store-" + kind + "-" + limit));
        Map<String, ImageRuntime.Mount> mounts = new LinkedHashMap<>();
        mounts.put(
            "/tmp", new ImageRuntime.Mount(Files.createDirectories(pod.resolve("tmp")), false));
        // the small files' restore reads what their backup at this limit stored
        Path from = work.resolve("store-small-files-" + limit);
        mounts.put(
            "/data/storage",
            new ImageRuntime.Mount(kind.equals("small-restore") ? from : store, false));
        List<String> a =
            new ArrayList<>(
                List.of(
                    "backup",
                    "--storage",
                    "file:///data/storage",
                    "--recipient",
                    recipient,
                    "-q",
                    "--progress",
                    "none"));
        if (kind.equals("small-restore")) {
          a =
              new ArrayList<>(
                  List.of(
                      "restore",
                      "--storage",
                      "file:///data/storage",
                      "--backup",
                      "small",
                      "--identity-file",
                      "/data/key/identity",
                      "--files-target",
                      "docs=/data/target",
                      "-q",
                      "--progress",
                      "none"));
          Path key = Files.createDirectories(pod.resolve("key"));
          Files.writeString(key.resolve("identity"), identity.encoded() + "\n");
          mounts.put("/data/key", new ImageRuntime.Mount(key, true));
          mounts.put(
              "/data/target",
              new ImageRuntime.Mount(Files.createDirectories(pod.resolve("target")), false));
          ImageRuntime.run(List.of("chown", "-R", "65532:65532", pod.toString()));
        } else if (kind.equals("small-files")) {
          mounts.put("/data/source/docs", new ImageRuntime.Mount(smallTree, true));
          a.addAll(
              List.of("--type", "files", "--files", "docs=/data/source/docs", "--id", "small"));
        } else if (kind.equals("files")) {
          mounts.put("/data/source/docs", new ImageRuntime.Mount(tree, true));
          a.addAll(List.of("--type", "files", "--files", "docs=/data/source/docs"));
        } else {
          a.addAll(List.of("--type", "database", "--mongodb-uri", uri));
        }
        for (Path p : List.of(pod, store, pod.resolve("tmp")))
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
        Run run = measure(image, c);
        long peak = run.peakKiB();
        int exit = run.exit();
        boolean oom = run.oom();
        double seconds = run.seconds();
        boolean ok = exit == 0 && !oom && (peak >> 10) <= limit * 8 / 10;
        met &= ok;
        System.out.printf(
            "  limit %4d MiB  %-13s  peak RSS %4d MiB (%3d %%)  %6.1f s  exit %d%s  %s%n",
            limit,
            kind,
            peak >> 10,
            (peak >> 10) * 100 / limit,
            seconds,
            exit,
            oom ? " OOM-killed" : "",
            ok ? "ok" : "MISSED");
        if (exit != 0)
          System.out.println(
              "    " + Files.readString(pod.resolve("log.txt")).strip().replace("\n", "\n    "));
      }
    }
    server.shutdownNow();
    ImageRuntime.run(List.of("rm", "-rf", work.toString()));
    System.out.println(met ? "goal met" : "goal missed");
    System.exit(met ? 0 : 1);
  }

  /**
   * One container's run: its peak RSS (VmHWM, polled every 50 ms), time, exit code and whether the
   * kernel OOM-killed it.
   */
  record Run(long peakKiB, double seconds, int exit, boolean oom) {}

  static Run measure(ImageRuntime image, ImageRuntime.Container c) throws Exception {
    long t0 = System.nanoTime();
    var started = image.start(c);
    long peak = 0;
    while (started.process.isAlive()) {
      peak = Math.max(peak, EngineBench.vmHwm(started.process.pid()));
      Thread.sleep(50);
    }
    int exit = started.process.exitValue();
    boolean oom = started.oomKilled();
    started.cleanUp();
    return new Run(peak, (System.nanoTime() - t0) / 1e9, exit, oom);
  }
}
