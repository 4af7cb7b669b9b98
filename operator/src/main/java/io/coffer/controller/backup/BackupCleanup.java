package io.coffer.controller.backup;

import io.coffer.api.Backup;
import io.coffer.api.BackupStatus;
import io.coffer.controller.EventRecorder;
import io.coffer.job.JobFactory;
import io.coffer.job.JobObserver;
import io.coffer.status.BackupStatusMapper;
import io.coffer.status.Reason;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Deleting a Backup deletes its objects in storage first, through a Job running {@code coffer delete}. The
 * finalizer stays until such a Job succeeds; a failed attempt is reported (Warning event, status.lastError)
 * and the next one starts after exponential back-off. A backup attempt still running is stopped first.
 */
final class BackupCleanup {
  private final JobFactory.Settings settings;
  private final Duration retryBase;
  private final EventRecorder events;
  private final Clock clock;

  BackupCleanup(JobFactory.Settings settings, Duration retryBase, EventRecorder events, Clock clock) {
    this.settings = settings;
    this.retryBase = retryBase;
    this.events = events;
    this.clock = clock;
  }

  DeleteControl run(Backup backup, Context<Backup> ctx) {
    BackupStatus s = backup.getStatus();
    if (s == null || s.attempts == null) return DeleteControl.defaultDelete(); // nothing was ever stored
    var child = ctx.getPrimaryCache().list().filter(x -> backup.getMetadata().getName().equals(x.getStatus() == null ? null : x.getStatus().parent))
        .filter(x -> backup.getMetadata().getNamespace().equals(x.getMetadata().getNamespace()))
        .filter(x -> x.getMetadata().getDeletionTimestamp() == null).findFirst();
    if (child.isPresent()) {
      String why = "incremental Backup " + child.get().getMetadata().getName() + " builds on this one; its stored objects stay until "
          + "every Backup built on it is deleted";
      if (!why.equals(s.lastError)) {
        s.lastError = why;
        events.warning(ctx.getClient(), backup, Reason.DeleteFailed, why);
        patchStatus(backup, ctx);
      }
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(retryBase.multipliedBy(10));
    }
    Job running = BackupReconciler.jobOf(ctx, "backup", s.attempts);
    if (running != null && (s.phase == null || !s.phase.terminal())) {
      ctx.getClient().resource(running).withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.FOREGROUND).delete();
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(retryBase);
    }
    int n = s.deleteAttempts == null ? 0 : s.deleteAttempts;
    Job job = n == 0 ? null : BackupReconciler.jobOf(ctx, "delete", n);
    if (job == null) {
      if (n > 0 && s.nextAttemptAt == null) return DeleteControl.noFinalizerRemoval().rescheduleAfter(retryBase); // cache lag
      return next(backup, s, n + 1, ctx);
    }
    JobObserver.Outcome o = JobObserver.observe(job, ctx.getSecondaryResources(Pod.class));
    switch (o.state()) {
      case SUCCEEDED -> {
        events.normal(ctx.getClient(), backup, Reason.Deleted, "stored backup " + JobFactory.backupId(backup) + " deleted");
        return DeleteControl.defaultDelete();
      }
      case FAILED -> {
        if (s.nextAttemptAt == null) {
          Duration wait = retryBase.multipliedBy(1L << Math.min(n - 1, 5));
          String error = BackupStatusMapper.errorOf(o.message());
          s.lastError = "deleting the stored backup failed (attempt " + n + "): " + error;
          s.nextAttemptAt = Instant.now(clock).plus(wait).toString();
          events.warning(ctx.getClient(), backup, Reason.DeleteFailed, s.lastError + "; the Backup stays until it succeeds; retrying");
          patchStatus(backup, ctx);
          return DeleteControl.noFinalizerRemoval().rescheduleAfter(wait);
        }
        Duration wait = Duration.between(Instant.now(clock), Instant.parse(s.nextAttemptAt));
        if (wait.isNegative() || wait.isZero()) return next(backup, s, n + 1, ctx);
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(wait);
      }
      default -> {
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(retryBase);
      }
    }
  }

  private DeleteControl next(Backup backup, BackupStatus s, int attempt, Context<Backup> ctx) {
    try {
      ctx.getClient().resource(io.coffer.controller.Placement.place(ctx.getClient(), JobFactory.deleteJob(backup, attempt, settings))).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) throw e;
    }
    if (attempt == 1) events.normal(ctx.getClient(), backup, Reason.Deleting, "deleting stored backup " + JobFactory.backupId(backup));
    s.deleteAttempts = attempt;
    s.nextAttemptAt = null;
    patchStatus(backup, ctx);
    return DeleteControl.noFinalizerRemoval().rescheduleAfter(retryBase);
  }

  private static void patchStatus(Backup backup, Context<Backup> ctx) {
    try {
      io.coffer.status.StatusWriter.replace(backup, ctx);
    } catch (KubernetesClientException e) {
      // the next cleanup pass writes it again
    }
  }

}
