package io.coffer.demo;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.model.Sorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bson.RawBsonDocument;

/** The demo's own checks of what the operator did: independent of the engine's code paths. */
final class Verify {
  record Outcome(boolean ok, String detail) {}

  private Verify() {}

  static Map<String, Long> counts(String uri, String db) {
    Map<String, Long> out = new TreeMap<>();
    try (MongoClient c = MongoClients.create(uri)) {
      for (String name : c.getDatabase(db).listCollectionNames())
        out.put(name, c.getDatabase(db).getCollection(name).countDocuments());
    }
    return out;
  }

  /**
   * Every collection in {@code names} ("db.coll" keys) holds the same documents, byte for byte, in
   * both databases.
   */
  static Outcome databases(String uri, String source, String target, Collection<String> names) {
    long docs = 0;
    try (MongoClient c = MongoClients.create(uri)) {
      for (String key : names) {
        String coll = key.substring(key.indexOf('.') + 1);
        MongoCollection<RawBsonDocument> a =
            c.getDatabase(source).getCollection(coll, RawBsonDocument.class);
        MongoCollection<RawBsonDocument> b =
            c.getDatabase(target).getCollection(coll, RawBsonDocument.class);
        try (MongoCursor<RawBsonDocument> x =
                a.find().sort(Sorts.ascending("_id")).batchSize(5000).iterator();
            MongoCursor<RawBsonDocument> y =
                b.find().sort(Sorts.ascending("_id")).batchSize(5000).iterator()) {
          while (x.hasNext()) {
            if (!y.hasNext()) return new Outcome(false, target + "." + coll + " lacks documents");
            RawBsonDocument dx = x.next();
            RawBsonDocument dy = y.next();
            if (!Arrays.equals(bytes(dx), bytes(dy)))
              return new Outcome(
                  false, target + "." + coll + ": document " + dx.get("_id") + " differs");
            docs++;
          }
          if (y.hasNext()) return new Outcome(false, target + "." + coll + " has extra documents");
        }
      }
    }
    return new Outcome(
        true, String.format("%d collections, %,d documents identical", names.size(), docs));
  }

  private static byte[] bytes(RawBsonDocument d) {
    var buf = d.getByteBuffer();
    byte[] out = new byte[buf.remaining()];
    buf.get(out);
    return out;
  }

  /** Same relative paths, same bytes, same empty folders. */
  static Outcome trees(Path a, Path b) throws IOException {
    List<String> pa = list(a);
    List<String> pb = list(b);
    if (!pa.equals(pb))
      return new Outcome(false, "different entries: " + pa.size() + " vs " + pb.size());
    long bytes = 0;
    for (String rel : pa) {
      Path fa = a.resolve(rel);
      if (Files.isRegularFile(fa)) {
        if (Files.mismatch(fa, b.resolve(rel)) != -1) return new Outcome(false, rel + " differs");
        bytes += Files.size(fa);
      }
    }
    return new Outcome(
        true, String.format("%d entries, %.1f MB identical", pa.size(), bytes / 1e6));
  }

  private static List<String> list(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> !p.equals(root))
          .map(p -> root.relativize(p).toString() + (Files.isDirectory(p) ? "/" : ""))
          .sorted()
          .toList();
    }
  }

  /** Runs Debian's age and unzip on the archive, if installed; null when they are not. */
  static Outcome openWithAge(Path archive, Path identity, Path zip)
      throws IOException, InterruptedException {
    if (!onPath("age") || !onPath("unzip")) return null;
    Process age =
        new ProcessBuilder(
                "age", "-d", "-i", identity.toString(), "-o", zip.toString(), archive.toString())
            .redirectErrorStream(true)
            .start();
    String ageOut = new String(age.getInputStream().readAllBytes());
    if (!age.waitFor(120, TimeUnit.SECONDS) || age.exitValue() != 0)
      return new Outcome(false, "age: " + ageOut.strip());
    Process unzip =
        new ProcessBuilder("unzip", "-tq", zip.toString()).redirectErrorStream(true).start();
    String unzipOut = new String(unzip.getInputStream().readAllBytes()).strip();
    if (!unzip.waitFor(120, TimeUnit.SECONDS) || unzip.exitValue() != 0)
      return new Outcome(false, "unzip: " + unzipOut);
    return new Outcome(true, "decrypted to " + zip + "; unzip: " + unzipOut);
  }

  private static boolean onPath(String tool) {
    String path = System.getenv("PATH");
    if (path == null) return false;
    for (String d : path.split(":")) if (Files.isExecutable(Path.of(d, tool))) return true;
    return false;
  }
}
