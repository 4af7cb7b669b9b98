package io.coffer.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Brings a backup back, all or part, in place or elsewhere. A Restore is one-shot: once finished,
 * applying it again changes nothing; a new restore is a new Restore.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "has(self.backupName) != has(self.source)",
    message =
        "set exactly one of backupName (a Backup in this namespace) and source (storage and backupId, an archive file, or a mongodump)")
@ValidationRule(
    value =
        "!has(self.mode) || self.mode != 'Replace' || (has(self.dryRun) && self.dryRun) || (has(self.confirm) && self.confirm)",
    message =
        "mode Replace drops and recreates every selected collection and file tree: set confirm: true (or dryRun: true to preview)")
@ValidationRule(
    value =
        "has(self.backupName) || (has(self.target) && (has(self.target.mongodb) || (has(self.target.files) && size(self.target.files) > 0)))",
    message =
        "a restore from source (disaster recovery) needs a target: target.mongodb and/or target.files")
@ValidationRule(
    value =
        "!has(self.source) || !has(self.source.mongodump) || (!has(self.decryption) && (!has(self.modules) || size(self.modules) == 0)"
            + " && (!has(self.trees) || size(self.trees) == 0) && has(self.target) && has(self.target.mongodb) && has(self.target.mongodb.uriSecret)"
            + " && (!has(self.target.files) || size(self.target.files) == 0))",
    message =
        "a mongodump (source.mongodump) is not encrypted and holds only collections: set target.mongodb.uriSecret, and leave out decryption, modules, trees and target.files")
@ValidationRule(
    value =
        "!has(self.source) || !has(self.source.upload) || !has(self.source.upload.fileName) || self.source.upload.fileName.endsWith('.zip')"
            + " || self.source.upload.fileName.endsWith('.zip.age') || (has(self.target) && has(self.target.mongodb) && has(self.target.mongodb.uriSecret))",
    message =
        "an uploaded mongodump (source.upload.fileName not .zip or .zip.age) restores only into target.mongodb.uriSecret: set it")
@ValidationRule(
    value =
        "!has(self.source) || has(self.source.archive) || has(self.source.backupId) || has(self.source.mongodump) || has(self.source.upload) || has(self.pointInTime)",
    message =
        "source.storage alone needs pointInTime (a restore to a moment from the newest point-in-time backup before it); else give source.backupId")
@ValidationRule(
    value =
        "!has(self.pointInTime) || !has(self.source) || !(has(self.source.archive) || has(self.source.mongodump) || has(self.source.upload))",
    message =
        "pointInTime replays the oplog archive in a storage onto a Coffer backup there: use backupName or source.storage, not source.archive, source.mongodump or source.upload")
public class RestoreSpec {
  public enum Mode {
    Merge,
    Replace
  }

  @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
  @JsonPropertyDescription("The Backup (in this namespace) to restore.")
  public String backupName;

  @JsonPropertyDescription(
      "For disaster recovery into a cluster without the Backup resource: where the backup lies and its id.")
  public Source source;

  @JsonPropertyDescription(
      "The key that opens an encrypted backup: an age identity or the passphrase.")
  public Decryption decryption;

  @JsonPropertyDescription("Where to restore (default: where the backup came from).")
  public Target target;

  @JsonPropertyDescription("Only these collections (patterns over db.collection with * and ?).")
  public List<String> include = new ArrayList<>();

  @JsonPropertyDescription("Leave out these collections.")
  public List<String> exclude = new ArrayList<>();

  @JsonPropertyDescription("Only the collections of these modules, as the backup recorded them.")
  public List<@Pattern("^[a-z0-9][a-z0-9_-]*$") String> modules = new ArrayList<>();

  @JsonPropertyDescription("Only these file trees.")
  public List<String> trees = new ArrayList<>();

  @Default("Merge")
  @JsonPropertyDescription(
      "Merge (default: upsert documents by _id, overwrite and add files, keep the rest) or Replace (make each selected collection and tree exactly the backup's; needs confirm).")
  public Mode mode = Mode.Merge;

  @JsonPropertyDescription("Must be true for mode Replace.")
  public Boolean confirm;

  @JsonPropertyDescription(
      "Only compute the plan (what would be restored, what exists and would be replaced or merged) into status; touch nothing.")
  public Boolean dryRun;

  @Pattern("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})$")
  @JsonPropertyDescription(
      "Restore the databases as they were at the end of this second (RFC 3339, e.g. 2026-12-07T10:15:00Z): a"
          + " point-in-time backup before it (backupName or source.backupId; with source.storage alone, the newest"
          + " before it) and the oplog a schedule's archiver (spec.pointInTime) wrote since, replayed up to it. Outside"
          + " the window (the schedule's status.pointInTime) the restore fails and says what the window is.")
  public String pointInTime;

  @JsonPropertyDescription("Resources and placement of the restore Job's pod.")
  public PodTemplate podTemplate;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value =
          "has(self.archive) ? !has(self.storage) && !has(self.backupId) && !has(self.mongodump) && !has(self.upload) : has(self.storage) && (has(self.backupId) ? 1 : 0) + (has(self.mongodump) ? 1 : 0) + (has(self.upload) ? 1 : 0) <= 1",
      message =
          "set source.storage with source.backupId (a backup in its storage), with source.mongodump (what mongodump wrote there) or with source.upload (a file uploaded there), or alone with pointInTime; or source.archive alone (an archive file on a volume)")
  @ValidationRule(
      value = "!has(self.upload) || has(self.storage.s3)",
      message =
          "source.upload stages the file in S3 through a presigned URL: source.storage must be s3 (on a volume, copy the file there and use source.archive)")
  public static class Source {
    @JsonPropertyDescription("Where the backup lies.")
    public BackupSpec.StorageSpec storage;

    @Pattern("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
    @JsonPropertyDescription("The backup id in that storage (see `coffer list`).")
    public String backupId;

    @JsonPropertyDescription(
        "Instead of storage and backupId: one backup's archive file on a volume (as `coffer download` writes it, "
            + "encrypted or not), e.g. a copy kept offline. Not for incremental backups, whose archive holds only changes.")
    public ArchiveFile archive;

    @Pattern("^[^/](.*[^/])?$")
    @ValidationRule(
        value = "!self.matches('(^|/)[.][.](/|$)')",
        message = "source.mongodump must stay inside the storage (no '..')")
    @JsonPropertyDescription(
        "Instead of backupId: what a mongodump cron left in source.storage, by its path there: an archive file (mongodump "
            + "--archive, gzipped or not) in S3 or on a volume, or a folder (mongodump --out, gzipped or not) on a volume, e.g. cron/2026-11-30.archive.gz. "
            + "Its collections are staged and checked (the archive's CRCs, every document) before any is put in place; its oplog is not replayed; "
            + "users, roles and system collections are left out. Needs target.mongodb.")
    public String mongodump;

    @JsonPropertyDescription(
        "Instead of backupId: a file uploaded into source.storage (S3) for this restore, as the console's Restore"
            + " screen does it: the operator answers with a presigned PUT URL in status.upload.url; PUT the file there,"
            + " then annotate the Restore coffer.io/uploaded=sha256:<the file's SHA-256> (or true, unchecked), and it"
            + " previews or restores as usual, refusing a staged file that is not the one announced. This Restore"
            + " removes the staged file once a restore that is not a dry run used it and none still runs, and keepHours"
            + " after the upload at the latest.")
    public Upload upload;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "has(self.fileName) != has(self.fromRestore)",
      message =
          "set exactly one of source.upload.fileName (upload a file) and source.upload.fromRestore (the file another Restore uploaded)")
  public static class Upload {
    @Pattern("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}[.](zip|zip[.]age|archive|archive[.]gz|gz)$")
    @JsonPropertyDescription(
        "The file's name, which says what it holds: NAME.zip or NAME.zip.age (a Coffer archive, as `coffer download`"
            + " or the console's Download writes it) or NAME.archive, NAME.archive.gz, NAME.gz (mongodump --archive,"
            + " gzipped or not; needs target.mongodb.uriSecret).")
    public String fileName;

    @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    @JsonPropertyDescription(
        "Instead of fileName: the file another Restore in this namespace uploaded (the console previews an upload"
            + " with one Restore, then restores it with a second).")
    public String fromRestore;

    @io.fabric8.generator.annotation.Min(1)
    @io.fabric8.generator.annotation.Max(1440)
    @JsonPropertyDescription("How long the upload URL works, in minutes (default 60).")
    public Integer expiresMinutes;

    @io.fabric8.generator.annotation.Min(1)
    @io.fabric8.generator.annotation.Max(720)
    @JsonPropertyDescription(
        "Hours after the upload (or after the URL expired without one) when the staged file is removed even if no"
            + " restore used it (default 24).")
    public Integer keepHours;

    /** A Coffer archive (else a mongodump archive). */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean cofferArchive() {
      return fileName != null && (fileName.endsWith(".zip") || fileName.endsWith(".zip.age"));
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class ArchiveFile {
    @Required
    @JsonPropertyDescription("PersistentVolumeClaim holding the file; mounted read-only.")
    public String claimName;

    @Required
    @Pattern("^[^/](.*[^/])?$")
    @ValidationRule(
        value = "!self.matches('(^|/)[.][.](/|$)')",
        message = "source.archive.path must stay inside the volume (no '..')")
    @JsonPropertyDescription(
        "Path of the archive inside the volume, e.g. offline/rayerp-2026-11-26.zip.age.")
    public String path;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "has(self.identity) != has(self.passphraseSecret)",
      message = "set exactly one of decryption.identity and decryption.passphraseSecret")
  public static class Decryption {
    @JsonPropertyDescription("Secret key holding an age identity file (AGE-SECRET-KEY-1...).")
    public KeyRef identity;

    @JsonPropertyDescription("Secret key holding the passphrase.")
    public KeyRef passphraseSecret;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Target {
    @JsonPropertyDescription("MongoDB to restore into (default: the Backup's source).")
    public TargetMongo mongodb;

    @JsonPropertyDescription(
        "Volumes to restore file trees into, by tree name (default: the Backup's volumes).")
    public List<BackupSpec.FileVolume> files = new ArrayList<>();
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "!has(self.tls) || has(self.uriSecret)",
      message =
          "target.mongodb.tls goes with target.mongodb.uriSecret; without a uriSecret the Backup's source and its tls are used")
  public static class TargetMongo {
    @JsonPropertyDescription(
        "Secret key with the target's connection string (default: the Backup's source).")
    public KeyRef uriSecret;

    @JsonPropertyDescription(
        "TLS to the target (with uriSecret; without it the Backup's source's tls applies).")
    public BackupSpec.MongoTls tls;

    @JsonPropertyDescription("Restore database FROM into TO, e.g. {erp: erp_restored}.")
    public Map<String, String> renameDatabases;
  }
}
