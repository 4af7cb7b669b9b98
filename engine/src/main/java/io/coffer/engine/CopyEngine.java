package io.coffer.engine;

import io.coffer.engine.archive.HashingInputStream;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Printable;
import io.coffer.engine.base.Progress;
import io.coffer.engine.storage.BackupIds;
import io.coffer.engine.storage.Storage;
import io.coffer.protocol.CopyResult;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Copies a stored backup to a second location, object by object as it is stored: nothing is
 * decrypted (no key is needed), nothing is held whole in memory (each object streams through one
 * buffer). The source must be complete and sound: its archive and manifest are hashed as they are
 * read and must match its descriptor. Each object is read back where it landed and its SHA-256
 * compared with what was read; the descriptor goes last, so the copy is listed only once every
 * other object is there and checked. A destination that holds the same backup already (the same
 * descriptor, its archive matching) is checked and left as it is. While it writes, the copy holds
 * the destination's lock of that backup id, so no backup, copy or deletion writes it meanwhile.
 */
final class CopyEngine {
  private static final Map<Field, Field> DESTINATION =
      Map.of(
          Field.STORAGE, Field.TO,
          Field.S3_ENDPOINT, Field.TO_S3_ENDPOINT,
          Field.S3_REGION, Field.TO_S3_REGION,
          Field.S3_CA_FILE, Field.TO_S3_CA_FILE,
          Field.S3_CREDENTIALS, Field.TO_S3_CREDENTIALS);

  private final Storage from;
  private final Storage to;
  private final EngineLog log;
  private final Progress progress;

  CopyEngine(Storage from, Storage to, EngineLog log, Progress progress) {
    this.from = from;
    this.to = to;
    this.log = log;
    this.progress = progress;
  }

  /**
   * A failure of the destination, with the storage fields it names turned into the destination's
   * ({@code to.*}): the same error opening either location would otherwise point at the source.
   */
  static CofferException atDestination(CofferException e) {
    String m = e.getMessage();
    for (Map.Entry<Field, Field> f : DESTINATION.entrySet())
      m = m.replace(f.getKey().mark(), f.getValue().mark());
    return new CofferException(e.code(), "the copy's destination: " + m, e);
  }

  CopyResult run(String id, String lockToken) throws IOException {
    BackupIds.checkId(id);
    progress.phase("copying");
    BackupStore source = new BackupStore(from);
    BackupDescriptor d = source.descriptor(id); // complete and well formed, or not found
    if (from.describe().equals(to.describe()))
      throw CofferException.usage(
          Field.TO.mark()
              + " is where backup "
              + id
              + " lies already ("
              + from.describe()
              + "); give another location");
    List<String> keys = new ArrayList<>();
    String descriptorKey = BackupIds.key(id, BackupDescriptor.FILE);
    for (String k : from.list(id)) if (!k.equals(descriptorKey)) keys.add(k);
    keys.add(descriptorKey); // last: the copy counts as complete only once all else is there
    List<String> warnings = new ArrayList<>();
    BackupStore target = new BackupStore(to);
    String owner = "copy run " + UUID.randomUUID().toString().substring(0, 8);
    Storage.Lock lock;
    try {
      lock = target.lock(id, owner, lockToken, 240, log);
    } catch (CofferException e) {
      throw atDestination(e);
    }
    try (lock) {
      BackupDescriptor there = existing(target, id);
      if (there != null) {
        if (!there.equals(d))
          throw new CofferException(
              ExitCode.USAGE,
              Field.TO.mark()
                  + " holds another backup under id "
                  + id
                  + " (made "
                  + there.createdAt()
                  + "); Coffer never overwrites a backup: delete it there, or copy to another"
                  + " location");
        String sha = hash(to, BackupIds.key(id, d.archive()), true);
        if (!sha.equals(d.sha256()))
          throw new CofferException(
              ExitCode.INTEGRITY,
              "backup "
                  + id
                  + " at "
                  + to.describe()
                  + " is damaged (its archive's SHA-256 is not its descriptor's); delete it there"
                  + " and copy again");
        lock(d); // an earlier copy may have ended before it locked what it wrote
        parentWarning(d, target, warnings);
        log.info("backup " + id + " is at " + to.describe() + " already, and its archive checks");
        return result(d, 0, 0, true, warnings);
      }
      if (to.objectLock() != null) {
        try {
          to.checkObjectLock(); // before anything is written
        } catch (CofferException e) {
          throw atDestination(e);
        }
      }
      // what an interrupted copy left (objects without a descriptor) is written over
      to.removeLeftovers(id);
      int objects = 0;
      long bytes = 0;
      List<String> written = new ArrayList<>();
      try {
        for (String key : keys) {
          String name = key.substring(id.length() + 1);
          progress.item(name);
          lock.check();
          String read;
          long size;
          try (HashingInputStream in = new HashingInputStream(from.open(key))) {
            Storage.AtomicOutput out;
            try {
              out = to.create(key);
            } catch (CofferException e) {
              throw atDestination(e);
            }
            try {
              transfer(in, out);
              out.close();
            } catch (IOException | RuntimeException e) {
              out.abort();
              if (e instanceof CofferException c && !(c instanceof SourceFailure))
                throw atDestination(c);
              throw e;
            }
            read = in.drainAndHash();
            size = in.count();
          }
          String expected =
              name.equals(d.archive())
                  ? d.sha256()
                  : name.equals(d.manifest()) ? d.manifestSha256() : null;
          if (expected != null && !expected.equals(read)) {
            to.delete(key);
            throw new CofferException(
                ExitCode.INTEGRITY,
                "backup "
                    + id
                    + "'s "
                    + Printable.escape(name)
                    + " at "
                    + from.describe()
                    + " does not match its descriptor's SHA-256: the source is damaged, and nothing"
                    + " damaged is copied; verify it (coffer verify), restore from another copy");
          }
          String landed = hash(to, key, true);
          if (!landed.equals(read)) {
            to.delete(key);
            throw new CofferException(
                ExitCode.STORAGE,
                "the copy of "
                    + Printable.escape(key)
                    + " at "
                    + to.describe()
                    + " reads back with another SHA-256 than was written; the destination loses or"
                    + " changes data. The copy is incomplete and not listed");
          }
          written.add(key);
          objects++;
          bytes += size;
          progress.addBytes(size);
        }
      } catch (IOException | RuntimeException e) {
        removeWritten(written);
        throw e;
      }
      lock(d);
      parentWarning(d, target, warnings);
      log.info(
          "copied backup "
              + id
              + " to "
              + to.describe()
              + ": "
              + objects
              + " objects, "
              + bytes
              + " bytes, each read back and its SHA-256 checked");
      return result(d, objects, bytes, false, warnings);
    }
  }

  /**
   * With Object Lock asked for at the destination, the copy is retained as the original would be:
   * until the backup's completion plus the lock's days.
   */
  private void lock(BackupDescriptor d) throws IOException {
    if (to.objectLock() == null) return;
    try {
      Instant until = BackupEngine.retain(to, d);
      log.info(
          until == null
              ? "the backup's Object Lock time is over already: the copy is not locked"
              : "the copy is under Object Lock " + to.objectLock().mode() + " until " + until);
    } catch (CofferException e) {
      throw atDestination(e);
    }
  }

  /**
   * A failed copy removes what it wrote (it holds the destination's lock, and no descriptor was
   * written), so nothing of it is left to look like a backup, complete or not.
   */
  private void removeWritten(List<String> written) {
    for (String key : written) {
      try {
        to.delete(key);
      } catch (IOException | RuntimeException e) {
        log.warn(
            "the failed copy left "
                + key
                + " at "
                + to.describe()
                + " ("
                + e.getMessage()
                + "); the next copy replaces it");
        return;
      }
    }
  }

  private CopyResult result(
      BackupDescriptor d, int objects, long bytes, boolean already, List<String> warnings) {
    progress.phase("done");
    for (String w : warnings) log.warn(w);
    return new CopyResult(
        CopyResult.STATUS,
        d.id(),
        to.describe(),
        objects,
        bytes,
        d.sha256(),
        already,
        warnings.isEmpty() ? null : List.copyOf(warnings),
        Math.round(progress.elapsedSeconds() * 100) / 100.0);
  }

  /** An incremental backup restores from a copy only with its chain there too. */
  private static void parentWarning(BackupDescriptor d, BackupStore target, List<String> warnings)
      throws IOException {
    if (d.parent() == null || existing(target, d.parent()) != null) return;
    warnings.add(
        "backup "
            + d.id()
            + " is incremental and builds on "
            + d.parent()
            + ", which is not at the destination: a restore from this copy needs it; copy it too");
  }

  /** The destination's descriptor of {@code id}, or null when it holds no complete backup. */
  private static BackupDescriptor existing(BackupStore target, String id) throws IOException {
    try {
      return target.descriptor(id);
    } catch (CofferException e) {
      if (e.code() == ExitCode.NOT_FOUND) return null;
      throw atDestination(e);
    }
  }

  private static String hash(Storage s, String key, boolean destination) throws IOException {
    try (HashingInputStream in = new HashingInputStream(s.open(key))) {
      return in.drainAndHash();
    } catch (CofferException e) {
      throw destination ? atDestination(e) : e;
    }
  }

  /** A read of the source that failed while the destination was written. */
  private static final class SourceFailure extends CofferException {
    SourceFailure(CofferException e) {
      super(e.code(), e.getMessage(), e);
    }
  }

  private static void transfer(InputStream in, Storage.AtomicOutput out) throws IOException {
    byte[] buf = new byte[256 * 1024];
    int n;
    while (true) {
      try {
        n = in.read(buf);
      } catch (CofferException e) {
        throw new SourceFailure(e);
      }
      if (n < 0) return;
      out.write(buf, 0, n);
    }
  }
}
