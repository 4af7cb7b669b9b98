package io.coffer.controller.backup;

import io.coffer.api.Backup;
import io.coffer.api.BackupStatus;
import io.coffer.api.Phase;
import io.coffer.job.JobFactory;
import io.coffer.job.JobObserver;
import io.coffer.status.BackupStatusMapper;
import io.coffer.status.Conditions;
import io.coffer.status.LogTail;
import io.coffer.status.Reason;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;

/**
 * Backup: observe (Job and pod -> status), act (create the attempt's Job, once), decide (retry after
 * back-off, or stop). Reads Jobs and pods from informer caches; writes only status.
 */
@ControllerConfiguration(name = "backup")
public class BackupReconciler implements Reconciler<Backup> {
  private final JobFactory.Settings settings;
  private final Duration retryBase;
  private final Duration progressEvery;
  private final Clock clock;

  public BackupReconciler(JobFactory.Settings settings, Duration retryBase, Duration progressEvery, Clock clock) {
    this.settings = settings;
    this.retryBase = retryBase;
    this.progressEvery = progressEvery;
    this.clock = clock;
  }

  @Override
  public List<EventSource<?, Backup>> prepareEventSources(io.javaoperatorsdk.operator.api.reconciler.EventSourceContext<Backup> ctx) {
    String selector = JobFactory.LABEL_MANAGED_BY + "=" + JobFactory.MANAGER + "," + JobFactory.LABEL_PURPOSE + "=backup";
    var jobs = new InformerEventSource<>(InformerEventSourceConfiguration.from(Job.class, Backup.class).withName("backup-jobs")
        .withLabelSelector(selector).withSecondaryToPrimaryMapper(BackupReconciler::owner).build(), ctx);
    var pods = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, Backup.class).withName("backup-pods")
        .withLabelSelector(selector).withSecondaryToPrimaryMapper(BackupReconciler::owner).build(), ctx);
    return List.of(jobs, pods);
  }

  /** Jobs and pods name their Backup in a label (pods carry no owner reference to it). */
  static Set<ResourceID> owner(HasMetadata r) {
    String name = r.getMetadata().getLabels() == null ? null : r.getMetadata().getLabels().get(JobFactory.LABEL_BACKUP);
    return name == null ? Set.of() : Set.of(new ResourceID(name, r.getMetadata().getNamespace()));
  }

  @Override
  public UpdateControl<Backup> reconcile(Backup backup, Context<Backup> ctx) {
    BackupStatus s = backup.getStatus() != null ? backup.getStatus() : new BackupStatus();
    backup.setStatus(s);
    if (s.phase != null && s.phase.terminal()) return UpdateControl.noUpdate();
    s.backupId = JobFactory.backupId(backup);
    s.observedGeneration = backup.getMetadata().getGeneration();
    int attempt = s.attempts == null ? 0 : s.attempts;
    Job job = ctx.getSecondaryResources(Job.class).stream()
        .filter(j -> String.valueOf(attempt).equals(j.getMetadata().getLabels().get(JobFactory.LABEL_ATTEMPT))).findFirst().orElse(null);
    if (job == null) return startAttempt(backup, s, attempt, ctx);
    JobObserver.Outcome o = JobObserver.observe(job, ctx.getSecondaryResources(Pod.class));
    if (o.state() == JobObserver.State.FAILED && s.nextAttemptAt != null) {
      return startAttempt(backup, s, attempt, ctx); // this failure is counted; the next attempt is due
    }
    switch (o.state()) {
      case PENDING -> {
        s.phase = Phase.Pending;
        return UpdateControl.patchStatus(backup);
      }
      case RUNNING -> {
        s.phase = Phase.Running;
        if (s.startedAt == null) s.startedAt = o.startedAt() != null ? o.startedAt() : now();
        readLog(backup, o, s, ctx);
        Conditions.set(s.conditions, Conditions.READY, false, Reason.Running, "attempt " + attempt + " is running", s.observedGeneration, clock);
        return UpdateControl.patchStatus(backup).rescheduleAfter(progressEvery);
      }
      case SUCCEEDED -> {
        readLog(backup, o, s, ctx);
        if (!BackupStatusMapper.applySuccess(s, o.message())) {
          return fail(backup, s, attempt, "the Job completed but the engine left no result; the backup cannot be trusted");
        }
        s.phase = Phase.Succeeded;
        s.completedAt = now();
        s.lastError = null;
        s.nextAttemptAt = null;
        Conditions.set(s.conditions, Conditions.READY, true, Reason.Succeeded, "backup " + s.backupId + " stored: " + s.size,
            s.observedGeneration, clock);
        Conditions.set(s.conditions, Conditions.FAILED, false, Reason.Succeeded, "", s.observedGeneration, clock);
        return UpdateControl.patchStatus(backup);
      }
      default -> {
        readLog(backup, o, s, ctx);
        return fail(backup, s, attempt, BackupStatusMapper.errorOf(o.message()));
      }
    }
  }

  private UpdateControl<Backup> startAttempt(Backup backup, BackupStatus s, int attempt, Context<Backup> ctx) {
    if (s.nextAttemptAt != null) {
      Duration wait = Duration.between(Instant.now(clock), Instant.parse(s.nextAttemptAt));
      if (!wait.isNegative() && !wait.isZero()) return UpdateControl.<Backup>noUpdate().rescheduleAfter(wait);
    }
    int next = attempt + 1;
    Job job = JobFactory.backupJob(backup, next, settings);
    try {
      ctx.getClient().resource(job).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) throw e; // 409: made before a restart; the cache catches up
    }
    s.attempts = next;
    s.jobName = job.getMetadata().getName();
    s.nextAttemptAt = null;
    s.phase = Phase.Pending;
    Conditions.set(s.conditions, Conditions.READY, false, Reason.JobCreated, "attempt " + next + ": Job " + s.jobName + " created",
        s.observedGeneration, clock);
    return UpdateControl.patchStatus(backup);
  }

  private UpdateControl<Backup> fail(Backup backup, BackupStatus s, int attempt, String error) {
    s.lastError = error;
    int limit = backup.getSpec().backoffLimit == null ? 2 : backup.getSpec().backoffLimit;
    if (attempt <= limit) {
      Duration wait = retryBase.multipliedBy(1L << Math.min(attempt - 1, 5));
      s.nextAttemptAt = Instant.now(clock).plus(wait).truncatedTo(ChronoUnit.MILLIS).toString();
      s.phase = Phase.Pending;
      Conditions.set(s.conditions, Conditions.READY, false, Reason.RetryScheduled, "attempt " + attempt + " failed: " + error
          + "; retrying in " + (wait.toMillis() < 1000 ? wait.toMillis() + " ms" : wait.toSeconds() + " s"), s.observedGeneration, clock);
      return UpdateControl.patchStatus(backup).rescheduleAfter(wait);
    }
    s.phase = Phase.Failed;
    s.completedAt = now();
    s.nextAttemptAt = null;
    Conditions.set(s.conditions, Conditions.READY, false, Reason.Failed, error, s.observedGeneration, clock);
    Conditions.set(s.conditions, Conditions.FAILED, true, Reason.Failed, "attempt " + attempt + " of " + (limit + 1) + " failed: " + error,
        s.observedGeneration, clock);
    return UpdateControl.patchStatus(backup);
  }

  /** Progress and the log tail come from the pod's log; a log that cannot be read leaves them as they were. */
  private void readLog(Backup backup, JobObserver.Outcome o, BackupStatus s, Context<Backup> ctx) {
    if (o.podName() == null) return;
    String log;
    try {
      log = ctx.getClient().pods().inNamespace(backup.getMetadata().getNamespace()).withName(o.podName()).tailingLines(200).getLog();
    } catch (KubernetesClientException e) {
      return;
    }
    LogTail.Parsed parsed = LogTail.parse(log, now());
    if (parsed.progress() != null) s.progress = parsed.progress();
    if (!parsed.tail().isEmpty()) s.logTail = parsed.tail();
  }

  private String now() {
    return Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
  }

}
