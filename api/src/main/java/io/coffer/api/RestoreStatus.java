package io.coffer.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SelectableField;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What the restore did, or (dry run) would do. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RestoreStatus {
  @SelectableField
  @JsonPropertyDescription(
      "Pending, Running, Succeeded or Failed. Selectable: kubectl get restores --field-selector status.phase=Running.")
  public Phase phase;

  public List<Condition> conditions = new ArrayList<>();
  public Long observedGeneration;

  @com.fasterxml.jackson.annotation.JsonPropertyDescription(
      "The backup restored; for a mongodump (spec.source.mongodump), \"mongodump\" and its path.")
  public String backupId;

  public String startedAt;
  public String completedAt;
  public String duration;
  public BackupStatus.Progress progress;
  public String jobName;
  public String lastError;
  public List<String> logTail;

  @JsonPropertyDescription(
      "Each collection and file tree: source, target, size and what happens to the target (create, replace, merge).")
  public List<Item> plan;

  public Integer collections;
  public Long documents;
  public Long files;

  @JsonPropertyDescription(
      "Whether the restored databases are one moment of the source: PointInTime (the backup's oplog window, or a "
          + "mongodump's oplog, was replayed: the databases are as they were at consistentAt) or PerCollection "
          + "(each collection as it was read; consistencyReason says why). Absent for a files-only restore.")
  public String consistency;

  @JsonPropertyDescription("PointInTime: the moment the restored databases show.")
  public String consistentAt;

  @JsonPropertyDescription(
      "With spec.pointInTime: the backup the restore started from, and the archived oplog it replayed on top.")
  public PointInTimeReplay pointInTime;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class PointInTimeReplay {
    public String until;
    public String baseBackupId;
    public Integer slices;
    public Long oplogEntries;

    @JsonPropertyDescription(
        "What the replayed commands changed: collections created, dropped, renamed or changed, and"
            + " those created that are not restored, with their time (at most 20 lines and a count).")
    public List<String> changes;
  }

  @JsonPropertyDescription(
      "PerCollection: why the restored databases are not one moment. PointInTime after a merge: that the "
          + "targets also keep documents the source did not hold at that moment.")
  public String consistencyReason;

  @JsonPropertyDescription(
      "What this restore writes to, once its Job exists: mongodb:SECRET/KEY (the target's URI Secret) and "
          + "pvc:CLAIM (each target volume). While it runs, Backups and other Restores of any of them wait.")
  public List<String> targets;

  @JsonPropertyDescription("Why the restore waits, e.g. for another restore of the same target.")
  public String waitingFor;

  @JsonPropertyDescription(
      "An upload's place and state (spec.source.upload): where it is staged, the URL that PUTs it until it expires,"
          + " when it arrived, and whether it was removed.")
  public Upload upload;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Upload {
    @JsonPropertyDescription("The staged file's path in source.storage.")
    public String path;

    @JsonPropertyDescription(
        "PUT the file here (no credentials needed) until expiresAt, then annotate the Restore"
            + " coffer.io/uploaded=sha256:<its SHA-256>. Whoever may read this Restore may use it until then.")
    public String url;

    public String expiresAt;

    @JsonPropertyDescription("When the upload was announced (the annotation coffer.io/uploaded).")
    public String uploadedAt;

    @JsonPropertyDescription(
        "The SHA-256 the uploader announced (coffer.io/uploaded=sha256:...): the restore refuses a staged file without it.")
    public String sha256;

    @JsonPropertyDescription(
        "When the staged file is removed at the latest (keepHours after the upload, or after the URL expired without one).")
    public String keepUntil;

    @JsonPropertyDescription("True once the staged file was removed from storage.")
    public Boolean removed;

    @JsonPropertyDescription("Why signing the URL or removing the file failed.")
    public String message;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Item {
    public String kind;
    public String source;
    public String target;
    public Long documents;
    public Long files;
    public Long bytes;
    public String action;
  }
}
