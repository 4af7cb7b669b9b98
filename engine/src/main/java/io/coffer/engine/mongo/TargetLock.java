package io.coffer.engine.mongo;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoException;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.storage.RunIdentity;
import io.coffer.protocol.ExitCode;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonInt64;
import org.bson.BsonNull;
import org.bson.BsonString;

/**
 * The restore lock of each target database: a document in {@code coffer_restore_lock} that names
 * the run, refreshed every 20 s while it lasts and removed at the end. A lock not refreshed for two
 * minutes, or naming a process of this machine that has ended, belongs to a restore that died.
 */
final class TargetLock implements AutoCloseable {
  /** A lock whose holder has not been heard of for this long belongs to a restore that died. */
  static final long LOCK_STALE_MILLIS = 120_000;

  private static final long HEARTBEAT_MILLIS = 20_000;

  private final MongoClient client;
  private final String uri;
  private final String runId;
  private final EngineLog log;

  /** Read by the heartbeat's thread while this one adds to it. */
  private final List<String> locked = new CopyOnWriteArrayList<>();

  private ScheduledExecutorService heartbeat;

  TargetLock(MongoClient client, String uri, String runId, EngineLog log) {
    this.client = client;
    this.uri = uri;
    this.runId = runId;
    this.log = log;
  }

  /**
   * Takes each target database's restore lock (a document in {@code coffer_restore_lock}, kept
   * fresh every 20 s): a second restore into a database is refused while the first runs, so it
   * cannot drop the first one's staging collections. A lock not refreshed for two minutes belongs
   * to a restore that died, and is taken over.
   */
  void lock(Collection<String> dbs) {
    long now = System.currentTimeMillis();
    String host = Objects.requireNonNullElse(System.getenv("HOSTNAME"), "");
    for (String db : dbs) {
      MongoCollection<BsonDocument> c =
          client.getDatabase(db).getCollection(MongoNames.LOCK_COLLECTION, BsonDocument.class);
      RunIdentity me = RunIdentity.current();
      BsonDocument mine =
          new BsonDocument("_id", new BsonString("restore"))
              .append("run", new BsonString(runId))
              .append("host", new BsonString(host))
              .append("since", new BsonDateTime(now))
              .append("seen", new BsonDateTime(now))
              .append(
                  "process",
                  new BsonDocument("boot", new BsonString(me.boot()))
                      .append("host", new BsonString(me.host()))
                      .append("pid", new BsonInt64(me.pid()))
                      .append("started", new BsonInt64(me.started()))
                      .append("pidNamespace", new BsonString(me.pidNamespace())));
      try {
        try {
          c.insertOne(mine);
        } catch (MongoWriteException e) {
          if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) throw e;
          BsonDocument held = c.find(new BsonDocument("_id", new BsonString("restore"))).first();
          long seen =
              held != null && held.isDateTime("seen") ? held.getDateTime("seen").getValue() : 0;
          if (held != null && now - seen < LOCK_STALE_MILLIS && !endedHere(held)) {
            throw new CofferException(
                ExitCode.BUSY,
                "another restore (run "
                    + held.getString("run", new BsonString("?")).getValue()
                    + ") is writing database "
                    + db
                    + " right now; wait until it has finished, then try again");
          }
          if (held == null) { // released just now: take it like a first comer, or learn who did
            try {
              c.insertOne(mine);
            } catch (MongoWriteException again) {
              if (again.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) throw again;
              throw new CofferException(
                  ExitCode.BUSY,
                  "another restore took database " + db + " just now; try again later");
            }
            locked.add(db);
            continue;
          }
          // replaced only if it is still the lock seen stale: of two restores taking it over, one
          // wins
          BsonDocument filter =
              new BsonDocument("_id", new BsonString("restore"))
                  .append("run", held.get("run", new BsonNull()))
                  .append("seen", held.get("seen", new BsonNull()));
          if (c.replaceOne(filter, mine).getMatchedCount() == 0) {
            throw new CofferException(
                ExitCode.BUSY,
                "another restore took database " + db + " just now; try again later");
          }
          log.warn(
              "took over the restore lock of database "
                  + db
                  + " from run "
                  + held.getString("run", new BsonString("?")).getValue()
                  + (endedHere(held)
                      ? ", whose process on this machine has ended"
                      : ", not heard of for " + (now - seen) / 1000 + " s")
                  + " (a restore that died)");
        }
      } catch (MongoException e) {
        throw MongoConnection.translate("cannot lock " + db + " for the restore", uri, e);
      }
      locked.add(db);
    }
    if (heartbeat == null && !locked.isEmpty()) {
      heartbeat =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "coffer-restore-lock");
                t.setDaemon(true);
                return t;
              });
      heartbeat.scheduleWithFixedDelay(
          this::refreshLocks, HEARTBEAT_MILLIS, HEARTBEAT_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Whether a lock names a process of this machine that has ended (a killed restore): no need to
   * wait for staleness.
   */
  private static boolean endedHere(BsonDocument held) {
    if (!held.isDocument("process")) return false;
    BsonDocument p = held.getDocument("process");
    try {
      return new RunIdentity(
              p.getString("boot").getValue(),
              p.getString("host").getValue(),
              p.getNumber("pid").longValue(),
              p.getNumber("started").longValue(),
              p.getString("pidNamespace", new BsonString("")).getValue())
          .endedHere();
    } catch (RuntimeException e) {
      return false;
    }
  }

  private void refreshLocks() {
    for (String db : locked) {
      try {
        client
            .getDatabase(db)
            .getCollection(MongoNames.LOCK_COLLECTION)
            .updateOne(
                new BsonDocument("_id", new BsonString("restore"))
                    .append("run", new BsonString(runId)),
                new BsonDocument(
                    "$set",
                    new BsonDocument("seen", new BsonDateTime(System.currentTimeMillis()))));
      } catch (RuntimeException e) {
        log.warn(
            "could not refresh the restore lock of database "
                + db
                + " ("
                + e.getClass().getSimpleName()
                + ")");
      }
    }
  }

  @Override
  public void close() {
    if (heartbeat != null) heartbeat.shutdownNow();
    for (String db : locked) {
      try {
        MongoCollection<BsonDocument> c =
            client.getDatabase(db).getCollection(MongoNames.LOCK_COLLECTION, BsonDocument.class);
        c.deleteOne(
            new BsonDocument("_id", new BsonString("restore"))
                .append("run", new BsonString(runId)));
        if (c.countDocuments() == 0) c.drop();
      } catch (RuntimeException e) {
        log.warn(
            "could not release the restore lock of database "
                + db
                + "; it expires by itself in two minutes");
      }
    }
    locked.clear();
  }
}
