package io.coffer.controller;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.Restore;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import java.util.List;

/**
 * The controllers' informer caches of their own resources, for readers outside a reconcile ({@code
 * /metrics}): each controller hands its primary cache over when its event sources are prepared.
 * Empty until then, and empty on a replica that does not lead.
 */
public final class Caches {
  private volatile IndexedResourceCache<Backup> backups;
  private volatile IndexedResourceCache<Restore> restores;
  private volatile IndexedResourceCache<BackupSchedule> schedules;
  private volatile boolean leading = true;
  private final Metrics metrics = new Metrics();

  /** The operator's meters: /metrics scrapes them, the controllers and the SDK record into them. */
  public Metrics metrics() {
    return metrics;
  }

  /**
   * Whether this replica holds the lease (always, without leader election): a standby's caches are
   * warm, not its.
   */
  public void leading(boolean leading) {
    this.leading = leading;
  }

  public void backups(IndexedResourceCache<Backup> c) {
    backups = c;
  }

  public void restores(IndexedResourceCache<Restore> c) {
    restores = c;
  }

  public void schedules(IndexedResourceCache<BackupSchedule> c) {
    schedules = c;
  }

  public List<Backup> backups() {
    return backups == null || !leading ? List.of() : backups.list().toList();
  }

  public List<Restore> restores() {
    return restores == null || !leading ? List.of() : restores.list().toList();
  }

  public List<BackupSchedule> schedules() {
    return schedules == null || !leading ? List.of() : schedules.list().toList();
  }
}
