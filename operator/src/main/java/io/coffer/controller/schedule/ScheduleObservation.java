package io.coffer.controller.schedule;

import io.coffer.api.Backup;
import io.coffer.protocol.OplogWindow;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.List;
import java.util.Set;

/**
 * What one look at a BackupSchedule sees, from the Backup informer's cache: the Backups it created
 * (label coffer.io/schedule) that are not being deleted, and the names of the Backups in its
 * namespace that any incremental Backup (of any schedule) builds on: retention never breaks a
 * chain. With {@code spec.pointInTime}: its archiver's Deployment (null when there is none) and
 * what the archiver's pod says ({@code archiver}; null when it has no pod). With {@code
 * spec.drill}: its drill Jobs and their pods.
 */
public record ScheduleObservation(
    List<Backup> backups,
    Set<String> parents,
    Deployment deployment,
    Archiver archiver,
    List<Job> drills,
    List<Pod> drillPods) {
  public ScheduleObservation {
    backups = List.copyOf(backups);
    parents = Set.copyOf(parents);
    drills = drills == null ? List.of() : List.copyOf(drills);
    drillPods = drillPods == null ? List.of() : List.copyOf(drillPods);
  }

  public ScheduleObservation(List<Backup> backups, Set<String> parents) {
    this(backups, parents, null, null, null, null);
  }

  public ScheduleObservation(
      List<Backup> backups, Set<String> parents, Deployment deployment, Archiver archiver) {
    this(backups, parents, deployment, archiver, null, null);
  }

  /** A drill Job by name, or null. */
  public Job drill(String name) {
    return drills.stream()
        .filter(j -> j.getMetadata().getName().equals(name))
        .findFirst()
        .orElse(null);
  }

  /**
   * The archiver's pod: whether it runs, the newest window its log reports (null: none yet), and
   * why it last stopped (its termination message, null when it never did).
   */
  public record Archiver(String pod, boolean running, OplogWindow window, String lastFailure) {}
}
