package io.coffer.controller;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.Restore;
import io.coffer.controller.schedule.ScheduleDecider;
import io.coffer.schedule.Cron;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Renders Prometheus text metrics from the resources' status. Pure: the informer caches list, this
 * counts.
 */
public final class Metrics {
  static final double[] DURATION_BUCKETS = {10, 30, 60, 300, 900, 1800, 3600, 7200, 14400};
  static final double[] SIZE_BUCKETS = {1e6, 1e7, 1e8, 1e9, 1e10, 1e11};

  private Metrics() {}

  public static String render(
      List<Backup> backups, List<Restore> restores, List<BackupSchedule> schedules) {
    StringBuilder sb = new StringBuilder();
    Map<String, Integer> byPhase = new TreeMap<>();
    for (Backup b : backups)
      byPhase.merge(
          key(
              b.getMetadata().getNamespace(),
              b.getStatus() == null || b.getStatus().phase == null
                  ? "Pending"
                  : b.getStatus().phase.name()),
          1,
          Integer::sum);
    sb.append(
        "# HELP coffer_backups Backups by namespace and phase.\n# TYPE coffer_backups gauge\n");
    byPhase.forEach(
        (k, v) -> sb.append("coffer_backups{").append(k).append("} ").append(v).append('\n'));
    Map<String, Integer> restoresByPhase = new TreeMap<>();
    for (Restore r : restores)
      restoresByPhase.merge(
          key(
              r.getMetadata().getNamespace(),
              r.getStatus() == null || r.getStatus().phase == null
                  ? "Pending"
                  : r.getStatus().phase.name()),
          1,
          Integer::sum);
    sb.append(
        "# HELP coffer_restores Restores by namespace and phase.\n# TYPE coffer_restores gauge\n");
    restoresByPhase.forEach(
        (k, v) -> sb.append("coffer_restores{").append(k).append("} ").append(v).append('\n'));
    histogram(
        sb,
        "coffer_backup_duration_seconds",
        "Duration of succeeded backups.",
        DURATION_BUCKETS,
        backups.stream()
            .filter(b -> b.getStatus() != null && b.getStatus().durationSeconds != null)
            .mapToDouble(b -> b.getStatus().durationSeconds)
            .toArray());
    histogram(
        sb,
        "coffer_backup_stored_bytes",
        "Stored size of succeeded backups.",
        SIZE_BUCKETS,
        backups.stream()
            .filter(b -> b.getStatus() != null && b.getStatus().storedBytes != null)
            .mapToDouble(b -> b.getStatus().storedBytes)
            .toArray());
    sb.append(
            "# HELP coffer_schedule_last_success_timestamp_seconds When each schedule last produced a succeeded backup.\n")
        .append("# TYPE coffer_schedule_last_success_timestamp_seconds gauge\n");
    for (BackupSchedule s : schedules) {
      if (s.getStatus() == null || s.getStatus().lastSuccessfulTime == null) continue;
      sb.append("coffer_schedule_last_success_timestamp_seconds{namespace=\"")
          .append(s.getMetadata().getNamespace())
          .append("\",schedule=\"")
          .append(s.getMetadata().getName())
          .append("\"} ")
          .append(Instant.parse(s.getStatus().lastSuccessfulTime).getEpochSecond())
          .append('\n');
    }
    sb.append(
            "# HELP coffer_schedule_period_seconds Time between a schedule's next two runs (alert when no backup succeeded for longer).\n")
        .append("# TYPE coffer_schedule_period_seconds gauge\n");
    for (BackupSchedule s : schedules) {
      Long period = period(s);
      if (period == null) continue;
      sb.append("coffer_schedule_period_seconds{namespace=\"")
          .append(s.getMetadata().getNamespace())
          .append("\",schedule=\"")
          .append(s.getMetadata().getName())
          .append("\"} ")
          .append(period)
          .append('\n');
    }
    pointInTime(sb, schedules);
    drills(sb, schedules);
    Map<String, Integer> verifications = new TreeMap<>();
    for (Backup b : backups) {
      if (b.getStatus() == null
          || b.getStatus().verification == null
          || b.getStatus().verification.result == null) continue;
      verifications.merge(
          "namespace=\""
              + b.getMetadata().getNamespace()
              + "\",result=\""
              + b.getStatus().verification.result
              + "\"",
          1,
          Integer::sum);
    }
    sb.append(
            "# HELP coffer_backup_verifications Backups by namespace and the result of their last verification.\n")
        .append("# TYPE coffer_backup_verifications gauge\n");
    verifications.forEach(
        (k, v) ->
            sb.append("coffer_backup_verifications{")
                .append(k)
                .append("} ")
                .append(v)
                .append('\n'));
    return sb.toString();
  }

  /**
   * The oplog archive of each schedule with {@code spec.pointInTime}: the newest restorable second
   * (alert when now minus it passes the RPO target, the next gauge), its gaps and whether the
   * archiver reports.
   */
  /**
   * Each schedule's last restore drill: its time to a usable copy and whether it passed
   * (spec.drill).
   */
  private static void drills(StringBuilder sb, List<BackupSchedule> schedules) {
    StringBuilder rto = new StringBuilder();
    StringBuilder passed = new StringBuilder();
    for (BackupSchedule s : schedules) {
      var last = s.getStatus() == null ? null : s.getStatus().lastDrill;
      if (last == null || "Running".equals(last.result)) continue;
      String labels =
          "{namespace=\""
              + s.getMetadata().getNamespace()
              + "\",schedule=\""
              + s.getMetadata().getName()
              + "\"} ";
      if (last.rtoSeconds != null)
        rto.append("coffer_drill_rto_seconds").append(labels).append(last.rtoSeconds).append('\n');
      passed
          .append("coffer_drill_passed")
          .append(labels)
          .append("Passed".equals(last.result) ? 1 : 0)
          .append('\n');
    }
    sb.append(
            "# HELP coffer_drill_rto_seconds A schedule's last restore drill: the time from its restore's start to a usable copy.\n")
        .append("# TYPE coffer_drill_rto_seconds gauge\n")
        .append(rto)
        .append(
            "# HELP coffer_drill_passed Whether a schedule's last restore drill passed (1) or failed (0).\n")
        .append("# TYPE coffer_drill_passed gauge\n")
        .append(passed);
  }

  static void pointInTime(StringBuilder sb, List<BackupSchedule> schedules) {
    StringBuilder until = new StringBuilder();
    StringBuilder rpo = new StringBuilder();
    StringBuilder gaps = new StringBuilder();
    StringBuilder up = new StringBuilder();
    StringBuilder checked = new StringBuilder();
    for (BackupSchedule s : schedules) {
      var pit = s.getSpec() == null ? null : s.getSpec().pointInTime;
      if (pit == null || !Boolean.TRUE.equals(pit.enabled)) continue;
      String labels =
          "{namespace=\""
              + s.getMetadata().getNamespace()
              + "\",schedule=\""
              + s.getMetadata().getName()
              + "\"} ";
      long target = ScheduleDecider.rpoTarget(pit).toSeconds();
      rpo.append("coffer_pitr_rpo_target_seconds").append(labels).append(target).append('\n');
      var st = s.getStatus() == null ? null : s.getStatus().pointInTime;
      up.append("coffer_pitr_archiver_up")
          .append(labels)
          .append(st != null && "Running".equals(st.state) ? 1 : 0)
          .append('\n');
      if (st == null) continue;
      if (st.recoverableUntil != null)
        until
            .append("coffer_pitr_recoverable_until_timestamp_seconds")
            .append(labels)
            .append(Instant.parse(st.recoverableUntil).getEpochSecond())
            .append('\n');
      if (st.checkedAt != null)
        checked
            .append("coffer_pitr_last_report_timestamp_seconds")
            .append(labels)
            .append(Instant.parse(st.checkedAt).getEpochSecond())
            .append('\n');
      gaps.append("coffer_pitr_gaps")
          .append(labels)
          .append(st.gaps == null ? 0 : st.gaps.size())
          .append('\n');
    }
    sb.append(
            "# HELP coffer_pitr_recoverable_until_timestamp_seconds The newest second a restore to a moment reaches (spec.pointInTime). time() minus it is the achieved RPO.\n")
        .append("# TYPE coffer_pitr_recoverable_until_timestamp_seconds gauge\n")
        .append(until)
        .append(
            "# HELP coffer_pitr_rpo_target_seconds A schedule's spec.pointInTime.rpoTarget (default twice its slice interval).\n")
        .append("# TYPE coffer_pitr_rpo_target_seconds gauge\n")
        .append(rpo)
        .append(
            "# HELP coffer_pitr_gaps Stretches of the oplog archive no slice covers (the oplog rolled over before the archiver read it).\n")
        .append("# TYPE coffer_pitr_gaps gauge\n")
        .append(gaps)
        .append(
            "# HELP coffer_pitr_archiver_up Whether the schedule's oplog archiver runs and reports.\n")
        .append("# TYPE coffer_pitr_archiver_up gauge\n")
        .append(up)
        .append(
            "# HELP coffer_pitr_last_report_timestamp_seconds When the archiver last reported (time() minus it: how far behind it is).\n")
        .append("# TYPE coffer_pitr_last_report_timestamp_seconds gauge\n")
        .append(checked);
  }

  private static Long period(BackupSchedule s) {
    try {
      ZoneId zone = ZoneId.of(s.getSpec().timeZone == null ? "UTC" : s.getSpec().timeZone);
      Cron cron = Cron.parse(ScheduleDecider.cronOf(s.getSpec()));
      ZonedDateTime a = cron.next(ZonedDateTime.now(zone), zone);
      ZonedDateTime b = a == null ? null : cron.next(a, zone);
      return b == null ? null : Duration.between(a, b).getSeconds();
    } catch (RuntimeException e) {
      return null; // an invalid spec: its status says why
    }
  }

  private static String key(String ns, String phase) {
    return "namespace=\"" + ns + "\",phase=\"" + phase + "\"";
  }

  private static void histogram(
      StringBuilder sb, String name, String help, double[] buckets, double[] values) {
    sb.append("# HELP ")
        .append(name)
        .append(' ')
        .append(help)
        .append("\n# TYPE ")
        .append(name)
        .append(" histogram\n");
    double sum = 0;
    for (double v : values) sum += v;
    for (double b : buckets) {
      long n = 0;
      for (double v : values) if (v <= b) n++;
      sb.append(name)
          .append("_bucket{le=\"")
          .append(
              b >= 1e6 ? String.format("%.0e", b).replace("e+0", "e+") : String.valueOf((long) b))
          .append("\"} ")
          .append(n)
          .append('\n');
    }
    sb.append(name).append("_bucket{le=\"+Inf\"} ").append(values.length).append('\n');
    sb.append(name)
        .append("_sum ")
        .append(sum)
        .append('\n')
        .append(name)
        .append("_count ")
        .append(values.length)
        .append('\n');
  }
}
