package io.coffer.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class BackupScheduleStatus {
  public List<Condition> conditions = new ArrayList<>();
  public Long observedGeneration;
  public String lastScheduleTime;
  public String nextScheduleTime;
  public String lastSuccessfulBackup;
  public String lastSuccessfulTime;
  public String lastFailedBackup;
  public List<String> active;
  public Integer retained;
  public Long totalStoredBytes;
  public String totalSize;

  @JsonPropertyDescription(
      "Backups retention would delete but keeps until their Object Lock expires: how many, and the first expiry.")
  public String retentionWaiting;

  @JsonPropertyDescription(
      "The last restore drill (spec.drill): when, Running / Passed / Failed, which backup, the time to a usable copy"
          + " (RTO), what was restored and checked, and why it failed.")
  public Drill lastDrill;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Drill {
    public Integer count;
    public String time;
    public String result;
    public String backupId;
    public Double rtoSeconds;
    public Integer collections;
    public Long documents;
    public Long files;
    public String message;
    public String jobName;
  }

  public String lastVerificationTime;

  @JsonPropertyDescription(
      "With spec.pointInTime: the oplog archiver and the window a restore can reach (from the archiver's own report).")
  public PointInTimeStatus pointInTime;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class PointInTimeStatus {
    @JsonPropertyDescription("The archiver's Deployment.")
    public String archiver;

    @JsonPropertyDescription(
        "Starting (no report yet), Running (reporting), or NotReporting (its pod is not running or says nothing).")
    public String state;

    @JsonPropertyDescription(
        "The oldest second a Restore's pointInTime can reach: the moment of the oldest point-in-time backup in the"
            + " archived stretch. Absent until a backup lies in it.")
    public String recoverableFrom;

    @JsonPropertyDescription("The newest second a Restore's pointInTime can reach.")
    public String recoverableUntil;

    @JsonPropertyDescription("When the newest slice was written.")
    public String lastSliceAt;

    @JsonPropertyDescription("When the archiver last reported.")
    public String checkedAt;

    public Integer slices;
    public Long entries;

    @JsonPropertyDescription("What the slices take in storage.")
    public String size;

    @JsonPropertyDescription(
        "Stretches no slice covers (the oplog rolled over before the archiver read them): nothing in them can be"
            + " restored; the next backup opens a new window. The newest 20.")
    public List<Gap> gaps;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Gap {
    public String from;
    public String to;
    public String reason;
  }
}
