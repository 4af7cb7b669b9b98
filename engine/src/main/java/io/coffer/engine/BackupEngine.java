package io.coffer.engine;

import io.coffer.engine.archive.ArchiveWriter;
import io.coffer.engine.archive.Compression;
import io.coffer.engine.archive.HashingOutputStream;
import io.coffer.engine.archive.Manifest;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Json;
import io.coffer.engine.base.Progress;
import io.coffer.engine.base.Version;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.engine.files.FileTreeDumper;
import io.coffer.engine.incremental.ChainIndex;
import io.coffer.engine.mongo.MongoConnection;
import io.coffer.engine.mongo.OplogCapture;
import io.coffer.engine.storage.BackupIds;
import io.coffer.engine.storage.Storage;
import io.coffer.protocol.BackupResult;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One backup: MongoDB and file trees -> zip -> (age) -> storage, as one chain of streams. The
 * archive is published only when complete; the manifest copy and the log follow; {@code
 * backup.json} comes last, so an interrupted backup never looks complete.
 */
final class BackupEngine {
  public static final String VERSION = "coffer " + Version.get();
  private final BackupStore store;
  private final EngineLog log;
  private final Progress progress;

  public BackupEngine(Storage storage, EngineLog log, Progress progress) {
    this.store = new BackupStore(storage);
    this.log = log;
    this.progress = progress;
  }

  public BackupResult run(BackupOptions o) throws IOException {
    String id = BackupIds.checkId(o.id());
    Instant created = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    String run = UUID.randomUUID().toString().substring(0, 8);
    String host = System.getenv().getOrDefault("HOSTNAME", "");
    try (Storage.Lock lock =
        store.lock(
            id,
            "backup run " + run + (host.isEmpty() ? "" : " on " + host) + ", started " + created,
            o.lockToken(),
            o.lockWaitSeconds(),
            log)) {
      return run(o, id, created, lock);
    }
  }

  /** The backup itself, while this run holds the backup id's lock (one writer per id). */
  private BackupResult run(BackupOptions o, String id, Instant created, Storage.Lock lock)
      throws IOException {
    Storage storage = store.storage();
    if (storage.exists(BackupIds.key(id, BackupDescriptor.FILE))) {
      throw CofferException.usage(
          "backup "
              + id
              + " already exists in "
              + storage.describe()
              + "; choose another "
              + Field.ID.mark()
              + " or delete it first");
    }
    if (storage.objectLock() != null) storage.checkObjectLock(); // before anything is written
    int leftovers = storage.removeLeftovers(id);
    if (leftovers > 0)
      log.info("removed " + leftovers + " leftovers of an interrupted earlier attempt");
    log.info(
        "backup "
            + id
            + " ("
            + o.type().label()
            + ") to "
            + storage.describe()
            + (o.encryption().enabled()
                ? ", encrypted with " + o.encryption().scheme()
                : ", not encrypted"));

    ChainIndex index = o.indexKey() == null ? null : new ChainIndex(storage, o.indexKey());
    if (o.parent() != null) {
      BackupDescriptor parent = store.descriptor(o.parent());
      if (parent.index() == null) {
        throw CofferException.usage(
            "backup "
                + o.parent()
                + " has no chain index (it was made without "
                + Field.INDEX_KEY.mark()
                + "), so nothing can be"
                + " based on it; take a full backup with "
                + Field.INDEX_KEY.mark()
                + " to start a chain");
      }
      index.checkKey(o.parent());
      log.info(
          "incremental: only what changed since backup "
              + o.parent()
              + " ("
              + parent.createdAt()
              + ")");
    }
    FileTreeDumper files =
        new FileTreeDumper(
            o.filesInclude(),
            o.filesExclude(),
            o.compression() == Compression.STORE,
            log,
            progress);
    if (index != null) files.indexed(index, id, o.parent());
    String archiveName = o.encryption().enabled() ? "archive.zip.age" : "archive.zip";
    Storage.AtomicOutput stored = null;
    ArchiveWriter archive = null;
    List<BackupSource> sources = new ArrayList<>();
    try {
      if (o.type().hasDatabase()) sources.add(new BackupSource.Mongo(o, index, id, log, progress));
      if (o.type().hasFiles()) sources.add(new BackupSource.Trees(files, o.trees(), log, progress));
      progress.phase("scanning");
      for (BackupSource source : sources) source.prepare();

      stored = storage.create(BackupIds.key(id, archiveName));
      HashingOutputStream hashed = new HashingOutputStream(stored);
      // reading on this thread, deflate on a pool, encryption, hashing and the write on the zip
      // writer's thread
      archive = new ArchiveWriter(o.encryption().wrap(hashed), o.compression(), o.level());
      progress.phase("dumping");
      for (BackupSource source : sources) source.dump(archive);
      progress.phase("finishing");
      OplogCapture.Window window = null;
      for (BackupSource source : sources) if (source.window() != null) window = source.window();
      Map<String, String> treeSources = new LinkedHashMap<>();
      for (FileTreeDumper.Tree t : o.trees()) treeSources.put(t.name(), t.root().toString());
      Manifest manifest =
          new Manifest(
              Manifest.FORMAT,
              Manifest.FORMAT_VERSION,
              id,
              created.toString(),
              o.type().label(),
              new Manifest.Source(
                  o.type().hasDatabase() ? MongoConnection.redact(o.mongoUri()) : null,
                  o.type().hasFiles() ? treeSources : null),
              new Manifest.Selection(
                  o.selection().include(),
                  o.selection().exclude(),
                  o.selection().modules(),
                  o.filesInclude(),
                  o.filesExclude()),
              o.compression().label(),
              o.compression() == Compression.DEFLATE ? o.level() : null,
              List.copyOf(archive.entries()),
              List.copyOf(files.skipped()),
              o.parent(),
              window == null ? null : window.consistency(),
              window == null ? null : window.oplog());
      archive.finish(manifest); // closes the chain and publishes the archive
      stored = null;
      long storedSize = hashed.count();
      String sha256 = hashed.sha256Hex();

      String manifestName = o.encryption().enabled() ? "manifest.json.age" : "manifest.json";
      lock.check();
      // serialised again straight into storage: the text of a million files' manifest is never
      // held in memory, in the clear or encrypted
      String manifestSha256;
      Storage.AtomicOutput manifestOut = storage.create(BackupIds.key(id, manifestName));
      try {
        HashingOutputStream manifestHashed = new HashingOutputStream(manifestOut);
        try (OutputStream m = o.encryption().wrap(manifestHashed)) {
          Json.writePretty(manifest, m);
        } // closing publishes it
        manifestSha256 = manifestHashed.sha256Hex();
      } catch (IOException | RuntimeException e) {
        manifestOut.abort();
        throw e;
      }

      long rawSize = 0;
      long documents = 0;
      long fileCount = 0;
      int collections = 0;
      Map<String, Long> modules = new LinkedHashMap<>();
      Map<String, Long> perCollection = new LinkedHashMap<>();
      for (Manifest.Entry e : manifest.entries()) {
        if (e.archived()) rawSize += e.size();
        if (e.kind() == Manifest.Kind.bson) {
          collections++;
          documents += e.documents();
          perCollection.put(e.database() + "." + e.collection(), e.documents());
          if (e.module() != null) modules.merge(e.module(), e.documents(), Long::sum);
        } else if (e.kind() == Manifest.Kind.deletions) {
          continue;
        } else if (e.kind() == Manifest.Kind.file || e.kind() == Manifest.Kind.symlink) {
          fileCount++;
        }
      }
      double duration = Math.round(progress.elapsedSeconds() * 100) / 100.0;
      log.info(
          "archive "
              + archiveName
              + ": "
              + storedSize
              + " bytes stored ("
              + rawSize
              + " raw), sha256 "
              + sha256);
      log.info(
          "backup "
              + id
              + " completed in "
              + duration
              + " s: "
              + collections
              + " collections, "
              + documents
              + " documents, "
              + fileCount
              + " files"
              + (files.skipped().isEmpty() ? "" : ", " + files.skipped().size() + " skipped"));
      put(storage, BackupIds.key(id, BackupDescriptor.LOG), log.bytes());
      List<String> recipients =
          o.encryption().recipients().stream().map(AgeKeys.Recipient::encoded).toList();
      BackupDescriptor d =
          new BackupDescriptor(
              BackupDescriptor.FORMAT,
              1,
              id,
              created.toString(),
              Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
              o.type().label(),
              archiveName,
              storedSize,
              sha256,
              rawSize,
              o.encryption().enabled(),
              o.encryption().scheme(),
              recipients.isEmpty() ? null : recipients,
              manifestName,
              manifestSha256,
              collections,
              documents,
              fileCount,
              files.skipped().size(),
              VERSION,
              o.parent(),
              index == null ? null : index.scheme(),
              window == null ? null : window.consistency());
      lock.check();
      if (!storage.createIfAbsent(
          BackupIds.key(id, BackupDescriptor.FILE),
          Json.pretty(d).getBytes(StandardCharsets.UTF_8))) {
        throw new CofferException(
            ExitCode.BUSY,
            "backup "
                + id
                + " was completed by another run while this one wrote it; this run's copy is not used");
      }
      Instant lockedUntil = storage.objectLock() == null ? null : retain(storage, d);
      progress.phase("done");
      List<String> skipped = new ArrayList<>();
      for (Manifest.Skipped s : files.skipped()) skipped.add(s.path() + ": " + s.reason());
      return Results.backup(
          d,
          storage.describe(),
          duration,
          modules,
          perCollection,
          log.warnings(),
          skipped,
          storage.objectLock(),
          lockedUntil);
    } catch (IOException | RuntimeException e) {
      if (archive != null) archive.abort();
      if (stored != null) stored.abort();
      if (index != null) discardIndex(storage, id, lock);
      throw e;
    } finally {
      for (BackupSource source : sources) source.close();
    }
  }

  /**
   * Object Lock: once the backup is complete (its descriptor written, so a failed attempt's objects
   * stay deletable by the next one), every object of it is retained until its completion plus the
   * lock's days, then the archive's retention is read back: a server that takes the call but keeps
   * no lock fails the backup rather than look immutable. Null when that time is past already (an
   * old backup copied to a locked bucket): nothing to lock.
   */
  static Instant retain(Storage storage, BackupDescriptor d) throws IOException {
    Storage.ObjectLock lock = storage.objectLock();
    Instant completed;
    try {
      completed = Instant.parse(d.completedAt());
    } catch (RuntimeException e) {
      throw new CofferException(
          ExitCode.INTEGRITY,
          "backup " + d.id() + "'s descriptor gives no completion time to lock from");
    }
    // never later than now (a forged date cannot lock for ever); a lock already over is none
    if (completed.isAfter(Instant.now())) completed = Instant.now();
    Instant until = completed.plus(Duration.ofDays(lock.days()));
    if (!until.isAfter(Instant.now().plusSeconds(60))) return null;
    for (String key : storage.list(d.id())) storage.retain(key, lock.mode(), until);
    var kept = storage.retainedUntil(BackupIds.key(d.id(), d.archive()));
    if (kept.isEmpty() || kept.get().isBefore(until.minusSeconds(1)))
      throw new CofferException(
          ExitCode.STORAGE,
          "backup "
              + d.id()
              + " is complete, but "
              + storage.describe()
              + " did not keep its Object Lock (the archive reads back "
              + (kept.isEmpty() ? "unlocked" : "locked until " + kept.get())
              + "): is the bucket made with Object Lock enabled? The backup is stored but not"
              + " immutable");
    return until;
  }

  /**
   * A failed run's chain index objects: nothing of a backup that has no descriptor stays behind to
   * be based on.
   */
  private void discardIndex(Storage storage, String id, Storage.Lock lock) {
    try {
      // only this run's objects: never those of a run that took the lock over, or completed this
      // backup
      try {
        lock.check();
      } catch (IOException | RuntimeException lost) {
        return;
      }
      if (storage.exists(BackupIds.key(id, BackupDescriptor.FILE))) return;
      String prefix = BackupIds.key(id, "index/");
      for (String k : storage.list(id)) if (k.startsWith(prefix)) storage.delete(k);
    } catch (IOException | RuntimeException cleanup) {
      log.warn(
          "could not remove the chain index objects of the failed backup "
              + id
              + " ("
              + cleanup.getMessage()
              + "); a new attempt with this id replaces them");
    }
  }

  private static void put(Storage storage, String key, byte[] bytes) throws IOException {
    Storage.AtomicOutput out = storage.create(key);
    try {
      out.write(bytes);
      out.close();
    } catch (IOException | RuntimeException e) {
      out.abort();
      throw e;
    }
  }
}
