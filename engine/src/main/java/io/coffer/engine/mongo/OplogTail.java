package io.coffer.engine.mongo;

import com.mongodb.CursorType;
import com.mongodb.MongoException;
import com.mongodb.ReadConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCursor;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.incremental.OplogChanges;
import io.coffer.protocol.ExitCode;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonTimestamp;
import org.bson.RawBsonDocument;

/**
 * Reads a replica set's oplog forward from a position with a tailable cursor, majority-committed
 * entries only (an entry a failover rolls back is never handed over): each {@link #poll} hands over
 * the entries written since, for at most its time budget, then returns, so its caller can close a
 * slice or stop under any write load. A cursor the server ends (or one that never sees new entries,
 * as mongo-java-server's) is opened again on the next poll from the last position read, so nothing
 * is read twice or passed over. Where the position is an entry it read, the cursor starts at that
 * entry and must find it first: when the oplog no longer holds it (it rolled over in between), the
 * poll throws {@link Lost} before handing anything over. Memory: one entry at a time.
 */
public final class OplogTail {
  /** What receives each entry, in order, with its position. */
  public interface Sink {
    void entry(RawBsonDocument entry, long ts) throws IOException;
  }

  /** The oplog no longer holds the entry at the position: entries after it may be lost. */
  public static final class Lost extends RuntimeException {
    private final long first;

    public Lost(long first) {
      super("the oplog rolled over past the position");
      this.first = first;
    }

    /** The first position the oplog still holds after the lost stretch (0: none yet). */
    public long first() {
      return first;
    }
  }

  private final MongoClient client;
  private final String uri;
  private long position;
  private boolean atEntry;

  /**
   * {@code atEntry}: whether {@code position} is an entry's own (one the archive holds), which the
   * first poll must find; false for a position between entries (a backup's moment, a gap's edge).
   */
  public OplogTail(MongoClient client, String uri, long position, boolean atEntry) {
    this.client = client;
    this.uri = uri;
    this.position = position;
    this.atEntry = atEntry;
  }

  /** The position of the last entry handed over (the start position before any). */
  public long position() {
    return position;
  }

  /** The oldest position the server still holds, or null when it has no readable oplog. */
  public Long oldest() {
    return OplogChanges.oldest(client);
  }

  /** The newest position the server holds, or null when it has no readable oplog. */
  public Long latest() {
    return OplogChanges.latest(client);
  }

  /**
   * Hands the entries after the position to {@code sink}, waiting up to {@code awaitMillis} for new
   * ones, for at most {@code budgetMillis}; returns how many it handed over.
   */
  public long poll(Sink sink, long awaitMillis, long budgetMillis) throws IOException {
    long n = 0;
    long until = System.nanoTime() + Math.max(1, budgetMillis) * 1_000_000L;
    BsonDocument filter =
        new BsonDocument(
            "ts", new BsonDocument(atEntry ? "$gte" : "$gt", new BsonTimestamp(position)));
    try (MongoCursor<RawBsonDocument> c =
        client
            .getDatabase("local")
            .getCollection("oplog.rs", RawBsonDocument.class)
            .withReadConcern(ReadConcern.MAJORITY)
            .find(filter)
            .sort(new BsonDocument("$natural", new BsonInt32(1)))
            .cursorType(CursorType.TailableAwait)
            .maxAwaitTime(Math.max(1, awaitMillis), TimeUnit.MILLISECONDS)
            .batchSize(1000)
            .cursor()) {
      RawBsonDocument e;
      boolean first = atEntry;
      while (System.nanoTime() < until && (e = c.tryNext()) != null) {
        if (!e.isTimestamp("ts"))
          throw new CofferException(
              ExitCode.SOURCE,
              "the oplog of " + MongoConnection.redact(uri) + " holds an entry without a time");
        long ts = e.getTimestamp("ts").getValue();
        if (first) {
          first = false;
          if (ts != position) throw new Lost(ts); // the entry at the position is gone
          continue; // handed over before
        }
        if (Long.compareUnsigned(ts, position) <= 0)
          throw new CofferException(
              ExitCode.SOURCE,
              "the oplog of "
                  + MongoConnection.redact(uri)
                  + " gave an entry out of order; the archiver stops rather than miss one");
        sink.entry(e, ts);
        position = ts;
        atEntry = true;
        n++;
      }
      if (first) {
        // the cursor found nothing at or after the position: the oplog no longer holds it
        // unless nothing was written since (its newest is the position itself)
        Long latest = OplogChanges.latest(client);
        if (latest == null || latest != position) throw new Lost(latest == null ? 0 : latest);
      }
    } catch (MongoException e) {
      throw MongoConnection.translate("cannot read the oplog", uri, e);
    }
    return n;
  }
}
