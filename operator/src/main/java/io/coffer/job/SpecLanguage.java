package io.coffer.job;

import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The engine speaks its command line ({@code --s3-endpoint}, {@code check --files}, {@code /data/files/uploads});
 * a status speaks the resource ({@code spec.storage.s3.endpoint}, {@code spec.source.files[0].subPath}). This is
 * {@link JobFactory} read backwards: each option and in-pod path the factory writes, mapped to the spec field it came
 * from. Pure; text it does not know passes through unchanged.
 */
public final class SpecLanguage {
  private SpecLanguage() {}

  /** A message of a backup attempt's engine, in the Backup's words. */
  public static String backup(String message, Backup b) {
    Map<String, String> words = storageWords(b.getSpec().storage, "spec.storage");
    BackupSpec spec = b.getSpec();
    words.put("--mongodb-uri or set COFFER_MONGODB_URI", "spec.source.mongodb.uriSecret");
    words.put("--mongodb-uri", "spec.source.mongodb.uriSecret");
    words.put("COFFER_MONGODB_URI", "spec.source.mongodb.uriSecret");
    words.put("--files NAME=DIR", "spec.source.files");
    words.put("--files-include", "spec.source.filesInclude");
    words.put("--files-exclude", "spec.source.filesExclude");
    words.put("--include", "spec.source.mongodb.include");
    words.put("--exclude", "spec.source.mongodb.exclude");
    words.put("--modules", "spec.source.mongodb.modules");
    words.put("--module-map", "spec.source.mongodb.moduleMap");
    words.put("--recipients-file", "spec.encryption.recipients");
    words.put("--passphrase-file", "spec.encryption.passphraseSecret");
    words.put("--index-key-file", "spec.chain.indexKeySecret");
    words.put("--parent", "spec.chain.parent");
    words.put("--type", "spec.type");
    words.put("--compression", "spec.compression.method");
    words.put("--level", "spec.compression.level");
    words.put("--limit-upload", "spec.storage.uploadLimitMiBps");
    words.put(JobFactory.SECRETS_ROOT + "recipients/value", "spec.encryption.recipients");
    words.put(JobFactory.SECRETS_ROOT + "passphrase/value", "spec.encryption.passphraseSecret");
    words.put(JobFactory.SECRETS_ROOT + "index-key/value", "spec.chain.indexKeySecret");
    words.put(JobFactory.SECRETS_ROOT + "module-map/modules.yaml", "spec.source.mongodb.moduleMap");
    return translate(message, words, spec.source.files, "spec.source.files");
  }

  /** A message of a verification's engine: storage, and the identity it was given. */
  public static String verify(String message, Backup b) {
    Map<String, String> words = storageWords(b.getSpec().storage, "spec.storage");
    words.put("--identity-file", "spec.verification.identity");
    words.put("--passphrase-file", "spec.verification.identity");
    words.put(JobFactory.SECRETS_ROOT + "identity/value", "spec.verification.identity");
    return translate(message, words, List.of(), "spec.source.files");
  }

  /** A message of the engine deleting a Backup's stored objects: only storage is involved. */
  public static String delete(String message, Backup b) {
    return translate(message, storageWords(b.getSpec().storage, "spec.storage"), List.of(), "spec.source.files");
  }

  /** A message of a restore's engine, in the Restore's words ({@code backup}: the Backup it names, or null). */
  public static String restore(String message, Restore r, Backup backup) {
    RestoreSpec spec = r.getSpec();
    Map<String, String> words = backup != null ? storageWords(backup.getSpec().storage, "Backup " + backup.getMetadata().getName() + " spec.storage")
        : spec.source != null && spec.source.storage != null ? storageWords(spec.source.storage, "spec.source.storage") : new LinkedHashMap<>();
    words.put("--backup", backup != null ? "spec.backupName" : "spec.source.backupId");
    words.put("--archive", "spec.source.archive");
    words.put("--from-mongodump", "spec.source.mongodump");
    if (spec.source != null && spec.source.archive != null) {
      words.put(JobFactory.ARCHIVE_ROOT + "/" + spec.source.archive.path, "spec.source.archive (claim " + spec.source.archive.claimName
          + ", path " + spec.source.archive.path + ")");
    }
    words.put("--mongodb-uri or set COFFER_MONGODB_URI", "spec.target.mongodb.uriSecret");
    words.put("--mongodb-uri", "spec.target.mongodb.uriSecret");
    words.put("COFFER_MONGODB_URI", "spec.target.mongodb.uriSecret");
    words.put("--rename-db", "spec.target.mongodb.renameDatabases");
    words.put("--tree", "spec.trees");
    words.put("--include", "spec.include");
    words.put("--exclude", "spec.exclude");
    words.put("--modules", "spec.modules");
    words.put("--identity-file", "spec.decryption.identity");
    words.put("--passphrase-file", "spec.decryption.passphraseSecret");
    words.put(JobFactory.SECRETS_ROOT + "identity/value", "spec.decryption.identity");
    words.put(JobFactory.SECRETS_ROOT + "passphrase/value", "spec.decryption.passphraseSecret");
    words.put("--mode", "spec.mode");
    words.put("--dry-run", "spec.dryRun");
    words.put("--yes", "spec.confirm");
    List<BackupSpec.FileVolume> targets = spec.target == null ? List.of() : spec.target.files;
    String text = message;
    // a tree the Restore restores to the Backup's own volume: say so, the Restore has no entry for it
    for (BackupSpec.FileVolume f : JobFactory.targetFiles(r, backup)) {
      if (targets.stream().noneMatch(t -> t.name.equals(f.name))) {
        words.put(JobFactory.FILES_ROOT + f.name, "the volume of tree " + f.name + " (claim " + f.claimName + sub(f) + ", from the Backup; "
            + "spec.target.files can name another)");
      }
    }
    text = replaceFilesTarget(text);
    return translate(text, words, targets, "spec.target.files");
  }

  private static Map<String, String> storageWords(BackupSpec.StorageSpec st, String at) {
    Map<String, String> words = new LinkedHashMap<>();
    words.put("--s3-endpoint / COFFER_S3_ENDPOINT", at + ".s3.endpoint");
    words.put("--s3-endpoint", at + ".s3.endpoint");
    words.put("--s3-region", at + ".s3.region");
    words.put("--s3-ca-file", at + ".s3.caSecret");
    words.put(JobFactory.SECRETS_ROOT + "s3-ca/value", at + ".s3.caSecret");
    words.put("--storage", at);
    words.put("AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY", at + ".s3.credentialsSecret");
    words.put("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", at + ".s3.credentialsSecret");
    words.put("AWS_ACCESS_KEY_ID", at + ".s3.credentialsSecret (key AWS_ACCESS_KEY_ID)");
    words.put("AWS_SECRET_ACCESS_KEY", at + ".s3.credentialsSecret (key AWS_SECRET_ACCESS_KEY)");
    if (st != null && st.volume != null) {
      String path = st.volume.path == null ? "" : "/" + st.volume.path.replaceAll("^/+|/+$", "");
      words.put(JobFactory.STORAGE_ROOT + path, at + ".volume (claim " + st.volume.claimName + (path.isEmpty() ? "" : ", path " + st.volume.path) + ")");
      words.put(JobFactory.STORAGE_ROOT, at + ".volume (claim " + st.volume.claimName + ")");
    }
    return words;
  }

  private static final Pattern FILES_TARGET = Pattern.compile("--files-target ([^\\s=]+)=DIR");

  private static String replaceFilesTarget(String text) {
    Matcher m = FILES_TARGET.matcher(text);
    return m.replaceAll(r -> Matcher.quoteReplacement("spec.target.files (an entry named " + r.group(1) + ")"))
        .replaceAll("(?<![\\w-])--files-target(?![\\w-])", "spec.target.files");
  }

  private static final Pattern TREE = Pattern.compile("file tree ([^\\s:]+):");

  /**
   * Replaces in-pod paths and options by the spec's words, longest first so {@code --files-include} is not read as
   * {@code --files}. {@code files} are the volume entries whose mount points may appear, at spec path {@code at}.
   */
  private static String translate(String message, Map<String, String> words, List<BackupSpec.FileVolume> files, String at) {
    if (message == null) return null;
    Map<String, String> all = new LinkedHashMap<>(words);
    for (int i = 0; i < files.size(); i++) {
      BackupSpec.FileVolume f = files.get(i);
      all.put(JobFactory.FILES_ROOT + f.name, at + "[" + i + "] (claim " + f.claimName + sub(f) + ")");
    }
    // "file tree uploads: ... check --files": the entry of that tree, and the field most likely wrong
    Matcher tree = TREE.matcher(message);
    String filesWord = at;
    if (tree.find()) {
      for (int i = 0; i < files.size(); i++) {
        BackupSpec.FileVolume f = files.get(i);
        if (f.name.equals(tree.group(1))) filesWord = at + "[" + i + "]" + (f.subPath != null && !f.subPath.isBlank() ? ".subPath" : ".claimName");
      }
    }
    if (at.equals("spec.source.files")) all.put("--files", filesWord);
    List<String> keys = new ArrayList<>(all.keySet());
    keys.sort((a, b) -> b.length() - a.length());
    String text = message;
    for (String k : keys) {
      String boundary = k.startsWith("/") ? "(?![\\w.-])" : "(?![\\w-])";
      text = text.replaceAll("(?<![\\w/-])" + Pattern.quote(k) + boundary, Matcher.quoteReplacement(all.get(k)));
    }
    return text;
  }

  private static String sub(BackupSpec.FileVolume f) {
    return f.subPath != null && !f.subPath.isBlank() ? ", subPath " + f.subPath : "";
  }
}
