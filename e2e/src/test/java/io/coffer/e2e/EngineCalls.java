package io.coffer.e2e;

import io.coffer.engine.Confirmation;
import io.coffer.engine.Engine;
import io.coffer.engine.Secrets;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.engine.storage.Storage;
import io.coffer.protocol.BackupRequest;
import io.coffer.protocol.BackupResult;
import io.coffer.protocol.Request;
import io.coffer.protocol.RestoreRequest;
import io.coffer.protocol.RestoreResult;
import io.coffer.protocol.VerifyRequest;
import io.coffer.protocol.VerifyResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The engine as the e2e tests and benchmarks call it in-process: through its front door ({@link
 * Engine}) with the same request records a Job runs, into a storage the test opened (one that fails
 * on cue, or a volume it inspects). Keys and passphrases reach the engine as files, as in a Job's
 * mounted Secret. Nothing is simulated here: it only builds requests.
 */
public final class EngineCalls {
  private EngineCalls() {}

  /** A run's context: no log file, fresh progress, the MongoDB URI as a person types it. */
  public static Engine.Context context(String mongoUri) {
    return new Engine.Context(
        new EngineLog(null),
        new Progress(),
        new Secrets(Map.of()),
        mongoUri,
        Confirmation.GIVEN,
        InputStream.nullInputStream());
  }

  /** A file holding {@code text} (a key, a passphrase), as a mounted Secret would. */
  public static String secretFile(Path dir, String name, String text) throws IOException {
    Files.createDirectories(dir);
    Path f = dir.resolve(name);
    Files.writeString(f, text + "\n");
    return f.toString();
  }

  /** Decryption with this identity, written to a file in {@code dir}. */
  public static Request.Decryption identity(Path dir, AgeKeys.Identity id) throws IOException {
    return new Request.Decryption(
        secretFile(dir, "identity-" + id.recipient().encoded().substring(4, 14), id.encoded()),
        null);
  }

  /** Decryption with this passphrase, written to a file in {@code dir}. */
  public static Request.Decryption passphrase(Path dir, String passphrase) throws IOException {
    return new Request.Decryption(
        null,
        secretFile(dir, "passphrase-" + Integer.toHexString(passphrase.hashCode()), passphrase));
  }

  /** What a backup takes: its type, databases (include patterns) and trees. */
  public record What(String type, List<String> include, List<Request.Tree> files) {
    public static What databases(String... include) {
      return new What("database", List.of(include), List.of());
    }

    public static What files(Request.Tree... trees) {
      return new What("files", List.of(), List.of(trees));
    }

    public What withFiles(Request.Tree... trees) {
      return new What("full", include, List.of(trees));
    }
  }

  /**
   * A backup with id {@code id}: {@code recipient} null is unencrypted; {@code compression}
   * "deflate" or "store" at {@code level}; {@code parent} non-null makes it an increment.
   */
  public static BackupResult backup(
      Storage storage,
      String mongoUri,
      String id,
      What what,
      AgeKeys.Recipient recipient,
      String compression,
      int level,
      int timeoutSeconds,
      String parent,
      String indexKeyFile)
      throws IOException {
    BackupRequest r =
        new BackupRequest(
            id,
            parent != null ? "incremental" : what.type(),
            null,
            new BackupRequest.Mongo(
                null, what.include(), List.of(), List.of(), null, timeoutSeconds),
            what.files(),
            List.of(),
            List.of(),
            recipient == null
                ? null
                : new BackupRequest.Encryption(List.of(recipient.encoded()), null, null),
            new BackupRequest.Compression(compression, level),
            parent == null && indexKeyFile == null
                ? null
                : new BackupRequest.Chain(parent, indexKeyFile),
            null,
            null,
            null);
    return Engine.backup(r, storage, context(mongoUri));
  }

  /** A backup of databases only, deflated at level 1, full. */
  public static BackupResult backup(
      Storage storage, String mongoUri, String id, What what, AgeKeys.Recipient recipient)
      throws IOException {
    return backup(storage, mongoUri, id, what, recipient, "deflate", 1, 10, null, null);
  }

  /**
   * A restore of backup {@code id} in mode replace, confirmed: databases renamed by {@code rename},
   * trees into {@code files}.
   */
  public static RestoreResult restore(
      Storage storage,
      String mongoUri,
      String id,
      Request.Decryption keys,
      Map<String, String> rename,
      List<Request.Tree> files)
      throws IOException {
    RestoreRequest r =
        new RestoreRequest(
            new RestoreRequest.Source(id, null, null),
            null,
            keys,
            new RestoreRequest.Mongo(null, List.of(), List.of(), List.of(), rename, false, 10),
            List.of(),
            null,
            files,
            "replace",
            false,
            true,
            null,
            null);
    return Engine.restore(r, storage, context(mongoUri));
  }

  /**
   * A restore of a mongodump ({@code dump}: a folder or an archive file), in mode replace,
   * confirmed, databases renamed by {@code rename}.
   */
  public static RestoreResult restoreMongodump(
      String dump, String mongoUri, Map<String, String> rename) throws IOException {
    RestoreRequest r =
        new RestoreRequest(
            new RestoreRequest.Source(null, null, dump),
            null,
            null,
            new RestoreRequest.Mongo(null, List.of(), List.of(), List.of(), rename, false, 10),
            List.of(),
            null,
            List.of(),
            "replace",
            false,
            true,
            null,
            null);
    return Engine.restore(r, context(mongoUri));
  }

  /** Verifies backup {@code id}: its checksum, or with {@code keys} every entry. */
  public static VerifyResult verify(Storage storage, String id, Request.Decryption keys)
      throws IOException {
    return Engine.verify(
        new VerifyRequest(id, null, null, keys != null, keys, null), storage, context(null));
  }
}
