package io.coffer.engine;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCursor;
import io.coffer.engine.archive.HashingInputStream;
import io.coffer.engine.archive.Manifest;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Printable;
import io.coffer.engine.base.Progress;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.mongo.BsonStream;
import io.coffer.engine.mongo.MongoConnection;
import io.coffer.engine.mongo.MongoNames;
import io.coffer.engine.storage.Storage;
import io.coffer.protocol.DrillRequest;
import io.coffer.protocol.DrillResult;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import io.coffer.protocol.Request;
import io.coffer.protocol.RestoreRequest;
import io.coffer.protocol.RestoreResult;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import net.lingala.zip4j.io.inputstream.ZipInputStream;
import net.lingala.zip4j.model.LocalFileHeader;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.RawBsonDocument;

/**
 * A restore drill: proves a backup restores, not only that its checksums hold. The backup is
 * restored with the usual restore (staging, checks, swap) into scratch databases (a prefix before
 * each source database's name, on the drill's own MongoDB) and, when asked, its file trees into a
 * scratch directory; the time from the restore's start to everything in place is the RTO. Then what
 * was restored is compared with what the backup says it holds: each collection's document count
 * with the manifest, its documents with the archive's (an order-free hash: the sum of each
 * document's SHA-256), its index names with the archive's metadata, each file's SHA-256 with the
 * manifest. Whatever the outcome, the scratch databases and directory are removed. Nothing but them
 * is ever written: names under the prefix only, refused when one would be a source database.
 */
final class DrillEngine {
  private static final BigInteger MOD = BigInteger.ONE.shiftLeft(256);

  private final Storage storage;
  private final EngineLog log;
  private final Progress progress;

  DrillEngine(Storage storage, EngineLog log, Progress progress) {
    this.storage = storage;
    this.log = log;
    this.progress = progress;
  }

  DrillResult run(DrillRequest r, Engine.Context c) throws IOException {
    String prefix = r.databasePrefix();
    if (prefix == null || !prefix.matches("[a-z][a-z0-9_]{1,30}_"))
      throw CofferException.usage(
          Field.DATABASE_PREFIX.mark()
              + " must be lower-case letters, digits and '_', ending in '_' (e.g. coffer_drill_),"
              + " not '"
              + Printable.escape(String.valueOf(prefix))
              + "': every scratch database is named with it");
    BackupStore store = new BackupStore(storage);
    String id = r.backupId() != null ? r.backupId() : newest(store);
    BackupDescriptor d = store.descriptor(id);
    Request.Decryption dec =
        r.decryption() == null ? new Request.Decryption(null, null) : r.decryption();
    Age.DecryptionKeys keys =
        d.encrypted() ? c.secrets().decryptionKeys(dec.identityFile(), dec.passphraseFile()) : null;
    Manifest m = store.manifest(d, keys);
    RestoreRequest.Mongo mongo = r.mongodb();
    List<String> modules = mongo == null ? List.of() : mongo.modules();
    Map<String, String> rename = new LinkedHashMap<>();
    Set<String> sources = new TreeSet<>();
    for (Manifest.Entry e : m.entries()) {
      if (e.database() == null) continue;
      if (!modules.isEmpty() && (e.module() == null || !modules.contains(e.module()))) continue;
      sources.add(e.database());
    }
    for (String db : sources) {
      String scratch = prefix + db;
      String why = MongoNames.invalidDatabase(scratch);
      if (why != null)
        throw CofferException.usage(
            "the scratch database for " + db + " would have " + why + "; give a shorter prefix");
      rename.put(db, scratch);
    }
    Set<String> all = new TreeSet<>();
    for (Manifest.Entry e : m.entries()) if (e.database() != null) all.add(e.database());
    for (String scratch : rename.values())
      if (all.contains(scratch))
        throw CofferException.usage(
            "the scratch database "
                + scratch
                + " is a database of the backup itself: a drill never writes a source; give another "
                + Field.DATABASE_PREFIX.mark());
    boolean withFiles = r.filesDir() != null;
    Set<String> trees = new TreeSet<>();
    for (Manifest.Entry e : m.entries()) if (e.tree() != null) trees.add(e.tree());
    if (sources.isEmpty() && (!withFiles || trees.isEmpty()))
      throw CofferException.usage(
          "backup " + id + " holds nothing this drill restores (no collections, or no files dir)");
    String uri =
        sources.isEmpty()
            ? null
            : c.secrets().mongoUri(c.typedMongoUri(), mongo == null ? null : mongo.uriFile());
    // a directory of its own inside the one given: only what the drill made there is removed
    Path filesRoot =
        withFiles
            ? Files.createTempDirectory(
                Files.createDirectories(Path.of(r.filesDir())), "coffer-drill-")
            : null;
    try (MongoClient client =
        uri == null
            ? null
            : MongoConnection.open(
                uri,
                c.secrets().mongoTls(mongo == null ? null : mongo.tls()),
                mongo == null || mongo.timeoutSeconds() == null ? 15 : mongo.timeoutSeconds())) {
      try {
        claim(client, rename.values()); // only databases a drill made, or none yet
        List<Request.Tree> targets = new ArrayList<>();
        if (withFiles)
          for (String t : trees) {
            Path dir = filesRoot.resolve(t);
            Files.createDirectories(dir);
            targets.add(new Request.Tree(t, dir.toString()));
          }
        log.info(
            "drill of backup "
                + id
                + " (made "
                + d.createdAt()
                + "): restoring into "
                + (rename.isEmpty() ? "" : String.join(", ", rename.values()))
                + (withFiles && !trees.isEmpty()
                    ? (rename.isEmpty() ? "" : " and ") + filesRoot
                    : ""));
        long start = System.nanoTime();
        RestoreResult restored =
            Engine.restore(
                new RestoreRequest(
                    new RestoreRequest.Source(id, null, null),
                    null,
                    r.decryption(),
                    sources.isEmpty()
                        ? null
                        : new RestoreRequest.Mongo(
                            mongo == null ? null : mongo.uriFile(),
                            List.of(),
                            List.of(),
                            modules,
                            rename,
                            false,
                            mongo == null ? null : mongo.timeoutSeconds(),
                            mongo == null ? null : mongo.tls()),
                    withFiles ? List.copyOf(trees) : List.of(),
                    sources.isEmpty()
                        ? "files"
                        : withFiles && !trees.isEmpty() ? "full" : "database",
                    targets,
                    "replace",
                    false,
                    true,
                    null,
                    Request.Report.NONE),
                storage,
                c);
        double rto = Math.round((System.nanoTime() - start) / 1e7) / 100.0;
        progress.phase("checking");
        List<String> problems = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        int[] compared = new int[2];
        if (client != null) checkCollections(client, d, m, keys, rename, problems, notes, compared);
        long files = withFiles ? checkFiles(m, filesRoot, problems, notes) : 0;
        if (!problems.isEmpty()) {
          List<String> first = problems.subList(0, Math.min(5, problems.size()));
          throw new CofferException(
              ExitCode.INTEGRITY,
              "drill of backup "
                  + id
                  + " failed: "
                  + problems.size()
                  + " differences between what was restored and what the backup says it holds: "
                  + String.join("; ", first)
                  + (problems.size() > first.size() ? "; ..." : ""));
        }
        String message =
            "backup "
                + id
                + " restored in "
                + rto
                + " s and checked: "
                + restored.collections()
                + " collections, "
                + restored.documents()
                + " documents"
                + (withFiles ? ", " + files + " files" : "");
        log.info("drill passed: " + message);
        return new DrillResult(
            DrillResult.STATUS,
            id,
            rto,
            restored.collections(),
            restored.documents(),
            files,
            compared[0],
            compared[1],
            notes.isEmpty() ? null : notes,
            message);
      } finally {
        cleanUp(client, uri, rename.values(), filesRoot);
      }
    } catch (MongoException e) {
      throw MongoConnection.translate("the drill's MongoDB", uri, e);
    }
  }

  /** The newest complete backup of the storage. */
  private static String newest(BackupStore store) throws IOException {
    return store.list().stream()
        .filter(b -> b.descriptor() != null)
        .max(Comparator.comparing(b -> b.descriptor().createdAt()))
        .map(StoredBackup::id)
        .orElseThrow(
            () ->
                new CofferException(
                    ExitCode.NOT_FOUND,
                    "no complete backup in " + store.storage().describe() + " to drill"));
  }

  /**
   * Each restored collection against the archive: the count against the manifest, the documents
   * against the archive's (when the archive holds them whole and no oplog changed them while the
   * backup read), the index names against its metadata.
   */
  private void checkCollections(
      MongoClient client,
      BackupDescriptor d,
      Manifest m,
      Age.DecryptionKeys keys,
      Map<String, String> rename,
      List<String> problems,
      List<String> notes,
      int[] compared)
      throws IOException {
    boolean replayed = m.oplog() != null && m.oplog().entries() > 0;
    boolean chain = d.parent() != null;
    Map<String, BigInteger> archived = new HashMap<>();
    Map<String, Set<String>> indexes = new HashMap<>();
    readArchive(d, m, keys, rename.keySet(), archived, indexes, !replayed && !chain);
    if (replayed)
      notes.add(
          "documents not compared by hash: the backup replays "
              + m.oplog().entries()
              + " oplog entries written while it read");
    if (chain) notes.add("documents not compared by hash: an increment holds only changes");
    for (Manifest.Entry e : m.entries()) {
      if (e.kind() != Manifest.Kind.bson || !rename.containsKey(e.database())) continue;
      String ns = e.database() + "." + e.collection();
      var coll =
          client
              .getDatabase(rename.get(e.database()))
              .getCollection(e.collection(), RawBsonDocument.class);
      long count = coll.countDocuments();
      if (!replayed && e.documents() != null && count != e.documents())
        problems.add(ns + " holds " + count + " documents, the backup " + e.documents());
      BigInteger want = archived.get(ns);
      if (want != null) {
        BigInteger got = BigInteger.ZERO;
        try (MongoCursor<RawBsonDocument> cur = coll.find().batchSize(1000).iterator()) {
          while (cur.hasNext()) {
            var bb = cur.next().getByteBuffer();
            byte[] b = new byte[bb.remaining()];
            bb.get(b);
            got = got.add(hash(b)).mod(MOD);
          }
        }
        if (!got.equals(want))
          problems.add(ns + ": the restored documents differ from the backup's");
        else compared[0]++;
      }
      Set<String> names = indexes.get(ns);
      if (names != null) {
        Set<String> have = new HashSet<>();
        for (BsonDocument ix : coll.listIndexes(BsonDocument.class))
          have.add(ix.getString("name").getValue());
        Set<String> missing = new TreeSet<>(names);
        missing.removeAll(have);
        if (!missing.isEmpty()) problems.add(ns + " lacks the indexes " + missing);
        else compared[1]++;
      }
    }
  }

  /**
   * One pass over the stored archive: each whole collection's order-free document hash (with {@code
   * hashes}) and each collection's index names from its metadata.
   */
  private void readArchive(
      BackupDescriptor d,
      Manifest m,
      Age.DecryptionKeys keys,
      Set<String> dbs,
      Map<String, BigInteger> hashes,
      Map<String, Set<String>> indexes,
      boolean withHashes)
      throws IOException {
    Map<String, Manifest.Entry> byPath = new HashMap<>();
    for (Manifest.Entry e : m.entries()) byPath.put(e.path(), e);
    BackupStore store = new BackupStore(storage);
    try (HashingInputStream stored = store.openArchive(d)) {
      InputStream plain = BackupStore.decrypting(stored, d, keys);
      ZipInputStream zip = new ZipInputStream(plain, StandardCharsets.UTF_8);
      LocalFileHeader h;
      byte[] skip = new byte[64 * 1024];
      while ((h = BackupStore.nextEntry(zip, d)) != null) {
        Manifest.Entry e = byPath.get(h.getFileName());
        InputStream content = BackupStore.entryContent(zip);
        if (e != null && e.database() != null && dbs.contains(e.database())) {
          String ns = e.database() + "." + e.collection();
          if (e.kind() == Manifest.Kind.bson && withHashes && !Boolean.TRUE.equals(e.delta())) {
            BsonStream in = new BsonStream(content, h.getFileName());
            BigInteger sum = BigInteger.ZERO;
            byte[] doc;
            while ((doc = in.next()) != null) sum = sum.add(hash(doc)).mod(MOD);
            hashes.put(ns, sum);
            continue;
          }
          if (e.kind() == Manifest.Kind.metadata && e.size() < (1 << 20)) {
            BsonDocument meta =
                BsonDocument.parse(new String(content.readAllBytes(), StandardCharsets.UTF_8));
            Set<String> names = new TreeSet<>();
            for (BsonValue v : meta.getArray("indexes", new BsonArray()))
              if (v.isDocument() && v.asDocument().isString("name"))
                names.add(v.asDocument().getString("name").getValue());
            indexes.put(ns, names);
            continue;
          }
        }
        while (content.read(skip) >= 0) {
          // not needed
        }
      }
    }
  }

  /** Each restored file's SHA-256 against the manifest's; returns how many were checked. */
  private static long checkFiles(Manifest m, Path root, List<String> problems, List<String> notes)
      throws IOException {
    long n = 0;
    int rawNames = 0;
    for (Manifest.Entry e : m.entries()) {
      if (e.tree() == null || e.kind() != Manifest.Kind.file) continue;
      if (e.raw() != null) { // a name that is not UTF-8: restored by its bytes, not compared here
        rawNames++;
        continue;
      }
      String rel = e.path().substring(("files/" + e.tree() + "/").length());
      Path f = root.resolve(e.tree()).resolve(rel).normalize();
      if (!f.startsWith(root) || !Files.isRegularFile(f)) {
        problems.add("file " + e.tree() + "/" + Printable.escape(rel) + " was not restored");
        continue;
      }
      try (HashingInputStream in = new HashingInputStream(Files.newInputStream(f))) {
        if (!in.drainAndHash().equals(e.sha256()))
          problems.add(
              "file " + e.tree() + "/" + Printable.escape(rel) + " differs from the backup's");
      }
      n++;
    }
    if (rawNames > 0)
      notes.add(rawNames + " files whose names are not UTF-8 were restored but not compared");
    return n;
  }

  private static BigInteger hash(byte[] doc) {
    try {
      return new BigInteger(1, MessageDigest.getInstance("SHA-256").digest(doc));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The collection that marks a database as a drill's scratch copy. */
  static final String MARKER = "coffer_drill_marker";

  /**
   * Makes each scratch database the drill's: one a drill made before (its marker) is dropped (a
   * killed drill's leftover), one that holds anything else is refused (it is not a scratch copy),
   * then each gets its marker, so only marked databases are ever dropped.
   */
  private static void claim(MongoClient client, Iterable<String> dbs) {
    if (client == null) return;
    for (String db : dbs) {
      List<String> names = client.getDatabase(db).listCollectionNames().into(new ArrayList<>());
      if (names.contains(MARKER)) client.getDatabase(db).drop();
      else if (!names.isEmpty())
        throw CofferException.usage(
            "database "
                + db
                + " exists on the drill's MongoDB and is not a drill's scratch copy (it holds "
                + names.size()
                + " collections and no "
                + MARKER
                + "); a drill never writes or drops it: give another "
                + Field.DATABASE_PREFIX.mark());
    }
    for (String db : dbs)
      client.getDatabase(db).getCollection(MARKER).insertOne(new Document("_id", "coffer drill"));
  }

  /** Drops the scratch databases that carry the drill's marker, and no other. */
  private static void drop(MongoClient client, Iterable<String> dbs) {
    if (client == null) return;
    for (String db : dbs)
      if (client.getDatabase(db).listCollectionNames().into(new ArrayList<>()).contains(MARKER))
        client.getDatabase(db).drop();
  }

  /** The scratch databases and directory go, whatever happened; never throws. */
  private void cleanUp(MongoClient client, String uri, Iterable<String> dbs, Path filesRoot) {
    try {
      drop(client, dbs);
    } catch (RuntimeException e) {
      // in the driver's words only through translate: one line, the URI without its credentials
      String why =
          e instanceof MongoException me
              ? MongoConnection.translate("dropping them", uri, me).getMessage()
              : e.getClass().getSimpleName();
      log.warn(
          "could not drop the drill's scratch databases "
              + String.join(", ", dbs)
              + " ("
              + why
              + "); drop them by hand");
    }
    if (filesRoot == null) return;
    try (var walk = Files.walk(filesRoot)) { // the drill's own directory, made for this run
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException e) {
      log.warn("could not empty the drill's scratch directory " + filesRoot);
    }
  }
}
