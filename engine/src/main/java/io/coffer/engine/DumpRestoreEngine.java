package io.coffer.engine;

import com.mongodb.MongoException;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Printable;
import io.coffer.engine.base.Progress;
import io.coffer.engine.mongo.BsonStream;
import io.coffer.engine.mongo.MongoConnection;
import io.coffer.engine.mongo.MongoMetadata;
import io.coffer.engine.mongo.MongoNames;
import io.coffer.engine.mongo.MongoRestorer;
import io.coffer.engine.mongo.OplogReplay;
import io.coffer.engine.mongo.Selection;
import io.coffer.engine.mongodump.DumpArchive;
import io.coffer.engine.mongodump.DumpDocuments;
import io.coffer.engine.mongodump.DumpFolder;
import io.coffer.protocol.Consistency;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import io.coffer.protocol.RestoreResult;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.zip.ZipException;
import org.bson.BsonDocument;

/**
 * Restores what {@code mongodump} wrote, so the dumps of a mongodump cron stay restorable after the
 * move to Coffer: a folder ({@code --out}, gzipped or not; also a Coffer archive's unzipped {@code
 * mongodb/} folder) or an archive file ({@code --archive}, gzipped or not, or standard input). The
 * same guarantees as a Coffer restore: every collection is staged aside and put in place only once
 * the whole dump has been read and checked (the archive's CRCs, every document's frame); any
 * failure before drops the staging and leaves every target untouched. Selection, renames, replace
 * or merge, confirmation and dry run work as for a backup. A dump made with {@code --oplog} has its
 * oplog replayed onto the restored collections, as {@code mongorestore --oplogReplay} does. Left
 * out, with a warning: users and roles, {@code system.*} collections, and the system databases
 * unless asked for; a time-series collection is refused (mongodump dumps its buckets).
 */
final class DumpRestoreEngine {
  /**
   * Collections an archive may have open at once: mongodump writes as many as
   * --numParallelCollections (4).
   */
  static final int MAX_OPEN_COLLECTIONS = 16;

  /**
   * Bytes per insert batch while collections interleave, so many open at once stay within a pod's
   * memory.
   */
  static final int INTERLEAVED_BATCH_BYTES = 2 * 1024 * 1024;

  private final EngineLog log;
  private final Progress progress;

  /** The time of the dump oplog's last entry, once replayed or checked: the moment restored. */
  private String dumpedAt;

  /** Whether the dump's oplog was replayed (or, in a dry run, read and checked). */
  private boolean oplogRead;

  public DumpRestoreEngine(EngineLog log, Progress progress) {
    this.log = log;
    this.progress = progress;
  }

  /** Where an item's metadata JSON comes from (read again, and kept, only for the items chosen). */
  @FunctionalInterface
  private interface Json {
    byte[] read() throws IOException;
  }

  /**
   * One collection or view of the dump, chosen or not. {@code key} is db.collection in the dump;
   * {@code json} its metadata (null: none); {@code metadata} the parsed metadata, once chosen.
   */
  private record Item(
      String db,
      String collection,
      String type,
      Json json,
      String label,
      DumpFolder.Entry file,
      long size,
      BsonDocument metadata) {
    String key() {
      return db + "." + collection;
    }

    Item parsed() throws IOException {
      BsonDocument m =
          json == null
              ? new BsonDocument()
              : MongoMetadata.parse(json.read(), Printable.escape(label), view());
      return new Item(db, collection, type, json, label, file, size, m);
    }

    boolean view() {
      return "view".equals(type);
    }
  }

  /**
   * Restores {@code source} ({@code "-"}: an archive on {@code stdin}); {@code o.backupId()} only
   * names it in results.
   */
  public RestoreResult run(String source, InputStream stdin, RestoreOptions o) throws IOException {
    boolean fromStdin = source.equals("-");
    Path path = fromStdin ? null : Path.of(source);
    if (!fromStdin && !Files.exists(path)) {
      throw CofferException.usage(
          Printable.escape(source)
              + " does not exist: give the folder `mongodump --out` wrote or the file of `mongodump --archive`");
    }
    if (!fromStdin && Files.isDirectory(path)) {
      DumpFolder folder;
      try {
        folder = DumpFolder.scan(path, log);
      } catch (IOException e) {
        throw DumpArchive.unreadable(source, e);
      }
      log.info(
          "restore of the mongodump folder "
              + Printable.escape(path.toString())
              + " ("
              + folder.entries().size()
              + " collections"
              + (folder.serverVersion() == null
                  ? ""
                  : ", dumped from MongoDB " + Printable.escape(folder.serverVersion()))
              + ")"
              + (o.dryRun() ? ", dry run" : ", mode " + o.mode().name().toLowerCase()));
      if (folder.oplog() != null) oplogNote();
      List<Item> items = new ArrayList<>();
      try {
        for (DumpFolder.Entry e : folder.entries()) items.add(folderItem(e));
      } catch (IOException e) {
        throw DumpArchive.unreadable(source, e);
      }
      return restore(
          o, items, (chosen, loads, mongo) -> readFolder(chosen, loads, mongo, folder.oplog(), o));
    }
    if (fromStdin) return runArchive("standard input", stdin, -1, o);
    try (InputStream raw = Files.newInputStream(path)) {
      return runArchive(path.toString(), raw, Files.size(path), o);
    }
  }

  /**
   * Restores a mongodump archive read from {@code raw} (a file, standard input, an object in
   * storage; {@code size} its length, or -1), named {@code label} in messages. The caller closes
   * {@code raw}.
   */
  public RestoreResult runArchive(String label, InputStream raw, long size, RestoreOptions o)
      throws IOException {
    return runArchive(label, raw, size, o, () -> {});
  }

  /** What runs once the whole archive is read, before anything is put in place. */
  public interface AfterRead {
    void check() throws IOException;
  }

  /**
   * {@link #runArchive(String, InputStream, long, RestoreOptions)}, with {@code afterRead} run once
   * the archive is read through and before any collection is put in place (its failure leaves the
   * target as it was).
   */
  public RestoreResult runArchive(
      String label, InputStream raw, long size, RestoreOptions o, AfterRead afterRead)
      throws IOException {
    DumpArchive archive = DumpArchive.open(raw, label);
    log.info(
        "restore of the mongodump archive "
            + Printable.escape(label)
            + " ("
            + archive.prelude().size()
            + " namespaces"
            + ", dumped from MongoDB "
            + Printable.escape(archive.serverVersion())
            + (archive.toolVersion().isEmpty()
                ? ""
                : " by mongodump " + Printable.escape(archive.toolVersion()))
            + ")"
            + (o.dryRun() ? ", dry run" : ", mode " + o.mode().name().toLowerCase()));
    if (size >= 0 && !archive.gzipped())
      progress.addTotal(size); // a gzipped one's size says nothing of the bytes inside
    List<Item> items = new ArrayList<>();
    for (DumpArchive.Namespace ns : archive.prelude()) {
      if (isOplog(ns)) {
        oplogNote();
        continue;
      }
      items.add(archiveItem(ns, label));
    }
    return restore(
        o,
        items,
        (chosen, loads, mongo) -> {
          Map<String, long[]> counts = readArchive(archive, chosen, loads, mongo, o);
          afterRead.check();
          return counts;
        });
  }

  /** Replays onto the staged collections, or (a dry run: {@code mongo} null) only checks. */
  private OplogReplay.Replayer replayer(
      MongoRestorer mongo, String label, Map<String, Item> chosen, RestoreOptions o) {
    // a collection the dump's oplog creates joins the restore where the restore's selection takes
    // it, in a database the restore restores (as mongorestore --oplogReplay would create it)
    Selection sel = new Selection(o.include(), o.exclude(), List.of(), null);
    Set<String> dbs = new HashSet<>();
    for (String ns : chosen.keySet()) dbs.add(ns.substring(0, ns.indexOf('.')));
    Function<String, String> admits =
        ns -> {
          int dot = ns.indexOf('.');
          return dbs.contains(ns.substring(0, dot))
                  && sel.includes(ns.substring(0, dot), ns.substring(dot + 1))
              ? null
              : "";
        };
    return mongo != null
        ? mongo.oplogReplayer(label, chosen.keySet(), admits, o::targetDb)
        : new OplogReplay.Replayer(
            label, new OplogReplay.Targets(chosen.keySet(), admits, null), progress);
  }

  private void finish(OplogReplay.Replayer replayer, MongoRestorer mongo, RestoreOptions o) {
    long n = replayer.finish();
    dumpedAt = replayer.lastTime();
    oplogRead = true;
    log.info(
        (mongo != null ? "replayed the dump's oplog: " : "the dump's oplog can be replayed: ")
            + n
            + " entries read"
            + (dumpedAt == null
                ? ""
                : "; the restored collections are as they were at " + dumpedAt));
    for (String c : replayer.notes())
      log.info((mongo != null ? "replayed: " : "the dump's oplog: ") + c);
  }

  private static CofferException oplogAmidCollections(RestoreOptions o) {
    return new CofferException(
        ExitCode.INTEGRITY,
        Printable.escape(o.backupId())
            + " interleaves its oplog with collections, which mongodump never does (it writes the"
            + " oplog once every collection is dumped); nothing was restored");
  }

  private static boolean isOplog(DumpArchive.Namespace ns) {
    return ns.db().isEmpty() && ns.collection().equals("oplog");
  }

  private void oplogNote() {
    log.info(
        "the dump holds an oplog (mongodump --oplog): its entries for the restored collections are"
            + " replayed after them, so they are as they were at the dump's end");
  }

  private Item folderItem(DumpFolder.Entry e) throws IOException {
    String label = e.db() + "/" + (e.metadata() != null ? e.metadata() : e.data()).getFileName();
    String type = "";
    if (e.metadata() != null) {
      BsonDocument any =
          MongoMetadata.parseJson(DumpFolder.metadataBytes(e.metadata()), Printable.escape(label));
      type = kind(any.isString("type") ? any.getString("type").getValue() : "", any);
    }
    Json json = e.metadata() == null ? null : () -> DumpFolder.metadataBytes(e.metadata());
    return new Item(e.db(), e.collection(), type, json, label, e, e.size(), null);
  }

  /**
   * A view is what defines one (viewOn); one dumped with --viewsAsCollections keeps the type "view"
   * but not its definition, and is restored as the collection of documents it was dumped as.
   */
  private static String kind(String type, BsonDocument metadata) {
    if (type.equals("collection"))
      type =
          ""; // listCollections' own word for one, as Coffer's archives and some mongodumps write
    // it
    BsonDocument options =
        metadata.isDocument("options") ? metadata.getDocument("options") : new BsonDocument();
    if (options.containsKey("timeseries")) return "timeseries"; // older mongodumps write no type
    boolean defines = options.containsKey("viewOn");
    if (type.isEmpty() && defines) return "view";
    if (type.equals("view") && !defines) return "";
    return type;
  }

  private static Item archiveItem(DumpArchive.Namespace ns, String label) {
    String type = ns.type() == null ? "" : ns.type();
    String what = label + ": the metadata of " + ns.key();
    if (!ns.metadata().isEmpty())
      type =
          kind(
              type,
              MongoMetadata.parseJson(
                  ns.metadata().getBytes(StandardCharsets.UTF_8), Printable.escape(what)));
    else if (type.equals("collection")) type = "";
    Json json =
        ns.metadata().isEmpty() ? null : () -> ns.metadata().getBytes(StandardCharsets.UTF_8);
    return new Item(ns.db(), ns.collection(), type, json, what, null, 0, null);
  }

  /**
   * Reads the chosen collections' documents into their loads (opened through the given function);
   * returns documents per key.
   */
  @FunctionalInterface
  private interface Reader {
    /**
     * {@code mongo}: where the dump's oplog is replayed, once every collection is staged; null in a
     * dry run.
     */
    Map<String, long[]> read(Map<String, Item> chosen, Loads loads, MongoRestorer mongo)
        throws IOException;
  }

  /** Opens a collection's staging on first use; in a dry run, counts only. */
  private interface Loads {
    MongoRestorer.Load open(Item item, int maxInserters, int batchBytes);
  }

  private RestoreResult restore(RestoreOptions o, List<Item> all, Reader reader)
      throws IOException {
    Map<String, Item> chosen = choose(o, all);
    dumpedAt = null; // this run's, not an earlier run's of the same engine
    oplogRead = false;
    try (RestorePipeline pipeline = new RestorePipeline(o, "the dump", true, log, progress)) {
      MongoRestorer mongo = pipeline.mongo();
      Map<String, RestorePipeline.Target> targets = new HashMap<>();
      for (Item i : chosen.values()) {
        RestorePipeline.Target t = pipeline.collection(i.db(), i.collection());
        targets.put(i.key(), t);
        log.info(
            "plan: "
                + (i.view() ? "view " : "collection ")
                + Printable.escape(i.key())
                + " -> "
                + Printable.escape(t.target())
                + ": "
                + t.action());
      }
      pipeline.confirm();
      Map<String, long[]> counts;
      progress.phase("restoring");
      if (o.dryRun()) {
        // reads and checks the whole dump, writes nothing
        counts = reader.read(chosen, (item, n, b) -> null, null);
      } else {
        Set<String> dbs = new TreeSet<>();
        for (Item i : chosen.values()) dbs.add(o.targetDb(i.db()));
        counts =
            pipeline.stageAndSwap(
                dbs,
                null,
                () -> {
                  Map<String, long[]> read =
                      reader.read(
                          chosen,
                          (item, n, b) ->
                              mongo.open(
                                  o.targetDb(item.db()), item.collection(), item.metadata(), n, b),
                          mongo);
                  for (Item i : chosen.values())
                    if (i.view())
                      mongo.defineView(o.targetDb(i.db()), i.collection(), i.metadata());
                  return read;
                });
      }
      progress.phase("done");
      List<RestoreResult.Item> items = new ArrayList<>();
      for (Item i : chosen.values()) {
        long[] c = counts.getOrDefault(i.key(), new long[2]);
        RestorePipeline.Target t = targets.get(i.key());
        items.add(
            new RestoreResult.Item(
                i.view() ? "view" : "collection",
                i.key(),
                t.target(),
                i.view() ? 0L : c[0],
                null,
                c[1],
                t.action(),
                i.view() ? null : t.loses()));
      }
      return pipeline.result(
          o.dryRun() ? "Planned" : "Succeeded",
          items,
          RestorePipeline.merged(
              o,
              oplogRead
                  ? Consistency.pointInTime(dumpedAt)
                  : Consistency.perCollection(
                      "the dump was made without --oplog: each collection as mongodump read it")));
    }
  }

  /**
   * The collections and views to restore, keyed by their dump name; says once what is left out and
   * why.
   */
  private Map<String, Item> choose(RestoreOptions o, List<Item> all) throws IOException {
    if (!o.modules().isEmpty() || !o.trees().isEmpty() || !o.filesTargets().isEmpty()) {
      throw CofferException.usage(
          "a mongodump holds neither modules nor file trees: leave out "
              + Field.MODULES.mark()
              + ", "
              + Field.TREES.mark()
              + " and "
              + Field.FILES.mark());
    }
    o.checkRenames();
    Selection sel = new Selection(o.include(), o.exclude(), List.of(), null);
    boolean patterns = !o.include().isEmpty() || !o.exclude().isEmpty();
    Map<String, Item> chosen = new LinkedHashMap<>();
    Map<String, String> targets = new HashMap<>();
    Set<String> leftOutSystem = new TreeSet<>();
    List<String> leftOut = new ArrayList<>();
    for (Item i : all) {
      if (patterns && !sel.includes(i.db(), i.collection())) continue;
      String db = o.targetDb(i.db());
      String whyDb = MongoNames.invalidDatabase(db);
      if (whyDb != null)
        throw new CofferException(
            ExitCode.USAGE,
            "the dump holds database "
                + Printable.escape(i.db())
                + ", "
                + whyDb
                + "; rename it with "
                + Field.RENAME_DB.mark()
                + " or leave it out with "
                + Field.EXCLUDE.mark());
      if (MongoNames.SYSTEM_DATABASES.contains(db) && !o.systemDatabases()) {
        leftOutSystem.add(db);
        continue;
      }
      String why = MongoNames.invalidCollection(i.collection());
      if (why != null) {
        leftOut.add(i.key() + " (" + why + ")");
        continue;
      }
      if (i.type().equals("timeseries")) {
        throw CofferException.usage(
            "the dump holds the time-series collection "
                + Printable.escape(i.key())
                + ", which mongodump dumps as its buckets"
                + " and Coffer cannot restore from a mongodump yet; leave it out ("
                + Field.EXCLUDE.mark()
                + " '"
                + Printable.escape(i.key())
                + "') and restore it with mongorestore");
      }
      if (!i.type().isEmpty() && !i.type().equals("view")) {
        throw new CofferException(
            ExitCode.INTEGRITY,
            "the dump says "
                + Printable.escape(i.key())
                + " is of type "
                + Printable.escape(i.type())
                + ", which mongodump never writes; nothing was restored");
      }
      if (i.file() != null && i.file().data() == null && !i.view()) {
        throw new CofferException(
            ExitCode.INTEGRITY,
            "the dump holds the metadata of "
                + Printable.escape(i.key())
                + " but no .bson file beside it"
                + " (mongodump writes one for every collection, empty or not): it is incomplete; leave the collection out ("
                + Field.EXCLUDE.mark()
                + ") or dump it again. Nothing was restored");
      }
      String t = db + "." + i.collection();
      if (targets.containsKey(t)) {
        throw CofferException.usage(
            Printable.escape(targets.get(t))
                + " and "
                + Printable.escape(i.key())
                + " of the dump would both be restored into "
                + Printable.escape(t)
                + "; rename one with "
                + Field.RENAME_DB.mark()
                + " or leave one out with "
                + Field.EXCLUDE.mark());
      }
      targets.put(t, i.key());
      chosen.put(i.key(), i.parsed());
    }
    if (!leftOutSystem.isEmpty()) log.warn(MongoNames.leftOutSystem(leftOutSystem));
    for (String l : leftOut) log.warn("left out " + Printable.escape(l));
    if (chosen.isEmpty()) {
      throw CofferException.usage(
          "nothing to restore: the selection matches no collection of the dump"
              + (leftOutSystem.isEmpty()
                  ? ""
                  : " but system databases"
                      + " (give "
                      + Field.SYSTEM_DATABASES.mark()
                      + " to restore them)")
              + "; "
              + Field.DRY_RUN.mark()
              + " without "
              + Field.INCLUDE.mark()
              + " lists what it holds");
    }
    o.requireMongoUri();
    return chosen;
  }

  /**
   * A folder: one collection after the other, each file read to its end (and inflated) before the
   * next.
   */
  private Map<String, long[]> readFolder(
      Map<String, Item> chosen, Loads loads, MongoRestorer mongo, Path oplog, RestoreOptions o)
      throws IOException {
    Map<String, long[]> counts = new HashMap<>();
    boolean gzipped =
        chosen.values().stream()
            .anyMatch(
                i ->
                    i.file().data() != null
                        && i.file().data().getFileName().toString().endsWith(".gz"));
    if (!gzipped) for (Item i : chosen.values()) progress.addTotal(i.size());
    for (Item i : chosen.values()) {
      long[] c = new long[2];
      counts.put(i.key(), c);
      if (i.view()) continue;
      progress.item(i.key());
      try (MongoRestorer.Load load = loads.open(i, Integer.MAX_VALUE, 0)) {
        if (i.file().data() != null) {
          String label = i.db() + "/" + i.file().data().getFileName();
          InputStream in;
          try {
            in = DumpFolder.open(i.file().data());
          } catch (IOException e) {
            throw DumpArchive.unreadable(label, e);
          }
          try (in) {
            BsonStream docs = new BsonStream(in, Printable.escape(label));
            byte[] d;
            while ((d = next(docs, label)) != null) { // next() has checked each document's BSON
              c[0]++;
              c[1] += d.length;
              if (load != null) load.add(d);
              else progress.addBytes(d.length);
            }
          }
        }
        if (load != null) load.finish();
      }
    }
    if (oplog != null) {
      progress.item("oplog");
      String label = oplog.getFileName().toString();
      OplogReplay.Replayer replayer = replayer(mongo, label, chosen, o);
      try (InputStream in = DumpFolder.openOplog(oplog)) {
        BsonStream entries = new BsonStream(in, Printable.escape(label));
        byte[] raw;
        while ((raw = next(entries, label)) != null) replayer.accept(raw);
        finish(replayer, mongo, o);
      } catch (MongoException e) {
        throw MongoConnection.translate("cannot replay the dump's oplog", o.mongoUri(), e);
      }
    }
    return counts;
  }

  /**
   * The next document of a folder's file: a damaged gzip stream is the data's fault, any other read
   * error the source's.
   */
  private static byte[] next(BsonStream docs, String label) {
    try {
      return docs.next();
    } catch (ZipException | EOFException e) {
      throw new CofferException(
          ExitCode.INTEGRITY,
          Printable.escape(label)
              + " is damaged or truncated ("
              + e.getMessage()
              + "); nothing was restored",
          e);
    } catch (IOException e) {
      throw DumpArchive.unreadable(label, e);
    }
  }

  /**
   * An archive: read once, in its order; a collection's load opens at its first block and finishes
   * at its EOF (its CRC checked), so collections dumped at once are loaded at once.
   */
  private Map<String, long[]> readArchive(
      DumpArchive archive,
      Map<String, Item> chosen,
      Loads loads,
      MongoRestorer mongo,
      RestoreOptions o)
      throws IOException {
    Map<String, long[]> counts = new HashMap<>();
    Map<String, MongoRestorer.Load> open = new HashMap<>();
    int inserters = archive.concurrency() > 1 ? 1 : Integer.MAX_VALUE;
    OplogReplay.Replayer oplog = null;
    try {
      DumpArchive.Event ev;
      while ((ev = archive.next()) != null) {
        if (isOplog(ev.namespace())) {
          // mongodump writes its oplog once every collection is dumped: replayed onto them
          if (!open.isEmpty()) throw oplogAmidCollections(o);
          if (oplog == null) {
            progress.item("oplog");
            oplog = replayer(mongo, "the dump's oplog", chosen, o);
          }
          if (ev instanceof DumpArchive.Document d) {
            try {
              oplog.accept(d.bytes());
            } catch (MongoException e) {
              throw MongoConnection.translate("cannot replay the dump's oplog", o.mongoUri(), e);
            }
          }
          continue;
        }
        if (oplog != null) throw oplogAmidCollections(o);
        String key = ev.namespace().key();
        Item i = chosen.get(key);
        if (i == null || i.view())
          continue; // not chosen (its CRC is checked all the same), or a view's empty block
        long[] c = counts.computeIfAbsent(key, k -> new long[2]);
        MongoRestorer.Load load = open.get(key);
        if (load == null && !open.containsKey(key)) {
          if (open.size() >= MAX_OPEN_COLLECTIONS) {
            throw new CofferException(
                ExitCode.INTEGRITY,
                Printable.escape(o.backupId())
                    + " interleaves more than "
                    + MAX_OPEN_COLLECTIONS
                    + " collections at once, which mongodump never does (it dumps --numParallelCollections at a time); nothing was restored");
          }
          progress.item(key);
          load = loads.open(i, inserters, INTERLEAVED_BATCH_BYTES);
          open.put(key, load);
        }
        if (ev instanceof DumpArchive.Document d) {
          DumpDocuments.validate(d.bytes(), key, c[0]);
          c[0]++;
          c[1] += d.bytes().length;
          if (load != null) load.add(d.bytes());
          else progress.addBytes(d.bytes().length);
        } else {
          if (load != null) {
            load.finish();
            load.close();
          }
          open.remove(key);
        }
      }
    } finally {
      for (MongoRestorer.Load l : open.values()) if (l != null) l.close();
    }
    if (oplog != null) {
      try {
        finish(oplog, mongo, o);
      } catch (MongoException e) {
        throw MongoConnection.translate("cannot replay the dump's oplog", o.mongoUri(), e);
      }
    }
    for (Item i : chosen.values()) counts.computeIfAbsent(i.key(), k -> new long[2]);
    return counts;
  }
}
