package io.coffer.engine;

import io.coffer.engine.archive.HashingInputStream;
import io.coffer.engine.archive.Manifest;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.crypto.AgeException;
import io.coffer.engine.io.Limited;
import io.coffer.engine.mongo.BsonStream;
import io.coffer.engine.mongo.MongoMetadata;
import io.coffer.engine.storage.Storage;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.VerifyResult;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.lingala.zip4j.exception.ZipException;
import net.lingala.zip4j.io.inputstream.ZipInputStream;
import net.lingala.zip4j.model.LocalFileHeader;

/**
 * Checks a stored backup. Shallow: the stored archive's size and SHA-256 against {@code
 * backup.json} (no key needed). Deep: also decrypts, checks every entry against the manifest and
 * every document's BSON.
 */
final class VerifyEngine {
  private final BackupStore store;
  private final EngineLog log;
  private final Progress progress;

  public VerifyEngine(Storage storage, EngineLog log, Progress progress) {
    this.store = new BackupStore(storage);
    this.log = log;
    this.progress = progress;
  }

  public VerifyResult run(String id, boolean deep, Age.DecryptionKeys keys) throws IOException {
    BackupDescriptor d = store.descriptor(id);
    progress.addTotal(d.storedSize());
    progress.phase("verifying");
    Manifest manifest = deep ? store.manifest(d, keys) : null;
    HashingInputStream stored = store.openArchive(d);
    int entries = 0;
    long documents = 0;
    try (stored) {
      if (deep) {
        Map<String, Manifest.Entry> byPath = new HashMap<>();
        for (Manifest.Entry e : manifest.entries()) if (e.archived()) byPath.put(e.path(), e);
        Set<String> skipped = new HashSet<>();
        if (manifest.skipped() != null) manifest.skipped().forEach(sk -> skipped.add(sk.path()));
        InputStream plain = BackupStore.decrypting(new ProgressInput(stored, progress), d, keys);
        ZipInputStream zip = new ZipInputStream(plain, StandardCharsets.UTF_8);
        LocalFileHeader h;
        while ((h = BackupStore.nextEntry(zip, d)) != null) {
          String name = h.getFileName();
          if (name.equals(Manifest.ENTRY_NAME) || skipped.contains(name)) {
            BackupStore.entryContent(zip)
                .transferTo(OutputStream.nullOutputStream()); // read, never kept
            continue;
          }
          Manifest.Entry e = byPath.remove(name);
          if (e == null)
            throw new CofferException(
                ExitCode.INTEGRITY,
                "backup "
                    + id
                    + " holds an entry its manifest does not list (or holds it twice): "
                    + name);
          progress.item(name);
          HashingInputStream entry =
              new HashingInputStream(
                  new Limited(
                      BackupStore.entryContent(zip),
                      e.size(),
                      () ->
                          new CofferException(
                              ExitCode.INTEGRITY,
                              "backup "
                                  + id
                                  + ": entry "
                                  + name
                                  + " holds more than the "
                                  + e.size()
                                  + " bytes its manifest declares")));
          if (e.kind() == Manifest.Kind.symlink) {
            ManifestCheck.linkTarget(entry.readAllBytes(), name);
          } else if (e.kind() == Manifest.Kind.metadata || e.kind() == Manifest.Kind.view) {
            MongoMetadata.parse(entry.readAllBytes(), name, e.kind() == Manifest.Kind.view);
          } else if (e.kind() == Manifest.Kind.bson || e.kind() == Manifest.Kind.oplog) {
            BsonStream bson =
                new BsonStream(
                    entry,
                    name,
                    e.documents() != null && !Boolean.TRUE.equals(e.delta())
                        ? e.documents()
                        : Long.MAX_VALUE);
            byte[] doc;
            // next() walks every element of each document: a malformed one is refused there
            while ((doc = bson.next()) != null) {}
            if (e.documents() != null
                && !Boolean.TRUE.equals(e.delta())
                && bson.count() != e.documents()) {
              throw new CofferException(
                  ExitCode.INTEGRITY,
                  name
                      + " holds "
                      + bson.count()
                      + " documents, the manifest says "
                      + e.documents());
            }
            documents += bson.count();
          }
          String sha = entry.drainAndHash();
          RestoreEngine.check(d, e, entry.count(), sha);
          entries++;
        }
        if (!byPath.isEmpty()) {
          throw new CofferException(
              ExitCode.INTEGRITY,
              "backup "
                  + id
                  + " is truncated: "
                  + byPath.size()
                  + " entries of the manifest are missing, e.g. "
                  + byPath.keySet().iterator().next());
        }
      } else {
        new ProgressInput(stored, progress).transferTo(OutputStream.nullOutputStream());
      }
      String sha = stored.drainAndHash();
      if (stored.count() != d.storedSize() || !sha.equals(d.sha256())) {
        throw new CofferException(
            ExitCode.INTEGRITY,
            "backup "
                + id
                + " does not match its checksum: stored "
                + stored.count()
                + " bytes with SHA-256 "
                + sha
                + ", expected "
                + d.storedSize()
                + " bytes with "
                + d.sha256()
                + "; do not restore from it");
      }
    } catch (AgeException e) {
      throw BackupStore.fromAge(id, e);
    } catch (ZipException e) {
      throw new CofferException(
          ExitCode.INTEGRITY, "backup " + id + " is damaged: " + BackupStore.reason(e), e);
    } catch (IOException e) {
      if (e.getCause() instanceof AgeException ae) throw BackupStore.fromAge(d.id(), ae);
      throw new CofferException(
          ExitCode.INTEGRITY,
          "backup "
              + d.id()
              + " cannot be read to the end ("
              + BackupStore.reason(e)
              + "): it is damaged or truncated, or the storage failed mid-way",
          e);
    }
    progress.phase("done");
    String chainNote = "";
    if (d.parent() != null) {
      // an increment restores only with its whole chain: every earlier link must still be there
      List<String> chain = store.chainIds(d);
      if (chain.get(0).endsWith(" (missing)")) {
        throw new CofferException(
            ExitCode.INTEGRITY,
            "backup "
                + id
                + " is incremental and its chain lacks backup "
                + chain.get(0).replace(" (missing)", "")
                + ": it cannot be restored; verify an earlier point or take a full backup");
      }
      chainNote = "; its chain of " + chain.size() + " backups is complete";
    }
    String msg =
        (deep
                ? "archive checksum, "
                    + entries
                    + " entries and "
                    + documents
                    + " documents verified"
                : "archive checksum verified (" + d.storedSize() + " bytes)")
            + chainNote;
    log.info("verify " + id + ": " + msg);
    return new VerifyResult(
        "Verified",
        id,
        deep,
        d.sha256(),
        d.storedSize(),
        deep ? entries : null,
        deep ? documents : null,
        msg,
        Math.round(progress.elapsedSeconds() * 100) / 100.0);
  }

  /** Counts stored bytes read into the progress. */
  static final class ProgressInput extends FilterInputStream {
    private final Progress progress;

    ProgressInput(InputStream in, Progress progress) {
      super(in);
      this.progress = progress;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) progress.addBytes(n);
      return n;
    }
  }
}
