package io.coffer.controller.restore;

import io.coffer.api.Backup;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.coffer.api.RestoreStatus;
import io.coffer.controller.EventRecorder;
import io.coffer.controller.JobEventSources;
import io.coffer.controller.PodLogs;
import io.coffer.controller.TargetLocks;
import io.coffer.job.JobFactory;
import io.coffer.job.JobObserver;
import io.coffer.status.BackupStatusMapper;
import io.coffer.status.Conditions;
import io.coffer.status.LogTail;
import io.coffer.status.Reason;
import io.coffer.status.RestoreStatusMapper;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Restore: one-shot. Checks what only the operator can see (the Backup exists and succeeded, the
 * confirmation for Replace, no other restore of the same target running), creates one Job, and reports its
 * plan (dry run) or what it restored. Once finished it never acts again.
 */
@ControllerConfiguration(name = "restore")
public class RestoreReconciler implements Reconciler<Restore> {
  private final JobFactory.Settings settings;
  private final Duration waitStep;
  private final Duration progressEvery;
  private final Clock clock;
  private final EventRecorder events;

  public RestoreReconciler(JobFactory.Settings settings, Duration waitStep, Duration progressEvery, Clock clock) {
    this.settings = settings;
    this.waitStep = waitStep;
    this.progressEvery = progressEvery;
    this.clock = clock;
    this.events = new EventRecorder(clock);
  }

  @Override
  public List<EventSource<?, Restore>> prepareEventSources(EventSourceContext<Restore> ctx) {
    return JobEventSources.of(ctx, Restore.class, "restore", "restore", JobFactory.LABEL_RESTORE);
  }

  @Override
  public UpdateControl<Restore> reconcile(Restore restore, Context<Restore> ctx) {
    RestoreStatus s = restore.getStatus() != null ? restore.getStatus() : new RestoreStatus();
    restore.setStatus(s);
    if (s.phase != null && s.phase.terminal()) return UpdateControl.noUpdate(); // one-shot
    s.observedGeneration = restore.getMetadata().getGeneration();
    Job job = ctx.getSecondaryResources(Job.class).stream().findFirst().orElse(null);
    if (job == null) return start(restore, s, ctx);
    // the Job is the truth: a status written from a stale copy of the Restore may lack these
    s.jobName = job.getMetadata().getName();
    String annotated = job.getMetadata().getAnnotations() == null ? null : job.getMetadata().getAnnotations().get(JobFactory.ANNOTATION_BACKUP_ID);
    if (annotated != null && !annotated.isBlank()) s.backupId = annotated; // an archive file names its backup only in the result
    JobObserver.Outcome o = JobObserver.observe(job, ctx.getSecondaryResources(Pod.class));
    LogTail.Parsed log = o.state() == JobObserver.State.PENDING ? null
        : PodLogs.read(ctx.getClient(), restore.getMetadata().getNamespace(), o.podName(), now());
    if (log != null) {
      if (log.progress() != null) s.progress = log.progress();
      if (!log.tail().isEmpty()) s.logTail = log.tail();
    }
    switch (o.state()) {
      case PENDING -> {
        s.phase = Phase.Pending; // a Job exists: look again even if no event comes
        return written(restore, ctx).rescheduleAfter(progressEvery);
      }
      case RUNNING -> {
        s.phase = Phase.Running;
        if (s.startedAt == null) s.startedAt = o.startedAt() != null ? o.startedAt() : now();
        Conditions.set(s.conditions, Conditions.READY, false, Reason.Running, "restoring", s.observedGeneration, clock);
        return written(restore, ctx).rescheduleAfter(progressEvery);
      }
      case SUCCEEDED -> {
        if (!RestoreStatusMapper.apply(s, o.message())) return finish(restore, s, "the Job completed but the engine left no result", ctx);
        s.phase = Phase.Succeeded;
        s.completedAt = now();
        boolean dry = Boolean.TRUE.equals(restore.getSpec().dryRun);
        String msg = dry ? "plan ready: " + s.plan.size() + " items, nothing was changed"
            : "restored " + s.collections + " collections (" + s.documents + " documents) and " + s.files + " files";
        Conditions.set(s.conditions, Conditions.READY, true, dry ? Reason.Planned : Reason.Succeeded, msg, s.observedGeneration, clock);
        events.normal(ctx.getClient(), restore, dry ? Reason.Planned : Reason.Succeeded, msg);
      }
      default -> {
        return finish(restore, s, BackupStatusMapper.errorOf(o.message()), ctx);
      }
    }
    return written(restore, ctx);
  }

  private UpdateControl<Restore> start(Restore restore, RestoreStatus s, Context<Restore> ctx) {
    RestoreSpec spec = restore.getSpec();
    if (spec.mode == RestoreSpec.Mode.Replace && !Boolean.TRUE.equals(spec.dryRun) && !Boolean.TRUE.equals(spec.confirm)) {
      return finish(restore, s, "mode Replace drops and recreates every selected collection and file tree: set confirm: true "
          + "(or dryRun: true to preview); nothing was changed", ctx);
    }
    Backup backup = null;
    if (spec.backupName != null) {
      backup = ctx.getClient().resources(Backup.class).inNamespace(restore.getMetadata().getNamespace()).withName(spec.backupName).get();
      if (backup == null) return finish(restore, s, "Backup " + spec.backupName + " does not exist in this namespace", ctx);
      Phase bp = backup.getStatus() == null ? null : backup.getStatus().phase;
      if (bp == Phase.Failed) return finish(restore, s, "Backup " + spec.backupName + " failed; it cannot be restored", ctx);
      if (bp != Phase.Succeeded) return waitFor(restore, s, "Backup " + spec.backupName + " to succeed", ctx);
      s.backupId = JobFactory.backupId(backup);
    } else {
      s.backupId = spec.source.backupId; // null for an archive file: the engine's result names it
    }
    if (!Boolean.TRUE.equals(spec.dryRun)) {
      var other = TargetLocks.activeRestore(ctx.getClient(), restore.getMetadata().getNamespace(), TargetLocks.of(restore, backup),
          restore.getMetadata().getName());
      if (other.isPresent()) return waitFor(restore, s, "Restore " + other.get().getMetadata().getName() + " of the same target to finish", ctx);
    }
    Job job = JobFactory.restoreJob(restore, backup, settings);
    try {
      ctx.getClient().resource(io.coffer.controller.Placement.place(ctx.getClient(), job)).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) throw e;
    }
    s.jobName = job.getMetadata().getName();
    s.waitingFor = null;
    s.phase = Phase.Pending;
    Conditions.set(s.conditions, Conditions.READY, false, Reason.JobCreated, "Job " + s.jobName + " created", s.observedGeneration, clock);
    events.normal(ctx.getClient(), restore, Reason.JobCreated, "Job " + s.jobName + " created for " + (s.backupId != null ? "backup " + s.backupId
        : "archive file " + spec.source.archive.path + " on volume " + spec.source.archive.claimName));
    return written(restore, ctx);
  }

  private UpdateControl<Restore> waitFor(Restore restore, RestoreStatus s, String what, Context<Restore> ctx) {
    s.phase = Phase.Pending;
    s.waitingFor = what;
    Conditions.set(s.conditions, Conditions.READY, false, Reason.Waiting, "waiting for " + what, s.observedGeneration, clock);
    return written(restore, ctx).rescheduleAfter(waitStep);
  }

  private UpdateControl<Restore> finish(Restore restore, RestoreStatus s, String error, Context<Restore> ctx) {
    s.phase = Phase.Failed;
    s.lastError = error;
    s.completedAt = now();
    Conditions.set(s.conditions, Conditions.READY, false, Reason.Failed, error, s.observedGeneration, clock);
    Conditions.set(s.conditions, Conditions.FAILED, true, Reason.Failed, error, s.observedGeneration, clock);
    events.warning(ctx.getClient(), restore, Reason.Failed, error);
    return written(restore, ctx);
  }

  private String now() {
    return Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** The reconcile's one write of the Restore: its whole status. */
  private static UpdateControl<Restore> written(Restore restore, Context<Restore> ctx) {
    io.coffer.status.StatusWriter.replace(restore, ctx);
    return UpdateControl.noUpdate();
  }
}
