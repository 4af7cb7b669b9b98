package io.coffer.bench;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.e2e.EngineCalls;
import io.coffer.e2e.EngineCalls.What;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.engine.storage.FileStorage;
import io.coffer.protocol.BackupResult;
import io.coffer.protocol.Request;
import io.coffer.testing.EmbeddedServers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.bson.RawBsonDocument;

/**
 * Prints figures for the engine's performance goals (a command, never a timed test): MongoDB backup
 * and restore against a plain raw cursor drain of the same collections, files backup against restic
 * on the same tree, and the peak RSS of the engine as its own process for two input sizes.
 *
 * <p>Run: {@code e2e/bench/engine.sh [documents] [fileMiB]} (defaults 1,000,000 and 300).
 */
public final class EngineBench {
  static final int ROUNDS = 3;

  static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }

  public static void main(String[] args) throws Exception {
    int docs = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int fileMiB = args.length > 1 ? Integer.parseInt(args[1]) : 300;
    Path work = Files.createTempDirectory("coffer-bench");
    System.out.printf(
        "machine: %d cores, Java %s, %s%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        System.getProperty("os.name"));
    try {
      mongo(work, docs);
      files(work, fileMiB);
    } finally {
      deleteTree(work);
    }
  }

  static void mongo(Path work, int docs) throws Exception {
    MongoServer server = EmbeddedServers.mongo();
    String uri = EmbeddedServers.uri(server);
    try (MongoClient client = MongoClients.create(uri)) {
      System.out.printf("%nMongoDB: seeding %,d documents...%n", docs);
      seed(client, docs);
      long bytes = drain(client);
      FileStorage storage = new FileStorage(work.resolve("store"));
      AgeKeys.Identity id = AgeKeys.generate();
      Request.Decryption keys = EngineCalls.identity(work.resolve("keys"), id);
      // one warm-up round, then ROUNDS measured rounds in turn; medians are reported (the JIT and
      // the
      // embedded server's garbage collection make single runs noisy)
      List<Double> drains = new ArrayList<>();
      List<Double> plain = new ArrayList<>();
      List<Double> aged = new ArrayList<>();
      List<Double> restores = new ArrayList<>();
      long stored = 0;
      for (int round = 0; round <= ROUNDS; round++) {
        double d = time(() -> drain(client));
        String pid = "plain-" + round;
        String aid = "age-" + round;
        double p = time(() -> EngineCalls.backup(storage, uri, pid, What.databases("bench"), null));
        BackupResult[] r = new BackupResult[1];
        double a =
            time(
                () ->
                    r[0] =
                        EngineCalls.backup(
                            storage, uri, aid, What.databases("bench"), id.recipient()));
        double rt =
            time(
                () ->
                    EngineCalls.restore(
                        storage, uri, aid, keys, Map.of("bench", "bench_restored"), List.of()));
        stored = r[0].storedSize();
        if (round > 0) {
          drains.add(d);
          plain.add(p);
          aged.add(a);
          restores.add(rt);
        }
      }
      double drain = median(drains);
      System.out.printf(
          "  plain raw cursor drain : %6.2f s  %7.1f MB/s  (%,d bytes of BSON; median of %d)%n",
          drain, bytes / drain / 1e6, bytes, ROUNDS);
      System.out.printf(
          "  coffer backup (plain)  : %6.2f s  %7.1f MB/s  ratio to drain %.2f (goal <= 1.15)%n",
          median(plain), bytes / median(plain) / 1e6, median(plain) / drain);
      System.out.printf(
          "  coffer backup (age)    : %6.2f s  %7.1f MB/s  ratio to drain %.2f (goal <= 1.15)  stored %,d bytes%n",
          median(aged), bytes / median(aged) / 1e6, median(aged) / drain, stored);
      System.out.printf(
          "  coffer restore (age)   : %6.2f s  %7.1f MB/s  ratio to backup %.2f (goal <= 1.0)%n",
          median(restores), bytes / median(restores) / 1e6, median(restores) / median(aged));
      double ins = time(() -> insertBaseline(client));
      System.out.printf(
          "  plain insertMany of the same documents (the server's write speed, a floor for any restore): %6.2f s  ratio restore/insert %.2f%n",
          ins, median(restores) / ins);
    } finally {
      server.shutdownNow();
    }
  }

  public static void seed(MongoClient client, int docs) {
    MongoCollection<Document> c = client.getDatabase("bench").getCollection("orders");
    Random r = new Random(1);
    List<Document> batch = new ArrayList<>();
    for (int i = 0; i < docs; i++) {
      batch.add(
          new Document("_id", i)
              .append("customer", "Customer " + r.nextInt(10_000))
              .append("status", i % 3 == 0 ? "paid" : "open")
              .append("total", r.nextDouble() * 1000)
              .append(
                  "lines",
                  List.of(
                      new Document("sku", "SKU-" + r.nextInt(5000)).append("qty", r.nextInt(9)),
                      new Document("sku", "SKU-" + r.nextInt(5000)).append("qty", r.nextInt(9))))
              .append(
                  "note",
                  "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore "
                      + r.nextLong())
              .append(
                  "address",
                  new Document("street", r.nextInt(999) + " Main Street")
                      .append("city", "City " + r.nextInt(300))
                      .append("zip", String.valueOf(10000 + r.nextInt(89999)))));
      if (batch.size() == 10_000) {
        c.insertMany(batch);
        batch.clear();
      }
    }
    if (!batch.isEmpty()) c.insertMany(batch);
  }

  static void insertBaseline(MongoClient client) {
    MongoCollection<RawBsonDocument> target =
        client.getDatabase("bench_insert").getCollection("orders", RawBsonDocument.class);
    target.drop();
    List<RawBsonDocument> batch = new ArrayList<>();
    for (RawBsonDocument d :
        client
            .getDatabase("bench")
            .getCollection("orders", RawBsonDocument.class)
            .find()
            .batchSize(2000)) {
      batch.add(d);
      if (batch.size() == 1000) {
        target.insertMany(batch);
        batch = new ArrayList<>();
      }
    }
    if (!batch.isEmpty()) target.insertMany(batch);
  }

  static long drain(MongoClient client) {
    long bytes = 0;
    try (MongoCursor<RawBsonDocument> cur =
        client
            .getDatabase("bench")
            .getCollection("orders", RawBsonDocument.class)
            .find()
            .batchSize(2000)
            .cursor()) {
      while (cur.hasNext()) bytes += cur.next().getByteBuffer().remaining();
    }
    return bytes;
  }

  static void files(Path work, int mib) throws Exception {
    if (mib <= 0) return; // MongoDB only
    Path tree = work.resolve("tree");
    System.out.printf(
        "%nFiles: generating a %d MiB mixed tree (text, random data, many small files)...%n", mib);
    long total = generateTree(tree, mib);
    FileStorage storage = new FileStorage(work.resolve("fstore"));
    String indexKey =
        EngineCalls.secretFile(
            work.resolve("keys"), "index-key", "bench-index-key-0123456789abcdef");
    AgeKeys.Recipient recipient = AgeKeys.generate().recipient();
    What what = What.files(new Request.Tree("tree", tree.toString()));
    double t =
        time(
            () ->
                EngineCalls.backup(
                    storage, null, "files-1", what, recipient, "deflate", 1, 10, null, indexKey));
    System.out.printf("  coffer backup (age)    : %6.2f s  %7.1f MB/s%n", t, total / t / 1e6);
    boolean restic = onPath("restic");
    Path repo = work.resolve("restic");
    double rt = 0;
    if (restic) {
      ProcessBuilder init =
          new ProcessBuilder("restic", "init", "--repo", repo.toString()).redirectErrorStream(true);
      init.environment().put("RESTIC_PASSWORD", "bench");
      run(init);
      ProcessBuilder backup =
          new ProcessBuilder("restic", "backup", "--repo", repo.toString(), tree.toString())
              .redirectErrorStream(true);
      backup.environment().put("RESTIC_PASSWORD", "bench");
      rt = time(() -> run(backup));
      System.out.printf(
          "  restic backup          : %6.2f s  %7.1f MB/s  coffer/restic %.2f (goal <= 1.0)%n",
          rt, total / rt / 1e6, t / rt);
    } else {
      System.out.println("  restic is not installed (apt-get install restic): comparison skipped");
    }
    // 1 % of the files rewritten, then an incremental backup (coffer) and a second snapshot
    // (restic)
    List<Path> regular;
    try (var s = Files.walk(tree)) {
      regular = s.filter(Files::isRegularFile).sorted().toList();
    }
    Random r = new Random(4);
    for (int i = 0; i < regular.size(); i += 100) {
      byte[] b = new byte[(int) Files.size(regular.get(i))];
      r.nextBytes(b);
      Files.write(regular.get(i), b);
    }
    BackupResult[] inc = new BackupResult[1];
    double ti =
        time(
            () ->
                inc[0] =
                    EngineCalls.backup(
                        storage, null, "files-2", what, recipient, "deflate", 1, 10, "files-1",
                        indexKey));
    System.out.printf(
        "  coffer incremental     : %6.2f s  %,d bytes stored (1 %% of %d files rewritten)%n",
        ti, inc[0].storedSize(), regular.size());
    if (restic) {
      ProcessBuilder again =
          new ProcessBuilder("restic", "backup", "--repo", repo.toString(), tree.toString())
              .redirectErrorStream(true);
      again.environment().put("RESTIC_PASSWORD", "bench");
      double rti = time(() -> run(again));
      System.out.printf("  restic second snapshot : %6.2f s  coffer/restic %.2f%n", rti, ti / rti);
    }
    rss(work, tree, total);
  }

  /** Peak RSS of `coffer backup` as its own process, for the tree and for a tree twice its size. */
  static void rss(Path work, Path tree, long total) throws Exception {
    String jar = System.getProperty("coffer.jar");
    if (jar == null || !Files.exists(Path.of(jar))) {
      System.out.println(
          "  (set -Dcoffer.jar=operator/target/coffer.jar to measure the engine's peak RSS)");
      return;
    }
    Path big = work.resolve("tree2");
    Files.createDirectories(big);
    Files.createSymbolicLink(big.resolve("a"), tree);
    // a second copy of the data makes the input twice as large
    copyTree(tree, big.resolve("b"));
    for (Path p : List.of(tree, big)) {
      long size = p == tree ? total : 2 * total;
      ProcessBuilder pb =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-Xmx256m",
                  "-jar",
                  jar,
                  "backup",
                  "--storage",
                  work.resolve("rss-store").toUri().toString(),
                  "--type",
                  "files",
                  "--files",
                  "t=" + p,
                  "-q",
                  "--progress",
                  "none")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD);
      Process proc = pb.start();
      long peak = 0;
      while (proc.isAlive()) {
        peak = Math.max(peak, vmHwm(proc.pid()));
        Thread.sleep(50);
      }
      if (proc.exitValue() != 0) {
        // a figure from a run that failed early would look like a low peak
        System.out.printf(
            "  engine peak RSS, %4d MiB input : not measured, the backup failed (exit %d)%n",
            size >> 20, proc.exitValue());
        continue;
      }
      System.out.printf(
          "  engine peak RSS, %4d MiB input : %4d MiB (-Xmx256m)%n", size >> 20, peak >> 10);
    }
  }

  static long vmHwm(long pid) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
      }
    } catch (IOException | RuntimeException e) {
      // the process ended
    }
    return 0;
  }

  /**
   * A mixed tree without repeated content (real uploads do not repeat, and repeats would flatter a
   * deduplicating tool): 60 % of files small text, 30 % random (already-compressed) data, 10 %
   * large text.
   */
  public static long generateTree(Path root, int mib) throws IOException {
    Random r = new Random(3);
    String[] words = {
      "invoice",
      "customer",
      "RayERP",
      "total",
      "project",
      "task",
      "employee",
      "payment",
      "due",
      "ledger",
      "contact",
      "department",
      "approved",
      "pending",
      "amount",
      "currency",
      "EUR",
      "USD",
      "quarter",
      "report"
    };
    long target = (long) mib << 20;
    long written = 0;
    int n = 0;
    while (written < target) {
      Path dir = root.resolve("d" + (n / 200)).resolve("s" + (n % 10));
      Files.createDirectories(dir);
      int kind = n % 10;
      byte[] data;
      if (kind < 6 || kind == 9) {
        int size = kind < 6 ? 2_000 + r.nextInt(30_000) : 4_000_000;
        StringBuilder sb = new StringBuilder(size + 100);
        while (sb.length() < size) {
          sb.append(words[r.nextInt(words.length)])
              .append(' ')
              .append(r.nextInt(1_000_000))
              .append(r.nextInt(7) == 0 ? '\n' : ' ');
        }
        data = sb.substring(0, size).getBytes(StandardCharsets.UTF_8);
      } else {
        data = new byte[500_000 + r.nextInt(3_000_000)];
        r.nextBytes(data);
      }
      Files.write(dir.resolve("f" + n + (kind < 6 ? ".txt" : kind < 9 ? ".jpg" : ".log")), data);
      written += data.length;
      n++;
    }
    System.out.printf("  %,d files, %,d bytes%n", n, written);
    return written;
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (var s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path d = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) Files.createDirectories(d);
        else Files.copy(p, d);
      }
    }
  }

  interface Body {
    void run() throws Exception;
  }

  static double time(Body b) throws Exception {
    long t0 = System.nanoTime();
    b.run();
    return (System.nanoTime() - t0) / 1e9;
  }

  static void run(ProcessBuilder pb) throws Exception {
    Process p = pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0)
      throw new IllegalStateException("failed: " + pb.command());
  }

  static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(d, tool))) return true;
    }
    return false;
  }

  static void deleteTree(Path root) throws IOException {
    try (var s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }
}
