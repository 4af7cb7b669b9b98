package io.coffer.protocol;

import java.util.HashMap;
import java.util.Map;

/**
 * The fields of the requests a failure can be about, by their stable path in the request document
 * ({@code mongodb.include}, {@code files[1]}). The engine names a field in a message with {@link
 * #mark()}; whoever shows the message puts its own word in place of the mark ({@link
 * Marks#render}): the CLI the flag a person typed, the operator the spec path of the resource. Both
 * do so with an exhaustive switch over this enum, so a new field without its words does not
 * compile.
 */
public enum Field {
  // where backups are (every kind)
  STORAGE("storage.uri"),
  S3_ENDPOINT("storage.s3.endpoint"),
  S3_REGION("storage.s3.region"),
  S3_CA_FILE("storage.s3.caFile"),
  S3_CREDENTIALS("storage.s3.credentials"),
  UPLOAD_LIMIT("storage.uploadLimitMiBps"),
  OBJECT_LOCK("storage.objectLock"),
  // where a copy goes
  TO("to.uri"),
  TO_S3_ENDPOINT("to.s3.endpoint"),
  TO_S3_REGION("to.s3.region"),
  TO_S3_CA_FILE("to.s3.caFile"),
  TO_S3_CREDENTIALS("to.s3.credentials"),
  // a backup
  ID("id"),
  TYPE("type"),
  EXISTING("existing"),
  PARENT("chain.parent"),
  INDEX_KEY("chain.indexKeyFile"),
  LOCK_WAIT("lock.waitSeconds"),
  LOCK_TOKEN("lock.token"),
  RECIPIENTS("encryption.recipients"),
  PASSPHRASE("encryption.passphraseFile"),
  COMPRESSION("compression.method"),
  LEVEL("compression.level"),
  FILES("files"),
  FILES_INCLUDE("filesInclude"),
  FILES_EXCLUDE("filesExclude"),
  // MongoDB: the source of a backup, the target of a restore
  MONGODB_URI("mongodb.uriFile"),
  MONGODB_CA_FILE("mongodb.tls.caFile"),
  MONGODB_CERT_FILE("mongodb.tls.certificateFile"),
  MONGODB_KEY_FILE("mongodb.tls.keyFile"),
  INCLUDE("mongodb.include"),
  EXCLUDE("mongodb.exclude"),
  MODULES("mongodb.modules"),
  MODULE_MAP("mongodb.moduleMapFile"),
  RENAME_DB("mongodb.renameDatabases"),
  SYSTEM_DATABASES("mongodb.systemDatabases"),
  TIMEOUT("mongodb.timeoutSeconds"),
  // what a restore, verification, share or deletion reads
  BACKUP_ID("source.backupId"),
  ARCHIVE("source.archiveFile"),
  MONGODUMP("source.mongodump"),
  IDENTITY("decryption.identityFile"),
  DECRYPTION_PASSPHRASE("decryption.passphraseFile"),
  // a restore
  TREES("trees"),
  MODE("mode"),
  DRY_RUN("dryRun"),
  CONFIRM("confirm"),
  UNTIL("until"),
  // the oplog archiver
  SLICE("sliceSeconds"),
  POLL("pollSeconds"),
  // a drill
  DATABASE_PREFIX("databasePrefix"),
  FILES_DIR("filesDir"),
  // a verification, a share
  DEEP("deep"),
  EXPIRES("expiresMinutes");

  /** Marks open and close with characters no message of ours uses otherwise. */
  public static final char OPEN = '\u27e6';

  public static final char CLOSE = '\u27e7';

  private static final Map<String, Field> BY_PATH = new HashMap<>();

  static {
    for (Field f : values()) BY_PATH.put(f.path, f);
  }

  private final String path;

  Field(String path) {
    this.path = path;
  }

  /** The field's path in the request document, e.g. {@code mongodb.include}. */
  public String path() {
    return path;
  }

  /** How a message names this field: {@code ⟦mongodb.include⟧}. */
  public String mark() {
    return OPEN + path + CLOSE;
  }

  /** How a message names one element of a list field: {@code ⟦files[1]⟧}. */
  public String mark(int index) {
    return OPEN + path + "[" + index + "]" + CLOSE;
  }

  /** The field with this path, or null. */
  public static Field byPath(String path) {
    return BY_PATH.get(path);
  }

  @Override
  public String toString() {
    return mark();
  }
}
