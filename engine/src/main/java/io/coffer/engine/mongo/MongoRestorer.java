package io.coffer.engine.mongo;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.InsertManyOptions;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Printable;
import io.coffer.engine.base.Progress;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.bson.BSONException;
import org.bson.BsonArray;
import org.bson.BsonBoolean;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.RawBsonDocument;

/**
 * Restores collections without ever leaving one half-written: documents go into a staging
 * collection ({@code coffer_restore_<run>_<name>}) and only {@link #commit()}, called once the
 * whole archive has been read and checked, swaps them in ({@code renameCollection} with {@code
 * dropTarget}, atomic per collection) or merges them (upsert by {@code _id}). {@link #rollback()}
 * drops the staging collections.
 */
public final class MongoRestorer implements AutoCloseable {
  public static final String STAGING_PREFIX = "coffer_restore_";

  /**
   * A staging collection's name: the prefix, a run id (8 hex digits), the collection's own name.
   */
  private static final Pattern STAGED = Pattern.compile("coffer_restore_[0-9a-f]{8}_.+");

  private static final int INSERT_BATCH_DOCS = Upserts.BATCH;
  private static final int INSERT_BATCH_BYTES = 8 * 1024 * 1024;

  /**
   * Bytes of documents between the reader and the server at any moment, over every collection being
   * loaded (batches being built, waiting and being inserted): 64 MiB, so a pod's memory bounds a
   * restore whatever its documents' size. A document larger than what is free waits for every batch
   * before it (it alone may pass the budget).
   */
  static final int BYTES_IN_FLIGHT = 64 * 1024 * 1024;

  private final Semaphore inFlight = new Semaphore(BYTES_IN_FLIGHT);

  /**
   * Staging collections a {@link Load} is filling now: a second load of one would mix two sources.
   */
  private final Set<String> loading = ConcurrentHashMap.newKeySet();

  public enum Mode {
    REPLACE,
    MERGE
  }

  private final MongoClient client;
  private final String uri;
  private final Mode mode;
  private final String runId;
  private final EngineLog log;
  private final Progress progress;
  private final List<Staged> staged = new ArrayList<>();
  private final Views views;
  private final TargetLock targetLock;
  private final Upserts upserts;

  /**
   * A collection staged: its target, its staging collection, the indexes it gets, the documents
   * loaded, and option changes ({@code collMod}) replayed onto it.
   */
  private record Staged(
      String database,
      String target,
      String staging,
      List<BsonDocument> indexes,
      long documents,
      List<BsonDocument> mods) {}

  public MongoRestorer(
      String uri,
      MongoTls tls,
      int timeoutSeconds,
      Mode mode,
      String runId,
      EngineLog log,
      Progress progress) {
    this.uri = uri;
    this.client = MongoConnection.open(uri, tls, timeoutSeconds);
    this.mode = mode;
    this.runId = runId;
    this.log = log;
    this.progress = progress;
    this.targetLock = new TargetLock(client, uri, runId, log);
    this.views = new Views(client, uri, log);
    this.upserts = new Upserts(client, log);
  }

  /** Fails early, before reading the archive, when the target cannot be reached. */
  public void ping() {
    try {
      client.getDatabase("admin").runCommand(new BsonDocument("ping", new BsonInt32(1)));
    } catch (MongoException e) {
      throw MongoConnection.translate("cannot restore", uri, e);
    }
  }

  public Set<String> existingCollections(String db) {
    return existing(db).keySet();
  }

  /**
   * The collections and views of a target database now, by name: their type ("collection", "view",
   * ...; a server that gives none: "collection").
   */
  public Map<String, String> existing(String db) {
    try {
      Map<String, String> types = new HashMap<>();
      for (BsonDocument c : client.getDatabase(db).listCollections(BsonDocument.class)) {
        String name = c.getString("name").getValue();
        types.put(name, c.isString("type") ? c.getString("type").getValue() : "collection");
      }
      return types;
    } catch (MongoException e) {
      throw MongoConnection.translate("cannot list collections of " + db, uri, e);
    }
  }

  /**
   * Drops staging collections that an interrupted earlier restore (a killed process) left in a
   * target database. Only one restore writes a target at a time (the operator locks it), so any
   * other run's staging is stale.
   */
  public void removeLeftovers(String db) {
    try {
      for (String name : client.getDatabase(db).listCollectionNames()) {
        if (STAGED.matcher(name).matches() && !name.startsWith(STAGING_PREFIX + runId + "_")) {
          client.getDatabase(db).getCollection(name).drop();
          log.info("dropped " + db + "." + name + ", left by an interrupted restore");
        }
      }
    } catch (MongoException e) {
      throw MongoConnection.translate("cannot list collections of " + db, uri, e);
    }
  }

  /**
   * Loads one collection's documents into its staging collection, never more than {@code
   * maxDocuments} (the count the manifest declares: one more fails before it is inserted). Returns
   * the number of documents.
   */
  public long stage(
      String db,
      String name,
      BsonDocument metadata,
      InputStream bson,
      String entryName,
      long maxDocuments)
      throws IOException {
    try (Load load = open(db, name, metadata, Integer.MAX_VALUE, INSERT_BATCH_BYTES)) {
      BsonStream in = new BsonStream(bson, entryName, maxDocuments);
      byte[] doc;
      while ((doc = in.next()) != null) load.add(doc);
      return load.finish();
    }
  }

  /**
   * Creates one collection's staging collection (with the backup's options) and returns what loads
   * it, document by document: the caller may feed several at once, as a mongodump archive
   * interleaves its collections. At most {@code maxInserters} connections write its batches, each
   * of at most {@code batchBytes} (0: the default, 8 MiB) unless one document is larger.
   */
  public Load open(
      String db, String name, BsonDocument metadata, int maxInserters, int batchBytes) {
    String staging = STAGING_PREFIX + runId + "_" + name;
    if (loading.contains(db + "." + staging)) {
      throw new CofferException(
          ExitCode.USAGE,
          "two sources would be restored into "
              + Printable.escape(db + "." + name)
              + " at once; rename one with "
              + Field.RENAME_DB.mark()
              + " or leave one out with "
              + Field.EXCLUDE.mark()
              + ". Nothing was restored");
    }
    if (name.indexOf('.') >= 0 && upserts.ferretDbVersion() != null) {
      // nothing was tried: what the request asks cannot be done on this server (exit 2)
      throw new CofferException(
          ExitCode.USAGE,
          "collection "
              + Printable.escape(db + "." + name)
              + ": FerretDB "
              + Printable.escape(upserts.ferretDbVersion())
              + " cannot rename a collection whose name has a dot (InvalidNamespace), and a"
              + " restore puts each collection in place by renaming its staged copy; leave it out of the restore ("
              + Field.EXCLUDE.mark()
              + ") or restore into MongoDB. Nothing was restored");
    }
    MongoDatabase database = client.getDatabase(db);
    BsonDocument options = metadata.getDocument("options", new BsonDocument());
    List<BsonDocument> indexes = new ArrayList<>();
    for (BsonValue v : metadata.getArray("indexes", new BsonArray())) indexes.add(v.asDocument());
    try {
      database.getCollection(staging).drop();
      createStaging(database, db, name, staging, options);
      staged.removeIf(
          x ->
              x.database().equals(db)
                  && x.target()
                      .equals(name)); // staged again: a newer backup of the chain holds it whole
      staged.add(new Staged(db, name, staging, indexes, 0, new ArrayList<>()));
    } catch (MongoException e) {
      throw MongoConnection.translate("cannot stage " + db + "." + name, uri, e);
    }
    boolean capped = options.getBoolean("capped", BsonBoolean.FALSE).getValue();
    loading.add(db + "." + staging);
    return new Load(
        db,
        name,
        staging,
        database.getCollection(staging, RawBsonDocument.class),
        Math.max(1, Math.min(maxInserters, inserters(capped))),
        batchBytes <= 0 ? INSERT_BATCH_BYTES : Math.min(batchBytes, INSERT_BATCH_BYTES));
  }

  /** Creates a staging collection with the options of {@code db.name} a restore can give it. */
  private void createStaging(
      MongoDatabase database, String db, String name, String staging, BsonDocument options) {
    BsonDocument create = new BsonDocument("create", new BsonString(staging));
    for (var e : options.entrySet()) {
      if (MongoMetadata.COLLECTION_OPTIONS.contains(e.getKey()))
        create.put(e.getKey(), e.getValue());
      else if (!e.getKey().equals("uuid"))
        log.warn(
            "collection "
                + Printable.escape(db + "." + name)
                + ": option "
                + Printable.escape(e.getKey())
                + " of the backup is not restored");
    }
    database.runCommand(create);
  }

  /**
   * Replays a point-in-time backup's oplog window (or a mongodump's oplog) onto the staged copies
   * of {@code sources} (the restored collections, db.collection as the source names them; {@code
   * targetDb} maps a source database to its target). Returns the entries read.
   */
  public long replayOplog(
      InputStream bson, String entryName, Set<String> sources, Function<String, String> targetDb)
      throws IOException {
    try {
      return OplogReplay.replay(
          bson, entryName, new OplogReplay.Targets(sources, new StagedChanges(targetDb)), progress);
    } catch (MongoException e) {
      throw MongoConnection.translate("cannot replay the oplog", uri, e);
    }
  }

  /**
   * Entries given one at a time (a mongodump archive's oplog blocks, an oplog archive's slices),
   * replayed onto the staged copies; {@code admits} says which collections created in the replayed
   * stretch join the restore ({@link OplogReplay.Targets}).
   */
  public OplogReplay.Replayer oplogReplayer(
      String label,
      Set<String> sources,
      Function<String, String> admits,
      Function<String, String> targetDb) {
    return new OplogReplay.Replayer(
        label, new OplogReplay.Targets(sources, admits, new StagedChanges(targetDb)), progress);
  }

  /**
   * What a replay changes, done to the staged copies (source names in, target names here): index
   * lists and option changes wait for {@link #commit}; a created collection is staged empty, a
   * dropped one's staging goes at once, a renamed one keeps its staging under its new name. A
   * Replace removes the target of a collection dropped or renamed away ({@link #gone}).
   */
  private final class StagedChanges implements OplogReplay.Changes {
    private final Function<String, String> targetDb;

    /** The targets (db.name) the restore planned, and confirmed, to replace. */
    private final Set<String> planned = new HashSet<>();

    StagedChanges(Function<String, String> targetDb) {
      this.targetDb = targetDb;
      for (Staged x : staged) planned.add(x.database() + "." + x.target());
    }

    private boolean planned(String target, String name) {
      return planned.contains(target + "." + name) || views.defines(target + "." + name);
    }

    /**
     * A name the replay puts a collection under: not one another source is restored into (two
     * databases renamed into one), not one the target holds that the restore did not plan to
     * replace, and one this server can rename into place.
     */
    private void checkNew(String target, String name, String how) {
      String ns = target + "." + name;
      if (stagedAs(target, name) != null)
        throw CofferException.usage(
            "the oplog "
                + how
                + " "
                + Printable.escape(ns)
                + ", into which another collection is restored already; rename one database with "
                + Field.RENAME_DB.mark()
                + " or leave one out with "
                + Field.EXCLUDE.mark()
                + ". Nothing was restored");
      if (mode == Mode.REPLACE && !planned(target, name) && existing(target).containsKey(name))
        throw CofferException.usage(
            "the oplog "
                + how
                + " "
                + Printable.escape(ns)
                + ", and the target holds a collection of that name this restore did not plan to"
                + " replace; restore into another database ("
                + Field.RENAME_DB.mark()
                + "), or to a moment before it. Nothing was restored");
      if (name.indexOf('.') >= 0 && upserts.ferretDbVersion() != null)
        throw new CofferException(
            ExitCode.SOURCE,
            "the oplog "
                + how
                + " "
                + Printable.escape(ns)
                + ": FerretDB cannot rename a collection whose name has a dot into place; restore"
                + " into MongoDB, or to a moment before it. Nothing was restored");
    }

    @Override
    public MongoCollection<BsonDocument> staged(String db, String name) {
      Staged x = stagedAs(targetDb.apply(db), name);
      return x == null
          ? null
          : client.getDatabase(x.database()).getCollection(x.staging(), BsonDocument.class);
    }

    @Override
    public void createIndex(String db, String name, BsonDocument spec) {
      Staged x = stagedAs(targetDb.apply(db), name);
      if (x == null) return;
      String ix = spec.getString("name").getValue();
      x.indexes().removeIf(i -> ix.equals(i.getString("name", new BsonString("")).getValue()));
      x.indexes().add(spec.clone());
    }

    @Override
    public void dropIndex(String db, String name, BsonValue which) {
      Staged x = stagedAs(targetDb.apply(db), name);
      if (x == null) return;
      x.indexes()
          .removeIf(
              i -> {
                String n = i.getString("name", new BsonString("")).getValue();
                if (n.equals("_id_")) return false;
                if (which.isDocument()) return which.equals(i.get("key"));
                String w = which.asString().getValue();
                return w.equals("*") || w.equals(n);
              });
    }

    @Override
    public void create(String db, String name, BsonDocument options) {
      String target = targetDb.apply(db);
      checkNew(target, name, "creates");
      gone.remove(target + "." + name);
      try {
        MongoDatabase database = client.getDatabase(target);
        Set<String> taken = existingCollections(target);
        String staging = STAGING_PREFIX + runId + "_" + name;
        for (int k = 1; taken.contains(staging); k++)
          staging = STAGING_PREFIX + runId + "_" + k + "_" + name; // a name staged before
        createStaging(database, target, name, staging, options);
        staged.add(new Staged(target, name, staging, new ArrayList<>(), 0, new ArrayList<>()));
      } catch (MongoException e) {
        throw MongoConnection.translate("cannot stage " + target + "." + name, uri, e);
      }
    }

    @Override
    public void drop(String db, String name) {
      String target = targetDb.apply(db);
      if (mode == Mode.REPLACE && planned(target, name)) gone.add(target + "." + name);
      if (views.forget(target, name)) return;
      Staged x = stagedAs(target, name);
      if (x == null) return;
      try { // dropped first: a failure leaves it listed, and rollback drops it
        client.getDatabase(target).getCollection(x.staging()).drop();
      } catch (MongoException e) {
        throw MongoConnection.translate("cannot drop " + target + "." + x.staging(), uri, e);
      }
      staged.remove(x);
    }

    @Override
    public void rename(String db, String from, String to) {
      String target = targetDb.apply(db);
      Staged x = stagedAs(target, from);
      if (x == null) {
        throw new CofferException(
            ExitCode.USAGE,
            "the oplog renames "
                + Printable.escape(target + "." + from)
                + ", a view, which MongoDB cannot rename; the oplog is damaged or forged, and"
                + " nothing was restored");
      }
      checkNew(target, to, "renames " + target + "." + from + " to");
      if (mode == Mode.REPLACE && planned(target, from)) gone.add(target + "." + from);
      gone.remove(target + "." + to);
      staged.set(
          staged.indexOf(x),
          new Staged(target, to, x.staging(), x.indexes(), x.documents(), x.mods()));
    }

    @Override
    public void modify(String db, String name, BsonDocument changes) {
      String target = targetDb.apply(db);
      Staged x = stagedAs(target, name);
      if (x == null) {
        throw CofferException.usage(
            "the oplog changes view "
                + Printable.escape(target + "." + name)
                + " (collMod), which Coffer does not replay; restore to a moment before it, or"
                + " leave it out ("
                + Field.EXCLUDE.mark()
                + "). Nothing was restored");
      }
      BsonDocument rest = changes.clone();
      BsonValue index = rest.remove("index");
      // a merge keeps the target's indexes and options: collMod's are said, not made ({@link
      // #modify})
      if (index != null && index.isDocument() && mode == Mode.REPLACE)
        modifyIndex(x, index.asDocument());
      else if (index != null) rest.put("index", index);
      if (!rest.isEmpty()) x.mods().add(rest);
    }

    /** {@code collMod}'s {@code index}: an index (by name or key pattern) hidden, TTL changed. */
    private void modifyIndex(Staged x, BsonDocument change) {
      for (BsonDocument i : x.indexes()) {
        boolean match =
            change.isString("name")
                ? change.get("name").equals(i.get("name"))
                : change.isDocument("keyPattern") && change.get("keyPattern").equals(i.get("key"));
        if (!match) continue;
        for (var f : change.entrySet()) {
          if (f.getKey().equals("name") || f.getKey().equals("keyPattern")) continue;
          i.put(f.getKey(), f.getValue());
        }
      }
    }
  }

  /**
   * Targets (db.name) a Replace removes at {@link #commit}: the source dropped or renamed them
   * before the moment restored to.
   */
  private final Set<String> gone = new TreeSet<>();

  /** The staged copy of {@code db.name} (target names), or null when it is not restored. */
  private Staged stagedAs(String db, String name) {
    for (Staged x : staged) if (x.database().equals(db) && x.target().equals(name)) return x;
    return null;
  }

  private Staged stagedOf(String db, String name, String entryName) {
    for (Staged x : staged) if (x.database().equals(db) && x.target().equals(name)) return x;
    throw new CofferException(
        ExitCode.INTEGRITY,
        entryName
            + " holds changes to a collection no earlier backup of the chain holds: the chain is broken; nothing was restored");
  }

  /**
   * Applies an increment's inserted and changed documents to a staged collection (replace by {@code
   * _id}, or insert).
   */
  public void applyChanges(
      String db, String name, BsonDocument metadata, InputStream bson, String entryName)
      throws IOException {
    Staged s = stagedOf(db, name, entryName);
    List<BsonDocument> indexes = new ArrayList<>();
    for (BsonValue v : metadata.getArray("indexes", new BsonArray())) indexes.add(v.asDocument());
    if (!indexes.isEmpty())
      staged.set(
          staged.indexOf(s),
          new Staged(s.database(), s.target(), s.staging(), indexes, s.documents(), s.mods()));
    MongoCollection<RawBsonDocument> coll =
        client.getDatabase(db).getCollection(s.staging(), RawBsonDocument.class);
    BsonStream in = new BsonStream(bson, entryName);
    List<RawBsonDocument> batch = new ArrayList<>();
    byte[] doc;
    try {
      while ((doc = in.next()) != null) {
        RawBsonDocument d = new RawBsonDocument(doc);
        if (d.get("_id") == null)
          throw new CofferException(
              ExitCode.INTEGRITY,
              entryName + " holds a changed document without an _id; nothing was restored");
        batch.add(d);
        progress.addBytes(doc.length);
        progress.addDocuments(1);
        if (batch.size() >= INSERT_BATCH_DOCS) {
          upserts.write(coll, batch);
          batch.clear();
        }
      }
      if (!batch.isEmpty()) upserts.write(coll, batch);
    } catch (MongoException e) {
      throw MongoConnection.translate("cannot stage " + db + "." + name, uri, e);
    }
  }

  /**
   * Removes from a staged collection the documents an increment records as deleted (at most {@code
   * maxDocuments}).
   */
  public void applyDeletions(
      String db, String name, InputStream bson, String entryName, long maxDocuments)
      throws IOException {
    Staged s = stagedOf(db, name, entryName);
    MongoCollection<RawBsonDocument> coll =
        client.getDatabase(db).getCollection(s.staging(), RawBsonDocument.class);
    BsonStream in = new BsonStream(bson, entryName, maxDocuments);
    BsonArray ids = new BsonArray();
    byte[] doc;
    try {
      while ((doc = in.next()) != null) {
        BsonValue id = new RawBsonDocument(doc).get("_id");
        if (id == null)
          throw new CofferException(
              ExitCode.INTEGRITY,
              entryName + " lists a deletion without an _id; nothing was restored");
        ids.add(id);
        if (ids.size() >= INSERT_BATCH_DOCS) {
          coll.deleteMany(new BsonDocument("_id", new BsonDocument("$in", ids)));
          ids = new BsonArray();
        }
      }
      if (!ids.isEmpty()) coll.deleteMany(new BsonDocument("_id", new BsonDocument("$in", ids)));
    } catch (MongoException e) {
      throw MongoConnection.translate("cannot stage " + db + "." + name, uri, e);
    }
  }

  /** Documents a target collection holds now. */
  public long count(String db, String name) {
    try {
      return client.getDatabase(db).getCollection(name).estimatedDocumentCount();
    } catch (MongoException e) {
      throw MongoConnection.translate("cannot count " + db + "." + name, uri, e);
    }
  }

  /**
   * Takes each target database's restore lock ({@link TargetLock}): a second restore into a
   * database is refused while the first runs.
   */
  public void lock(Collection<String> dbs) {
    targetLock.lock(dbs);
  }

  /** Documents in a collection's staging collection. */
  public long stagedCount(String db, String name) {
    Staged s = stagedOf(db, name, db + "." + name);
    return client.getDatabase(db).getCollection(s.staging()).countDocuments();
  }

  private static final List<RawBsonDocument> END = new ArrayList<>();

  /** What a batch counts against {@link #BYTES_IN_FLIGHT}, as its documents were acquired. */
  private static int bytes(List<RawBsonDocument> batch) {
    long n = 0;
    for (RawBsonDocument d : batch) n += Math.min(d.getByteBuffer().remaining(), BYTES_IN_FLIGHT);
    return (int) Math.min(n, Integer.MAX_VALUE);
  }

  /**
   * Inserters per collection: batches are written by this many connections at once (a server with
   * more cores takes them in parallel, as mongorestore's insertion workers do); one for a capped
   * collection (its order is its content) and on FerretDB, whose SQLite backend writes one at a
   * time.
   */
  private int inserters(boolean capped) {
    if (capped || upserts.ferretDbVersion() != null)
      return 1; // a capped collection keeps the backup's order

    return Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors()));
  }

  /**
   * One collection's documents on their way into its staging collection: the caller's thread parses
   * them (and decrypts and inflates the archive) and hands them over in batches; {@code inserters}
   * other threads insert them, so the cores and the server work at once. At most two batches per
   * inserter wait in between. The order of insertion within a collection is not kept (as with
   * mongorestore's parallel workers) unless there is one inserter; the documents are. {@link
   * #finish()} waits for the last insert and records the count; {@link #close()} without it stops
   * the inserters (the staging collection is dropped by {@link #rollback()}).
   */
  public final class Load implements AutoCloseable {
    private final String db;
    private final String name;
    private final MongoCollection<RawBsonDocument> coll;
    private final BlockingQueue<List<RawBsonDocument>> queue;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicLong inserted = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private List<RawBsonDocument> batch = new ArrayList<>(INSERT_BATCH_DOCS);
    private long batchBytes;
    private final int maxBatchBytes;
    private boolean finished;

    private final String key;

    private Load(
        String db,
        String name,
        String staging,
        MongoCollection<RawBsonDocument> coll,
        int inserters,
        int maxBatchBytes) {
      this.maxBatchBytes = maxBatchBytes;
      this.key = db + "." + staging;
      this.db = db;
      this.name = name;
      this.coll = coll;
      this.queue = new ArrayBlockingQueue<>(2 * inserters);
      for (int i = 0; i < inserters; i++) {
        Thread inserter =
            new Thread(
                () -> {
                  try {
                    while (true) {
                      List<RawBsonDocument> b = queue.take();
                      if (b == END) return;
                      try {
                        coll.insertMany(b, new InsertManyOptions().ordered(true));
                      } finally {
                        inFlight.release(bytes(b));
                      }
                      inserted.addAndGet(b.size());
                      progress.addDocuments(b.size());
                    }
                  } catch (Throwable t) {
                    // the queue is left as it is: every other inserter still finds its END (none
                    // waits for ever)
                    failure.compareAndSet(null, t);
                  }
                },
                "coffer-mongo-inserter-" + i);
        inserter.setDaemon(true);
        inserter.start();
        threads.add(inserter);
      }
    }

    /** One document (whole BSON, already framed and checked by its reader). */
    public void add(byte[] doc) throws IOException {
      if (finished) throw new IllegalStateException("load of " + db + "." + name + " is finished");
      try {
        while (!inFlight.tryAcquire(
            Math.min(doc.length, BYTES_IN_FLIGHT), 100, TimeUnit.MILLISECONDS)) {
          rethrow(); // an inserter that failed releases nothing more: stop waiting
          if (!batch
              .isEmpty()) { // what this load holds back counts too: hand it over, so the budget
            // frees up
            hand(batch);
            batch = new ArrayList<>(INSERT_BATCH_DOCS);
            batchBytes = 0;
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted");
      }
      batch.add(new RawBsonDocument(doc));
      batchBytes += doc.length;
      progress.addBytes(doc.length);
      if (batch.size() >= INSERT_BATCH_DOCS || batchBytes >= maxBatchBytes) {
        hand(batch);
        batch = new ArrayList<>(INSERT_BATCH_DOCS);
        batchBytes = 0;
      }
    }

    /** Waits for every insert; returns how many documents the staging collection took. */
    public long finish() throws IOException {
      if (finished) return inserted.get();
      finished = true;
      if (!batch.isEmpty()) hand(batch);
      batch = List.of();
      for (int i = 0; i < threads.size(); i++) hand(END);
      try {
        for (Thread t : threads) t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted");
      }
      rethrow();
      long n = inserted.get();
      for (int i = 0; i < staged.size(); i++) {
        Staged s = staged.get(i);
        if (s.database().equals(db) && s.target().equals(name))
          staged.set(i, new Staged(db, name, s.staging(), s.indexes(), n, s.mods()));
      }
      return n;
    }

    private void hand(List<RawBsonDocument> b) throws IOException {
      try {
        while (!queue.offer(b, 100, TimeUnit.MILLISECONDS)) {
          if (failure.get() != null || threads.stream().noneMatch(Thread::isAlive)) break;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted");
      }
      rethrow();
    }

    private void rethrow() throws IOException {
      Throwable f = failure.get();
      if (f instanceof BSONException) {
        throw new CofferException(
            ExitCode.INTEGRITY,
            "a document for "
                + Printable.escape(db + "." + name)
                + " is malformed BSON ("
                + f.getClass().getSimpleName()
                + "): the source is damaged; nothing was restored",
            f);
      }
      if (f instanceof MongoException me)
        throw MongoConnection.translate("cannot stage " + db + "." + name, uri, me);
      if (f instanceof RuntimeException re) throw re;
      if (f != null)
        throw new IOException("insert into " + db + "." + name + " failed: " + f.getMessage(), f);
    }

    /** Stops the inserters that are still running (after a failure elsewhere); never throws. */
    @Override
    public void close() {
      finished = true;
      loading.remove(key);
      if (!batch.isEmpty()) inFlight.release(bytes(batch)); // never handed over
      batch = List.of();
      for (Thread t : threads) {
        if (!t.isAlive()) continue;
        t.interrupt();
        try {
          t.join(10_000);
        } catch (InterruptedException ignored) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  public void defineView(String db, String name, BsonDocument metadata) {
    views.define(db, name, metadata);
  }

  /**
   * Swaps or merges every staged collection into place, then creates the views. Every index is
   * built on the staged copies first, after their data, so an index the server cannot build stops
   * the restore before any collection is put in place (a Merge builds them on its targets again,
   * after merging).
   */
  public void commit() {
    views.check(STAGING_PREFIX + runId + "_" + STAGING_PREFIX + "view");
    for (Staged s : staged) {
      progress.item(s.database() + "." + s.target());
      Indexes.create(
          client.getDatabase(s.database()),
          s.staging(),
          s.indexes(),
          s.database() + "." + s.target(),
          true,
          uri);
      if (!s.mods().isEmpty()) modify(s);
    }
    for (Staged s : staged) {
      String ns = s.database() + "." + s.target();
      progress.item(ns);
      try {
        MongoDatabase db = client.getDatabase(s.database());
        if (mode == Mode.REPLACE) {
          swapIn(db, s, ns);
          log.info("restored " + ns + ": " + s.documents() + " documents (replaced)");
        } else {
          // a collection the replay created and left empty is created all the same
          if (!existingCollections(s.database()).contains(s.target()))
            db.createCollection(s.target());
          long n = merge(db, s);
          Indexes.create(db, s.target(), s.indexes(), ns, false, uri);
          db.getCollection(s.staging()).drop();
          log.info("restored " + ns + ": " + n + " documents merged by _id");
        }
      } catch (MongoException e) {
        throw MongoConnection.translate("cannot put " + ns + " in place", uri, e);
      }
    }
    Set<String> placed = new HashSet<>();
    for (Staged s : staged) placed.add(s.database() + "." + s.target());
    staged.clear();
    views.create(mode == Mode.MERGE, this::existingCollections);
    for (String ns : gone) {
      if (placed.contains(ns) || views.defines(ns)) continue;
      int dot = ns.indexOf('.');
      String db = ns.substring(0, dot);
      String name = ns.substring(dot + 1);
      try {
        if (!existing(db).containsKey(name)) continue;
        client.getDatabase(db).getCollection(name).drop();
        log.info(
            "dropped "
                + Printable.escape(ns)
                + ": the source dropped or renamed it before the moment restored to");
      } catch (MongoException e) {
        throw MongoConnection.translate("cannot drop " + ns, uri, e);
      }
    }
    gone.clear();
  }

  /**
   * The option changes ({@code collMod}) replayed onto a collection, made on its staged copy before
   * anything is put in place; a server without {@code collMod} stops the restore here.
   */
  private void modify(Staged s) {
    String ns = s.database() + "." + s.target();
    if (mode == Mode.MERGE) {
      log.warn(
          Printable.escape(ns)
              + ": a merge keeps the target's options; the options the source changed in the"
              + " replayed stretch ("
              + String.join(", ", s.mods().stream().flatMap(m -> m.keySet().stream()).toList())
              + ") are not applied");
      return;
    }
    for (BsonDocument m : s.mods()) {
      BsonDocument command = new BsonDocument("collMod", new BsonString(s.staging()));
      command.putAll(m);
      try {
        client.getDatabase(s.database()).runCommand(command);
      } catch (MongoCommandException e) {
        if (e.getErrorCode() == 59 || e.getErrorCode() == 238)
          throw new CofferException(
              ExitCode.SOURCE,
              "the target server has no collMod, and the source changed the options of "
                  + Printable.escape(ns)
                  + " ("
                  + Printable.escape(String.join(", ", m.keySet()))
                  + ") before the moment restored to; restore into MongoDB, restore to a moment"
                  + " before the change, or leave the collection out ("
                  + Field.EXCLUDE.mark()
                  + "). Nothing was restored");
        throw MongoConnection.translate("cannot change the options of " + ns, uri, e);
      } catch (MongoException e) {
        throw MongoConnection.translate("cannot change the options of " + ns, uri, e);
      }
    }
  }

  /**
   * Renames the staged copy over the target in one step ({@code renameCollection} with {@code
   * dropTarget}). A server without {@code dropTarget} (FerretDB 1.x answers NotImplemented) gets
   * the fallback, said once per restore: a target that does not exist is simply renamed into place
   * (atomic still); one that exists is dropped first, so for a moment it does not exist (not
   * atomic).
   */
  private void swapIn(MongoDatabase db, Staged s, String ns) {
    BsonDocument rename =
        new BsonDocument("renameCollection", new BsonString(s.database() + "." + s.staging()))
            .append("to", new BsonString(ns));
    if (!noDropTarget) {
      try {
        client
            .getDatabase("admin")
            .runCommand(rename.clone().append("dropTarget", BsonBoolean.TRUE));
        return;
      } catch (MongoCommandException e) {
        if (e.getErrorCode() != 238 || !String.valueOf(e.getErrorMessage()).contains("dropTarget"))
          throw e;
        noDropTarget = true;
        log.warn(
            "this server has no renameCollection with dropTarget (NotImplemented, as in FerretDB): a collection that exists is "
                + "dropped and then the restored copy renamed into its place, so between the two it does not exist (not atomic)");
      }
    }
    if (existingCollections(s.database()).contains(s.target())) db.getCollection(s.target()).drop();
    client.getDatabase("admin").runCommand(rename);
  }

  /** Set once the server said it has no dropTarget. */
  private boolean noDropTarget;

  /**
   * Writes the staged documents over the target's, page by page in {@code _id} order: each page's
   * query is done before its documents are written, so no cursor stays open on the staging
   * collection while the target is written (which FerretDB's SQLite backend does not bear).
   */
  private long merge(MongoDatabase db, Staged s) {
    MongoCollection<RawBsonDocument> target = db.getCollection(s.target(), RawBsonDocument.class);
    MongoCollection<RawBsonDocument> staging = db.getCollection(s.staging(), RawBsonDocument.class);
    long n = 0;
    while (true) {
      // the first page of what is left: a merged page is deleted from the staged copy (which is
      // thrown away after), so
      // no cursor and no "$gt the last _id" (which would skip _ids of other types) is needed
      List<RawBsonDocument> page =
          staging
              .find()
              .sort(new BsonDocument("_id", new BsonInt32(1)))
              .limit(INSERT_BATCH_DOCS)
              .batchSize(INSERT_BATCH_DOCS)
              .into(new ArrayList<>());
      if (page.isEmpty()) return n;
      upserts.write(target, page);
      n += page.size();
      BsonArray ids = new BsonArray();
      for (RawBsonDocument d : page) ids.add(d.get("_id"));
      staging.deleteMany(new BsonDocument("_id", new BsonDocument("$in", ids)));
    }
  }

  /** Drops every staging collection; the targets were never touched. Never throws. */
  public void rollback() {
    for (Staged s : staged) {
      try {
        client.getDatabase(s.database()).getCollection(s.staging()).drop();
      } catch (MongoException e) {
        log.warn(
            "could not drop staging collection "
                + s.database()
                + "."
                + s.staging()
                + "; drop it by hand");
      }
    }
    staged.clear();
    gone.clear();
    views.clear();
  }

  @Override
  public void close() {
    try {
      targetLock.close();
    } finally {
      client.close();
    }
  }
}
