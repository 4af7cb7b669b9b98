package io.coffer.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** When to back up, what (a Backup spec template), and how long to keep the results. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "has(self.schedule) != has(self.frequency)",
    message =
        "set exactly one of schedule (cron, e.g. '0 2 * * *' or @daily) and frequency (daily / weekly / monthly with a time)")
public class BackupScheduleSpec {
  public enum ConcurrencyPolicy {
    Forbid,
    Allow,
    Replace
  }

  @JsonPropertyDescription(
      "A 5-field cron expression (minute hour day-of-month month day-of-week) or @hourly, @daily, @weekly, @monthly.")
  @Pattern("^(@(hourly|daily|midnight|weekly|monthly|yearly|annually)|(\\S+\\s+){4}\\S+)$")
  public String schedule;

  @JsonPropertyDescription(
      "For people who do not speak cron: every day, week or month at a time of day.")
  public Frequency frequency;

  @Default("UTC")
  @JsonPropertyDescription(
      "IANA time zone the schedule is read in, e.g. Europe/Berlin (daylight saving is handled).")
  public String timeZone = "UTC";

  @JsonPropertyDescription("Stop creating Backups (retention still applies).")
  public Boolean suspend;

  @Default("Forbid")
  @JsonPropertyDescription(
      "When a run is due while the previous Backup still runs: Forbid (skip the new run, default), Allow, Replace (delete the running one).")
  public ConcurrencyPolicy concurrencyPolicy = ConcurrencyPolicy.Forbid;

  @Min(0)
  @JsonPropertyDescription(
      "A run missed (operator down) by more than this many seconds is skipped. At most one missed run is caught up.")
  public Long startingDeadlineSeconds;

  @Required
  @JsonPropertyDescription("The Backup each run creates.")
  public BackupSpec template;

  @JsonPropertyDescription(
      "Which Backups to keep; pruned ones are deleted with their stored objects.")
  public RetentionSpec retention;

  @JsonPropertyDescription(
      "Verify each Backup once it succeeded (checksum; deep when the template's verification asks for it).")
  public Boolean verifyAfterEachBackup;

  @JsonPropertyDescription(
      "Also verify the newest succeeded Backup on this cron (same syntax as schedule, in timeZone), e.g. '0 12 * * SUN'.")
  @Pattern("^(@(hourly|daily|midnight|weekly|monthly|yearly|annually)|(\\S+\\s+){4}\\S+)$")
  public String verificationSchedule;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "self.every != 'Weekly' || has(self.dayOfWeek)",
      message = "a Weekly frequency needs dayOfWeek")
  @ValidationRule(
      value = "self.every != 'Monthly' || has(self.dayOfMonth)",
      message = "a Monthly frequency needs dayOfMonth")
  public static class Frequency {
    public enum Every {
      Daily,
      Weekly,
      Monthly
    }

    public enum Day {
      Monday,
      Tuesday,
      Wednesday,
      Thursday,
      Friday,
      Saturday,
      Sunday
    }

    @Required
    @JsonPropertyDescription("Daily, Weekly or Monthly.")
    public Every every;

    @Required
    @Pattern("^([01][0-9]|2[0-3]):[0-5][0-9]$")
    @JsonPropertyDescription("Time of day, HH:MM, e.g. 02:00.")
    public String time;

    @JsonPropertyDescription("For Weekly: the day.")
    public Day dayOfWeek;

    @Min(1)
    @Max(28)
    @JsonPropertyDescription("For Monthly: the day of the month (1-28, so every month has it).")
    public Integer dayOfMonth;
  }

  @JsonPropertyDescription(
      "Continuous oplog archiving, for restores to any second (a Restore's pointInTime): the operator runs one"
          + " archiver (a Deployment of one replica, `coffer oplog-archive`) that tails the source's oplog (a replica set"
          + " only) and writes slices, encrypted like the backups, next to them in template.storage; status.pointInTime"
          + " shows the window.")
  public PointInTimeSpec pointInTime;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class PointInTimeSpec {
    @JsonPropertyDescription(
        "Run the archiver. false (or no pointInTime) stops and removes it; its slices stay.")
    public Boolean enabled;

    @Default("10m")
    @Pattern("^[1-9][0-9]{0,4}[smh]$")
    @JsonPropertyDescription(
        "How long each slice is (the most a restore to a moment can lose if the archiver's pod dies): 30s, 10m, 1h.")
    public String sliceInterval = "10m";

    @Pattern("^[1-9][0-9]{0,4}[smh]$")
    @JsonPropertyDescription(
        "The recovery point objective: an alert fires (the chart's PrometheusRule) and the PointInTimeReady condition"
            + " turns False when the newest restorable second is older than this. Default: twice sliceInterval.")
    public String rpoTarget;
  }

  @JsonPropertyDescription(
      "Restore drills (the seed's monthly restore test): on this cron the operator restores the newest succeeded"
          + " backup into scratch databases (databasePrefix before each source database's name) on the MongoDB of"
          + " uriSecret, the same server as the source or another, checks documents, hashes, indexes (and files), measures"
          + " the time to a usable copy, and drops the scratch databases; status.lastDrill says how it went.")
  public DrillSpec drill;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class DrillSpec {
    @Default("\"@monthly\"")
    @JsonPropertyDescription(
        "When, in the schedule's time zone: a 5-field cron or @daily / @weekly / @monthly (default @monthly).")
    public String schedule = "@monthly";

    @Required
    @JsonPropertyDescription("Secret key with the URI of the MongoDB the scratch databases go to.")
    public KeyRef uriSecret;

    @JsonPropertyDescription("TLS to that MongoDB: a private CA and/or a client certificate.")
    public BackupSpec.MongoTls tls;

    @Default("coffer_drill_")
    @Pattern("^[a-z][a-z0-9_]{1,30}_$")
    @JsonPropertyDescription(
        "Put before each source database's name for its scratch copy; only such databases are ever written or"
            + " dropped, and a drill whose scratch name would be a source database is refused.")
    public String databasePrefix = "coffer_drill_";

    @JsonPropertyDescription("Only these modules of the backup (default: all it holds).")
    public List<String> modules;

    @JsonPropertyDescription(
        "Also restore the file trees into an emptyDir of the drill's pod and check every file's SHA-256.")
    public Boolean files;

    @JsonPropertyDescription(
        "Secret key with the age identity (or the passphrase) that opens the backups; needed when they are encrypted.")
    public KeyRef identity;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class RetentionSpec {
    @Pattern("^[0-9]+[mhdw]$")
    @JsonPropertyDescription("Keep every succeeded Backup younger than this, e.g. 30d.")
    public String maxAge;

    @Min(1)
    @Max(10000)
    @JsonPropertyDescription("Keep the newest N succeeded Backups.")
    public Integer keepLast;

    @Min(1)
    @Max(10000)
    @JsonPropertyDescription("Keep the newest Backup of each of the last N days that have one.")
    public Integer keepDaily;

    @Min(1)
    @Max(10000)
    @JsonPropertyDescription("Keep the newest Backup of each of the last N weeks that have one.")
    public Integer keepWeekly;

    @Min(1)
    @Max(10000)
    @JsonPropertyDescription("Keep the newest Backup of each of the last N months that have one.")
    public Integer keepMonthly;

    @Min(0)
    @Max(1000)
    @Default("3")
    @JsonPropertyDescription(
        "How many failed Backups to keep (default 3), apart from the succeeded ones.")
    public Integer failedHistoryLimit = 3;
  }
}
