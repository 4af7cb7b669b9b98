package io.coffer.controller.schedule;

import io.coffer.api.BackupScheduleSpec;

/** Opens the reconciler's frequency-to-cron translation to tests in other packages. */
public final class BackupScheduleReconcilerAccess {
  private BackupScheduleReconcilerAccess() {}

  public static String cronOf(BackupScheduleSpec spec) {
    return BackupScheduleReconciler.cronOf(spec);
  }
}
