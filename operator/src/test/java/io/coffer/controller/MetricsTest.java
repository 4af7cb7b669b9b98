package io.coffer.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleSpec;
import io.coffer.api.BackupScheduleStatus;
import io.coffer.api.BackupStatus;
import io.coffer.api.Phase;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricsTest {
  static Backup backup(String name, Phase phase, String verification) {
    Backup b = new Backup();
    b.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("rayerp").build());
    b.setStatus(new BackupStatus());
    b.getStatus().phase = phase;
    if (verification != null) {
      b.getStatus().verification = new BackupStatus.Verification();
      b.getStatus().verification.result = verification;
    }
    return b;
  }

  @Test
  void givenBackupsAndSchedules_whenRendered_thenPhasesVerificationsAndSchedulePeriodsAreThere() {
    BackupSchedule nightly = new BackupSchedule();
    nightly.setMetadata(
        new ObjectMetaBuilder().withName("nightly").withNamespace("rayerp").build());
    nightly.setSpec(new BackupScheduleSpec());
    nightly.getSpec().schedule = "0 2 * * *";
    nightly.getSpec().timeZone = "UTC";
    BackupSchedule broken = new BackupSchedule();
    broken.setMetadata(new ObjectMetaBuilder().withName("broken").withNamespace("rayerp").build());
    broken.setSpec(new BackupScheduleSpec());
    broken.getSpec().schedule = "not a cron";
    String text =
        Metrics.render(
            List.of(
                backup("a", Phase.Succeeded, "Verified"),
                backup("b", Phase.Succeeded, "Failed"),
                backup("c", Phase.Failed, null)),
            List.of(),
            List.of(nightly, broken));
    Map<String, Double> v = values(text);
    assertThat(v)
        .containsEntry("coffer_backups{namespace=\"rayerp\",phase=\"Succeeded\"}", 2.0)
        .containsEntry("coffer_backups{namespace=\"rayerp\",phase=\"Failed\"}", 1.0)
        .containsEntry("coffer_backup_verifications{namespace=\"rayerp\",result=\"Failed\"}", 1.0)
        .containsEntry("coffer_backup_verifications{namespace=\"rayerp\",result=\"Verified\"}", 1.0)
        .containsEntry(
            "coffer_schedule_period_seconds{namespace=\"rayerp\",schedule=\"nightly\"}", 86400.0);
    assertThat(text).doesNotContain("schedule=\"broken\"");
  }

  @Test
  void givenAScheduleWithPointInTime_thenItsWindowRpoTargetAndGapsAreExported() {
    BackupSchedule s = new BackupSchedule();
    s.setMetadata(new ObjectMetaBuilder().withName("nightly").withNamespace("rayerp").build());
    s.setSpec(new BackupScheduleSpec());
    s.getSpec().schedule = "0 2 * * *";
    s.getSpec().pointInTime = new BackupScheduleSpec.PointInTimeSpec();
    s.getSpec().pointInTime.enabled = true;
    s.getSpec().pointInTime.sliceInterval = "5m";
    s.setStatus(new BackupScheduleStatus());
    s.getStatus().pointInTime = new BackupScheduleStatus.PointInTimeStatus();
    s.getStatus().pointInTime.state = "Running";
    s.getStatus().pointInTime.recoverableUntil = "2026-12-07T10:15:00Z";
    s.getStatus().pointInTime.checkedAt = "2026-12-07T10:15:30Z";
    s.getStatus().pointInTime.gaps = List.of(new BackupScheduleStatus.Gap());
    String text = Metrics.render(List.of(), List.of(), List.of(s));
    String labels = "{namespace=\"rayerp\",schedule=\"nightly\"}";
    assertThat(values(text))
        .containsEntry("coffer_pitr_recoverable_until_timestamp_seconds" + labels, 1796638500.0)
        .containsEntry("coffer_pitr_rpo_target_seconds" + labels, 600.0)
        .containsEntry("coffer_pitr_gaps" + labels, 1.0)
        .containsEntry("coffer_pitr_archiver_up" + labels, 1.0)
        .containsEntry("coffer_pitr_last_report_timestamp_seconds" + labels, 1796638530.0);
  }

  /**
   * A backup this operator saw succeed is counted in the duration and size histograms, in the
   * buckets the alerts' authors know.
   */
  @Test
  void givenASucceededBackup_thenTheHistogramsCountIt() {
    Metrics m = new Metrics();
    m.backupSucceeded(42.0, 5_000_000L);
    Map<String, Double> v = values(m.scrape(List.of(), List.of(), List.of()));
    assertThat(v)
        .containsEntry("coffer_backup_duration_seconds_count", 1.0)
        .containsEntry("coffer_backup_duration_seconds_bucket{le=\"30.0\"}", 0.0)
        .containsEntry("coffer_backup_duration_seconds_bucket{le=\"60.0\"}", 1.0)
        .containsEntry("coffer_backup_stored_bytes_bucket{le=\"1.0E7\"}", 1.0)
        .containsEntry("coffer_backup_stored_bytes_sum", 5_000_000.0);
  }

  /** Each sample line of Prometheus text: name{labels} to its value. */
  static Map<String, Double> values(String text) {
    Map<String, Double> out = new HashMap<>();
    for (String line : text.lines().toList()) {
      if (line.startsWith("#") || line.isBlank()) continue;
      int sp = line.lastIndexOf(' ');
      out.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
    }
    return out;
  }
}
