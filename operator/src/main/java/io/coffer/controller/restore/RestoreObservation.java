package io.coffer.controller.restore;

import io.coffer.api.Backup;
import io.coffer.api.Restore;
import io.coffer.status.LogTail;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.List;

/**
 * What one look at a Restore sees, from informer caches except the log: its restore Job (null
 * before it is created) and the pods of its Jobs, the engine's log while it can change (else null),
 * the Backup it names (null: none named, or not in the cache), and another Restore writing to the
 * same targets now (null if none). For an upload (spec.source.upload): the Jobs that sign its URL
 * and remove the staged file (null until created), the Restore whose upload it uses (fromRestore;
 * null: none named, or not in the cache), and the Restores that use its own upload.
 */
public record RestoreObservation(
    Job job,
    List<Pod> pods,
    LogTail.Parsed log,
    Backup backup,
    Restore other,
    Job signing,
    Job removal,
    Restore uploader,
    List<Restore> users) {
  public RestoreObservation {
    pods = List.copyOf(pods);
    users = List.copyOf(users);
  }

  /** A Restore without an upload. */
  public RestoreObservation(
      Job job, List<Pod> pods, LogTail.Parsed log, Backup backup, Restore other) {
    this(job, pods, log, backup, other, null, null, null, List.of());
  }
}
