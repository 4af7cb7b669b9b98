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
import java.util.Set;
import org.bson.BsonArray;
import org.bson.BsonBinaryWriter;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonTimestamp;
import org.bson.BsonValue;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.EncoderContext;
import org.bson.io.BasicOutputBuffer;

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
  public Window finish(Set<String> namespaces, ArchiveWriter archive) throws IOException {
    if (start == null) {
      return perCollection(
          "the server keeps no oplog that Coffer can read (a standalone server or FerretDB): each"
              + " collection is as it was when it was read; a replica set gives one moment");
    }
    Long end = OplogChanges.latest(client);
    Long oldest = OplogChanges.oldest(client);
    if (end == null || oldest == null) {
      return perCollection("the oplog could not be read at the end of the backup");
    }
    if (Long.compareUnsigned(oldest, start) > 0) {
      return perCollection(
          "the oplog rolled over while the backup read (its oldest entry is newer than the"
              + " backup's start): make the oplog larger, or back up at a quieter time");
    }
    BsonDocument window =
        new BsonDocument(
            "ts",
            new BsonDocument("$gt", new BsonTimestamp(start))
                .append("$lte", new BsonTimestamp(end)));
    // first the whole window is checked (it is what was written during the backup: small), so an
    // entry that cannot be replayed leaves no oplog in the archive at all
    try {
      for (RawBsonDocument e : window(window)) {
        BsonDocument kept = keep(e, namespaces);
        String why = kept == null ? null : OplogReplay.unreplayable(kept);
        if (why != null) return perCollection(why);
      }
    } catch (MongoException e) {
      throw MongoConnection.translate("cannot read the oplog", uri, e);
    }
    long kept = 0;
    ArchiveWriter.EntryStream out = archive.begin(ENTRY, System.currentTimeMillis(), 0644);
    try {
      for (RawBsonDocument e : window(window)) {
        BsonDocument k = keep(e, namespaces);
        if (k == null) continue;
        out.write(k == e ? bytesOf(e) : encode(k));
        kept++;
      }
    } catch (MongoException e) {
      throw MongoConnection.translate("cannot read the oplog", uri, e);
    } finally {
      out.close();
    }
    archive.record(
        new Manifest.Entry(
            ENTRY,
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

  private Iterable<RawBsonDocument> window(BsonDocument filter) {
    return client
        .getDatabase("local")
        .getCollection("oplog.rs", RawBsonDocument.class)
        .find(filter)
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
  private static BsonDocument keep(RawBsonDocument e, Set<String> namespaces) {
    String op = e.isString("op") ? e.getString("op").getValue() : "";
    String ns = e.isString("ns") ? e.getString("ns").getValue() : "";
    switch (op) {
      case "i", "u", "d" -> {
        return namespaces.contains(ns) ? e : null;
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
          BsonDocument copy = e.clone();
          BsonDocument oc = copy.getDocument("o");
          oc.put("applyOps", chosen);
          return copy;
        }
        return OplogReplay.commandTouches(o, db, namespaces) ? e : null;
      }
      default -> {
        return null; // a no-op ("n"), or an entry of a kind that changes no data
      }
    }
  }

  private static byte[] bytesOf(RawBsonDocument d) {
    var buf = d.getByteBuffer();
    byte[] b = new byte[buf.remaining()];
    buf.get(b);
    return b;
  }

  private static byte[] encode(BsonDocument d) {
    BasicOutputBuffer buf = new BasicOutputBuffer();
    new BsonDocumentCodec().encode(new BsonBinaryWriter(buf), d, EncoderContext.builder().build());
    return buf.toByteArray();
  }
}
