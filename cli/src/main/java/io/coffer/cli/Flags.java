package io.coffer.cli;

import io.coffer.protocol.Field;
import io.coffer.protocol.Marks;
import io.coffer.protocol.Purpose;

/**
 * A person's words for the request fields an engine message names: the flag they would type. The
 * switch is exhaustive, so a field added to the protocol without its flag does not compile.
 */
final class Flags {
  private Flags() {}

  /**
   * {@code purpose}: the command (files are {@code --files} to back up, {@code --files-target} to
   * restore); {@code uriFile}: the URI came from a file.
   */
  static String word(Field f, Integer index, Purpose purpose, boolean uriFile) {
    return switch (f) {
      case STORAGE -> "--storage";
      case S3_ENDPOINT -> "--s3-endpoint / COFFER_S3_ENDPOINT";
      case S3_REGION -> "--s3-region";
      case S3_CA_FILE -> "--s3-ca-file";
      case S3_CREDENTIALS -> "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
      case UPLOAD_LIMIT -> "--limit-upload";
      case OBJECT_LOCK -> "--object-lock";
      case TO -> "--to";
      case DATABASE_PREFIX -> "--database-prefix";
      case FILES_DIR -> "--files-dir";
      case TO_S3_ENDPOINT -> "--to-s3-endpoint";
      case TO_S3_REGION -> "--to-s3-region";
      case TO_S3_CA_FILE -> "--to-s3-ca-file";
      case TO_S3_CREDENTIALS ->
          "--to-access-key-file and --to-secret-key-file (else AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)";
      case ID -> "--id";
      case TYPE -> "--type";
      case EXISTING -> "--existing";
      case PARENT -> "--parent";
      case INDEX_KEY -> "--index-key-file";
      case LOCK_WAIT -> "--wait-for-lock";
      case LOCK_TOKEN -> "--lock-token";
      case RECIPIENTS -> "--recipients-file";
      case PASSPHRASE, DECRYPTION_PASSPHRASE -> "--passphrase-file";
      case COMPRESSION -> "--compression";
      case LEVEL -> "--level";
      case FILES ->
          purpose == Purpose.RESTORE
              ? "--files-target"
              : index == null ? "--files NAME=DIR" : "--files";
      case FILES_INCLUDE -> "--files-include";
      case FILES_EXCLUDE -> "--files-exclude";
      case MONGODB_URI ->
          uriFile ? "--mongodb-uri-file" : "--mongodb-uri or set COFFER_MONGODB_URI";
      case MONGODB_CA_FILE -> "--mongodb-ca-file";
      case MONGODB_CERT_FILE -> "--mongodb-client-cert-file";
      case MONGODB_KEY_FILE -> "--mongodb-client-key-file";
      case INCLUDE -> "--include";
      case EXCLUDE -> "--exclude";
      case MODULES -> "--modules";
      case MODULE_MAP -> "--module-map";
      case RENAME_DB -> "--rename-db";
      case SYSTEM_DATABASES -> "--system-databases";
      case TIMEOUT -> "--timeout";
      case BACKUP_ID -> "--backup";
      case ARCHIVE -> "--archive";
      case MONGODUMP -> "--from-mongodump";
      case IDENTITY -> "--identity-file";
      case TREES -> "--tree";
      case MODE -> "--mode";
      case DRY_RUN -> "--dry-run";
      case CONFIRM -> "--yes";
      case UNTIL -> "--until";
      case SLICE -> "--slice-interval";
      case POLL -> "--poll-interval";
      case DEEP -> "--deep";
      case EXPIRES -> "--expires";
    };
  }

  /** An engine message in a person's words. */
  static String render(String message, Purpose purpose, boolean uriFile) {
    return Marks.render(message, (f, i) -> word(f, i, purpose, uriFile));
  }
}
