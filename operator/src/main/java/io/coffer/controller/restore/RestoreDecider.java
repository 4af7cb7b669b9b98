package io.coffer.controller.restore;

import io.coffer.api.Backup;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.coffer.api.RestoreStatus;
import io.coffer.controller.Action;
import io.coffer.controller.Decision;
import io.coffer.controller.TargetLocks;
import io.coffer.controller.Tuning;
import io.coffer.job.JobFactory;
import io.coffer.job.JobObserver;
import io.coffer.job.SpecWords;
import io.coffer.status.BackupStatusMapper;
import io.coffer.status.Conditions;
import io.coffer.status.Reason;
import io.coffer.status.RestoreStatusMapper;
import io.coffer.status.Statuses;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;

/**
 * A Restore's state machine, one-shot, as a pure function. Before its Job: checks what only the
 * operator can see (a Replace is confirmed, the Backup exists and succeeded, no other restore
 * writes to the same targets), else it waits or fails. With its Job: Pending, Running (progress
 * from the log), then Succeeded with the plan (dry run) or what was restored, or Failed with the
 * engine's reason in the Restore's words. Finished, it never acts again.
 */
public final class RestoreDecider {
  private final JobFactory.Settings settings;
  private final Tuning tuning;

  public RestoreDecider(JobFactory.Settings settings, Tuning tuning) {
    this.settings = settings;
    this.tuning = tuning;
  }

  public Decision<RestoreStatus> decide(Restore r, RestoreObservation o, Instant now) {
    RestoreStatus s = Statuses.copyOr(r.getStatus(), new RestoreStatus());
    var d = new Decision.Builder<RestoreStatus>();
    if (s.phase != null && s.phase.terminal()) return d.done(s, null);
    s.observedGeneration = r.getMetadata().getGeneration();
    if (o.job() == null) return start(r, s, o, now, d);
    // the Job is the truth: a status written from a stale copy of the Restore may lack these
    s.jobName = o.job().getMetadata().getName();
    String annotated = JobFactory.annotation(o.job(), JobFactory.ANNOTATION_BACKUP_ID);
    if (annotated != null && !annotated.isBlank()) s.backupId = annotated;
    JobObserver.Outcome out = JobObserver.observe(o.job(), o.pods());
    if (o.log() != null) {
      if (o.log().progress() != null) s.progress = o.log().progress();
      if (!o.log().tail().isEmpty()) s.logTail = o.log().tail();
    }
    switch (out.state()) {
      case PENDING -> {
        s.phase = Phase.Pending; // a Job exists: look again even if no event comes
        return d.done(s, tuning.progressEvery());
      }
      case RUNNING -> {
        s.phase = Phase.Running;
        if (s.startedAt == null)
          s.startedAt = out.startedAt() != null ? out.startedAt() : Statuses.time(now);
        Conditions.working(s.conditions, Reason.Running, "restoring", s.observedGeneration, now);
        return d.done(s, tuning.progressEvery());
      }
      case SUCCEEDED -> {
        if (!RestoreStatusMapper.apply(s, out.result()))
          return finish(s, "the Job completed but the engine left no result", now, d);
        s.phase = Phase.Succeeded;
        s.completedAt = Statuses.time(now);
        boolean dry = Boolean.TRUE.equals(r.getSpec().dryRun);
        String msg =
            dry
                ? "plan ready: " + s.plan.size() + " items, nothing was changed"
                : "restored "
                    + s.collections
                    + " collections ("
                    + s.documents
                    + " documents) and "
                    + s.files
                    + " files";
        Conditions.ready(
            s.conditions, dry ? Reason.Planned : Reason.Succeeded, msg, s.observedGeneration, now);
        d.event(dry ? Reason.Planned : Reason.Succeeded, msg);
        return d.done(s, null);
      }
      default -> {
        return finish(
            s, SpecWords.restore(BackupStatusMapper.errorOf(out.result()), r, o.backup()), now, d);
      }
    }
  }

  private Decision<RestoreStatus> start(
      Restore r,
      RestoreStatus s,
      RestoreObservation o,
      Instant now,
      Decision.Builder<RestoreStatus> d) {
    RestoreSpec spec = r.getSpec();
    boolean dry = Boolean.TRUE.equals(spec.dryRun);
    if (spec.mode == RestoreSpec.Mode.Replace && !dry && !Boolean.TRUE.equals(spec.confirm)) {
      return finish(
          s,
          "mode Replace drops and recreates every selected collection and file tree: set spec.confirm: true "
              + "(or spec.dryRun: true to preview); nothing was changed",
          now,
          d);
    }
    Backup backup = o.backup();
    if (spec.backupName != null) {
      if (backup == null) {
        String created = r.getMetadata().getCreationTimestamp();
        // applied together, the Restore may be seen before its Backup: three wait steps before a
        // name counts as wrong
        if (created != null
            && Duration.between(Instant.parse(created), now)
                    .compareTo(tuning.retryBase().multipliedBy(3))
                < 0) {
          return waitFor(s, "Backup " + spec.backupName + " to exist in this namespace", now, d);
        }
        return finish(
            s,
            "spec.backupName: Backup " + spec.backupName + " does not exist in this namespace",
            now,
            d);
      }
      Phase bp = backup.getStatus() == null ? null : backup.getStatus().phase;
      if (bp == Phase.Failed)
        return finish(
            s,
            "spec.backupName: Backup " + spec.backupName + " failed; it cannot be restored",
            now,
            d);
      if (bp != Phase.Succeeded)
        return waitFor(s, "Backup " + spec.backupName + " to succeed", now, d);
      s.backupId = JobFactory.backupId(backup);
    } else {
      s.backupId =
          spec.source
              .backupId; // null for an archive file (the engine's result names it) and a mongodump
      // (the result names it "mongodump PATH")
    }
    if (!dry && o.other() != null) {
      return waitFor(
          s,
          "Restore " + o.other().getMetadata().getName() + " of the same target to finish",
          now,
          d);
    }
    Job job = JobFactory.restoreJob(r, backup, settings);
    d.act(new Action.CreateJob(job));
    s.jobName = job.getMetadata().getName();
    s.waitingFor = null;
    s.targets = dry ? null : new ArrayList<>(TargetLocks.of(r, backup));
    s.phase = Phase.Pending;
    Conditions.working(
        s.conditions,
        Reason.JobCreated,
        "Job " + s.jobName + " created",
        s.observedGeneration,
        now);
    d.event(
        Reason.JobCreated,
        "Job "
            + s.jobName
            + " created for "
            + (s.backupId != null
                ? "backup " + s.backupId
                : spec.source.mongodump != null
                    ? "mongodump " + spec.source.mongodump
                    : "archive file "
                        + spec.source.archive.path
                        + " on volume "
                        + spec.source.archive.claimName));
    return d.done(s, tuning.progressEvery());
  }

  private Decision<RestoreStatus> waitFor(
      RestoreStatus s, String what, Instant now, Decision.Builder<RestoreStatus> d) {
    s.phase = Phase.Pending;
    s.waitingFor = what;
    Conditions.working(
        s.conditions, Reason.Waiting, "waiting for " + what, s.observedGeneration, now);
    return d.done(s, tuning.retryBase());
  }

  private Decision<RestoreStatus> finish(
      RestoreStatus s, String error, Instant now, Decision.Builder<RestoreStatus> d) {
    s.phase = Phase.Failed;
    s.lastError = error;
    s.waitingFor = null;
    s.completedAt = Statuses.time(now);
    Conditions.failed(s.conditions, Reason.Failed, error, s.observedGeneration, now);
    d.warning(Reason.Failed, error);
    return d.done(s, null);
  }
}
