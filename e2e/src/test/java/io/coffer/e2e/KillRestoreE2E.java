package io.coffer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.model.Sorts;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.testing.Cli;
import io.coffer.testing.EmbeddedServers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restore in Replace mode killed (SIGKILL) at 12 seeded moments: every target collection is
 * either untouched or completely restored, never half-written; the file tree is either untouched or
 * completely restored, or (a kill while its checked files were being moved into place) carries the
 * marker from which the next restore finishes the moves; the next restore removes what the killed
 * one staged and finishes.
 */
class KillRestoreE2E {
  static MongoServer mongo;
  static String uri;
  static MongoClient client;
  @TempDir static Path tmp;
  static final List<String> COLLECTIONS = List.of("employees", "invoices", "ledger");

  @BeforeAll
  static void start() throws Exception {
    mongo = EmbeddedServers.mongo();
    uri = EmbeddedServers.uri(mongo);
    client = MongoClients.create(uri);
    for (String c : COLLECTIONS) {
      List<Document> docs = new ArrayList<>();
      for (int i = 0; i < 15_000; i++)
        docs.add(
            new Document("_id", i)
                .append("c", c)
                .append("payload", "new state of " + c + " #" + i));
      client.getDatabase("erp").getCollection(c).insertMany(docs);
    }
    for (int i = 0; i < 300; i++) {
      Path f = tmp.resolve("uploads/dept-" + (i % 7) + "/doc-" + i + ".txt");
      Files.createDirectories(f.getParent());
      Files.writeString(f, "new state of document " + i + "\n".repeat(i % 13 + 1));
    }
    Cli.Result r =
        Cli.run(
            tmp,
            Map.of("COFFER_MONGODB_URI", uri),
            "backup",
            "--storage",
            "file://" + tmp.resolve("store"),
            "--id",
            "b1",
            "--type",
            "full",
            "--include",
            "erp.*",
            "--files",
            "uploads=" + tmp.resolve("uploads"),
            "-q");
    assertThat(r.exit()).as(r.err()).isZero();
  }

  @AfterAll
  static void stop() {
    client.close();
    mongo.shutdownNow();
  }

  /**
   * The old state of the target: other documents in the same collections, other files in the tree.
   */
  static void resetTarget() throws IOException {
    Path live = tmp.resolve("live-uploads");
    if (Files.exists(live)) {
      try (var all = Files.walk(live)) {
        for (Path x : all.sorted(Comparator.reverseOrder()).toList()) Files.delete(x);
      }
    }
    for (int i = 0; i < 40; i++) {
      Files.createDirectories(live.resolve("old-" + (i % 3)));
      Files.writeString(live.resolve("old-" + (i % 3) + "/file-" + i + ".txt"), "old state " + i);
    }
    client.getDatabase("live").drop();
    for (String c : COLLECTIONS) {
      List<Document> docs = new ArrayList<>();
      for (int i = 0; i < 500; i++)
        docs.add(new Document("_id", "old-" + i).append("payload", "old state"));
      client.getDatabase("live").getCollection(c).insertMany(docs);
    }
  }

  static String digest(String db, String coll) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    long n = 0;
    try (MongoCursor<RawBsonDocument> it =
        client
            .getDatabase(db)
            .getCollection(coll, RawBsonDocument.class)
            .find()
            .sort(Sorts.ascending("_id"))
            .batchSize(5000)
            .iterator()) {
      while (it.hasNext()) {
        var bb = it.next().getByteBuffer();
        byte[] b = new byte[bb.remaining()];
        bb.get(b);
        md.update(b);
        n++;
      }
    }
    return n + ":" + HexFormat.of().formatHex(md.digest());
  }

  static Map<String, String> state(String db) throws Exception {
    Map<String, String> out = new TreeMap<>();
    for (String c : COLLECTIONS) out.put(c, digest(db, c));
    return out;
  }

  /**
   * A tree's content (paths and bytes), leaving out Coffer's own staging folders and markers at its
   * top.
   */
  static String tree(Path root) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    int n = 0;
    try (var all = Files.walk(root)) {
      for (Path p : all.filter(Files::isRegularFile).sorted().toList()) {
        String rel = root.relativize(p).toString();
        if (rel.startsWith(".coffer-")) continue;
        md.update(rel.getBytes(StandardCharsets.UTF_8));
        md.update(Files.readAllBytes(p));
        n++;
      }
    }
    return n + ":" + HexFormat.of().formatHex(md.digest());
  }

  static boolean interruptedMoves(Path root) throws IOException {
    try (var top = Files.list(root)) {
      return top.anyMatch(p -> p.getFileName().toString().startsWith(".coffer-commit-"));
    }
  }

  @Test
  void
      givenRestoresKilledAtRandomMoments_thenEachCollectionIsUntouchedOrFullyRestored_andTheNextRestoreFinishes()
          throws Exception {
    Map<String, String> fresh = state("erp");
    resetTarget();
    Map<String, String> old = state("live");
    String freshTree = tree(tmp.resolve("uploads"));
    String oldTree = tree(tmp.resolve("live-uploads"));
    String[] args = {
      "restore",
      "--storage",
      "file://" + tmp.resolve("store"),
      "--backup",
      "b1",
      "--rename-db",
      "erp=live",
      "--mode",
      "replace",
      "--files-target",
      "uploads=" + tmp.resolve("live-uploads"),
      "--yes",
      "-q"
    };
    Random r = new Random(11);
    int mixed = 0;
    int killed = 0;
    int movesCut = 0;
    for (int i = 0; i < 12; i++) {
      resetTarget();
      Process p =
          Cli.startLogged(
              tmp, Map.of("COFFER_MONGODB_URI", uri), tmp.resolve("restore-" + i + ".log"), args);
      long delay =
          200
              + r.nextInt(
                  1800); // the JVM starts in ~0.5 s; the restore ends 1.5-2.5 s after the start
      if (!p.waitFor(delay, TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor();
        killed++;
      }
      Map<String, String> now = state("live");
      int restored = 0;
      for (String c : COLLECTIONS) {
        assertThat(now.get(c))
            .as("kill #%d after %d ms: %s is half-written", i, delay, c)
            .isIn(old.get(c), fresh.get(c));
        if (now.get(c).equals(fresh.get(c))) restored++;
      }
      if (restored > 0 && restored < COLLECTIONS.size()) mixed++;
      if (interruptedMoves(tmp.resolve("live-uploads"))) {
        movesCut++; // half moved is allowed only under the marker the next restore finishes from
      } else {
        assertThat(tree(tmp.resolve("live-uploads")))
            .as("kill #%d after %d ms: the file tree is half-written", i, delay)
            .isIn(oldTree, freshTree);
      }
    }
    // the next restore, not killed, drops what killed ones staged and completes
    Cli.Result done = Cli.run(tmp, Map.of("COFFER_MONGODB_URI", uri), args);
    assertThat(done.exit()).as(done.err()).isZero();
    assertThat(state("live")).isEqualTo(fresh);
    assertThat(tree(tmp.resolve("live-uploads"))).isEqualTo(freshTree);
    try (var top = Files.list(tmp.resolve("live-uploads"))) {
      assertThat(
              top.map(p -> p.getFileName().toString())
                  .filter(n -> n.startsWith(".coffer-"))
                  .toList())
          .as("Coffer's leftovers")
          .isEmpty();
    }
    assertThat(client.getDatabase("live").listCollectionNames().into(new ArrayList<>()))
        .containsExactlyInAnyOrderElementsOf(COLLECTIONS);
    assertThat(killed).as("kills that hit a running restore").isGreaterThanOrEqualTo(4);
    System.out.println(
        "KillRestoreE2E: "
            + killed
            + " of 12 restores killed while running, "
            + mixed
            + " between two collections' swaps, "
            + movesCut
            + " while moving files into place");
  }
}
