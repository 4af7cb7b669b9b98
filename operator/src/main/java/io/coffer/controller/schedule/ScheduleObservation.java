package io.coffer.controller.schedule;

import io.coffer.api.Backup;
import java.util.List;
import java.util.Set;

/**
 * What one look at a BackupSchedule sees, from the Backup informer's cache: the Backups it created
 * (label coffer.io/schedule) that are not being deleted, and the names of the Backups in its
 * namespace that any incremental Backup (of any schedule) builds on: retention never breaks a
 * chain.
 */
public record ScheduleObservation(List<Backup> backups, Set<String> parents) {
  public ScheduleObservation {
    backups = List.copyOf(backups);
    parents = Set.copyOf(parents);
  }
}
