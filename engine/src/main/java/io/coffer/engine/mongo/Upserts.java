package io.coffer.engine.mongo;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.InsertManyOptions;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.WriteModel;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Printable;
import java.util.ArrayList;
import java.util.List;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.RawBsonDocument;

/**
 * Writes documents over those of the same {@code _id} in a staged collection (an increment's
 * changed documents), the way the server does it best.
 */
final class Upserts {
  /** The documents a caller writes at once, at most (a batch deleted and inserted on FerretDB). */
  static final int BATCH = 1000;

  private final MongoClient client;
  private final EngineLog log;

  Upserts(MongoClient client, EngineLog log) {
    this.client = client;
    this.log = log;
  }

  /**
   * Writes documents over those of the same {@code _id} (or adds them): one bulk of {@code
   * replaceOne} upserts, atomic per document. FerretDB 1.x answers a bulk of upserts with a table
   * scan per document (1,000 into 3,000 documents had not finished after five minutes), so there
   * the batch's {@code _id}s are deleted and the batch inserted: two commands, so for a moment
   * those documents are absent (said once per restore).
   */
  void write(MongoCollection<RawBsonDocument> coll, List<RawBsonDocument> docs) {
    if (!slowUpserts()) {
      List<WriteModel<RawBsonDocument>> models = new ArrayList<>(docs.size());
      for (RawBsonDocument d : docs)
        models.add(
            new ReplaceOneModel<>(
                new BsonDocument("_id", d.get("_id")), d, new ReplaceOptions().upsert(true)));
      coll.bulkWrite(models);
      return;
    }
    BsonArray ids = new BsonArray();
    for (RawBsonDocument d : docs) ids.add(d.get("_id"));
    BsonDocument byIds = new BsonDocument("_id", new BsonDocument("$in", ids));
    List<RawBsonDocument> before =
        coll.find(byIds).into(new ArrayList<>()); // put back if the insert fails
    coll.deleteMany(byIds);
    try {
      coll.insertMany(docs, new InsertManyOptions().ordered(true));
    } catch (MongoException e) {
      try {
        coll.deleteMany(byIds);
        if (!before.isEmpty()) coll.insertMany(before);
      } catch (MongoException again) {
        log.warn(
            "could not put back "
                + before.size()
                + " documents of "
                + coll.getNamespace().getFullName()
                + " after a failed write ("
                + again.getClass().getSimpleName()
                + "); restore them from this backup again");
      }
      throw e;
    }
  }

  private boolean saidSlowUpserts;

  /**
   * Whether the server's bulk upserts scan the collection per document (FerretDB's); says so once.
   */
  private boolean slowUpserts() {
    if (ferretDbVersion() == null) return false;
    if (!saidSlowUpserts) {
      saidSlowUpserts = true;
      log.warn(
          "this server is FerretDB "
              + Printable.escape(ferretDbVersion())
              + ", whose bulk upserts scan the collection per document:"
              + " documents written over others are deleted and inserted again in batches of "
              + BATCH
              + ", so for a moment a batch's documents are absent (not atomic per document)");
    }
    return true;
  }

  private String ferretDb;
  private boolean askedBuildInfo;

  /** FerretDB's version (its buildInfo names a ferretdbVersion), or null for any other server. */
  String ferretDbVersion() {
    if (!askedBuildInfo) {
      askedBuildInfo = true;
      try {
        BsonDocument info =
            client
                .getDatabase("admin")
                .runCommand(new BsonDocument("buildInfo", new BsonInt32(1)), BsonDocument.class);
        if (info.containsKey("ferretdbVersion"))
          ferretDb =
              info.get("ferretdbVersion").isString()
                  ? info.getString("ferretdbVersion").getValue()
                  : "?";
      } catch (MongoException e) {
        // a server that does not answer buildInfo is no FerretDB
      }
    }
    return ferretDb;
  }
}
