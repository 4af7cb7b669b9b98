package io.coffer.engine;

import io.coffer.engine.archive.HashingInputStream;
import io.coffer.engine.archive.HashingOutputStream;
import io.coffer.engine.archive.Manifest;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.Json;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.crypto.AgeException;
import io.coffer.engine.io.Limited;
import io.coffer.engine.storage.BackupIds;
import io.coffer.engine.storage.FileStorage;
import io.coffer.engine.storage.Storage;
import io.coffer.engine.storage.StorageException;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import net.lingala.zip4j.io.inputstream.ZipInputStream;
import net.lingala.zip4j.model.LocalFileHeader;

/**
 * One backup's archive on its own, away from its storage (what {@code coffer download} writes, or a
 * copy someone handed over): read once to find the manifest it carries as its last entry, then
 * served as a read-only storage holding that one backup, so restore, inspect and verify work on it
 * unchanged. An incremental backup's archive holds only changes and cannot stand alone.
 */
final class ArchiveFile implements Storage {
  private static final byte[] AGE_MAGIC =
      "age-encryption.org/v1\n".getBytes(StandardCharsets.US_ASCII);
  private static final String MANIFEST = "manifest.json";

  /**
   * Where the archive's bytes are: a local file, or one object in a storage (an upload the console
   * staged, or a downloaded archive put in a bucket). Read twice: once for the manifest, once for
   * the restore, which checks the bytes against the first read's checksum.
   */
  interface Origin extends AutoCloseable {
    /** How messages name it: the path, or "KEY in STORAGE". */
    String name();

    InputStream open() throws IOException;

    long size() throws IOException;

    @Override
    default void close() {}
  }

  private static Origin local(Path file) {
    return new Origin() {
      @Override
      public String name() {
        return file.toString();
      }

      @Override
      public InputStream open() throws IOException {
        return Files.newInputStream(file);
      }

      @Override
      public long size() throws IOException {
        return Files.size(file);
      }
    };
  }

  /** {@code key} in {@code storage}, which the archive file closes with itself. */
  private static Origin stored(Storage storage, String key) {
    return new Origin() {
      @Override
      public String name() {
        return key + " in " + storage.describe();
      }

      @Override
      public InputStream open() throws IOException {
        return storage.open(key);
      }

      @Override
      public long size() throws IOException {
        return storage.size(key).orElseThrow(() -> StorageException.notFound(name()));
      }

      @Override
      public void close() {
        storage.close();
      }
    };
  }

  private final Origin file;
  private final BackupDescriptor descriptor;
  private final byte[] manifest;

  private ArchiveFile(Origin file, BackupDescriptor descriptor, byte[] manifest) {
    this.file = file;
    this.descriptor = descriptor;
    this.manifest = manifest;
  }

  /** The backup's id: what restore, inspect and verify take as {@code --backup}. */
  public String backupId() {
    return descriptor.id();
  }

  /**
   * Reads {@code file} through once (decrypting with {@code keys} if it is age-encrypted) for its
   * manifest and checksum.
   */
  public static ArchiveFile open(Path path, Age.DecryptionKeys keys) throws IOException {
    if (Files.exists(path) && !Files.isRegularFile(path)) {
      throw CofferException.usage(
          Field.ARCHIVE.mark()
              + " "
              + path
              + " is not a file ("
              + Field.ARCHIVE.mark()
              + " takes an archive as `coffer download` writes it)");
    }
    if (!Files.exists(path))
      throw CofferException.usage(
          "no file "
              + path
              + " ("
              + Field.ARCHIVE.mark()
              + " takes an archive as `coffer download` writes it)");
    return read(local(path), String.valueOf(path.getFileName()), keys);
  }

  /**
   * {@link #open(Path, Age.DecryptionKeys)} of the object {@code key} in {@code storage} (closed
   * with the archive file, or at once when it cannot be read).
   */
  public static ArchiveFile open(Storage storage, String key, Age.DecryptionKeys keys)
      throws IOException {
    return open(storage, key, keys, null);
  }

  /**
   * The same, refused (exit 5) unless the object's SHA-256 is {@code sha256} (an upload's, as its
   * uploader announced it); null: any.
   */
  public static ArchiveFile open(
      Storage storage, String key, Age.DecryptionKeys keys, String sha256) throws IOException {
    Origin origin = stored(storage, key);
    try {
      // a volume's file that leads out of it through a symbolic link is refused
      if (storage instanceof FileStorage fs) fs.path(key);
      if (storage.size(key).isEmpty())
        throw CofferException.usage(
            "no object "
                + origin.name()
                + " ("
                + Field.ARCHIVE.mark()
                + " with "
                + Field.STORAGE.mark()
                + " names an archive in that storage by its path, as `coffer download` writes it)");
      ArchiveFile a = read(origin, key.substring(key.lastIndexOf('/') + 1), keys);
      if (sha256 != null) expect(sha256, a.descriptor.sha256(), key);
      return a;
    } catch (IOException | RuntimeException e) {
      origin.close();
      throw e;
    }
  }

  /**
   * Refuses (exit 5) a file whose SHA-256 is not the one its uploader announced: it was replaced
   * after the upload (whoever held the upload URL may write it until it expires).
   */
  static void expect(String announced, String read, String key) {
    if (!announced.equalsIgnoreCase(read))
      throw new CofferException(
          ExitCode.INTEGRITY,
          key
              + " is not the file that was uploaded (its SHA-256 is not the one announced): it was"
              + " replaced after the upload; upload it again. Nothing was restored");
  }

  private static ArchiveFile read(Origin file, String name, Age.DecryptionKeys keys)
      throws IOException {
    HashingInputStream hashed = new HashingInputStream(file.open());
    try (hashed) {
      BufferedInputStream in = new BufferedInputStream(hashed, 1 << 16);
      in.mark(AGE_MAGIC.length);
      boolean encrypted = Arrays.equals(in.readNBytes(AGE_MAGIC.length), AGE_MAGIC);
      in.reset();
      if (encrypted && keys == null) {
        throw new CofferException(
            ExitCode.KEY,
            file.name()
                + " is age-encrypted; give "
                + Field.IDENTITY.mark()
                + " (or "
                + Field.DECRYPTION_PASSPHRASE.mark()
                + " for passphrase backups)");
      }
      byte[] json = null;
      try {
        InputStream plain = encrypted ? Age.decrypt(in, keys) : in;
        var zip = new ZipInputStream(plain);
        LocalFileHeader h;
        while ((h = zip.getNextEntry()) != null) {
          InputStream content = BackupStore.entryContent(zip);
          if (Manifest.ENTRY_NAME.equals(h.getFileName()) && json == null) {
            json =
                Limited.readAll(
                    content,
                    ManifestCheck.limit(),
                    () ->
                        new CofferException(
                            ExitCode.INTEGRITY,
                            file.name()
                                + " holds a "
                                + Manifest.ENTRY_NAME
                                + " larger than "
                                + ManifestCheck.limitWords()));
          } else {
            content.transferTo(OutputStream.nullOutputStream());
          }
        }
      } catch (AgeException e) {
        throw BackupStore.fromAge(name, e);
      } catch (CofferException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new CofferException(
            ExitCode.INTEGRITY,
            file.name()
                + " is not a readable Coffer archive (malformed zip: "
                + e.getClass().getSimpleName()
                + ")",
            e);
      } catch (IOException e) {
        if (e.getCause() instanceof AgeException ae) throw BackupStore.fromAge(name, ae);
        if (json == null) {
          throw new CofferException(
              ExitCode.INTEGRITY,
              file.name() + " is not a readable Coffer archive (" + BackupStore.reason(e) + ")",
              e);
        }
      }
      if (json == null) {
        throw new CofferException(
            ExitCode.INTEGRITY,
            file.name()
                + " is not a Coffer archive, or is truncated: it holds no "
                + Manifest.ENTRY_NAME);
      }
      String sha256 = hashed.drainAndHash(); // the whole file, whatever the zip reader left unread
      Manifest m;
      Manifest.checkSize(json, name);
      try {
        m = Json.readUntrusted(json, Manifest.class);
      } catch (IOException e) {
        throw new CofferException(
            ExitCode.INTEGRITY,
            "the manifest in " + file.name() + " is not valid JSON of a Coffer manifest");
      }
      if (m == null || !Manifest.FORMAT.equals(m.format()) || m.id() == null) {
        throw new CofferException(
            ExitCode.INTEGRITY,
            file.name()
                + " is not a Coffer archive ("
                + Manifest.ENTRY_NAME
                + " of another format)");
      }
      if (!BackupIds.ID.matcher(m.id()).matches()) {
        throw new CofferException(
            ExitCode.INTEGRITY,
            file.name() + " names a backup id no Coffer backup has ('" + m.id() + "')");
      }
      ManifestCheck.check(m, m.id());
      if (m.parent() != null) {
        throw CofferException.usage(
            file.name()
                + " holds backup "
                + m.id()
                + ", an incremental backup: only its changes since backup "
                + m.parent()
                + ". Restore it from its storage location, where its chain lies ("
                + Field.STORAGE.mark()
                + " ... "
                + Field.BACKUP_ID.mark()
                + " "
                + m.id()
                + ")");
      }
      int collections = 0;
      long documents = 0;
      long files = 0;
      long raw = 0;
      for (Manifest.Entry e : m.entries()) {
        if (e.archived()) raw += e.size();
        if (e.kind() == Manifest.Kind.bson) {
          collections++;
          documents += e.documents() == null ? 0 : e.documents();
        }
        if (e.kind() == Manifest.Kind.file) files++;
      }
      String manifestSha = HexFormat.of().formatHex(HashingOutputStream.sha256().digest(json));
      BackupDescriptor d =
          new BackupDescriptor(
              BackupDescriptor.FORMAT,
              1,
              m.id(),
              m.createdAt(),
              null,
              m.type(),
              encrypted ? "archive.zip.age" : "archive.zip",
              hashed.count(),
              sha256,
              raw,
              encrypted,
              encrypted ? "age" : null,
              null,
              MANIFEST,
              manifestSha,
              collections,
              documents,
              files,
              m.skipped() == null ? 0 : m.skipped().size(),
              null,
              null,
              null);
      return new ArchiveFile(file, d, json);
    }
  }

  @Override
  public String describe() {
    return "archive file " + file.name();
  }

  @Override
  public InputStream open(String key) throws IOException {
    if (key.equals(BackupIds.key(descriptor.id(), descriptor.archive()))) return file.open();
    if (key.equals(BackupIds.key(descriptor.id(), BackupDescriptor.FILE)))
      return new ByteArrayInputStream(Json.pretty(descriptor).getBytes(StandardCharsets.UTF_8));
    if (key.equals(BackupIds.key(descriptor.id(), MANIFEST)))
      return new ByteArrayInputStream(manifest);
    throw StorageException.notFound(key + " is not in " + describe());
  }

  @Override
  public OptionalLong size(String key) throws IOException {
    if (key.equals(BackupIds.key(descriptor.id(), descriptor.archive())))
      return OptionalLong.of(file.size());
    return OptionalLong.empty();
  }

  @Override
  public List<String> listFolders() {
    return List.of(descriptor.id());
  }

  @Override
  public List<String> list(String folder) {
    return folder.equals(descriptor.id())
        ? List.of(BackupIds.key(descriptor.id(), descriptor.archive()))
        : List.of();
  }

  @Override
  public AtomicOutput create(String key) throws IOException {
    throw new IOException(describe() + " is read-only");
  }

  @Override
  public void delete(String key) throws IOException {
    throw new IOException(describe() + " is read-only");
  }

  @Override
  public void close() {
    file.close();
  }

  @Override
  public int removeLeftovers(String folder) {
    return 0;
  }

  @Override
  public Lock lock(String folder, String owner, String token, String[] holder) {
    return new Lock() {
      @Override
      public void check() {}

      @Override
      public void close() {}
    };
  }

  @Override
  public boolean createIfAbsent(String key, byte[] content) throws IOException {
    throw new IOException(describe() + " is read-only");
  }
}
