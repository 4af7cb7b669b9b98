package io.coffer.job;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupSpec;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.coffer.api.RestoreStatus;
import io.coffer.protocol.BackupRequest;
import io.coffer.protocol.CopyRequest;
import io.coffer.protocol.DeleteRequest;
import io.coffer.protocol.DrillRequest;
import io.coffer.protocol.OplogArchiveRequest;
import io.coffer.protocol.Purpose;
import io.coffer.protocol.Request;
import io.coffer.protocol.RestoreRequest;
import io.coffer.protocol.ShareRequest;
import io.coffer.protocol.UploadRequest;
import io.coffer.protocol.VerifyRequest;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The spec of a resource as the engine's request: one pure function per Job kind. Every spec field
 * the engine needs reaches the request here and nowhere else; secrets become paths of mounted files
 * ({@link Mounts}), never values.
 */
public final class Requests {
  /** Where a Job's engine writes its result: the container's termination message. */
  public static final String TERMINATION_LOG = "/dev/termination-log";

  /**
   * What every Job's engine reports: progress lines on its log, the result in its termination
   * message.
   */
  static final Request.Report REPORT = new Request.Report("json", TERMINATION_LOG);

  /**
   * How long a backup attempt waits for another writer of its id (an earlier attempt being
   * stopped).
   */
  static final int LOCK_WAIT_SECONDS = 240;

  private Requests() {}

  /**
   * A request, the volumes and mounts its paths need, and what each in-pod path is in the
   * resource's words.
   */
  public record Mapped(
      Request request,
      List<Volume> volumes,
      List<VolumeMount> mounts,
      Map<String, String> places) {}

  /**
   * A spec's MongoDB TLS as mounted files: the CA key, and the client certificate Secret's tls.crt
   * and tls.key; null without one.
   */
  static Request.MongoTls tls(BackupSpec.MongoTls t, Mounts m, String name) {
    if (t == null) return null;
    String ca = t.caSecret == null ? null : m.secret(name + "-ca", t.caSecret);
    List<String> client =
        t.clientCertificateSecret == null
            ? List.of()
            : m.secretKeys(name + "-client-cert", t.clientCertificateSecret, "tls.crt", "tls.key");
    return new Request.MongoTls(
        ca, client.isEmpty() ? null : client.get(0), client.isEmpty() ? null : client.get(1));
  }

  private static Mapped mapped(Request r, Mounts m) {
    return new Mapped(r, List.copyOf(m.volumes), List.copyOf(m.mounts), Map.copyOf(m.places()));
  }

  /** {@code parentId}: for an Incremental Backup, the backup id of the one it builds on. */
  public static Mapped backup(Backup b, String parentId) {
    BackupSpec spec = b.getSpec();
    Mounts m = new Mounts();
    Request.StorageRef where = storage(spec.storage, m, false, "spec.storage");
    // only a backup writes an archive: the upload cap is its alone
    Request.StorageRef storage =
        new Request.StorageRef(
            where.uri(), where.s3(), spec.storage.uploadLimitMiBps, where.objectLock());
    BackupSpec.MongoSource mongo = spec.source.mongodb;
    BackupRequest.Mongo db = null;
    if (mongo != null && spec.type != BackupSpec.Type.Files) {
      db =
          new BackupRequest.Mongo(
              m.secret("mongodb-uri", mongo.uriSecret),
              mongo.include,
              mongo.exclude,
              mongo.modules,
              mongo.moduleMap == null
                  ? null
                  : m.configMap("module-map", mongo.moduleMap, "modules.yaml"),
              null,
              tls(mongo.tls, m, "mongodb"));
    }
    List<Request.Tree> trees = new ArrayList<>();
    List<String> filesInclude = List.of();
    List<String> filesExclude = List.of();
    if (spec.type != BackupSpec.Type.Database) {
      for (int i = 0; i < spec.source.files.size(); i++) {
        BackupSpec.FileVolume f = spec.source.files.get(i);
        trees.add(
            new Request.Tree(
                f.name,
                m.files(f, true, "spec.source.files[" + i + "] (" + Mounts.claim(f) + ")")));
      }
      filesInclude = spec.source.filesInclude;
      filesExclude = spec.source.filesExclude;
    }
    BackupRequest.Encryption encryption = encryption(spec, m);
    BackupRequest.Compression compression =
        spec.compression == null
            ? null
            : new BackupRequest.Compression(spec.compression.method.name(), spec.compression.level);
    String indexKey = spec.chain == null ? null : m.secret("index-key", spec.chain.indexKeySecret);
    BackupRequest.Chain chain =
        parentId == null && indexKey == null ? null : new BackupRequest.Chain(parentId, indexKey);
    // a retried attempt may find the lock of the attempt before it, whose pod was killed: under the
    // Backup's uid as lock
    // token it takes that over at once (attempts of one Backup never overlap); another writer's
    // lock it waits for.
    // existing keep: an attempt killed after it finished (backup.json written) must not fail the
    // retry
    BackupRequest r =
        new BackupRequest(
            JobFactory.backupId(b),
            spec.type.name().toLowerCase(),
            storage,
            db,
            trees,
            filesInclude,
            filesExclude,
            encryption,
            compression,
            chain,
            new BackupRequest.Lock(LOCK_WAIT_SECONDS, String.valueOf(b.getMetadata().getUid())),
            "keep",
            REPORT);
    return mapped(r, m);
  }

  /**
   * {@code coffer verify}: the checksum, or with {@code deep} every entry (with the identity
   * Secret, if the spec names one).
   */
  public static Mapped verify(Backup b, boolean deep) {
    Mounts m = new Mounts();
    Request.StorageRef storage = storage(b.getSpec().storage, m, true, "spec.storage");
    Request.Decryption decryption = null;
    BackupSpec.VerificationSpec v = b.getSpec().verification;
    if (deep && v != null && v.identity != null) {
      boolean passphrase =
          b.getSpec().encryption != null && b.getSpec().encryption.passphraseSecret != null;
      String file = m.secret("identity", v.identity);
      decryption =
          passphrase ? new Request.Decryption(null, file) : new Request.Decryption(file, null);
    }
    return mapped(
        new VerifyRequest(JobFactory.backupId(b), null, storage, deep, decryption, REPORT), m);
  }

  /**
   * {@code coffer share}: a presigned URL of the stored archive, valid {@code minutes}; storage
   * access only.
   */
  public static Mapped share(Backup b, int minutes) {
    return share(b, minutes, null);
  }

  /** {@code serve}: for a storage on a volume, the archive served by the pod itself. */
  public static Mapped share(Backup b, int minutes, ShareRequest.Serve serve) {
    Mounts m = new Mounts();
    Request.StorageRef storage = storage(b.getSpec().storage, m, true, "spec.storage");
    return mapped(new ShareRequest(JobFactory.backupId(b), storage, minutes, REPORT, serve), m);
  }

  /**
   * Where Restore {@code res} stages the file it uploads (spec.source.upload.fileName) in
   * spec.source.storage: a folder of its own (by uid) under {@link UploadRequest#PREFIX}.
   */
  public static String uploadKey(Restore res) {
    return UploadRequest.PREFIX
        + res.getMetadata().getUid()
        + "/"
        + res.getSpec().source.upload.fileName;
  }

  /**
   * The presigned PUT of {@code key} for Restore {@code res} (valid spec.source.upload's minutes),
   * or with {@code remove} its removal.
   */
  public static Mapped upload(Restore res, String key, boolean remove) {
    Mounts m = new Mounts();
    RestoreSpec.Upload u = res.getSpec().source.upload;
    // the URL is signed with the storage's credentials; a removal uses its deletion credentials
    Request.StorageRef storage =
        storage(
            res.getSpec().source.storage,
            m,
            true,
            "spec.source.storage",
            remove ? Purpose.DELETE : Purpose.UPLOAD);
    return mapped(
        new UploadRequest(
            storage,
            key,
            u.expiresMinutes == null ? UPLOAD_MINUTES : u.expiresMinutes,
            remove,
            REPORT),
        m);
  }

  /** How long an upload URL works unless spec.source.upload.expiresMinutes says. */
  public static final int UPLOAD_MINUTES = 60;

  /**
   * {@code coffer delete}: the Backup's own attempts hold its id's lock under its uid; the operator
   * deletes only once they have stopped.
   */
  public static Mapped delete(Backup b) {
    Mounts m = new Mounts();
    Request.StorageRef storage =
        storage(b.getSpec().storage, m, false, "spec.storage", Purpose.DELETE);
    List<Request.StorageRef> copies = new ArrayList<>();
    List<BackupSpec.CopySpec> specs = b.getSpec().copies == null ? List.of() : b.getSpec().copies;
    for (int i = 0; i < specs.size(); i++)
      copies.add(
          storage(
              specs.get(i).storage,
              m,
              false,
              "spec.copies[" + i + "].storage",
              "copy" + i,
              Mounts.COPIES_ROOT + i,
              Purpose.DELETE));
    return mapped(
        new DeleteRequest(
            JobFactory.backupId(b),
            storage,
            copies.isEmpty() ? null : copies,
            String.valueOf(b.getMetadata().getUid()),
            REPORT),
        m);
  }

  /**
   * {@code coffer copy} to the Backup's copy {@code index}: its storage read (a volume read-only),
   * the copy's written; the Backup's uid and the copy's name as lock token, so a killed attempt's
   * lock is taken over by the next.
   */
  public static Mapped copy(Backup b, int index) {
    Mounts m = new Mounts();
    Request.StorageRef from = storage(b.getSpec().storage, m, true, "spec.storage");
    BackupSpec.CopySpec c = b.getSpec().copies.get(index);
    Request.StorageRef to =
        storage(
            c.storage,
            m,
            false,
            "spec.copies[" + index + "].storage",
            "copy" + index,
            Mounts.COPIES_ROOT + index,
            Purpose.COPY);
    return mapped(
        new CopyRequest(
            JobFactory.backupId(b), from, to, b.getMetadata().getUid() + "-copy-" + c.name, REPORT),
        m);
  }

  /**
   * {@code coffer restore}. {@code backup} is the Backup named by the Restore, or null for a
   * restore from a storage location (disaster recovery), an archive file or a mongodump; targets
   * default to the Backup's sources.
   */
  public static Mapped restore(Restore res, Backup backup) {
    return restore(res, backup, res.getStatus() == null ? null : res.getStatus().upload);
  }

  /**
   * {@code upload}: for a Restore of an upload (spec.source.upload), the staged file (its path in
   * spec.source.storage: a Coffer archive, .zip or .zip.age, or a mongodump archive) and the
   * SHA-256 its uploader announced.
   */
  public static Mapped restore(Restore res, Backup backup, RestoreStatus.Upload upload) {
    String staged = upload == null ? null : upload.path;
    RestoreSpec spec = res.getSpec();
    Mounts m = new Mounts();
    RestoreSpec.ArchiveFile archive =
        backup == null && spec.source != null ? spec.source.archive : null;
    RestoreRequest.Source source;
    Request.StorageRef storage = null;
    if (backup == null && spec.source != null && spec.source.upload != null) {
      String sha = upload == null ? null : upload.sha256;
      source =
          staged != null && (staged.endsWith(".zip") || staged.endsWith(".zip.age"))
              ? new RestoreRequest.Source(null, staged, null, sha)
              : new RestoreRequest.Source(null, null, staged, sha);
      storage = storage(spec.source.storage, m, true, "spec.source.storage");
    } else if (archive != null) { // the file names its backup; read-only, whatever the mode
      source =
          new RestoreRequest.Source(
              null,
              m.claim(
                  "archive",
                  archive.claimName,
                  Mounts.ARCHIVE_ROOT,
                  archive.path,
                  true,
                  "spec.source.archive (claim "
                      + archive.claimName
                      + ", path "
                      + archive.path
                      + ")"),
              null);
    } else if (backup == null
        && spec.source != null
        && spec.source.mongodump != null) { // what a mongodump cron left in a storage location
      source = new RestoreRequest.Source(null, null, spec.source.mongodump);
      storage =
          storage(
              spec.source.storage,
              m,
              true,
              "spec.source.storage"); // only read: the legacy dump may be the only copy
    } else {
      // (the Backup a Restore names may be gone by the time its failure is read: no source then)
      RestoreSpec.Source from = spec.source;
      source =
          new RestoreRequest.Source(
              backup != null ? JobFactory.backupId(backup) : from != null ? from.backupId : null,
              null,
              null);
      // a restore only reads its storage: a volume storage is mounted read-only, so no restore can
      // touch a backup
      storage =
          backup != null
              ? storage(
                  backup.getSpec().storage,
                  m,
                  true,
                  "Backup " + backup.getMetadata().getName() + " spec.storage")
              : from != null && from.storage != null
                  ? storage(from.storage, m, true, "spec.source.storage")
                  : null;
    }
    var uri = JobFactory.targetUri(res, backup);
    Map<String, String> renames =
        spec.target != null
                && spec.target.mongodb != null
                && spec.target.mongodb.renameDatabases != null
            ? spec.target.mongodb.renameDatabases
            : Map.of();
    RestoreRequest.Mongo mongo =
        new RestoreRequest.Mongo(
            uri == null ? null : m.secret("mongodb-uri", uri),
            spec.include,
            spec.exclude,
            spec.modules,
            renames,
            false,
            null,
            uri == null ? null : tls(JobFactory.targetTls(res, backup), m, "mongodb"));
    boolean dryRun = Boolean.TRUE.equals(spec.dryRun);
    List<BackupSpec.FileVolume> own = spec.target == null ? List.of() : spec.target.files;
    List<Request.Tree> targets = new ArrayList<>();
    for (BackupSpec.FileVolume f : JobFactory.targetFiles(res, backup)) {
      int i = own.indexOf(f);
      String words =
          i >= 0
              ? "spec.target.files[" + i + "] (" + Mounts.claim(f) + ")"
              : "the volume of tree "
                  + f.name
                  + " ("
                  + Mounts.claim(f)
                  + ", from the Backup; spec.target.files can name another)";
      targets.add(new Request.Tree(f.name, m.files(f, dryRun, words)));
    }
    Request.Decryption decryption = null;
    if (spec.decryption != null) {
      decryption =
          spec.decryption.identity != null
              ? new Request.Decryption(m.secret("identity", spec.decryption.identity), null)
              : new Request.Decryption(
                  null, m.secret("passphrase", spec.decryption.passphraseSecret));
    }
    RestoreRequest r =
        new RestoreRequest(
            source,
            storage,
            decryption,
            mongo,
            spec.trees,
            null,
            targets,
            spec.mode.name().toLowerCase(),
            dryRun,
            Boolean.TRUE.equals(spec.confirm),
            spec.pointInTime,
            REPORT); // the Restore's confirm: the engine asks nothing more
    return mapped(r, m);
  }

  /**
   * {@code coffer oplog-archive} for a schedule with {@code spec.pointInTime}: its template's
   * storage (written: the archiver puts its slices there), MongoDB source and encryption; the
   * schedule's uid as lock token, so a restarted archiver of the same schedule takes over at once.
   */
  public static Mapped oplogArchive(BackupSchedule schedule) {
    BackupSpec spec = schedule.getSpec().template;
    Mounts m = new Mounts();
    // the archiver locks nothing: it prunes the slices no backup needs
    Request.StorageRef storage =
        storage(spec.storage, m, false, "spec.template.storage", Purpose.OPLOG_ARCHIVE);
    BackupSpec.MongoSource mongo = spec.source.mongodb;
    OplogArchiveRequest.Mongo db =
        mongo == null
            ? null
            : new OplogArchiveRequest.Mongo(
                m.secret("mongodb-uri", mongo.uriSecret), null, tls(mongo.tls, m, "mongodb"));
    BackupRequest.Encryption encryption = encryption(spec, m);
    var pit = schedule.getSpec().pointInTime;
    OplogArchiveRequest r =
        new OplogArchiveRequest(
            storage,
            db,
            encryption,
            seconds(pit == null || pit.sliceInterval == null ? "10m" : pit.sliceInterval),
            null,
            String.valueOf(schedule.getMetadata().getUid()),
            new Request.Report("json", TERMINATION_LOG));
    return mapped(r, m);
  }

  /**
   * {@code coffer drill} for a schedule's {@code spec.drill}: its template's storage (read only),
   * the drill's MongoDB URI and identity Secrets, its prefix and modules, and with {@code files} an
   * emptyDir for the file trees. The newest complete backup in storage is drilled.
   */
  public static Mapped drill(BackupSchedule schedule) {
    BackupSpec spec = schedule.getSpec().template;
    var drill = schedule.getSpec().drill;
    Mounts m = new Mounts();
    Request.StorageRef storage = storage(spec.storage, m, true, "spec.template.storage");
    Request.Decryption decryption = null;
    if (drill.identity != null) {
      boolean passphrase = spec.encryption != null && spec.encryption.passphraseSecret != null;
      String file = m.secret("identity", drill.identity);
      decryption =
          passphrase ? new Request.Decryption(null, file) : new Request.Decryption(file, null);
    }
    RestoreRequest.Mongo mongo =
        new RestoreRequest.Mongo(
            m.secret("drill-mongodb-uri", drill.uriSecret),
            List.of(),
            List.of(),
            drill.modules == null ? List.of() : drill.modules,
            Map.of(),
            false,
            null,
            tls(drill.tls, m, "drill-mongodb"));
    String files =
        Boolean.TRUE.equals(drill.files)
            ? m.emptyDir("drill-files", Mounts.DRILL_FILES, "the drill pod's scratch emptyDir")
            : null;
    return mapped(
        new DrillRequest(
            null,
            storage,
            decryption,
            mongo,
            drill.databasePrefix == null ? "coffer_drill_" : drill.databasePrefix,
            files,
            REPORT),
        m);
  }

  /** A Backup spec's encryption: its recipients or passphrase Secret, mounted; null: none. */
  private static BackupRequest.Encryption encryption(BackupSpec spec, Mounts m) {
    if (spec.encryption != null && spec.encryption.recipients != null)
      return new BackupRequest.Encryption(
          null, m.secret("recipients", spec.encryption.recipients), null);
    if (spec.encryption != null && spec.encryption.passphraseSecret != null)
      return new BackupRequest.Encryption(
          null, null, m.secret("passphrase", spec.encryption.passphraseSecret));
    return null;
  }

  /** {@code 30s}, {@code 10m}, {@code 1h} (the CRD's pattern) in seconds. */
  public static int seconds(String d) {
    int n = Integer.parseInt(d.substring(0, d.length() - 1));
    return switch (d.charAt(d.length() - 1)) {
      case 'h' -> n * 3600;
      case 'm' -> n * 60;
      default -> n;
    };
  }

  /**
   * {@code readOnly}: a volume storage is mounted read-only (the Job only reads it); {@code at}:
   * the spec path of the storage.
   */
  private static Request.StorageRef storage(
      BackupSpec.StorageSpec st, Mounts m, boolean readOnly, String at) {
    return storage(st, m, readOnly, at, "", Mounts.STORAGE_ROOT, null);
  }

  /** The same for a Job of {@code purpose} (a deletion uses the deletion credentials). */
  private static Request.StorageRef storage(
      BackupSpec.StorageSpec st, Mounts m, boolean readOnly, String at, Purpose purpose) {
    return storage(st, m, readOnly, at, "", Mounts.STORAGE_ROOT, purpose);
  }

  /**
   * The same for a second location in one pod (a copy's): its volumes' names start with {@code
   * name}, a volume is mounted at {@code root}. A deletion uses the location's deletion
   * credentials; a location written to (not by the archiver) gets its Object Lock.
   */
  private static Request.StorageRef storage(
      BackupSpec.StorageSpec st,
      Mounts m,
      boolean readOnly,
      String at,
      String name,
      String root,
      Purpose purpose) {
    String n = name.isEmpty() ? "" : name + "-";
    if (st.s3 != null) {
      String prefix = st.s3.prefix == null ? "" : "/" + st.s3.prefix.replaceAll("^/+|/+$", "");
      String ca = st.s3.caSecret == null ? null : m.secret(n + "s3-ca", st.s3.caSecret);
      // a location written to gets its Object Lock; one deleted from, its deletion credentials
      boolean deletes = purpose == Purpose.DELETE;
      List<String> keys =
          m.secretKeys(
              n + "s3-credentials",
              deletes && st.s3.deleteCredentialsSecret != null
                  ? st.s3.deleteCredentialsSecret
                  : st.s3.credentialsSecret,
              "AWS_ACCESS_KEY_ID",
              "AWS_SECRET_ACCESS_KEY");
      Request.ObjectLock lock =
          !readOnly && !deletes && purpose != Purpose.OPLOG_ARCHIVE && st.s3.objectLock != null
              ? new Request.ObjectLock(
                  st.s3.objectLock.mode.name().toUpperCase(java.util.Locale.ROOT),
                  st.s3.objectLock.days)
              : null;
      return new Request.StorageRef(
          "s3://" + st.s3.bucket + prefix,
          new Request.S3(st.s3.endpoint, st.s3.region, ca, keys.get(0), keys.get(1)),
          null,
          lock);
    }
    String path = st.volume.path == null ? "" : st.volume.path.replaceAll("^/+|/+$", "");
    String where =
        m.claim(
            n + "storage",
            st.volume.claimName,
            root,
            path,
            readOnly,
            at
                + ".volume (claim "
                + st.volume.claimName
                + (path.isEmpty() ? "" : ", path " + st.volume.path)
                + ")");
    return new Request.StorageRef("file://" + where, null, null);
  }
}
