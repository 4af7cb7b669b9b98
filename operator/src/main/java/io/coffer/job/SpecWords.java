package io.coffer.job;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupSpec;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.coffer.protocol.Field;
import io.coffer.protocol.Marks;
import io.coffer.protocol.Purpose;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An engine message in the words of the resource it ran for: each request field it names ({@link
 * Field}, a mark) becomes the spec path it was made from, by an exhaustive switch (a new field
 * without its spec path does not compile), and each in-pod path the request chose becomes what it
 * is in the spec ({@link Requests.Mapped#places()}). Pure.
 */
public final class SpecWords {
  private SpecWords() {}

  /**
   * A message of a Job that ran for Backup {@code b} ({@code purpose}: backup, verify, share or
   * delete).
   */
  public static String backup(String message, Backup b, Purpose purpose) {
    if (message == null) return null;
    Requests.Mapped mapped =
        switch (purpose) {
          case BACKUP -> Requests.backup(b, null);
          case VERIFY -> Requests.verify(b, true);
          case SHARE -> Requests.share(b, 1);
          case DELETE -> Requests.delete(b);
          case COPY ->
              throw new IllegalArgumentException("a copy's message names its copy: use copy()");
          case DRILL ->
              throw new IllegalArgumentException("a drill's message is in its schedule's words");
          case RESTORE, UPLOAD, OPLOG_ARCHIVE ->
              throw new IllegalArgumentException(
                  "a restore's, an upload's or an archiver's message is in its own resource's words");
        };
    return places(Marks.render(message, (f, i) -> backupWord(f, i, b, purpose)), mapped.places());
  }

  /** A message of the Job that copies Backup {@code b} to its copy {@code index}. */
  public static String copy(String message, Backup b, int index) {
    if (message == null) return null;
    String at = "spec.copies[" + index + "].storage";
    return places(
        Marks.render(
            message,
            (f, i) ->
                switch (f) {
                  case TO -> at;
                  case TO_S3_ENDPOINT -> at + ".s3.endpoint";
                  case TO_S3_REGION -> at + ".s3.region";
                  case TO_S3_CA_FILE -> at + ".s3.caSecret";
                  case TO_S3_CREDENTIALS -> at + ".s3.credentialsSecret";
                  default -> backupWord(f, i, b, Purpose.COPY);
                }),
        Requests.copy(b, index).places());
  }

  /** A message of a schedule's drill Job, in the BackupSchedule's words. */
  public static String drill(String message, BackupSchedule s) {
    if (message == null) return null;
    return places(
        Marks.render(
            message,
            (f, i) ->
                switch (f) {
                  case MONGODB_URI -> "spec.drill.uriSecret";
                  case MONGODB_CA_FILE -> "spec.drill.tls.caSecret";
                  case MONGODB_CERT_FILE, MONGODB_KEY_FILE ->
                      "spec.drill.tls.clientCertificateSecret";
                  case IDENTITY, DECRYPTION_PASSPHRASE -> "spec.drill.identity";
                  case DATABASE_PREFIX, RENAME_DB -> "spec.drill.databasePrefix";
                  case MODULES -> "spec.drill.modules";
                  case FILES, FILES_DIR -> "spec.drill.files";
                  case BACKUP_ID -> "the newest backup of spec.template.storage";
                  default ->
                      backupWord(f, i, backupOf(s), Purpose.DRILL)
                          .replaceFirst("^spec\\.", "spec.template.");
                }),
        Requests.drill(s).places());
  }

  private static Backup backupOf(BackupSchedule s) {
    Backup b = new Backup();
    b.setMetadata(s.getMetadata());
    b.setSpec(s.getSpec().template);
    return b;
  }

  /** A message of a Restore's Job ({@code backup}: the Backup it names, or null). */
  public static String restore(String message, Restore r, Backup backup) {
    if (message == null) return null;
    return places(
        Marks.render(message, (f, i) -> restoreWord(f, i, r, backup)),
        Requests.restore(r, backup).places());
  }

  static String backupWord(Field f, Integer i, Backup b, Purpose purpose) {
    BackupSpec spec = b.getSpec();
    return switch (f) {
      case STORAGE -> "spec.storage";
      case S3_ENDPOINT -> "spec.storage.s3.endpoint";
      case S3_REGION -> "spec.storage.s3.region";
      case S3_CA_FILE -> "spec.storage.s3.caSecret";
      case S3_CREDENTIALS -> "spec.storage.s3.credentialsSecret";
      case UPLOAD_LIMIT -> "spec.storage.uploadLimitMiBps";
      case OBJECT_LOCK -> "spec.storage.s3.objectLock";
      case TO -> "spec.copies[].storage";
      case DATABASE_PREFIX -> "spec.drill.databasePrefix";
      case FILES_DIR -> "spec.drill.files";
      case TO_S3_ENDPOINT -> "spec.copies[].storage.s3.endpoint";
      case TO_S3_REGION -> "spec.copies[].storage.s3.region";
      case TO_S3_CA_FILE -> "spec.copies[].storage.s3.caSecret";
      case TO_S3_CREDENTIALS -> "spec.copies[].storage.s3.credentialsSecret";
      case TYPE -> "spec.type";
      case PARENT -> "spec.chain.parent";
      case INDEX_KEY -> "spec.chain.indexKeySecret";
      case RECIPIENTS -> "spec.encryption.recipients";
      case PASSPHRASE -> "spec.encryption.passphraseSecret";
      case COMPRESSION -> "spec.compression.method";
      case LEVEL -> "spec.compression.level";
      case FILES ->
          i == null || i >= spec.source.files.size()
              ? "spec.source.files"
              : "spec.source.files["
                  + i
                  + "]"
                  + (spec.source.files.get(i).subPath != null
                          && !spec.source.files.get(i).subPath.isBlank()
                      ? ".subPath"
                      : ".claimName");
      case FILES_INCLUDE -> "spec.source.filesInclude";
      case FILES_EXCLUDE -> "spec.source.filesExclude";
      case MONGODB_URI -> "spec.source.mongodb.uriSecret";
      case MONGODB_CA_FILE -> "spec.source.mongodb.tls.caSecret";
      case MONGODB_CERT_FILE, MONGODB_KEY_FILE -> "spec.source.mongodb.tls.clientCertificateSecret";
      case INCLUDE -> "spec.source.mongodb.include";
      case EXCLUDE -> "spec.source.mongodb.exclude";
      case MODULES -> "spec.source.mongodb.modules";
      case MODULE_MAP -> "spec.source.mongodb.moduleMap";
      case IDENTITY, DECRYPTION_PASSPHRASE -> "spec.verification.identity";
      case DEEP -> "spec.verification.deep";
      // the backup id is the Backup's name and the start of its uid: another name is another id
      case BACKUP_ID, ID -> "metadata.name (backup id " + JobFactory.backupId(b) + ")";
      case EXISTING,
          LOCK_WAIT,
          LOCK_TOKEN,
          TIMEOUT,
          EXPIRES,
          RENAME_DB,
          SYSTEM_DATABASES,
          ARCHIVE,
          MONGODUMP,
          TREES,
          MODE,
          DRY_RUN,
          CONFIRM,
          UNTIL,
          SLICE,
          POLL ->
          own(f, purpose);
    };
  }

  /** A message of a schedule's oplog archiver, in the BackupSchedule's words. */
  public static String schedule(String message, BackupSchedule s) {
    if (message == null) return null;
    Backup template = new Backup();
    template.setMetadata(s.getMetadata());
    template.setSpec(s.getSpec().template);
    return places(
        Marks.render(
            message,
            (f, i) ->
                switch (f) {
                  case SLICE -> "spec.pointInTime.sliceInterval";
                  case POLL -> own(f, Purpose.OPLOG_ARCHIVE);
                  default ->
                      backupWord(f, i, template, Purpose.BACKUP)
                          .replaceFirst("^spec\\.", "spec.template.");
                }),
        Requests.oplogArchive(s).places());
  }

  /** A message of the Job that signs or removes Restore {@code r}'s upload, in its words. */
  public static String upload(String message, Restore r) {
    if (message == null) return null;
    return places(
        Marks.render(message, (f, i) -> restoreWord(f, i, r, null)),
        Requests.upload(r, "x", false).places());
  }

  static String restoreWord(Field f, Integer i, Restore r, Backup backup) {
    RestoreSpec spec = r.getSpec();
    String storage =
        backup != null
            ? "Backup " + backup.getMetadata().getName() + " spec.storage"
            : "spec.source.storage";
    boolean ownUri =
        spec.target != null && spec.target.mongodb != null && spec.target.mongodb.uriSecret != null;
    return switch (f) {
      case STORAGE -> storage;
      case S3_ENDPOINT -> storage + ".s3.endpoint";
      case S3_REGION -> storage + ".s3.region";
      case S3_CA_FILE -> storage + ".s3.caSecret";
      case S3_CREDENTIALS -> storage + ".s3.credentialsSecret";
      case MONGODB_URI ->
          ownUri || backup == null || backup.getSpec().source.mongodb == null
              ? "spec.target.mongodb.uriSecret"
              : "Backup "
                  + backup.getMetadata().getName()
                  + " spec.source.mongodb.uriSecret (spec.target.mongodb.uriSecret can name another)";
      case MONGODB_CA_FILE, MONGODB_CERT_FILE, MONGODB_KEY_FILE ->
          (ownUri || backup == null || backup.getSpec().source.mongodb == null
                  ? "spec.target.mongodb.tls."
                  : "Backup " + backup.getMetadata().getName() + " spec.source.mongodb.tls.")
              + (f == Field.MONGODB_CA_FILE ? "caSecret" : "clientCertificateSecret");
      case INCLUDE -> "spec.include";
      case EXCLUDE -> "spec.exclude";
      case MODULES -> "spec.modules";
      case RENAME_DB -> "spec.target.mongodb.renameDatabases";
      case BACKUP_ID -> backup != null ? "spec.backupName" : "spec.source.backupId";
      case ARCHIVE, MONGODUMP ->
          spec.source != null && spec.source.upload != null
              ? "spec.source.upload"
              : f == Field.ARCHIVE ? "spec.source.archive" : "spec.source.mongodump";
      case EXPIRES -> "spec.source.upload.expiresMinutes";
      case IDENTITY -> "spec.decryption.identity";
      case DECRYPTION_PASSPHRASE -> "spec.decryption.passphraseSecret";
      case TREES -> "spec.trees";
      case TYPE -> "spec.include / spec.modules / spec.trees";
      case MODE -> "spec.mode";
      case DRY_RUN -> "spec.dryRun";
      case CONFIRM -> "spec.confirm";
      case UNTIL -> "spec.pointInTime";
      case FILES -> filesTarget(i, r, backup);
      case SYSTEM_DATABASES ->
          "coffer restore --system-databases (by hand: a Restore leaves admin, local and config out)";
      case UPLOAD_LIMIT,
          OBJECT_LOCK,
          DATABASE_PREFIX,
          FILES_DIR,
          TO,
          TO_S3_ENDPOINT,
          TO_S3_REGION,
          TO_S3_CA_FILE,
          TO_S3_CREDENTIALS,
          ID,
          EXISTING,
          PARENT,
          INDEX_KEY,
          LOCK_WAIT,
          LOCK_TOKEN,
          RECIPIENTS,
          PASSPHRASE,
          COMPRESSION,
          LEVEL,
          FILES_INCLUDE,
          FILES_EXCLUDE,
          MODULE_MAP,
          TIMEOUT,
          DEEP,
          SLICE,
          POLL ->
          own(f, Purpose.RESTORE);
    };
  }

  /**
   * The target of the request's file tree {@code i}: an entry of the Restore's own targets, or the
   * Backup's volume.
   */
  private static String filesTarget(Integer i, Restore r, Backup backup) {
    List<BackupSpec.FileVolume> targets = JobFactory.targetFiles(r, backup);
    if (i == null || i >= targets.size()) return "spec.target.files";
    BackupSpec.FileVolume f = targets.get(i);
    List<BackupSpec.FileVolume> own =
        r.getSpec().target == null ? List.of() : r.getSpec().target.files;
    int j = own.indexOf(f);
    return j >= 0
        ? "spec.target.files[" + j + "]"
        : "the volume of tree " + f.name + " (from the Backup; spec.target.files can name another)";
  }

  /**
   * A request field the operator sets itself: no spec field to fix, so a failure about it is the
   * operator's.
   */
  private static String own(Field f, Purpose purpose) {
    return "the "
        + purpose.label()
        + " request's "
        + f.path()
        + " (set by the operator, not by the spec: please report this)";
  }

  /**
   * Each in-pod path of the request, longest first so a mount's sub-path is not read as the mount,
   * in the spec's words.
   */
  private static String places(String message, Map<String, String> places) {
    List<String> paths = new ArrayList<>(places.keySet());
    paths.sort((a, c) -> c.length() - a.length());
    String text = message;
    for (String p : paths) text = replaceWhole(text, p, places.get(p));
    return text;
  }

  /**
   * {@code path} replaced where it stands as a whole path: not inside a longer name ({@code
   * /data/files/up} in {@code /data/files/upload}).
   */
  private static String replaceWhole(String text, String path, String words) {
    StringBuilder out = new StringBuilder();
    int at = 0;
    while (true) {
      int i = text.indexOf(path, at);
      if (i < 0) break;
      int end = i + path.length();
      boolean before = i == 0 || !isNameChar(text.charAt(i - 1)) && text.charAt(i - 1) != '/';
      boolean after =
          end == text.length()
              || !isNameChar(text.charAt(end))
              || text.charAt(end) == '.'
                  && (end + 1 == text.length() || !isNameChar(text.charAt(end + 1)));
      out.append(text, at, i).append(before && after ? words : path);
      at = end;
    }
    return out.append(text.substring(at)).toString();
  }

  private static boolean isNameChar(char c) {
    return Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.';
  }
}
