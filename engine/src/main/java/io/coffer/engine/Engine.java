package io.coffer.engine;

import com.mongodb.client.MongoClient;
import io.coffer.engine.archive.Compression;
import io.coffer.engine.archive.HashingInputStream;
import io.coffer.engine.archive.Manifest;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Printable;
import io.coffer.engine.base.Progress;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.crypto.AgeException;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.engine.crypto.Encryption;
import io.coffer.engine.files.FileTreeDumper;
import io.coffer.engine.mongo.ModuleMap;
import io.coffer.engine.mongo.MongoConnection;
import io.coffer.engine.mongo.MongoRestorer;
import io.coffer.engine.mongo.MongoTls;
import io.coffer.engine.mongo.Selection;
import io.coffer.engine.pitr.OplogArchiver;
import io.coffer.engine.pitr.Slices;
import io.coffer.engine.pitr.Windows;
import io.coffer.engine.storage.BackupIds;
import io.coffer.engine.storage.FileStorage;
import io.coffer.engine.storage.S3Storage;
import io.coffer.engine.storage.Storage;
import io.coffer.engine.storage.StorageLocations;
import io.coffer.engine.storage.ThrottledStorage;
import io.coffer.protocol.BackupRequest;
import io.coffer.protocol.BackupResult;
import io.coffer.protocol.CopyRequest;
import io.coffer.protocol.CopyResult;
import io.coffer.protocol.DeleteRequest;
import io.coffer.protocol.DeleteResult;
import io.coffer.protocol.DrillRequest;
import io.coffer.protocol.DrillResult;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import io.coffer.protocol.OplogArchiveRequest;
import io.coffer.protocol.OplogWindow;
import io.coffer.protocol.Request;
import io.coffer.protocol.RestoreRequest;
import io.coffer.protocol.RestoreResult;
import io.coffer.protocol.ShareRequest;
import io.coffer.protocol.ShareResult;
import io.coffer.protocol.UploadRequest;
import io.coffer.protocol.UploadResult;
import io.coffer.protocol.VerifyRequest;
import io.coffer.protocol.VerifyResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The engine's front door: one call per request kind, the same for a Job ({@code coffer run
 * --request FILE}) and a person at a terminal (whose flags become the same requests). A failure is
 * a {@link CofferException} whose message names request fields with marks ({@link Field#mark()}),
 * which the caller renders in its own words.
 */
public final class Engine {
  private Engine() {}

  /**
   * What a run has besides its request: where it logs and counts progress, the environment it may
   * fall back to for secrets, a MongoDB URI a person typed ({@code --mongodb-uri}: never part of a
   * request), who confirms a destructive restore, and standard input (a mongodump archive piped
   * in).
   */
  public record Context(
      EngineLog log,
      Progress progress,
      Secrets secrets,
      String typedMongoUri,
      Confirmation confirmation,
      InputStream stdin) {
    public Context(EngineLog log, Progress progress, Map<String, String> env) {
      this(
          log, progress, new Secrets(env), null, Confirmation.GIVEN, InputStream.nullInputStream());
    }
  }

  /**
   * The storage a request names, with its credentials from the files it names (else the
   * environment).
   */
  public static Storage openStorage(Request.StorageRef ref, Secrets secrets) {
    if (ref == null || ref.uri() == null) {
      throw CofferException.usage(
          "give "
              + Field.STORAGE.mark()
              + ": where backups live, s3://bucket/prefix or file:///path");
    }
    Request.S3 s3 = ref.s3() == null ? new Request.S3(null, null, null, null, null) : ref.s3();
    Map<String, String> env = new HashMap<>();
    for (String name : List.of("COFFER_S3_ENDPOINT", "AWS_REGION", "COFFER_S3_CA_FILE")) {
      if (secrets.env(name) != null) env.put(name, secrets.env(name));
    }
    if (ref.uri().startsWith("s3://")) {
      String ak =
          secrets.fileOrEnv(s3.accessKeyIdFile(), "AWS_ACCESS_KEY_ID", Field.S3_CREDENTIALS);
      String sk =
          secrets.fileOrEnv(
              s3.secretAccessKeyFile(), "AWS_SECRET_ACCESS_KEY", Field.S3_CREDENTIALS);
      if (ak != null) env.put("AWS_ACCESS_KEY_ID", ak);
      if (sk != null) env.put("AWS_SECRET_ACCESS_KEY", sk);
    }
    Storage s =
        StorageLocations.open(
            ref.uri(),
            s3.endpoint(),
            s3.region(),
            s3.caFile() == null ? null : Path.of(s3.caFile()),
            env);
    if (ref.objectLock() != null) s = withObjectLock(s, ref.objectLock());
    Integer limit = ref.uploadLimitMiBps();
    if (limit == null) return s;
    if (limit <= 0) {
      s.close();
      throw CofferException.usage(
          Field.UPLOAD_LIMIT.mark() + " must be a positive number of MiB/s, not " + limit);
    }
    return new ThrottledStorage(s, limit * 1024L * 1024L);
  }

  /**
   * The storage with the Object Lock a request asks for: S3 only, a known mode, 1 to 36500 days.
   */
  private static Storage withObjectLock(Storage s, Request.ObjectLock lock) {
    String mode = lock.mode() == null ? "" : lock.mode().toUpperCase(Locale.ROOT);
    String why =
        !(s instanceof S3Storage)
            ? "needs S3 storage: a volume has no Object Lock"
            : !mode.equals("GOVERNANCE") && !mode.equals("COMPLIANCE")
                ? "has mode '"
                    + Printable.escape(String.valueOf(lock.mode()))
                    + "'; give GOVERNANCE or COMPLIANCE"
                : lock.days() < 1 || lock.days() > 36500 ? "must keep 1 to 36500 days" : null;
    if (why != null) {
      s.close();
      throw CofferException.usage(Field.OBJECT_LOCK.mark() + " " + why);
    }
    return ((S3Storage) s).withObjectLock(new Storage.ObjectLock(mode, lock.days()));
  }

  public static BackupResult backup(BackupRequest r, Context c) throws IOException {
    BackupPlan p = backupPlan(r, c);
    try (Storage storage = openStorage(r.storage(), c.secrets())) {
      return backup(p, storage, c);
    }
  }

  private static BackupPlan backupPlan(BackupRequest r, Context c) {
    String type = r.type() == null ? "database" : r.type();
    String parent = r.chain() == null ? null : r.chain().parent();
    boolean incremental = type.equalsIgnoreCase("incremental");
    if (incremental && parent == null) {
      throw CofferException.usage(
          Field.TYPE.mark()
              + " incremental needs "
              + Field.PARENT.mark()
              + " ID: the backup it builds on (`coffer list` shows them)");
    }
    if (!incremental && parent != null)
      throw CofferException.usage(
          Field.PARENT.mark() + " goes with " + Field.TYPE.mark() + " incremental");
    BackupType declared = incremental ? null : BackupType.parse(type);
    Encryption enc = encryption(r.encryption(), c.secrets());
    BackupRequest.Compression z =
        r.compression() == null ? new BackupRequest.Compression(null, null) : r.compression();
    Compression compression;
    try {
      compression = Compression.parse(z.method() == null ? "deflate" : z.method());
    } catch (IllegalArgumentException ex) {
      throw CofferException.usage(ex.getMessage());
    }
    BackupRequest.Mongo m =
        r.mongodb() == null
            ? new BackupRequest.Mongo(null, null, null, null, null, null)
            : r.mongodb();
    // read as a mounted ConfigMap is: a missing one may yet be created, so the attempt is retried
    ModuleMap map =
        m.moduleMapFile() == null
            ? null
            : ModuleMap.parse(
                c.secrets().readFile(Path.of(m.moduleMapFile()), Field.MODULE_MAP),
                m.moduleMapFile());
    Selection sel = new Selection(m.include(), m.exclude(), m.modules(), map);
    List<FileTreeDumper.Tree> trees = new ArrayList<>();
    for (Request.Tree t : r.files()) {
      String name = t.name();
      if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
        throw CofferException.usage(
            "file tree name '"
                + Printable.escape(String.valueOf(name))
                + "' must be letters, digits, '.', '_' or '-'");
      }
      if (trees.stream().anyMatch(x -> x.name().equals(name)))
        throw CofferException.usage("file tree name '" + name + "' is given twice");
      if (t.path() == null || t.path().isBlank())
        throw CofferException.usage(Field.FILES.mark(trees.size()) + " needs a directory");
      trees.add(new FileTreeDumper.Tree(name, Path.of(t.path()).toAbsolutePath().normalize()));
    }
    String id = r.id() != null ? r.id() : defaultId();
    char[] indexKey = c.secrets().indexKey(r.chain() == null ? null : r.chain().indexKeyFile());
    boolean keepExisting = keepExisting(r.existing());
    int level = z.level() == null ? Compression.DEFAULT_LEVEL : z.level();
    int timeout = m.timeoutSeconds() == null ? 15 : m.timeoutSeconds();
    int lockWait = r.lock() == null || r.lock().waitSeconds() == null ? 0 : r.lock().waitSeconds();
    String lockToken = r.lock() == null ? null : r.lock().token();
    return new BackupPlan(
        id,
        declared,
        m.uriFile(),
        m.tls(),
        sel,
        trees,
        r.filesInclude(),
        r.filesExclude(),
        enc,
        compression,
        level,
        timeout,
        parent,
        indexKey,
        lockWait,
        lockToken,
        keepExisting);
  }

  /** What a request's encryption says: recipients, a passphrase, or none (not both). */
  private static Encryption encryption(BackupRequest.Encryption given, Secrets secrets) {
    BackupRequest.Encryption e =
        given == null ? new BackupRequest.Encryption(null, null, null) : given;
    List<AgeKeys.Recipient> rcpts = secrets.recipients(e.recipients(), e.recipientsFile());
    if (e.passphraseFile() != null) {
      if (!rcpts.isEmpty())
        throw CofferException.usage(
            "use either recipients or " + Field.PASSPHRASE.mark() + ", not both");
      return Encryption.withPassphrase(
          secrets.passphrase(e.passphraseFile(), Field.PASSPHRASE), Age.DEFAULT_SCRYPT_LOG_N);
    }
    return rcpts.isEmpty() ? Encryption.NONE : Encryption.toRecipients(rcpts);
  }

  /** A backup request read and checked, before its storage is opened. */
  private record BackupPlan(
      String id,
      BackupType declared,
      String uriFile,
      Request.MongoTls tls,
      Selection selection,
      List<FileTreeDumper.Tree> trees,
      List<String> filesInclude,
      List<String> filesExclude,
      Encryption encryption,
      Compression compression,
      int level,
      int timeout,
      String parent,
      char[] indexKey,
      int lockWait,
      String lockToken,
      boolean keepExisting) {}

  /**
   * {@link #backup(BackupRequest, Context)} into a storage the caller opened (and closes) instead
   * of the request's: a test's storage that fails on cue, a tool beside the engine.
   */
  public static BackupResult backup(BackupRequest r, Storage storage, Context c)
      throws IOException {
    return backup(backupPlan(r, c), storage, c);
  }

  private static BackupResult backup(BackupPlan p, Storage storage, Context c) throws IOException {
    BackupType t =
        p.declared() == null
            ? BackupType.parse(new BackupStore(storage).descriptor(p.parent()).type())
            : p.declared();
    String uri = t.hasDatabase() ? c.secrets().mongoUri(c.typedMongoUri(), p.uriFile()) : null;
    MongoTls tls = t.hasDatabase() ? c.secrets().mongoTls(p.tls()) : null;
    BackupOptions o =
        new BackupOptions(
            p.id(),
            t,
            uri,
            p.selection(),
            p.trees(),
            p.filesInclude(),
            p.filesExclude(),
            p.encryption(),
            p.compression(),
            p.level(),
            p.timeout(),
            p.parent(),
            p.indexKey(),
            p.lockWait(),
            p.lockToken(),
            tls);
    BackupResult done = p.keepExisting() ? earlier(storage, p.id(), c.log()) : null;
    return done != null ? done : new BackupEngine(storage, c.log(), c.progress()).run(o);
  }

  private static boolean keepExisting(String existing) {
    return switch (existing == null ? "fail" : existing.toLowerCase(Locale.ROOT)) {
      case "fail" -> false;
      case "keep" -> true;
      default ->
          throw CofferException.usage(
              Field.EXISTING.mark() + " must be fail or keep, not " + existing);
    };
  }

  /** A complete backup with this id from an earlier attempt, or null. */
  private static BackupResult earlier(Storage storage, String id, EngineLog log)
      throws IOException {
    try {
      BackupDescriptor d = new BackupStore(storage).descriptor(id);
      log.info(
          "backup "
              + id
              + " is already complete in "
              + storage.describe()
              + " (an earlier attempt finished it); keeping it");
      // the earlier attempt may have ended before it locked what it wrote
      Instant lockedUntil = storage.objectLock() == null ? null : BackupEngine.retain(storage, d);
      return Results.existing(d, storage.describe(), storage.objectLock(), lockedUntil);
    } catch (CofferException e) {
      if (e.code() == ExitCode.NOT_FOUND) return null;
      throw e;
    }
  }

  /** A backup id from the time: {@code 20261126-143000-9f3a}. */
  public static String defaultId() {
    byte[] b = new byte[2];
    new SecureRandom().nextBytes(b);
    return ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
        + "-"
        + HexFormat.of().formatHex(b);
  }

  public static RestoreResult restore(RestoreRequest r, Context c) throws IOException {
    return restoreFrom(r, null, c);
  }

  /**
   * {@link #restore(RestoreRequest, Context)} of a backup in a storage the caller opened (and
   * closes) instead of the request's.
   */
  public static RestoreResult restore(RestoreRequest r, Storage storage, Context c)
      throws IOException {
    if (storage == null) throw new IllegalArgumentException("no storage");
    return restoreFrom(r, storage, c);
  }

  private static RestoreResult restoreFrom(RestoreRequest r, Storage given, Context c)
      throws IOException {
    MongoRestorer.Mode mode = mode(r.mode());
    RestoreRequest.Source src =
        r.source() == null ? new RestoreRequest.Source(null, null, null) : r.source();
    RestoreRequest.Mongo m =
        r.mongodb() == null
            ? new RestoreRequest.Mongo(null, null, null, null, null, false, null)
            : r.mongodb();
    int timeout = m.timeoutSeconds() == null ? 15 : m.timeoutSeconds();
    Confirmation confirmation = r.confirm() ? Confirmation.GIVEN : c.confirmation();
    if (src.mongodump() != null) {
      if (given != null) throw CofferException.usage(Field.MONGODUMP.mark() + " reads no backup");
      if (r.until() != null)
        throw CofferException.usage(
            Field.UNTIL.mark()
                + " replays Coffer's oplog archive onto a Coffer backup; a mongodump made with"
                + " --oplog is restored to its own end: leave out "
                + Field.UNTIL.mark());
      return fromMongodump(r, src, m, mode, timeout, confirmation, c);
    }
    Request.Decryption d =
        r.decryption() == null ? new Request.Decryption(null, null) : r.decryption();
    Age.DecryptionKeys keys = c.secrets().decryptionKeys(d.identityFile(), d.passphraseFile());
    String uri = c.secrets().mongoUri(c.typedMongoUri(), m.uriFile());
    MongoTls tls = c.secrets().mongoTls(m.tls());
    BackupType only = r.type() == null ? null : BackupType.parse(r.type());
    Map<String, Path> targets = new LinkedHashMap<>();
    for (Request.Tree t : r.files()) {
      if (t.name() == null || t.name().isEmpty() || t.path() == null || t.path().isEmpty()) {
        throw CofferException.usage(
            Field.FILES.mark(targets.size())
                + " takes NAME=DIR, not '"
                + Printable.escape(t.name() + "=" + t.path())
                + "'");
      }
      targets.put(t.name(), Path.of(t.path()).toAbsolutePath().normalize());
    }
    Instant until = r.until() == null ? null : parseUntil(r.until());
    if (until != null && (src.archiveFile() != null))
      throw CofferException.usage(
          Field.UNTIL.mark()
              + " restores from a storage location, where the oplog archive lies: leave out "
              + Field.ARCHIVE.mark());
    try (Source source =
        until != null
            ? new Source(
                given != null ? given : openStorage(r.storage(), c.secrets()),
                src.backupId(),
                given == null)
            : openSource(
                given,
                r.storage(),
                src.archiveFile(),
                src.backupId(),
                keys,
                c.secrets(),
                src.sha256())) {
      Windows.Plan pit = null;
      String backupId = source.backupId();
      if (until != null) {
        pit =
            Windows.plan(
                Slices.list(source.storage()),
                bases(new BackupStore(source.storage())),
                until,
                source.backupId(),
                source.storage().describe());
        backupId = pit.base().id();
        c.log()
            .info(
                "restore to the end of "
                    + until
                    + ": from backup "
                    + backupId
                    + " (its moment "
                    + pit.base().at()
                    + ") and "
                    + pit.slices().size()
                    + " slices of the oplog archive");
      }
      RestoreOptions o =
          new RestoreOptions(
              backupId,
              uri,
              keys,
              m.include(),
              m.exclude(),
              m.modules(),
              r.trees(),
              only,
              m.renameDatabases(),
              mode,
              targets,
              r.dryRun(),
              timeout,
              m.systemDatabases(),
              confirmation,
              pit,
              tls);
      return new RestoreEngine(source.storage(), c.log(), c.progress()).run(o);
    }
  }

  /** A moment as RFC 3339 ({@code 2026-12-07T10:15:00Z}, or with an offset), whole seconds. */
  private static Instant parseUntil(String until) {
    try {
      Instant t = OffsetDateTime.parse(until).toInstant().truncatedTo(ChronoUnit.SECONDS);
      if (t.isBefore(Instant.EPOCH) || t.getEpochSecond() >= 0xffffffffL)
        throw CofferException.usage(
            Field.UNTIL.mark()
                + " "
                + Printable.escape(until)
                + " lies outside what an oplog holds");
      return t;
    } catch (DateTimeParseException e) {
      throw CofferException.usage(
          Field.UNTIL.mark()
              + " takes a moment in RFC 3339, such as 2026-12-07T10:15:00Z or"
              + " 2026-12-07T11:15:00+01:00, not '"
              + Printable.escape(until)
              + "'");
    }
  }

  /** The point-in-time backups of a storage location: where a restore to a moment can start. */
  static List<Windows.Base> bases(BackupStore store) throws IOException {
    return basesOf(store).list();
  }

  /**
   * The same, and whether every backup could be read. A moment outside what an oplog position can
   * hold (before 1970, or later than a day from now) is no base.
   */
  static Windows.Bases basesOf(BackupStore store) throws IOException {
    List<Windows.Base> out = new ArrayList<>();
    boolean whole = true;
    Instant latest = Instant.now().plus(Duration.ofDays(1));
    for (StoredBackup b : store.list()) {
      BackupDescriptor d = b.descriptor();
      if (d == null) {
        whole = false;
        continue;
      }
      if (d.consistency() == null || !d.consistency().isPointInTime()) continue;
      try {
        Instant at = Instant.parse(d.consistency().at());
        if (at.isBefore(Instant.EPOCH) || at.isAfter(latest)) continue;
        out.add(new Windows.Base(b.id(), at));
      } catch (DateTimeParseException | NullPointerException e) {
        // a moment Coffer does not write: not a base
      }
    }
    return new Windows.Bases(out, whole);
  }

  /**
   * Archives the oplog of the request's replica set into its storage until {@code onStop}'s action
   * is run (a SIGTERM hook), reporting the window after each slice; returns the window at the end.
   */
  public static OplogWindow oplogArchive(
      OplogArchiveRequest r, Context c, Consumer<OplogWindow> report, Consumer<Runnable> onStop)
      throws IOException {
    int slice = r.sliceSeconds() == null ? 600 : r.sliceSeconds();
    if (slice < 1 || slice > 86400)
      throw CofferException.usage(
          Field.SLICE.mark() + " must be 1 second to a day, not " + slice + " seconds");
    int poll = r.pollSeconds() == null ? 1 : r.pollSeconds();
    if (poll < 1 || poll > slice)
      throw CofferException.usage(
          Field.POLL.mark() + " must be 1 second to the slice interval, not " + poll + " seconds");
    Encryption enc = encryption(r.encryption(), c.secrets());
    if (!enc.enabled())
      c.log().warn("the oplog archive is not encrypted: give recipients to encrypt it");
    OplogArchiveRequest.Mongo m =
        r.mongodb() == null ? new OplogArchiveRequest.Mongo(null, null) : r.mongodb();
    String uri = c.secrets().mongoUri(c.typedMongoUri(), m.uriFile());
    if (uri == null || uri.isBlank())
      throw CofferException.usage(
          "give " + Field.MONGODB_URI.mark() + ": the replica set to archive");
    int timeout = m.timeoutSeconds() == null ? 15 : m.timeoutSeconds();
    MongoTls tls = c.secrets().mongoTls(m.tls());
    try (Storage storage = openStorage(r.storage(), c.secrets());
        MongoClient client = MongoConnection.open(uri, tls, timeout)) {
      BackupStore store = new BackupStore(storage);
      OplogArchiver a =
          new OplogArchiver(
              storage,
              client,
              uri,
              enc,
              Duration.ofSeconds(slice),
              Duration.ofSeconds(poll),
              "oplog archiver"
                  + (System.getenv().getOrDefault("HOSTNAME", "").isEmpty()
                      ? ""
                      : " on " + System.getenv().get("HOSTNAME"))
                  + ", started "
                  + Instant.now().truncatedTo(ChronoUnit.SECONDS),
              r.lockToken(),
              c.log(),
              () -> {
                try {
                  return basesOf(store);
                } catch (IOException ex) {
                  throw new UncheckedIOException(ex);
                }
              },
              report,
              Clock.systemUTC());
      onStop.accept(a::stop);
      try {
        return a.run().stopped();
      } catch (UncheckedIOException ex) {
        throw ex.getCause();
      }
    }
  }

  private static MongoRestorer.Mode mode(String mode) {
    try {
      return MongoRestorer.Mode.valueOf((mode == null ? "replace" : mode).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw CofferException.usage(Field.MODE.mark() + " must be replace or merge, not " + mode);
    }
  }

  private static RestoreResult fromMongodump(
      RestoreRequest r,
      RestoreRequest.Source src,
      RestoreRequest.Mongo m,
      MongoRestorer.Mode mode,
      int timeout,
      Confirmation confirmation,
      Context c)
      throws IOException {
    String dump = src.mongodump();
    if (src.backupId() != null || src.archiveFile() != null) {
      throw CofferException.usage(
          Field.MONGODUMP.mark()
              + " reads a mongodump, not a Coffer backup: leave out "
              + Field.BACKUP_ID.mark()
              + " and "
              + Field.ARCHIVE.mark());
    }
    if (r.decryption() != null
        && (r.decryption().identityFile() != null || r.decryption().passphraseFile() != null)) {
      throw CofferException.usage(
          "a mongodump is not encrypted: leave out "
              + Field.IDENTITY.mark()
              + " and "
              + Field.DECRYPTION_PASSPHRASE.mark());
    }
    if (!m.modules().isEmpty()
        || !r.trees().isEmpty()
        || !r.files().isEmpty()
        || (r.type() != null && BackupType.parse(r.type()) != BackupType.DATABASE)) {
      throw CofferException.usage(
          "a mongodump holds only collections: leave out "
              + Field.MODULES.mark()
              + ", "
              + Field.TREES.mark()
              + ", "
              + Field.FILES.mark()
              + " and "
              + Field.TYPE.mark());
    }
    String uri = c.secrets().mongoUri(c.typedMongoUri(), m.uriFile());
    String label = dump.equals("-") ? "mongodump on standard input" : "mongodump " + dump;
    RestoreOptions o =
        new RestoreOptions(
            label,
            uri,
            null,
            m.include(),
            m.exclude(),
            List.of(),
            List.of(),
            BackupType.DATABASE,
            m.renameDatabases(),
            mode,
            Map.of(),
            r.dryRun(),
            timeout,
            m.systemDatabases(),
            confirmation,
            null,
            c.secrets().mongoTls(m.tls()));
    DumpRestoreEngine engine = new DumpRestoreEngine(c.log(), c.progress());
    Request.StorageRef storage = r.storage();
    if (storage != null && storage.uri() != null) {
      // what a mongodump cron left in a storage location, by its path there (the operator's Restore
      // spec.source.mongodump)
      if (dump.isBlank()
          || dump.equals("-")
          || dump.contains("://")
          || dump.startsWith("/")
          || List.of(dump.split("/")).contains("..")) {
        throw CofferException.usage(
            "with "
                + Field.STORAGE.mark()
                + ", "
                + Field.MONGODUMP.mark()
                + " names a path inside that storage (e.g. cron/2026-11-30.archive.gz), not '"
                + Printable.escape(dump)
                + "'");
      }
      try (Storage s = openStorage(storage, c.secrets())) {
        if (s instanceof FileStorage fs)
          return engine.run(
              fs.path(dump).toString(), c.stdin(), o); // a volume: a folder or an archive file
        if (src.sha256() == null) {
          try (InputStream in = s.open(dump)) {
            return engine.runArchive(dump + " in " + s.describe(), in, s.size(dump).orElse(-1), o);
          }
        }
        // an upload: the file read must be the one its uploader announced, checked once read
        // through, before anything is put in place
        try (HashingInputStream in = new HashingInputStream(s.open(dump))) {
          return engine.runArchive(
              dump + " in " + s.describe(),
              in,
              s.size(dump).orElse(-1),
              o,
              () -> ArchiveFile.expect(src.sha256(), in.drainAndHash(), dump));
        }
      }
    }
    Request.S3 s3 = storage == null ? null : storage.s3();
    if (dump.startsWith("s3://")) {
      // an archive a mongodump cron uploaded: s3://bucket/path/to/dump.archive.gz
      int slash = dump.lastIndexOf('/');
      String name = dump.substring(slash + 1);
      if (slash < "s3://".length() || name.isEmpty() || dump.indexOf('/', "s3://".length()) < 0) {
        throw CofferException.usage(
            Field.MONGODUMP.mark()
                + " s3://... names one archive object: s3://bucket/path/dump.archive.gz (a folder dump must be on disk)");
      }
      try (Storage s =
              openStorage(new Request.StorageRef(dump.substring(0, slash), s3, null), c.secrets());
          InputStream in = s.open(name)) {
        return engine.runArchive(dump, in, s.size(name).orElse(-1), o);
      }
    }
    if (s3 != null && (s3.endpoint() != null || s3.region() != null || s3.caFile() != null)) {
      throw CofferException.usage(
          Field.S3_ENDPOINT.mark()
              + ", "
              + Field.S3_REGION.mark()
              + " and "
              + Field.S3_CA_FILE.mark()
              + " apply to "
              + Field.MONGODUMP.mark()
              + " s3://bucket/path/dump.archive only");
    }
    return engine.run(dump, c.stdin(), o);
  }

  /**
   * The storage to read and the backup in it: storage with a backup id, or an archive file alone.
   * Closing closes the storage only when it was opened here ({@code owned}), not one the caller
   * gave.
   */
  private record Source(Storage storage, String backupId, boolean owned) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      if (owned) storage.close();
    }
  }

  private static String requireBackupId(String backupId) {
    if (backupId == null)
      throw CofferException.usage(
          "give " + Field.BACKUP_ID.mark() + " ID (see `coffer list`): the backup to read");
    return backupId;
  }

  /**
   * The backup to read: in {@code given} (a storage the caller opened), or else where the request
   * says. {@code sha256}: for an archive in a storage (an upload), the SHA-256 it must have (null:
   * any).
   */
  private static Source openSource(
      Storage given,
      Request.StorageRef storage,
      String archive,
      String backupId,
      Age.DecryptionKeys keys,
      Secrets secrets,
      String sha256)
      throws IOException {
    if (given != null) return new Source(given, requireBackupId(backupId), false);
    if (archive == null) {
      if (backupId == null) {
        throw CofferException.usage(
            "give "
                + Field.BACKUP_ID.mark()
                + " ID (see `coffer list`), or "
                + Field.ARCHIVE.mark()
                + " FILE for an archive on its own");
      }
      return new Source(openStorage(storage, secrets), backupId, true);
    }
    if (backupId != null) {
      throw CofferException.usage(
          Field.ARCHIVE.mark()
              + " reads one archive file on its own: leave out "
              + Field.BACKUP_ID.mark());
    }
    ArchiveFile a;
    if (storage != null && storage.uri() != null) {
      String key =
          storedKey(archive); // before the storage opens: a refused key leaves nothing open
      a = ArchiveFile.open(openStorage(storage, secrets), key, keys, sha256);
    } else a = ArchiveFile.open(Path.of(archive), keys);
    return new Source(a, a.backupId(), true);
  }

  /**
   * An object's path inside a storage as a request names it ({@link Field#ARCHIVE} with {@link
   * Field#STORAGE}, an upload's staging key): relative, '/'-separated, without {@code .} or {@code
   * ..} components or control characters.
   */
  static String storedKey(String key) {
    if (key == null
        || key.isEmpty()
        || key.length() > 1024
        || key.startsWith("/")
        || key.endsWith("/")
        || key.contains("//")
        || key.contains("\\")
        || key.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)
        || Arrays.stream(key.split("/")).anyMatch(p -> p.equals(".") || p.equals("..")))
      throw CofferException.usage(
          Field.ARCHIVE.mark()
              + " with "
              + Field.STORAGE.mark()
              + " takes the archive's path inside that storage (e.g. offline/rayerp.zip.age): relative, without"
              + " '.', '..' or control characters");
    return key;
  }

  public static VerifyResult verify(VerifyRequest r, Context c) throws IOException {
    return verify(r, null, c);
  }

  /**
   * {@link #verify(VerifyRequest, Context)} of a backup in a storage the caller opened (and closes)
   * instead of the request's; null: the request's.
   */
  public static VerifyResult verify(VerifyRequest r, Storage given, Context c) throws IOException {
    boolean thorough =
        r.deep()
            || r.archiveFile()
                != null; // a file's checksum can only be compared with itself: check every entry
    Request.Decryption d =
        r.decryption() == null ? new Request.Decryption(null, null) : r.decryption();
    Age.DecryptionKeys keys =
        thorough ? c.secrets().decryptionKeys(d.identityFile(), d.passphraseFile()) : null;
    try (Source source =
        openSource(given, r.storage(), r.archiveFile(), r.backupId(), keys, c.secrets(), null)) {
      return new VerifyEngine(source.storage(), c.log(), c.progress())
          .run(source.backupId(), thorough, keys);
    }
  }

  /**
   * An upload's place: a URL that PUTs {@code r.key()} (under {@link UploadRequest#PREFIX}) until
   * it expires, or with {@code r.remove()} the removal of what was put there. S3 only: a volume has
   * no URL.
   */
  public static UploadResult upload(UploadRequest r, Context c) throws IOException {
    String key = storedKey(r.key());
    if (!key.startsWith(UploadRequest.PREFIX) || key.length() == UploadRequest.PREFIX.length())
      throw CofferException.usage(
          "an upload goes under " + UploadRequest.PREFIX + " in its storage, not to " + key);
    try (Storage storage = openStorage(r.storage(), c.secrets())) {
      if (r.remove()) {
        boolean there = storage.exists(key);
        if (there) storage.delete(key);
        c.log().info(there ? "removed the upload " + key : "no upload " + key + " to remove");
        return new UploadResult(UploadResult.STATUS, key, null, null, there);
      }
      int minutes = r.expiresMinutes();
      if (minutes < 1 || minutes > 1440)
        throw CofferException.usage(
            Field.EXPIRES.mark() + " must be 1 to 1440 minutes, not " + minutes);
      Instant expires =
          Instant.now().plus(Duration.ofMinutes(minutes)).truncatedTo(ChronoUnit.SECONDS);
      String url =
          storage
              .presignUpload(key, Duration.ofMinutes(minutes))
              .orElseThrow(
                  () ->
                      CofferException.usage(
                          "uploads go to S3 storage; "
                              + storage.describe()
                              + " is a volume: copy the file onto the volume and restore it with "
                              + Field.ARCHIVE.mark()));
      return new UploadResult(UploadResult.STATUS, key, url, expires.toString(), null);
    }
  }

  public static ShareResult share(ShareRequest r, Context c) throws IOException {
    int minutes = r.expiresMinutes();
    if (minutes < 1 || minutes > 1440)
      throw CofferException.usage(
          Field.EXPIRES.mark() + " must be 1 to 1440 minutes, not " + minutes);
    if (r.backupId() == null)
      throw CofferException.usage("give " + Field.BACKUP_ID.mark() + " ID: the backup to share");
    try (Storage storage = openStorage(r.storage(), c.secrets())) {
      BackupStore store = new BackupStore(storage);
      BackupDescriptor d = store.descriptor(r.backupId());
      Instant expires =
          Instant.now().plus(Duration.ofMinutes(minutes)).truncatedTo(ChronoUnit.SECONDS);
      if (r.serve() != null) {
        String fileName = d.id() + "-" + d.archive();
        int served = ArchiveServer.serve(storage, d, r.serve(), expires, fileName, c.log());
        return new ShareResult(
            ShareResult.STATUS,
            d.id(),
            null,
            expires.toString(),
            fileName,
            d.sha256(),
            d.storedSize(),
            d.encrypted(),
            served);
      }
      String url =
          store
              .presignArchive(d, Duration.ofMinutes(minutes))
              .orElseThrow(
                  () ->
                      new CofferException(
                          ExitCode.USAGE,
                          "backups in "
                              + storage.describe()
                              + " have no download URL (a volume): copy one with coffer download --backup "
                              + d.id()
                              + " --to FILE"));
      return new ShareResult(
          ShareResult.STATUS,
          d.id(),
          url,
          expires.toString(),
          d.id() + "-" + d.archive(),
          d.sha256(),
          d.storedSize(),
          d.encrypted(),
          null);
    }
  }

  /**
   * Deletes a backup's stored objects, then those of each copy the request names (a copy already
   * gone is fine); the objects counted are the original's.
   */
  public static DeleteResult delete(DeleteRequest r, Context c) throws IOException {
    if (r.backupId() == null)
      throw CofferException.usage("give " + Field.BACKUP_ID.mark() + " ID: the backup to delete");
    BackupIds.checkId(r.backupId());
    List<Request.StorageRef> copies = r.copies() == null ? List.of() : r.copies();
    Instant now = Instant.now();
    // every location is checked for Object Lock before anything is deleted: none or all go
    try (Storage storage = openStorage(r.storage(), c.secrets())) {
      new BackupStore(storage).checkUnlocked(r.backupId(), now);
    }
    for (Request.StorageRef copy : copies) {
      try (Storage storage = openStorage(copy, c.secrets())) {
        new BackupStore(storage).checkUnlocked(r.backupId(), now);
      } catch (CofferException e) {
        throw CopyEngine.atDestination(e);
      }
    }
    int n;
    try (Storage storage = openStorage(r.storage(), c.secrets())) {
      n = storage.list(r.backupId()).size();
      new BackupStore(storage).delete(r.backupId(), r.lockToken());
    }
    for (Request.StorageRef copy : copies) {
      try (Storage storage = openStorage(copy, c.secrets())) {
        int m = storage.list(r.backupId()).size();
        new BackupStore(storage).delete(r.backupId(), r.lockToken());
        if (m > 0)
          c.log().info("deleted the copy of " + r.backupId() + " at " + storage.describe());
      } catch (CofferException e) {
        throw CopyEngine.atDestination(e);
      }
    }
    return new DeleteResult(DeleteResult.STATUS, r.backupId(), n);
  }

  /**
   * A restore drill ({@link DrillEngine}): the backup restored into scratch databases (and files
   * into a scratch directory), timed, checked against what it says it holds, and removed.
   */
  public static DrillResult drill(DrillRequest r, Context c) throws IOException {
    try (Storage storage = openStorage(r.storage(), c.secrets())) {
      return new DrillEngine(storage, c.log(), c.progress()).run(r, c);
    }
  }

  /**
   * Copies a stored backup to a second location as it is stored ({@link CopyEngine}): no key, each
   * object's SHA-256 checked where it landed.
   */
  public static CopyResult copy(CopyRequest r, Context c) throws IOException {
    if (r.backupId() == null)
      throw CofferException.usage("give " + Field.BACKUP_ID.mark() + " ID: the backup to copy");
    if (r.to() == null || r.to().uri() == null)
      throw CofferException.usage(
          "give " + Field.TO.mark() + ": where the copy goes, s3://bucket/prefix or file:///path");
    try (Storage from = openStorage(r.storage(), c.secrets())) {
      Storage to;
      try {
        to = openStorage(r.to(), c.secrets());
      } catch (CofferException e) {
        throw CopyEngine.atDestination(e);
      }
      try (to) {
        return new CopyEngine(from, to, c.log(), c.progress()).run(r.backupId(), r.lockToken());
      }
    }
  }

  /**
   * What a storage location holds: its description, its backups (incomplete ones too), and what its
   * oplog archive lets a restore reach (null when it has none).
   */
  public record Catalogue(String location, List<StoredBackup> backups, OplogWindow oplog) {}

  public static Catalogue list(Request.StorageRef storage, Secrets secrets) throws IOException {
    try (Storage s = openStorage(storage, secrets)) {
      return list(s);
    }
  }

  /** What a storage the caller opened (and closes) holds. */
  public static Catalogue list(Storage s) throws IOException {
    BackupStore store = new BackupStore(s);
    Slices.Listing slices = Slices.list(s);
    OplogWindow w =
        slices.slices().isEmpty() && slices.problems().isEmpty()
            ? null
            : Windows.report(slices, bases(store), null, null);
    return new Catalogue(s.describe(), store.list(), w);
  }

  /**
   * The descriptor of complete backup {@code backupId} in a storage the caller opened; not found
   * (exit 4) when it is missing or incomplete.
   */
  public static BackupDescriptor descriptor(Storage s, String backupId) throws IOException {
    return new BackupStore(s).descriptor(backupId);
  }

  /**
   * A backup's descriptor, its manifest (null when it is encrypted and no key was given) and the
   * ids of the chain a restore reads, the full backup first.
   */
  public record Inspection(BackupDescriptor backup, Manifest manifest, List<String> chain) {}

  /** Inspects a stored backup ({@code storage} and {@code backupId}) or an archive file alone. */
  public static Inspection inspect(
      Request.StorageRef storage,
      String archiveFile,
      String backupId,
      Request.Decryption decryption,
      Secrets secrets)
      throws IOException {
    Request.Decryption d = decryption == null ? new Request.Decryption(null, null) : decryption;
    Age.DecryptionKeys keys = secrets.decryptionKeys(d.identityFile(), d.passphraseFile());
    try (Source source = openSource(null, storage, archiveFile, backupId, keys, secrets, null)) {
      BackupStore store = new BackupStore(source.storage());
      BackupDescriptor b = store.descriptor(source.backupId());
      Manifest m = b.encrypted() && keys == null ? null : store.manifest(b, keys);
      return new Inspection(b, m, store.chainIds(b));
    }
  }

  /** Copies the log backup {@code backupId} recorded to {@code out}. */
  public static void logs(
      Request.StorageRef storage, String backupId, OutputStream out, Secrets secrets)
      throws IOException {
    try (Storage s = openStorage(storage, secrets)) {
      new BackupStore(s).descriptor(backupId);
      try (InputStream in =
          s.open(BackupIds.key(BackupIds.checkId(backupId), BackupDescriptor.LOG))) {
        in.transferTo(out);
      }
    }
  }

  /**
   * Writes backup {@code backupId}'s archive to {@code target} (decrypted with {@code decrypt}),
   * whole and checked against its checksum, or not at all.
   */
  public static BackupDescriptor download(
      Request.StorageRef storage,
      String backupId,
      Path target,
      boolean decrypt,
      Request.Decryption decryption,
      Secrets secrets)
      throws IOException {
    try (Storage s = openStorage(storage, secrets)) {
      BackupStore store = new BackupStore(s);
      BackupDescriptor d = store.descriptor(backupId);
      Request.Decryption dk = decryption == null ? new Request.Decryption(null, null) : decryption;
      Age.DecryptionKeys keys =
          decrypt ? secrets.decryptionKeys(dk.identityFile(), dk.passphraseFile()) : null;
      if (decrypt && d.encrypted() && keys == null) {
        throw new CofferException(
            ExitCode.KEY,
            "a decrypted download needs "
                + Field.IDENTITY.mark()
                + " or "
                + Field.DECRYPTION_PASSPHRASE.mark());
      }
      FileStorage local = new FileStorage(target.getParent());
      Storage.AtomicOutput out = local.create(target.getFileName().toString());
      try (HashingInputStream stored = store.openArchive(d)) {
        InputStream in = decrypt ? BackupStore.decrypting(stored, d, keys) : stored;
        in.transferTo(out);
        String sha = stored.drainAndHash();
        if (!sha.equals(d.sha256()) || stored.count() != d.storedSize()) {
          throw new CofferException(
              ExitCode.INTEGRITY,
              "backup " + d.id() + " does not match its checksum; nothing was written");
        }
        out.close();
      } catch (AgeException e) {
        out.abort();
        throw BackupStore.fromAge(d.id(), e);
      } catch (IOException | RuntimeException e) {
        out.abort();
        if (e instanceof CofferException) throw e;
        throw new CofferException(
            ExitCode.INTEGRITY,
            "backup " + d.id() + " cannot be read to the end (" + e.getMessage() + ")",
            e);
      }
      return d;
    }
  }

  /**
   * A new age key pair: the identity ({@code AGE-SECRET-KEY-1...}), the public key, and the text of
   * an identity file as age-keygen writes it.
   */
  public record KeyPair(String identity, String recipient, String identityFile) {}

  public static KeyPair newKeyPair() {
    AgeKeys.Identity id = AgeKeys.generate();
    String text =
        "# created: "
            + Instant.now().truncatedTo(ChronoUnit.SECONDS)
            + "\n# public key: "
            + id.recipient().encoded()
            + "\n"
            + id.encoded()
            + "\n";
    return new KeyPair(id.encoded(), id.recipient().encoded(), text);
  }
}
