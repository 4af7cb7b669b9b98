package io.coffer.engine.mongo;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.MongoDatabase;
import io.coffer.engine.archive.ArchiveWriter;
import io.coffer.engine.archive.Manifest;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.engine.incremental.ChainDiff;
import io.coffer.engine.incremental.ChainIndex;
import io.coffer.engine.incremental.DocHash;
import io.coffer.engine.incremental.IdOrder;
import io.coffer.engine.incremental.OplogChanges;
import io.coffer.protocol.ExitCode;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.RawBsonDocument;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;

/**
 * Dumps collections into the archive in mongodump's layout. Documents travel as raw BSON bytes,
 * never decoded. A reader thread drains the cursor into a small queue of 1 MiB batches while the
 * caller's thread compresses, so reading and compressing overlap and memory stays at a few batches.
 */
public final class MongoDumper implements AutoCloseable {
  static final int BATCH_SIZE = 2000;
  private static final int CHUNK = 1 << 20;
  private static final JsonWriterSettings CANONICAL =
      JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();

  private final MongoClient client;
  private final String uri;
  private final EngineLog log;
  private final Progress progress;

  /** A collection or view chosen for the backup. */
  public record Target(
      String database,
      String name,
      String type,
      BsonDocument options,
      String module,
      long estimatedBytes) {}

  private ChainIndex index;
  private String backupId;
  private String parentId;

  /**
   * Also writes the chain index of each collection (for later incremental backups); with {@code
   * parentId}, stores only the documents inserted or changed since that backup, and the {@code
   * _id}s of those deleted.
   */
  public MongoDumper indexed(ChainIndex index, String backupId, String parentId)
      throws IOException {
    this.index = index;
    this.backupId = backupId;
    this.parentId = parentId;
    // the oplog position before any data is read: the next increment asks the oplog for what
    // changed since
    Long now = OplogChanges.latest(client);
    if (now != null) index.recordOplogPosition(backupId, now);
    // the window of a point-in-time backup starts here too, before the scan of touched documents:
    // a document changed after this position is either found by the scan or in the window
    oplogStart = now;
    if (parentId != null) {
      Long since = index.oplogPosition(parentId);
      oplog = since == null ? null : OplogChanges.since(client, since);
      if (oplog != null)
        log.info(
            "the oplog covers the time since backup "
                + parentId
                + " ("
                + oplog.entries()
                + " entries): only touched documents are read");
      else
        log.info(
            "no oplog reaching back to backup "
                + parentId
                + ": every document is read and compared with its index");
    }
    return this;
  }

  private OplogChanges oplog;

  /** This backup stores only what changed since a parent. */
  public boolean increment() {
    return parentId != null;
  }

  private String root() {
    return DumpNames.root(increment());
  }

  public MongoDumper(
      String uri, MongoTls tls, int timeoutSeconds, EngineLog log, Progress progress) {
    this.uri = uri;
    this.client = MongoConnection.open(uri, tls, timeoutSeconds);
    this.log = log;
    this.progress = progress;
  }

  /**
   * Notes the oplog position before the first read, for a backup that is one moment of the source
   * ({@link OplogCapture}).
   */
  public OplogCapture startOplog() {
    return oplogStart != null
        ? OplogCapture.at(client, uri, log, oplogStart)
        : OplogCapture.start(client, uri, log);
  }

  /** An increment's position before its scan of touched documents, or null. */
  private Long oplogStart;

  /** Lists what the selection takes, with a size estimate for progress. */
  public List<Target> resolve(Selection selection) {
    List<Target> out = new ArrayList<>();
    try {
      for (String db : client.listDatabaseNames()) {
        if (!selection.includesDatabase(db)) continue;
        MongoDatabase database = client.getDatabase(db);
        List<BsonDocument> infos = new ArrayList<>();
        database.listCollections(BsonDocument.class).into(infos);
        infos.sort(
            (a, b) -> a.getString("name").getValue().compareTo(b.getString("name").getValue()));
        for (BsonDocument info : infos) {
          String name = info.getString("name").getValue();
          if (!selection.includes(db, name)) continue;
          String type = info.getString("type", new BsonString("collection")).getValue();
          BsonDocument options = info.getDocument("options", new BsonDocument());
          long size = 0;
          if (!"view".equals(type)) size = estimateSize(database, name);
          out.add(
              new Target(db, name, type, options, selection.moduleOf(db, name).orElse(null), size));
        }
      }
    } catch (MongoException e) {
      throw MongoConnection.translate("cannot list collections", uri, e);
    }
    return out;
  }

  private long estimateSize(MongoDatabase db, String name) {
    try {
      BsonDocument stats =
          db.runCommand(new BsonDocument("collStats", new BsonString(name)), BsonDocument.class);
      if (stats.isNumber("size")) return stats.getNumber("size").longValue();
    } catch (MongoException e) {
      // collStats is optional (not every server or role allows it): fall back to a count-based
      // guess
    }
    try {
      return db.getCollection(name).estimatedDocumentCount() * 512;
    } catch (MongoException e) {
      return 0;
    }
  }

  /** Writes one collection's metadata and data (or a view's metadata) into the archive. */
  public void dump(Target t, ArchiveWriter archive) throws IOException {
    String ns = t.database() + "." + t.name();
    progress.item(ns);
    MongoDatabase db = client.getDatabase(t.database());
    BsonDocument meta = new BsonDocument();
    List<BsonDocument> indexes = new ArrayList<>();
    try {
      if (!"view".equals(t.type()))
        db.getCollection(t.name(), BsonDocument.class)
            .listIndexes(BsonDocument.class)
            .into(indexes);
    } catch (MongoException e) {
      throw MongoConnection.translate("cannot list the indexes of " + ns, uri, e);
    }
    meta.put("indexes", new BsonArray(indexes));
    meta.put("collectionName", new BsonString(t.name()));
    meta.put("type", new BsonString(t.type()));
    meta.put("options", t.options());
    byte[] metaJson = meta.toJson(CANONICAL).getBytes(StandardCharsets.UTF_8);
    long now = System.currentTimeMillis();
    ArchiveWriter.EntryStream m =
        archive.writeSmall(DumpNames.metadata(root(), t.database(), t.name()), now, metaJson);
    Manifest.Kind metaKind = "view".equals(t.type()) ? Manifest.Kind.view : Manifest.Kind.metadata;
    archive.record(
        new Manifest.Entry(
            DumpNames.metadata(root(), t.database(), t.name()),
            metaKind,
            m.size(),
            m.sha256(),
            null,
            t.database(),
            t.name(),
            t.module(),
            null,
            null,
            null,
            null));
    if ("view".equals(t.type())) {
      log.info("view " + ns + ": definition saved");
      return;
    }
    String path = DumpNames.bson(root(), t.database(), t.name());
    if (index != null) {
      dumpIndexed(t, db, ns, path, now, archive, indexes.size());
      return;
    }
    ArchiveWriter.EntryStream out = archive.begin(path, now, 0644);
    long docs = copyDocuments(db, t.name(), ns, out);
    out.close();
    archive.record(
        new Manifest.Entry(
            path,
            Manifest.Kind.bson,
            out.size(),
            out.sha256(),
            docs,
            t.database(),
            t.name(),
            t.module(),
            null,
            null,
            null,
            null));
    log.info(
        "collection "
            + ns
            + ": "
            + docs
            + " documents, "
            + out.size()
            + " bytes, "
            + indexes.size()
            + " indexes");
  }

  /**
   * A collection with its chain index: everything (a full backup, or a collection new since the
   * parent) or the changes. The collection is read in {@code _id} order and compared with the
   * parent's index in the same order ({@link ChainDiff}), so memory holds the changes, not the
   * collection. The index is a checkpoint of every document, or (an increment whose chain is not
   * due for one) a delta of what changed.
   */
  private void dumpIndexed(
      Target t,
      MongoDatabase db,
      String ns,
      String path,
      long now,
      ArchiveWriter archive,
      int indexCount)
      throws IOException {
    String name = ChainIndex.collectionName(t.database(), t.name());
    boolean delta = parentId != null && index.has(parentId, name);
    if (delta && oplog != null && oplog.covers(t.database(), t.name())) {
      dumpFromOplog(t, db, ns, path, now, archive, name);
      return;
    }
    ChainDiff parent = delta ? new ChainDiff(index.cursor(parentId, name)) : null;
    try {
      boolean checkpoint =
          parent == null || parent.chain().checkpointDue(estimatedCount(db, t.name()));
      DocHash hasher = new DocHash();
      long[] stored = {0};
      long[] deleted = {0};
      ChainIndex.Writer w =
          checkpoint
              ? index.writer(backupId, name)
              : index.deltaWriter(backupId, name, parentId, parent.chain());
      Indexed written =
          indexedEntry(
              t,
              ns,
              path,
              now,
              archive,
              w,
              delta,
              out -> {
                long[] total = {0};
                drain(
                    db,
                    t.name(),
                    ns,
                    true,
                    b -> { // the documents of a batch lie back to back, each led by its
                      // little-endian length
                      byte[] buf = b.data();
                      for (int at = 0; at < b.length(); ) {
                        int n = BsonStream.length(buf, at);
                        var ids = hasher.of(buf, at, n);
                        boolean changed =
                            parent == null
                                || parent.changed(ids.idHash(), ids.docHash(), ids.idElement());
                        if (checkpoint || changed)
                          w.document(ids.idHash(), ids.docHash(), ids.idElement());
                        if (changed) {
                          out.write(buf, at, n);
                          stored[0]++;
                        }
                        at += n;
                      }
                      total[0] += b.documents();
                      progress.addBytes(b.length());
                      progress.addDocuments(b.documents());
                    });
                return total[0];
              },
              () -> {
                if (parent == null) return;
                List<byte[]> candidates = new ArrayList<>();
                List<Long> hashes = new ArrayList<>();
                parent.deletions(
                    (idHash, id) -> {
                      candidates.add(id);
                      hashes.add(idHash);
                    });
                boolean[] there = present(db, t.name(), candidates);
                List<byte[]> gone = new ArrayList<>();
                for (int i = 0; i < candidates.size(); i++) {
                  if (there[i]) continue;
                  gone.add(candidates.get(i));
                  if (!checkpoint) w.deleted(hashes.get(i));
                }
                if (!gone.isEmpty()) {
                  deleted[0] =
                      deletions(
                          t,
                          now,
                          archive,
                          del -> {
                            for (byte[] id : gone) del.write(DocHash.idDocument(id));
                            return gone.size();
                          });
                }
              });
      log.info(
          "collection "
              + ns
              + ": "
              + written.documents()
              + " documents"
              + (delta
                  ? ", "
                      + stored[0]
                      + " new or changed and "
                      + deleted[0]
                      + " deleted since "
                      + parentId
                  : "")
              + ", "
              + written.bytes()
              + " bytes, "
              + indexCount
              + " indexes"
              + (delta && checkpoint ? " (index checkpoint)" : ""));
    } finally {
      if (parent != null) parent.close();
    }
  }

  /**
   * Which deletion candidates of an increment the server holds now: a document there is never
   * recorded as deleted, whatever the parent's index says (it is untrusted, and a repeated record
   * must not delete a document).
   */
  private static boolean[] present(MongoDatabase db, String name, List<byte[]> candidates) {
    boolean[] out = new boolean[candidates.size()];
    for (int i = 0; i < candidates.size(); i += 1000) {
      int end = Math.min(candidates.size(), i + 1000);
      BsonArray ids = new BsonArray();
      for (int j = i; j < end; j++)
        ids.add(new RawBsonDocument(DocHash.idDocument(candidates.get(j))).get("_id"));
      Set<BsonValue> there = new HashSet<>();
      for (RawBsonDocument d :
          db.getCollection(name, RawBsonDocument.class)
              .find(new BsonDocument("_id", new BsonDocument("$in", ids)))
              .projection(new BsonDocument("_id", new BsonInt32(1)))) {
        there.add(d.get("_id"));
      }
      for (int j = i; j < end; j++) out[j] = there.contains(ids.get(j - i));
    }
    return out;
  }

  /**
   * The server's estimate of a collection's size (metadata, not a count), or 0 when it gives none.
   */
  private static long estimatedCount(MongoDatabase db, String name) {
    try {
      return db.getCollection(name).estimatedDocumentCount();
    } catch (MongoException e) {
      return 0;
    }
  }

  /** What {@link #indexedEntry} wrote: the collection's document count and the entry's size. */
  private record Indexed(long documents, long bytes) {}

  private interface IndexedBody {
    /** Writes the entry's documents (and their index records); returns the collection's count. */
    long write(ArchiveWriter.EntryStream out) throws IOException;
  }

  private interface IndexedTail {
    /**
     * Writes what follows the documents (the deletions entry, and their index records) before the
     * index is published.
     */
    void run() throws IOException;
  }

  /**
   * A collection's bson entry and its chain index object {@code w}, written together by {@code
   * body} and then {@code tail}, and recorded in the manifest; a failure publishes no index.
   */
  private Indexed indexedEntry(
      Target t,
      String ns,
      String path,
      long now,
      ArchiveWriter archive,
      ChainIndex.Writer w,
      boolean delta,
      IndexedBody body,
      IndexedTail tail)
      throws IOException {
    long total;
    ArchiveWriter.EntryStream out;
    try {
      out = archive.begin(path, now, 0644);
      try {
        total = body.write(out);
      } catch (MongoException e) {
        out.close();
        throw MongoConnection.translate("cannot read " + ns, uri, e);
      }
      out.close();
      archive.record(
          new Manifest.Entry(
              path,
              Manifest.Kind.bson,
              out.size(),
              out.sha256(),
              total,
              t.database(),
              t.name(),
              t.module(),
              null,
              null,
              null,
              null,
              null,
              delta ? Boolean.TRUE : null));
      try {
        tail.run();
      } catch (MongoException e) {
        throw MongoConnection.translate("cannot read " + ns, uri, e);
      }
    } catch (IOException | RuntimeException e) {
      w.abort();
      throw e;
    }
    w.close();
    return new Indexed(total, out.size());
  }

  private void dumpFromOplog(
      Target t,
      MongoDatabase db,
      String ns,
      String path,
      long now,
      ArchiveWriter archive,
      String name)
      throws IOException {
    Map<Long, BsonValue> touched = oplog.touched(t.database(), t.name());
    DocHash hasher = new DocHash();
    Set<Long> parentHad = new HashSet<>();
    long[] untouched = {0};
    // the parent's documents: which touched ones it had (a touched one gone now was deleted), how
    // many it keeps
    ChainIndex.Chain chain =
        index.documents(
            parentId,
            name,
            (idHash, docHash, id) -> {
              if (touched.containsKey(idHash)) parentHad.add(idHash);
              else untouched[0]++;
            });
    boolean checkpoint = chain.checkpointDue(estimatedCount(db, t.name()));
    ChainIndex.Writer w =
        checkpoint
            ? index.writer(backupId, name)
            : index.deltaWriter(backupId, name, parentId, chain);
    List<DocHash.Ids> found = new ArrayList<>(); // the touched documents there now
    Set<Long> foundIds = new HashSet<>();
    long[] goneCount = {0};
    Indexed written =
        indexedEntry(
            t,
            ns,
            path,
            now,
            archive,
            w,
            true,
            out -> {
              List<BsonValue> ids = new ArrayList<>(touched.values());
              for (int i = 0; i < ids.size(); i += 1000) {
                BsonArray batch = new BsonArray(ids.subList(i, Math.min(ids.size(), i + 1000)));
                for (RawBsonDocument d :
                    db.getCollection(t.name(), RawBsonDocument.class)
                        .find(new BsonDocument("_id", new BsonDocument("$in", batch)))) {
                  var bb = d.getByteBuffer();
                  byte[] doc = new byte[bb.remaining()];
                  bb.get(doc);
                  var h = hasher.of(doc, 0, doc.length);
                  if (!foundIds.add(h.idHash())) continue;
                  out.write(doc);
                  found.add(h);
                  progress.addBytes(doc.length);
                  progress.addDocuments(1);
                }
              }
              return untouched[0] + found.size();
            },
            () -> {
              // the index: in _id order, the parent's untouched records (a checkpoint only) with
              // the touched documents merged in
              found.sort((a, b) -> IdOrder.compare(a.idElement(), b.idElement()));
              int[] next = {0};
              if (checkpoint) {
                index.documents(
                    parentId,
                    name,
                    (idHash, docHash, id) -> {
                      if (touched.containsKey(idHash)) return;
                      while (next[0] < found.size()
                          && IdOrder.compare(found.get(next[0]).idElement(), id) < 0) {
                        var f = found.get(next[0]++);
                        w.document(f.idHash(), f.docHash(), f.idElement());
                      }
                      w.document(idHash, docHash, id);
                    });
              }
              for (; next[0] < found.size(); next[0]++) {
                var f = found.get(next[0]);
                w.document(f.idHash(), f.docHash(), f.idElement());
              }
              List<Long> gone = new ArrayList<>();
              for (Long x : parentHad) if (!foundIds.contains(x)) gone.add(x);
              if (gone.isEmpty()) return;
              deletions(
                  t,
                  now,
                  archive,
                  del -> {
                    for (Long x : gone) {
                      del.write(DocHash.idDocument(touched.get(x)));
                      if (!checkpoint) w.deleted(x);
                    }
                    return gone.size();
                  });
              goneCount[0] = gone.size();
            });
    log.info(
        "collection "
            + ns
            + ": "
            + written.documents()
            + " documents, "
            + found.size()
            + " new or changed and "
            + goneCount[0]
            + " deleted since "
            + parentId
            + " (from the oplog), "
            + written.bytes()
            + " bytes"
            + (checkpoint ? " (index checkpoint)" : ""));
  }

  private interface DeletionWriter {
    long write(OutputStream out) throws IOException;
  }

  /**
   * An increment's entry of the _ids deleted since its parent (written by {@code body}, which says
   * how many).
   */
  private static long deletions(Target t, long now, ArchiveWriter archive, DeletionWriter body)
      throws IOException {
    String path = DumpNames.deletions(t.database(), t.name());
    ArchiveWriter.EntryStream del = archive.begin(path, now, 0644);
    long n = body.write(del);
    del.close();
    archive.record(
        new Manifest.Entry(
            path,
            Manifest.Kind.deletions,
            del.size(),
            del.sha256(),
            n,
            t.database(),
            t.name(),
            t.module(),
            null,
            null,
            null,
            null));
    return n;
  }

  private record Batch(byte[] data, int length, int documents, Throwable failure) {
    static final Batch END = new Batch(new byte[0], 0, 0, null);
  }

  private long copyDocuments(
      MongoDatabase db, String name, String ns, ArchiveWriter.EntryStream out) throws IOException {
    long[] docs = {0};
    drain(
        db,
        name,
        ns,
        false,
        b -> {
          out.write(b.data(), 0, b.length());
          docs[0] += b.documents();
          progress.addBytes(b.length());
          progress.addDocuments(b.documents());
        });
    return docs[0];
  }

  private interface BatchSink {
    void accept(Batch b) throws IOException;
  }

  /**
   * Every document of a collection (in {@code _id} order with {@code byId}, else in the server's
   * natural order), in batches of about 1 MiB handed to {@code sink} on this thread while a reader
   * thread fetches the next ones: the server's encoding overlaps this thread's work, at most four
   * batches wait.
   */
  private void drain(MongoDatabase db, String name, String ns, boolean byId, BatchSink sink)
      throws IOException {
    BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(4);
    Thread reader =
        new Thread(
            () -> {
              Batch end = Batch.END;
              var find = db.getCollection(name, RawBsonDocument.class).find().batchSize(BATCH_SIZE);
              if (byId)
                find =
                    find.sort(
                        new BsonDocument(
                            "_id", new BsonInt32(1))); // the _id index: no sort in memory
              try (MongoCursor<RawBsonDocument> cursor = find.cursor()) {
                byte[] buf = new byte[CHUNK];
                int len = 0;
                int docs = 0;
                while (cursor.hasNext()) {
                  RawBsonDocument doc = cursor.next();
                  var bb = doc.getByteBuffer();
                  int n = bb.remaining();
                  if (len + n > buf.length) {
                    if (len > 0) {
                      queue.put(new Batch(buf, len, docs, null));
                      buf = new byte[Math.max(CHUNK, n)];
                      len = 0;
                      docs = 0;
                    } else {
                      buf = new byte[n];
                    }
                  }
                  bb.get(buf, len, n);
                  len += n;
                  docs++;
                }
                if (len > 0) queue.put(new Batch(buf, len, docs, null));
              } catch (InterruptedException e) {
                return;
              } catch (Throwable e) {
                end = new Batch(null, 0, 0, e);
              }
              try {
                queue.put(end);
              } catch (InterruptedException ignored) {
                // the consumer gave up
              }
            },
            "coffer-mongo-reader");
    reader.setDaemon(true);
    reader.start();
    try {
      while (true) {
        Batch b = queue.take();
        if (b.failure() != null) {
          if (b.failure() instanceof MongoException me)
            throw MongoConnection.translate("cannot read " + ns, uri, me);
          throw new CofferException(
              ExitCode.SOURCE, "cannot read " + ns + ": " + b.failure().getMessage(), b.failure());
        }
        if (b == Batch.END) break;
        sink.accept(b);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    } finally {
      reader.interrupt();
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
