package io.coffer.engine;

import io.coffer.engine.archive.HashingInputStream;
import io.coffer.engine.archive.HashingOutputStream;
import io.coffer.engine.archive.Manifest;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Json;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.crypto.AgeException;
import io.coffer.engine.io.Limited;
import io.coffer.engine.storage.BackupIds;
import io.coffer.engine.storage.Storage;
import io.coffer.engine.storage.StorageException;
import io.coffer.protocol.Consistency;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import io.coffer.protocol.Protocol;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import net.lingala.zip4j.io.inputstream.ZipInputStream;
import net.lingala.zip4j.model.LocalFileHeader;

/**
 * The layout of backups in a storage location: {@code <ID>/archive.zip[.age]}, {@code
 * <ID>/manifest.json[.age]}, {@code <ID>/backup.log} and {@code <ID>/backup.json} (written last).
 */
final class BackupStore {
  /**
   * Where an object of a backup lies, for people: {@code s3://bucket/prefix/ID/archive.zip (at
   * http://endpoint)} or {@code file:///root/ID/archive.zip}, from a storage description as {@link
   * Storage#describe()} gives it.
   */
  public static String locate(String storageDescription, String id, String name) {
    return Protocol.locate(storageDescription, id, name);
  }

  private final Storage storage;

  public BackupStore(Storage storage) {
    this.storage = storage;
  }

  public Storage storage() {
    return storage;
  }

  /** A listed backup: its descriptor, or null when the folder holds an incomplete backup. */
  /** The largest {@code backup.json} Coffer reads (a few KiB in practice). */
  static final int MAX_DESCRIPTOR_BYTES = 1 << 20;

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  public BackupDescriptor descriptor(String id) throws IOException {
    BackupIds.checkId(id);
    byte[] bytes;
    try (InputStream in = storage.open(BackupIds.key(id, BackupDescriptor.FILE))) {
      bytes =
          Limited.readAll(
              in,
              MAX_DESCRIPTOR_BYTES,
              () ->
                  new CofferException(
                      ExitCode.INTEGRITY,
                      "the descriptor of backup "
                          + id
                          + " ("
                          + BackupDescriptor.FILE
                          + ") is larger than "
                          + MAX_DESCRIPTOR_BYTES
                          + " bytes: it is not one Coffer wrote"));
    } catch (StorageException e) {
      if (!e.isNotFound()) throw e;
      if (!storage.list(id).isEmpty()) {
        throw new CofferException(
            ExitCode.NOT_FOUND,
            "backup "
                + id
                + " in "
                + storage.describe()
                + " is incomplete (no "
                + BackupDescriptor.FILE
                + "): it was interrupted or is being written, and cannot be used; run a new backup");
      }
      throw new CofferException(
          ExitCode.NOT_FOUND,
          "no backup "
              + id
              + " in "
              + storage.describe()
              + "; `coffer list` shows the backups there");
    }
    BackupDescriptor d;
    try {
      d = Json.readUntrusted(bytes, BackupDescriptor.class);
    } catch (IOException e) {
      throw new CofferException(
          ExitCode.INTEGRITY,
          "the descriptor of backup "
              + id
              + " is damaged ("
              + BackupDescriptor.FILE
              + " is not valid)");
    }
    String why = invalid(d, id);
    if (why != null)
      throw new CofferException(
          ExitCode.INTEGRITY,
          "the descriptor of backup " + id + " (" + BackupDescriptor.FILE + ") " + why);
    return d;
  }

  /**
   * Why a descriptor read from folder {@code id} cannot be used, or null: it must be Coffer's, this
   * folder's, and name only this folder's objects.
   */
  static String invalid(BackupDescriptor d, String id) {
    if (d == null || !BackupDescriptor.FORMAT.equals(d.format()))
      return "is not a Coffer descriptor";
    if (d.formatVersion() != 1)
      return "has format version " + d.formatVersion() + ", which this Coffer does not read";
    if (d.createdAt() == null || d.type() == null) return "lacks its creation time or type";
    if (!id.equals(d.id())) {
      return "describes backup '"
          + d.id()
          + "', not "
          + id
          + ": it was copied from another backup's folder, and Coffer does not use it";
    }
    String archive = d.encrypted() ? "archive.zip.age" : "archive.zip";
    boolean manifestOk =
        "manifest.json".equals(d.manifest())
            || (d.encrypted() && "manifest.json.age".equals(d.manifest()));
    if (!archive.equals(d.archive()) || !manifestOk) {
      return "names objects Coffer does not write (" + d.archive() + ", " + d.manifest() + ")";
    }
    if (d.sha256() == null
        || !SHA256.matcher(d.sha256()).matches()
        || d.manifestSha256() == null
        || !SHA256.matcher(d.manifestSha256()).matches()) {
      return "has no valid SHA-256";
    }
    if (d.storedSize() < 0 || d.rawSize() < 0) return "gives a negative size";
    if (d.parent() != null
        && (!BackupIds.ID.matcher(d.parent()).matches() || d.parent().equals(id)))
      return "names an impossible parent";
    Consistency c = d.consistency();
    if (c != null
        && (!(c.isPointInTime() || Consistency.PER_COLLECTION.equals(c.mode()))
            || (c.at() != null && c.at().length() > 40)
            || (c.reason() != null && c.reason().length() > 1000)))
      return "gives a consistency Coffer does not write";
    return null;
  }

  public List<StoredBackup> list() throws IOException {
    List<StoredBackup> out = new ArrayList<>();
    for (String id : storage.listFolders()) {
      if (!BackupIds.ID.matcher(id).matches()) continue;
      try {
        out.add(new StoredBackup(id, descriptor(id)));
      } catch (CofferException e) {
        if (e.code() == ExitCode.NOT_FOUND && storage.list(id).isEmpty()) continue;
        out.add(new StoredBackup(id, null));
      }
    }
    out.sort(
        Comparator.comparing(
                (StoredBackup l) -> l.descriptor() == null ? "" : l.descriptor().createdAt())
            .thenComparing(StoredBackup::id)
            .reversed());
    return out;
  }

  /**
   * A URL that downloads the stored archive without credentials until it expires; empty where the
   * storage has none.
   */
  public Optional<String> presignArchive(BackupDescriptor d, Duration validFor) throws IOException {
    return storage.presign(BackupIds.key(d.id(), d.archive()), validFor);
  }

  /**
   * The stored archive, hashed as it is read so the caller can compare with the descriptor at the
   * end.
   */
  public HashingInputStream openArchive(BackupDescriptor d) throws IOException {
    return new HashingInputStream(storage.open(BackupIds.key(d.id(), d.archive())));
  }

  /** Decrypts if the backup is encrypted; key problems become exit code 6, damage exit code 5. */
  public static InputStream decrypting(InputStream in, BackupDescriptor d, Age.DecryptionKeys keys)
      throws IOException {
    if (!d.encrypted()) return in;
    if (keys == null) {
      throw new CofferException(
          ExitCode.KEY,
          "backup "
              + d.id()
              + " is encrypted ("
              + d.encryption()
              + "); give "
              + Field.IDENTITY.mark()
              + " (or "
              + Field.DECRYPTION_PASSPHRASE.mark()
              + " for passphrase backups)");
    }
    try {
      return Age.decrypt(in, keys);
    } catch (AgeException e) {
      throw fromAge(d.id(), e);
    }
  }

  /**
   * An I/O failure's reason for a person: without the Java exception names the zip and inflate
   * libraries put in messages.
   */
  public static String reason(Exception e) {
    String m = e.getMessage() == null ? "no detail" : e.getMessage();
    m = m.replaceAll("(?:[a-zA-Z_$][\\w$]*\\.)+[\\w$]*(?:Exception|Error): ?", "");
    return m.isBlank() ? "malformed data" : m;
  }

  public static CofferException fromAge(String id, AgeException e) {
    if (e.kind() == AgeException.Kind.NO_MATCHING_KEY) {
      return new CofferException(ExitCode.KEY, "backup " + id + ": " + e.getMessage(), e);
    }
    return new CofferException(ExitCode.INTEGRITY, "backup " + id + ": " + e.getMessage(), e);
  }

  /**
   * The next zip entry; damage becomes exit code 5, a key problem surfacing here stays an age
   * error.
   */
  static LocalFileHeader nextEntry(ZipInputStream zip, BackupDescriptor d) throws IOException {
    try {
      return zip.getNextEntry();
    } catch (AgeException e) {
      throw e;
    } catch (IOException e) {
      if (e.getCause() instanceof AgeException ae) throw ae;
      throw new CofferException(
          ExitCode.INTEGRITY,
          "backup " + d.id() + " is damaged or truncated (" + reason(e) + ")",
          e);
    } catch (CofferException e) {
      throw e;
    } catch (RuntimeException e) {
      // the zip reader meeting headers no zip writer makes: the archive's fault, not Coffer's
      throw new CofferException(
          ExitCode.INTEGRITY,
          "backup "
              + d.id()
              + " is damaged: its zip structure is malformed ("
              + e.getClass().getSimpleName()
              + ")",
          e);
    }
  }

  /**
   * The current entry's content; the zip reader's failures on malformed data become I/O errors
   * (exit code 5 upstream).
   */
  static InputStream entryContent(ZipInputStream zip) {
    return new FilterInputStream(zip) {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) <= 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        try {
          return in.read(b, off, len);
        } catch (CofferException e) {
          throw e;
        } catch (RuntimeException e) {
          throw new IOException(
              "malformed compressed data (" + e.getClass().getSimpleName() + ")", e);
        }
      }

      @Override
      public void close() {
        // the zip stream stays open for its next entry
      }
    };
  }

  public Manifest manifest(BackupDescriptor d, Age.DecryptionKeys keys) throws IOException {
    byte[] stored;
    // an encrypted manifest is its plaintext plus about 1 % (age's 16 bytes per 64 KiB chunk) and a
    // header
    long cap = ManifestCheck.limit() + ManifestCheck.limit() / 64 + 65_536;
    try (InputStream in = storage.open(BackupIds.key(d.id(), d.manifest()))) {
      stored = Limited.readAll(in, cap, () -> tooLarge(d.id()));
    } catch (StorageException e) {
      if (e.isNotFound())
        throw new CofferException(
            ExitCode.INTEGRITY, "backup " + d.id() + " lacks its manifest " + d.manifest());
      throw e;
    }
    String sha = HexFormat.of().formatHex(HashingOutputStream.sha256().digest(stored));
    if (!sha.equals(d.manifestSha256())) {
      throw new CofferException(
          ExitCode.INTEGRITY,
          "the manifest of backup "
              + d.id()
              + " does not match its checksum: it was damaged or altered");
    }
    byte[] plain;
    // the stored copy is encrypted like the archive (manifest.json.age); an archive file's own is
    // read from inside it
    InputStream raw = new ByteArrayInputStream(stored);
    try (InputStream in = d.manifest().endsWith(".age") ? decrypting(raw, d, keys) : raw) {
      plain = Limited.readAll(in, ManifestCheck.limit(), () -> tooLarge(d.id()));
    } catch (AgeException e) {
      throw fromAge(d.id(), e);
    } catch (IOException e) {
      if (e.getCause() instanceof AgeException ae) throw fromAge(d.id(), ae);
      throw new CofferException(
          ExitCode.INTEGRITY,
          "the manifest of backup " + d.id() + " cannot be decrypted to the end: it is damaged",
          e);
    }
    return parseManifest(plain, d.id());
  }

  /** A manifest's bytes, parsed and checked as a stranger's input for backup {@code id}. */
  public static Manifest parseManifest(byte[] json, String id) {
    Manifest.checkSize(json, id);
    Manifest m;
    try {
      m = Json.readUntrusted(json, Manifest.class);
    } catch (IOException e) {
      throw new CofferException(
          ExitCode.INTEGRITY,
          "the manifest of backup " + id + " is not valid JSON of a Coffer manifest");
    }
    return ManifestCheck.check(m, id);
  }

  private static CofferException tooLarge(String id) {
    return new CofferException(
        ExitCode.INTEGRITY,
        "the manifest of backup " + id + " is larger than " + ManifestCheck.limitWords());
  }

  /**
   * The ids of a backup's chain, the full backup first and this one last; a missing link ends it
   * with {@code "<id> (missing)"}.
   */
  public List<String> chainIds(BackupDescriptor d) throws IOException {
    LinkedList<String> ids = new LinkedList<>();
    ids.addFirst(d.id());
    BackupDescriptor cur = d;
    Set<String> seen = new HashSet<>(ids);
    while (cur.parent() != null) {
      String p = cur.parent();
      if (!seen.add(p) || ids.size() >= 10_000) {
        throw new CofferException(
            ExitCode.INTEGRITY,
            "the chain of backup "
                + d.id()
                + " loops (or passes 10000 links) at "
                + p
                + ": it cannot be restored");
      }
      try {
        cur = descriptor(p);
      } catch (CofferException e) {
        ids.addFirst(p + " (missing)");
        break;
      }
      ids.addFirst(cur.id());
    }
    return ids;
  }

  /**
   * Takes backup {@code id}'s lock for a run described by {@code owner}, waiting up to {@code
   * waitSeconds} for another run that holds it; fails with exit code 8 when it cannot.
   */
  public Storage.Lock lock(String id, String owner, String token, int waitSeconds, EngineLog log)
      throws IOException {
    BackupIds.checkId(id);
    long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
    boolean told = false;
    while (true) {
      String[] holder = new String[1];
      Storage.Lock l = storage.lock(id, owner, token, holder);
      if (l != null) return l;
      if (System.nanoTime() >= deadline) {
        throw new CofferException(
            ExitCode.BUSY,
            "backup "
                + id
                + " in "
                + storage.describe()
                + " is being written by another run ("
                + holder[0]
                + "); wait until it has finished, or choose another "
                + Field.ID.mark());
      }
      if (!told && log != null)
        log.info(
            "backup "
                + id
                + " is being written by another run ("
                + holder[0]
                + "); waiting up to "
                + waitSeconds
                + " s");
      told = true;
      try {
        Thread.sleep(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for the lock of backup " + id);
      }
    }
  }

  public void delete(String id) throws IOException {
    delete(id, null);
  }

  /**
   * Refuses to delete a backup whose archive is under Object Lock until a time still to come: the
   * server would refuse too (or, with versioning, only hide it behind a delete marker).
   */
  public void checkUnlocked(String id, Instant now) throws IOException {
    BackupDescriptor d;
    try {
      d = descriptor(id);
    } catch (CofferException e) {
      if (e.code() == ExitCode.NOT_FOUND) return; // incomplete or gone: nothing was locked
      throw e;
    }
    Optional<Instant> until = storage.retainedUntil(BackupIds.key(id, d.archive()));
    if (until.isPresent() && until.get().isAfter(now))
      throw new CofferException(
          ExitCode.USAGE,
          "backup "
              + id
              + " in "
              + storage.describe()
              + " is under Object Lock until "
              + until.get()
              + ": it cannot be deleted before then (retention deletes it after)");
  }

  /**
   * Deletes backup {@code id} unless another run writes it; a lock left under {@code token} by a
   * run that ended is taken over.
   */
  public void delete(String id, String token) throws IOException {
    BackupIds.checkId(id);
    try (Storage.Lock lock =
        lock(id, "delete run " + UUID.randomUUID().toString().substring(0, 8), token, 0, null)) {
      deleteLocked(id);
    }
  }

  private void deleteLocked(String id) throws IOException {
    // the descriptor goes first, so a half-deleted backup reads as incomplete, never as complete
    if (storage.exists(BackupIds.key(id, BackupDescriptor.FILE)))
      storage.delete(BackupIds.key(id, BackupDescriptor.FILE));
    for (String k : storage.list(id)) storage.delete(k);
    storage.removeLeftovers(id);
  }
}
