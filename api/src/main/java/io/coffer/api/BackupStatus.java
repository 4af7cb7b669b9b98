package io.coffer.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SelectableField;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What happened: written only by the operator. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BackupStatus {
  @SelectableField
  @JsonPropertyDescription(
      "Pending, Running, Succeeded or Failed. Selectable: kubectl get backups --field-selector status.phase=Failed.")
  public Phase phase;

  @JsonPropertyDescription("Standard conditions: Ready, Failed.")
  public List<Condition> conditions = new ArrayList<>();

  public Long observedGeneration;

  @JsonPropertyDescription("The id of the backup in storage.")
  public String backupId;

  public String startedAt;
  public String completedAt;

  @JsonPropertyDescription("How long the successful attempt took, e.g. 1m32s.")
  public String duration;

  @JsonPropertyDescription("The same, in seconds.")
  public Double durationSeconds;

  @JsonPropertyDescription("Live progress while running.")
  public Progress progress;

  @JsonPropertyDescription("Size of the stored archive, human readable.")
  public String size;

  public Long storedBytes;
  public Long rawBytes;
  public String sha256;

  @JsonPropertyDescription("Where the archive lies.")
  public String location;

  public Contents contents;

  @JsonPropertyDescription(
      "Whether the database part is one moment of the source: PointInTime (the server keeps an oplog; the entries "
          + "written while the backup read are kept and replayed by a restore, so the copy is the database as it was at "
          + "consistentAt) or PerCollection (each collection as it was when read, a little apart from the others; "
          + "consistencyReason says why, e.g. a server without an oplog such as a standalone or FerretDB). "
          + "Absent for a files-only backup.")
  public String consistency;

  @JsonPropertyDescription(
      "PointInTime: the moment the restored database will show (the backup's last read).")
  public String consistentAt;

  @JsonPropertyDescription(
      "PerCollection: why the backup is not one moment, and what would make it one.")
  public String consistencyReason;

  @JsonPropertyDescription("Public keys the archive is encrypted to (never a secret).")
  public List<String> recipients;

  @JsonPropertyDescription("Attempts started so far.")
  public Integer attempts;

  public String jobName;
  public String lastError;

  @JsonPropertyDescription("The last lines of the engine's log.")
  public List<String> logTail;

  @JsonPropertyDescription(
      "When the next attempt is due, after a failed one (of the backup, or of the deletion of its stored objects).")
  public String nextAttemptAt;

  @JsonPropertyDescription(
      "Attempts to delete the stored objects, once the Backup is being deleted.")
  public Integer deleteAttempts;

  @JsonPropertyDescription(
      "Incremental: the Backup this one builds on (restoring it reads the chain back to a full backup).")
  public String parent;

  @JsonPropertyDescription("The last verification (annotation coffer.io/verify-requested).")
  public Verification verification;

  @JsonPropertyDescription(
      "With spec.storage.s3.objectLock: the mode and the time until which every object of this backup is locked; "
          + "deleting the Backup (or retention) waits until then.")
  public String objectLock;

  public String lockedUntil;

  @JsonPropertyDescription(
      "Each copy of spec.copies: where it lies, whether it is there and checked (phase Verified: every object read "
          + "back where it landed and its SHA-256 compared), when, and what went wrong if it failed.")
  public List<Copy> copies;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Copy {
    public String name;
    public String location;

    @JsonPropertyDescription(
        "Copying, Verified, or Failed (retried after back-off up to 3 attempts).")
    public String phase;

    public Boolean verified;
    public String time;
    public Integer objects;
    public Long bytes;
    public String message;
    public String jobName;
    public Integer attempts;
    public String nextAttemptAt;
  }

  @JsonPropertyDescription(
      "The last download request (annotation coffer.io/download-requested): a URL that reads the stored archive "
          + "(encrypted when the backup is) without credentials until expiresAt, made by a Job that holds the storage credentials.")
  public Download download;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Download {
    @JsonPropertyDescription("The annotation value this answers.")
    public String requested;

    @JsonPropertyDescription("Running, Ready, Expired or Failed.")
    public String result;

    @JsonPropertyDescription(
        "While Ready: the presigned URL (S3), or for a volume the address of the Job's pod that serves the archive"
            + " inside the cluster (the console passes it on); removed once it expired.")
    public String url;

    public String expiresAt;
    public String fileName;
    public String message;
    public String jobName;
    public Integer count;
    public String time;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Verification {
    @JsonPropertyDescription("The annotation value this verification answers.")
    public String requested;

    @JsonPropertyDescription("Running, Verified or Failed.")
    public String result;

    public Boolean deep;
    public String time;
    public String message;
    public String jobName;
    public Integer count;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Progress {
    public Double percent;
    public Long bytes;
    public Long documents;
    public Long files;
    public String item;
    public String updatedAt;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Contents {
    public Integer collections;
    public Long documents;
    public Long files;
    public Map<String, Long> modules;
    public Map<String, Long> collectionCounts;
  }
}
