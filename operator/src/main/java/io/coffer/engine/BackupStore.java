package io.coffer.engine;

import io.coffer.engine.archive.HashingInputStream;
import io.coffer.engine.archive.Json;
import io.coffer.engine.archive.Manifest;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.crypto.AgeException;
import io.coffer.engine.storage.Storage;
import io.coffer.engine.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The layout of backups in a storage location: {@code <ID>/archive.zip[.age]}, {@code <ID>/manifest.json[.age]},
 * {@code <ID>/backup.log} and {@code <ID>/backup.json} (written last).
 */
public final class BackupStore {
  /**
   * Where an object of a backup lies, for people: {@code s3://bucket/prefix/ID/archive.zip (at http://endpoint)}
   * or {@code file:///root/ID/archive.zip}, from a storage description as {@link Storage#describe()} gives it.
   */
  public static String locate(String storageDescription, String id, String name) {
    int at = storageDescription.indexOf(" at ");
    String base = at < 0 ? storageDescription : storageDescription.substring(0, at);
    String where = base.replaceAll("/+$", "") + "/" + id + "/" + name;
    return at < 0 ? where : where + " (" + storageDescription.substring(at + 1) + ")";
  }

  public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private final Storage storage;

  public BackupStore(Storage storage) {
    this.storage = storage;
  }

  public Storage storage() {
    return storage;
  }

  public static String checkId(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw CofferException.usage("bad backup id '" + id + "': use letters, digits, '.', '_' or '-' (at most 128), starting with a letter or digit");
    }
    return id;
  }

  public static String key(String id, String name) {
    return id + "/" + name;
  }

  /** A listed backup: its descriptor, or null when the folder holds an incomplete backup. */
  public record Listed(String id, BackupDescriptor descriptor) {
    public boolean complete() {
      return descriptor != null;
    }
  }

  public BackupDescriptor descriptor(String id) throws IOException {
    checkId(id);
    byte[] bytes;
    try (InputStream in = storage.open(key(id, BackupDescriptor.FILE))) {
      bytes = in.readAllBytes();
    } catch (StorageException e) {
      if (!e.isNotFound()) throw e;
      if (!storage.list(id).isEmpty()) {
        throw new CofferException(ExitCode.NOT_FOUND, "backup " + id + " in " + storage.describe()
            + " is incomplete (no " + BackupDescriptor.FILE + "): it was interrupted and cannot be used; run a new backup");
      }
      throw new CofferException(ExitCode.NOT_FOUND, "no backup " + id + " in " + storage.describe() + "; `coffer list` shows the backups there");
    }
    try {
      BackupDescriptor d = Json.read(bytes, BackupDescriptor.class);
      if (!BackupDescriptor.FORMAT.equals(d.format())) throw new IOException("not a coffer descriptor");
      return d;
    } catch (IOException e) {
      throw new CofferException(ExitCode.INTEGRITY, "the descriptor of backup " + id + " is damaged (" + BackupDescriptor.FILE + " is not valid)");
    }
  }

  public List<Listed> list() throws IOException {
    List<Listed> out = new ArrayList<>();
    for (String id : storage.listFolders()) {
      if (!ID.matcher(id).matches()) continue;
      try {
        out.add(new Listed(id, descriptor(id)));
      } catch (CofferException e) {
        if (e.code() == ExitCode.NOT_FOUND && storage.list(id).isEmpty()) continue;
        out.add(new Listed(id, null));
      }
    }
    out.sort(Comparator.comparing((Listed l) -> l.descriptor() == null ? "" : l.descriptor().createdAt())
        .thenComparing(Listed::id).reversed());
    return out;
  }

  /** The stored archive, hashed as it is read so the caller can compare with the descriptor at the end. */
  public HashingInputStream openArchive(BackupDescriptor d) throws IOException {
    return new HashingInputStream(storage.open(key(d.id(), d.archive())));
  }

  /** Decrypts if the backup is encrypted; key problems become exit code 6, damage exit code 5. */
  public static InputStream decrypting(InputStream in, BackupDescriptor d, Age.DecryptionKeys keys) throws IOException {
    if (!d.encrypted()) return in;
    if (keys == null) {
      throw new CofferException(ExitCode.KEY, "backup " + d.id() + " is encrypted (" + d.encryption()
          + "); give --identity-file (or --passphrase-file for passphrase backups)");
    }
    try {
      return Age.decrypt(in, keys);
    } catch (AgeException e) {
      throw fromAge(d.id(), e);
    }
  }

  public static CofferException fromAge(String id, AgeException e) {
    if (e.kind() == AgeException.Kind.NO_MATCHING_KEY) {
      return new CofferException(ExitCode.KEY, "backup " + id + ": " + e.getMessage(), e);
    }
    return new CofferException(ExitCode.INTEGRITY, "backup " + id + ": " + e.getMessage(), e);
  }

  /** The next zip entry; damage becomes exit code 5, a key problem surfacing here stays an age error. */
  static net.lingala.zip4j.model.LocalFileHeader nextEntry(net.lingala.zip4j.io.inputstream.ZipInputStream zip, BackupDescriptor d)
      throws IOException {
    try {
      return zip.getNextEntry();
    } catch (AgeException e) {
      throw e;
    } catch (IOException e) {
      if (e.getCause() instanceof AgeException ae) throw ae;
      throw new CofferException(ExitCode.INTEGRITY, "backup " + d.id() + " is damaged or truncated (" + e.getMessage() + ")", e);
    }
  }

  public Manifest manifest(BackupDescriptor d, Age.DecryptionKeys keys) throws IOException {
    byte[] stored;
    try (InputStream in = storage.open(key(d.id(), d.manifest()))) {
      stored = in.readAllBytes();
    } catch (StorageException e) {
      if (e.isNotFound()) throw new CofferException(ExitCode.INTEGRITY, "backup " + d.id() + " lacks its manifest " + d.manifest());
      throw e;
    }
    String sha = HexFormat.of().formatHex(io.coffer.engine.archive.HashingOutputStream.sha256().digest(stored));
    if (!sha.equals(d.manifestSha256())) {
      throw new CofferException(ExitCode.INTEGRITY, "the manifest of backup " + d.id() + " does not match its checksum: it was damaged or altered");
    }
    byte[] plain;
    // the stored copy is encrypted like the archive (manifest.json.age); an archive file's own is read from inside it
    InputStream raw = new java.io.ByteArrayInputStream(stored);
    try (InputStream in = d.manifest().endsWith(".age") ? decrypting(raw, d, keys) : raw) {
      plain = in.readAllBytes();
    } catch (AgeException e) {
      throw fromAge(d.id(), e);
    }
    try {
      return Json.read(plain, Manifest.class);
    } catch (IOException e) {
      throw new CofferException(ExitCode.INTEGRITY, "the manifest of backup " + d.id() + " is not valid JSON");
    }
  }

  /**
   * The ids of a backup's chain, the full backup first and this one last; a missing link ends it with
   * {@code "<id> (missing)"}.
   */
  public List<String> chainIds(BackupDescriptor d) throws IOException {
    java.util.LinkedList<String> ids = new java.util.LinkedList<>();
    ids.addFirst(d.id());
    BackupDescriptor cur = d;
    while (cur.parent() != null && ids.size() < 10_000) {
      String p = cur.parent();
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

  public void delete(String id) throws IOException {
    checkId(id);
    // the descriptor goes first, so a half-deleted backup reads as incomplete, never as complete
    if (storage.exists(key(id, BackupDescriptor.FILE))) storage.delete(key(id, BackupDescriptor.FILE));
    for (String k : storage.list(id)) storage.delete(k);
    storage.removeLeftovers(id);
  }
}
