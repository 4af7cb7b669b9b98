package io.coffer.e2e;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleSpec;
import io.coffer.api.BackupScheduleStatus;
import io.coffer.api.BackupStatus;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.api.RestoreStatus;
import io.coffer.controller.Metrics;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;

/**
 * The operator's /metrics for one resource of each state the chart's alerts look at: a failed and a
 * verified Backup, a failed Restore, a schedule with a success, point-in-time and a drill. Pure
 * values, scraped from the operator's own Micrometer registry.
 */
final class MetricsSamples {
  private MetricsSamples() {}

  static String scrape() {
    Backup failed = backup("failed", Phase.Failed);
    Backup verified = backup("verified", Phase.Succeeded);
    verified.getStatus().verification = new BackupStatus.Verification();
    verified.getStatus().verification.result = "Failed";
    Restore restore = new Restore();
    restore.setMetadata(new ObjectMetaBuilder().withName("r").withNamespace("rayerp").build());
    restore.setStatus(new RestoreStatus());
    restore.getStatus().phase = Phase.Failed;
    BackupSchedule s = new BackupSchedule();
    s.setMetadata(new ObjectMetaBuilder().withName("nightly").withNamespace("rayerp").build());
    s.setSpec(new BackupScheduleSpec());
    s.getSpec().schedule = "0 2 * * *";
    s.getSpec().pointInTime = new BackupScheduleSpec.PointInTimeSpec();
    s.getSpec().pointInTime.enabled = true;
    s.setStatus(new BackupScheduleStatus());
    s.getStatus().lastSuccessfulTime = "2026-12-07T01:00:00Z";
    s.getStatus().pointInTime = new BackupScheduleStatus.PointInTimeStatus();
    s.getStatus().pointInTime.state = "Running";
    s.getStatus().pointInTime.recoverableUntil = "2026-12-07T10:15:00Z";
    s.getStatus().pointInTime.checkedAt = "2026-12-07T10:15:30Z";
    s.getStatus().lastDrill = new BackupScheduleStatus.Drill();
    s.getStatus().lastDrill.result = "Failed";
    s.getStatus().lastDrill.rtoSeconds = 12.0;
    Metrics m = new Metrics();
    m.backupSucceeded(42.0, 1_000_000L);
    return m.scrape(List.of(failed, verified), List.of(restore), List.of(s));
  }

  static Backup backup(String name, Phase phase) {
    Backup b = new Backup();
    b.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("rayerp").build());
    b.setStatus(new BackupStatus());
    b.getStatus().phase = phase;
    return b;
  }
}
