package io.coffer.engine.mongo;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import io.coffer.engine.archive.ArchiveWriter;
import io.coffer.engine.archive.Manifest;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.incremental.OplogChanges;
import io.coffer.protocol.Consistency;
import java.io.IOException;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonTimestamp;
import org.bson.BsonValue;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;

/**
 * Makes a backup one moment of its source where the server keeps an oplog (a replica set): the
 * position before the first read ({@link #start}), then, after the last read, the oplog entries
 * written in between for the collections the backup took, into {@code mongodb/oplog.bson} (where
 * mongodump {@code --oplog} writes them, so {@code mongorestore --oplogReplay} finds them too). A
 * restore replays them onto the staged collections ({@link OplogReplay}); each is idempotent, so an
 * entry whose change a collection's read already saw is applied again without harm. The result is
 * the database as it was at the last entry kept.
 *
 * <p>Without an oplog, or when the window cannot be replayed faithfully, the backup says so: {@link
 * Consistency#PER_COLLECTION} with the reason. Memory: one oplog entry at a time.
 */
public final class OplogCapture {
  public static final String ENTRY = DumpNames.ROOT + "oplog.bson";

  private final MongoClient client;
  private final String uri;
  private final EngineLog log;
  private final Long start;

  private OplogCapture(MongoClient client, String uri, EngineLog log, Long start) {
    this.client = client;
    this.uri = uri;
    this.log = log;
    this.start = start;
  }

  /** A window that starts at {@code position} (taken before anything was read). */
  static OplogCapture at(MongoClient client, String uri, EngineLog log, long position) {
    return new OplogCapture(client, uri, log, position);
  }

  /** Notes the oplog position now, before the backup reads anything. */
  static OplogCapture start(MongoClient client, String uri, EngineLog log) {
    return new OplogCapture(client, uri, log, OplogChanges.latest(client));
  }

  /** What the window holds, once written. */
  public record Window(Consistency consistency, Manifest.Oplog oplog) {}

  /**
   * After the last read: writes the window's entries for {@code namespaces} (db.collection) into
   * the archive and says how consistent the backup is.
   */
  /**
   * The oplog is written at {@code entry}: {@link #ENTRY} in a full backup, under coffer-changes/
   * in an increment.
   */
  public Window finish(
      Set<String> namespaces, Set<String> buckets, ArchiveWriter archive, String entry)
      throws IOException {
    if (start == null) {
      return perCollection(
          "the server keeps no oplog that Coffer can read (a standalone server or FerretDB, or a"
              + " user without the right to read local.oplog.rs: MongoDB's backup role has it): each"
              + " collection is as it was when it was read; a replica set gives one moment");
    }
    Long latest = OplogChanges.latest(client);
    if (latest == null || !stillReaches())
      return perCollection(
          "the oplog rolled over while the backup read (its oldest entry is newer than the"
              + " backup's start), or could not be read at the end: make the oplog larger, or back"
              + " up at a quieter time");
    // first the whole window is read and checked (what was written during the backup: small), so
    // an entry that cannot be replayed leaves no oplog to replay; the window ends at the last
    // entry this forward read saw, so the second read sees the same entries
    long end = start;
    long count = 0;
    try {
      for (RawBsonDocument e : window(start, latest)) {
        if (e.isTimestamp("ts")) end = e.getTimestamp("ts").getValue();
        BsonDocument kept = keep(e, namespaces, buckets);
        if (kept == null) continue;
        String why = problem(kept, buckets);
        if (why != null) return perCollection(why);
        count++;
      }
    } catch (MongoException e) {
      throw MongoConnection.translate("cannot read the oplog", uri, e);
    }
    long kept = 0;
    String changed = null;
    ArchiveWriter.EntryStream out = archive.begin(entry, System.currentTimeMillis(), 0644);
    try {
      for (RawBsonDocument e : window(start, end)) {
        BsonDocument k = keep(e, namespaces, buckets);
        if (k == null) continue;
        if (changed == null) changed = problem(k, buckets);
        out.write(bytesOf(k == e ? e : new RawBsonDocument(k, new BsonDocumentCodec())));
        kept++;
      }
    } catch (MongoException e) {
      throw MongoConnection.translate("cannot read the oplog", uri, e);
    } finally {
      out.close();
    }
    if (changed == null && (kept != count || !stillReaches()))
      changed = "the oplog changed while it was read (it rolled over, or entries appeared)";
    archive.record(
        new Manifest.Entry(
            entry,
            Manifest.Kind.oplog,
            out.size(),
            out.sha256(),
            kept,
            null,
            null,
            null,
            null,
            null,
            null,
            null));
    if (changed != null) {
      // written, so listed, but without a window: a restore never replays it
      return perCollection(changed);
    }
    String at = Instant.ofEpochSecond(end >>> 32).toString();
    log.info(
        "consistent at "
            + at
            + ": the "
            + kept
            + " oplog entries written to the chosen collections while the backup read are kept,"
            + " and a restore replays them");
    return new Window(Consistency.pointInTime(at), new Manifest.Oplog(start, end, kept));
  }

  /** Whether the oplog still holds the backup's start (it has not rolled over past it). */
  private boolean stillReaches() {
    Long oldest = OplogChanges.oldest(client);
    return oldest != null && Long.compareUnsigned(oldest, start) <= 0;
  }

  private Iterable<RawBsonDocument> window(long after, long upTo) {
    return client
        .getDatabase("local")
        .getCollection("oplog.rs", RawBsonDocument.class)
        .find(
            new BsonDocument(
                "ts",
                new BsonDocument("$gt", new BsonTimestamp(after))
                    .append("$lte", new BsonTimestamp(upTo))))
        .sort(new BsonDocument("$natural", new BsonInt32(1)))
        .batchSize(5000);
  }

  private Window perCollection(String reason) {
    log.warn("not one moment: " + reason);
    return new Window(Consistency.perCollection(reason), null);
  }

  /**
   * The entry as kept: itself when it concerns a chosen collection; a transaction ({@code
   * applyOps}) with only its chosen operations; null when nothing of it concerns the backup.
   */
  static BsonDocument keep(RawBsonDocument e, Set<String> namespaces, Set<String> buckets) {
    String op = e.isString("op") ? e.getString("op").getValue() : "";
    String ns = e.isString("ns") ? e.getString("ns").getValue() : "";
    switch (op) {
      case "i", "u", "d" -> {
        return namespaces.contains(ns) || buckets.contains(ns) ? e : null;
      }
      case "c" -> {
        BsonDocument o = e.isDocument("o") ? e.getDocument("o") : new BsonDocument();
        String db = ns.endsWith(".$cmd") ? ns.substring(0, ns.length() - 5) : ns;
        if (o.isArray("applyOps")) {
          BsonArray chosen = new BsonArray();
          for (BsonValue v : o.getArray("applyOps")) {
            if (!v.isDocument()) continue;
            BsonDocument inner = v.asDocument();
            String innerNs = inner.isString("ns") ? inner.getString("ns").getValue() : "";
            if (namespaces.contains(innerNs)) chosen.add(inner);
          }
          if (chosen.isEmpty()) return null;
          // a RawBsonDocument and its parts are immutable: a decoded copy is not
          BsonDocument copy = e.decode(new BsonDocumentCodec());
          copy.getDocument("o").put("applyOps", chosen);
          return copy;
        }
        if (o.containsKey("commitTransaction") || o.containsKey("abortTransaction")) return e;
        Set<String> all = new HashSet<>(namespaces);
        all.addAll(buckets);
        return OplogReplay.commandTouches(o, db, all) ? e : null;
      }
      default -> {
        return null; // a no-op ("n"), or an entry of a kind that changes no data
      }
    }
  }

  /**
   * Why a kept entry cannot be replayed onto what the backup holds, or null: a write to a
   * time-series collection's buckets (the collection is dumped through its view), or what {@link
   * OplogReplay#unreplayable} says.
   */
  private static String problem(BsonDocument kept, Set<String> buckets) {
    String ns = kept.isString("ns") ? kept.getString("ns").getValue() : "";
    if (buckets.contains(ns))
      return "the time-series collection "
          + ns.replace(".system.buckets.", ".")
          + " was written while the backup read it (its writes cannot be replayed onto the"
          + " documents the backup holds)";
    return OplogReplay.unreplayable(kept);
  }

  private static byte[] bytesOf(RawBsonDocument d) {
    var buf = d.getByteBuffer();
    byte[] b = new byte[buf.remaining()];
    buf.get(b);
    return b;
  }
}
