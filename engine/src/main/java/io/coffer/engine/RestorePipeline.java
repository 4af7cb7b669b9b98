package io.coffer.engine;

import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Printable;
import io.coffer.engine.base.Progress;
import io.coffer.engine.files.FileRestorer;
import io.coffer.engine.mongo.MongoRestorer;
import io.coffer.protocol.Consistency;
import io.coffer.protocol.Field;
import io.coffer.protocol.RestoreResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The one path every restore takes, whichever reader feeds it (a Coffer archive and its chain, a
 * mongodump folder or archive): what each target becomes (create, replace or merge) and what a
 * replace deletes; the confirmation of those losses; the lock on the target databases and the
 * removal of an earlier run's leftovers; staging while the reader reads and checks; and the swap
 * that puts everything in place only when all of it held, or the rollback that leaves every target
 * as it was (an {@link OutOfMemoryError} too). The readers differ only in how they read and check
 * their source.
 */
final class RestorePipeline implements AutoCloseable {
  /** What a collection or view of the source becomes in its target database. */
  record Target(String target, String action, Long loses) {}

  /** Reads and checks the whole source, staging what is selected. */
  @FunctionalInterface
  interface Body<T> {
    T read() throws IOException;
  }

  private final RestoreOptions o;
  private final String source;
  private final EngineLog log;
  private final Progress progress;
  private final String runId = UUID.randomUUID().toString().substring(0, 8);
  private final MongoRestorer mongo;
  private final Map<String, Map<String, String>> existing = new HashMap<>();
  private final List<String> losses = new ArrayList<>();

  /**
   * Connects to the target MongoDB when {@code needsMongo}; {@code source} names what is restored
   * in the confirmation's message ("backup ID", "the dump"). The caller closes the pipeline.
   */
  RestorePipeline(
      RestoreOptions o, String source, boolean needsMongo, EngineLog log, Progress progress) {
    this.o = o;
    this.source = source;
    this.log = log;
    this.progress = progress;
    if (needsMongo) {
      mongo =
          new MongoRestorer(
              o.mongoUri(), o.mongoTls(), o.timeoutSeconds(), o.mode(), runId, log, progress);
      mongo.ping();
    } else {
      mongo = null;
    }
  }

  /** The target MongoDB, or null when the restore has no database part. */
  MongoRestorer mongo() {
    return mongo;
  }

  /** Names this run's staging (collections, file trees). */
  String runId() {
    return runId;
  }

  boolean replace() {
    return o.mode() == MongoRestorer.Mode.REPLACE;
  }

  /**
   * What collection or view {@code db.collection} of the source becomes; a replace of a target
   * collection that holds documents is a loss, to be confirmed (a view holds none of its own).
   */
  Target collection(String db, String collection) {
    String target = o.targetDb(db);
    String type = existing.computeIfAbsent(target, mongo::existing).get(collection);
    boolean exists = type != null;
    String action = !exists ? "create" : replace() ? "replace" : "merge";
    Long now = exists && replace() && !type.equals("view") ? mongo.count(target, collection) : null;
    if (now != null && now > 0)
      losses.add("collection " + target + "." + collection + " and its " + now + " documents");
    return new Target(target + "." + collection, action, now);
  }

  /** A loss other than a collection's (entries of a file tree the source does not hold). */
  void loses(String what) {
    losses.add(what);
  }

  /**
   * Refuses to go on when a replace would delete what the source does not hold and nobody confirmed
   * it.
   */
  void confirm() {
    if (o.dryRun() || losses.isEmpty() || o.confirmation().confirm(List.copyOf(losses))) return;
    throw CofferException.usage(
        "a replace would delete what "
            + source
            + " does not hold ("
            + String.join("; ", losses)
            + "); "
            + Field.DRY_RUN.mark()
            + " lists it; confirm with "
            + Field.CONFIRM.mark()
            + ", or use "
            + Field.MODE.mark()
            + " merge to keep it");
  }

  /**
   * Locks the target databases, removes what an earlier run left staged in them, runs {@code body}
   * (which stages), and swaps everything in: the databases, then the file trees ({@code files}, or
   * null). Any failure, an error too, drops the staging and rethrows.
   */
  <T> T stageAndSwap(Collection<String> targetDbs, FileRestorer files, Body<T> body)
      throws IOException {
    if (mongo != null) {
      Set<String> dbs = new TreeSet<>(targetDbs);
      mongo.lock(dbs);
      for (String db : dbs) mongo.removeLeftovers(db);
    }
    try {
      T read = body.read();
      progress.phase("swapping");
      if (mongo != null) mongo.commit();
      if (files != null) files.commit();
      return read;
    } catch (Throwable e) { // an OutOfMemoryError too: no staging stays behind
      if (mongo != null) mongo.rollback();
      if (files != null) files.rollback();
      throw e;
    }
  }

  /**
   * The result: totals summed from the items (a view counts neither as a collection nor in
   * documents), and in a real run one log line saying so.
   */
  RestoreResult result(String status, List<RestoreResult.Item> items) {
    return result(status, items, null);
  }

  /**
   * The same, saying whether the restored databases are one moment of the source ({@code
   * consistency}, or null when the restore has no database part).
   */
  RestoreResult result(String status, List<RestoreResult.Item> items, Consistency consistency) {
    return result(status, items, consistency, null);
  }

  /** The same, for a restore to a moment ({@code pointInTime}: what it replayed). */
  RestoreResult result(
      String status,
      List<RestoreResult.Item> items,
      Consistency consistency,
      RestoreResult.PointInTime pointInTime) {
    int collections = 0;
    long docs = 0;
    long files = 0;
    long bytes = 0;
    for (RestoreResult.Item i : items) {
      if (i.documents() != null && !i.kind().equals("view")) {
        collections++;
        docs += i.documents();
      }
      if (i.files() != null) files += i.files();
      bytes += i.bytes();
    }
    double seconds = Math.round(progress.elapsedSeconds() * 100) / 100.0;
    if (!o.dryRun()) {
      log.info(
          "restore of "
              + Printable.escape(o.backupId())
              + " completed in "
              + seconds
              + " s: "
              + (collections > 0 || files == 0
                  ? collections + " collections, " + docs + " documents"
                  : "")
              + (collections > 0 && files > 0 ? ", " : "")
              + (files > 0 ? files + " files" : ""));
    }
    return new RestoreResult(
        status,
        o.backupId(),
        o.mode().name().toLowerCase(),
        o.dryRun(),
        seconds,
        collections,
        docs,
        files,
        bytes,
        items,
        consistency,
        pointInTime);
  }

  /**
   * A merge keeps what the targets held beside the source's documents: the moment is the source's,
   * and the reason says what else the targets hold.
   */
  static Consistency merged(RestoreOptions o, Consistency c) {
    if (c == null || o.mode() != MongoRestorer.Mode.MERGE || !c.isPointInTime()) return c;
    return new Consistency(
        c.mode(),
        c.at(),
        "merged: the targets also keep the documents they held that the source did not hold then");
  }

  @Override
  public void close() {
    if (mongo != null) mongo.close();
  }
}
