package io.coffer.controller.backup;

import io.coffer.api.Backup;
import io.coffer.api.BackupStatus;
import io.coffer.api.Phase;
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
import io.coffer.status.StatusWriter;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
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
 * Backup: observe (Job and pod -> status), act (create the attempt's Job, once), decide (retry after
 * back-off, or stop). Reads Jobs and pods from informer caches; writes status, a phase label and events.
 * Deleting a Backup deletes its stored objects first ({@link BackupCleanup}).
 */
@ControllerConfiguration(name = "backup")
public class BackupReconciler implements Reconciler<Backup>, Cleaner<Backup> {
  public static final String LABEL_PHASE = "coffer.io/phase";
  public static final String LABEL_TYPE = "coffer.io/type";
  private final JobFactory.Settings settings;
  private final Duration retryBase;
  private final Duration progressEvery;
  private final Clock clock;
  private final EventRecorder events;
  private final BackupCleanup cleanup;

  private final Duration poll;

  /** {@code poll}: the longest a timed wait (a ttl) lasts before the Backup is looked at again. */
  public BackupReconciler(JobFactory.Settings settings, Duration retryBase, Duration progressEvery, Duration poll, Clock clock) {
    this.poll = poll;
    this.settings = settings;
    this.retryBase = retryBase;
    this.progressEvery = progressEvery;
    this.clock = clock;
    this.events = new EventRecorder(clock);
    this.cleanup = new BackupCleanup(settings, retryBase, events, clock);
  }

  @Override
  public List<EventSource<?, Backup>> prepareEventSources(EventSourceContext<Backup> ctx) {
    return JobEventSources.of(ctx, Backup.class, "backup", null, JobFactory.LABEL_BACKUP);
  }

  static Job jobOf(Context<Backup> ctx, String purpose, int attempt) {
    return ctx.getSecondaryResources(Job.class).stream()
        .filter(j -> purpose.equals(j.getMetadata().getLabels().get(JobFactory.LABEL_PURPOSE)))
        .filter(j -> String.valueOf(attempt).equals(j.getMetadata().getLabels().get(JobFactory.LABEL_ATTEMPT))).findFirst().orElse(null);
  }

  @Override
  public UpdateControl<Backup> reconcile(Backup backup, Context<Backup> ctx) {
    BackupStatus s = backup.getStatus() != null ? backup.getStatus() : new BackupStatus();
    backup.setStatus(s);
    if (s.phase != null && s.phase.terminal()) {
      label(ctx, backup);
      return expire(backup, UpdateControl.noUpdate(), ctx);
    }
    s.backupId = JobFactory.backupId(backup);
    s.observedGeneration = backup.getMetadata().getGeneration();
    // the Jobs are the truth: a status written from a stale copy of the Backup may count fewer attempts
    int attempt = Math.max(s.attempts == null ? 0 : s.attempts, ctx.getSecondaryResources(Job.class).stream()
        .filter(j -> "backup".equals(j.getMetadata().getLabels().get(JobFactory.LABEL_PURPOSE)))
        .mapToInt(j -> Integer.parseInt(j.getMetadata().getLabels().getOrDefault(JobFactory.LABEL_ATTEMPT, "0"))).max().orElse(0));
    if (attempt > 0) s.attempts = attempt;
    Job job = jobOf(ctx, "backup", attempt);
    if (job != null) s.jobName = job.getMetadata().getName();
    if (backup.getSpec().type == io.coffer.api.BackupSpec.Type.Incremental && s.parent == null && job != null) {
      // like attempts, the parent comes from the Jobs: a status patched from a stale copy may lack it
      ChainParent.fromJobs(List.of(job)).ifPresent(id -> ctx.getPrimaryCache().list()
          .filter(x -> x.getMetadata().getNamespace().equals(backup.getMetadata().getNamespace()))
          .filter(x -> id.equals(JobFactory.backupId(x))).findFirst().ifPresent(p -> s.parent = p.getMetadata().getName()));
    }
    if (job == null) return startAttempt(backup, s, attempt, ctx);
    JobObserver.Outcome o = JobObserver.observe(job, ctx.getSecondaryResources(Pod.class));
    if (o.state() == JobObserver.State.FAILED && s.nextAttemptAt != null) {
      return startAttempt(backup, s, attempt, ctx); // this failure is counted; the next attempt is due
    }
    switch (o.state()) {
      case PENDING -> {
        s.phase = Phase.Pending;
        // a Job exists: look again even if no event comes (a missed one must not leave the Backup Pending)
        return written(ctx, backup).rescheduleAfter(progressEvery);
      }
      case RUNNING -> {
        if (s.phase != Phase.Running) events.normal(ctx.getClient(), backup, Reason.Running, "attempt " + attempt + " is running");
        s.phase = Phase.Running;
        if (s.startedAt == null) s.startedAt = o.startedAt() != null ? o.startedAt() : now();
        readLog(backup, o, s, ctx);
        Conditions.set(s.conditions, Conditions.READY, false, Reason.Running, "attempt " + attempt + " is running", s.observedGeneration, clock);
        return written(ctx, backup).rescheduleAfter(progressEvery);
      }
      case SUCCEEDED -> {
        readLog(backup, o, s, ctx);
        if (!BackupStatusMapper.applySuccess(s, o.message())) {
          return fail(backup, s, attempt, "the Job completed but the engine left no result; the backup cannot be trusted", ctx);
        }
        s.phase = Phase.Succeeded;
        s.completedAt = now();
        s.lastError = null;
        s.nextAttemptAt = null;
        Conditions.set(s.conditions, Conditions.READY, true, Reason.Succeeded, "backup " + s.backupId + " stored: " + s.size,
            s.observedGeneration, clock);
        Conditions.set(s.conditions, Conditions.FAILED, false, Reason.Succeeded, "", s.observedGeneration, clock);
        events.normal(ctx.getClient(), backup, Reason.Succeeded, "stored " + s.size + " at " + s.location + " in " + s.duration);
        return expire(backup, written(ctx, backup), ctx);
      }
      default -> {
        readLog(backup, o, s, ctx);
        if (BackupStatusMapper.permanent(o.message())) { // another attempt would fail the same way
          return fail(backup, s, Integer.MAX_VALUE, BackupStatusMapper.errorOf(o.message()) + " (not retried: it would fail again)", ctx);
        }
        return fail(backup, s, attempt, BackupStatusMapper.errorOf(o.message()), ctx);
      }
    }
  }

  private UpdateControl<Backup> startAttempt(Backup backup, BackupStatus s, int attempt, Context<Backup> ctx) {
    if (s.nextAttemptAt != null) {
      Duration wait = Duration.between(Instant.now(clock), Instant.parse(s.nextAttemptAt));
      if (!wait.isNegative() && !wait.isZero()) return UpdateControl.<Backup>noUpdate().rescheduleAfter(wait);
    }
    var restore = TargetLocks.activeRestore(ctx.getClient(), backup.getMetadata().getNamespace(), TargetLocks.of(backup), null);
    if (restore.isPresent()) {
      s.phase = Phase.Pending;
      Conditions.set(s.conditions, Conditions.READY, false, Reason.Waiting, "waiting for Restore " + restore.get().getMetadata().getName()
          + " of the same target to finish", s.observedGeneration, clock);
      return written(ctx, backup).rescheduleAfter(retryBase);
    }
    String parentId = null;
    if (backup.getSpec().type == io.coffer.api.BackupSpec.Type.Incremental) {
      var earlier = ChainParent.fromJobs(ctx.getSecondaryResources(Job.class).stream()
          .filter(j -> "backup".equals(j.getMetadata().getLabels().get(JobFactory.LABEL_PURPOSE))).toList());
      if (earlier.isPresent()) {
        parentId = earlier.get();
      } else {
        ChainParent.Choice c = ChainParent.choose(backup, ctx.getPrimaryCache().list().toList());
        if (c.failure() != null) return fail(backup, s, Integer.MAX_VALUE, c.failure(), ctx);
        if (c.waiting() != null) {
          s.phase = Phase.Pending;
          Conditions.set(s.conditions, Conditions.READY, false, Reason.Waiting, c.waiting(), s.observedGeneration, clock);
          return written(ctx, backup).rescheduleAfter(retryBase);
        }
        parentId = c.parent().getStatus().backupId;
        s.parent = c.parent().getMetadata().getName();
      }
    }
    int next = attempt + 1;
    Job job = JobFactory.backupJob(backup, next, settings, parentId);
    try {
      ctx.getClient().resource(io.coffer.controller.Placement.place(ctx.getClient(), job)).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) throw e; // 409: made before a restart; the cache catches up
    }
    s.attempts = next;
    s.jobName = job.getMetadata().getName();
    s.nextAttemptAt = null;
    s.phase = Phase.Pending;
    Conditions.set(s.conditions, Conditions.READY, false, Reason.JobCreated, "attempt " + next + ": Job " + s.jobName + " created",
        s.observedGeneration, clock);
    events.normal(ctx.getClient(), backup, Reason.JobCreated, "attempt " + next + ": Job " + s.jobName + " created");
    return written(ctx, backup);
  }

  private UpdateControl<Backup> fail(Backup backup, BackupStatus s, int attempt, String error, Context<Backup> ctx) {
    s.lastError = error;
    int limit = backup.getSpec().backoffLimit == null ? 2 : backup.getSpec().backoffLimit;
    if (attempt <= limit) { // Integer.MAX_VALUE: no attempt can help
      Duration wait = retryBase.multipliedBy(1L << Math.min(attempt - 1, 5));
      s.nextAttemptAt = Instant.now(clock).plus(wait).truncatedTo(ChronoUnit.MILLIS).toString();
      s.phase = Phase.Pending;
      String msg = "attempt " + attempt + " failed: " + error + "; retrying in "
          + (wait.toMillis() < 1000 ? wait.toMillis() + " ms" : wait.toSeconds() + " s");
      Conditions.set(s.conditions, Conditions.READY, false, Reason.RetryScheduled, msg, s.observedGeneration, clock);
      events.warning(ctx.getClient(), backup, Reason.AttemptFailed, msg);
      return written(ctx, backup).rescheduleAfter(wait);
    }
    s.phase = Phase.Failed;
    s.completedAt = now();
    s.nextAttemptAt = null;
    String msg = attempt == Integer.MAX_VALUE ? error : "attempt " + attempt + " of " + (limit + 1) + " failed: " + error;
    Conditions.set(s.conditions, Conditions.READY, false, Reason.Failed, error, s.observedGeneration, clock);
    Conditions.set(s.conditions, Conditions.FAILED, true, Reason.Failed, msg, s.observedGeneration, clock);
    events.warning(ctx.getClient(), backup, Reason.Failed, msg);
    return expire(backup, written(ctx, backup), ctx);
  }

  /** spec.ttl: a finished Backup is deleted (with its stored objects) that long after it completed. */
  private UpdateControl<Backup> expire(Backup backup, UpdateControl<Backup> control, Context<Backup> ctx) {
    String ttl = backup.getSpec().ttl;
    String done = backup.getStatus().completedAt;
    if (ttl == null || done == null) return control;
    Duration left = Duration.between(Instant.now(clock), Instant.parse(done).plus(io.coffer.schedule.Retention.parseAge(ttl)));
    if (left.isNegative() || left.isZero()) {
      events.normal(ctx.getClient(), backup, Reason.Deleting, "ttl " + ttl + " expired: deleting the Backup and its stored objects");
      ctx.getClient().resource(backup).delete();
      return UpdateControl.noUpdate();
    }
    return control.rescheduleAfter(left.compareTo(poll) > 0 ? poll : left);
  }

  /**
   * The labels, then the status: whoever sees a phase in the status finds the label already saying it
   * (`kubectl wait` on the status, then `kubectl get -l coffer.io/phase=...`).
   */
  private static UpdateControl<Backup> written(Context<Backup> ctx, Backup backup) {
    label(ctx, backup);
    StatusWriter.replace(backup, ctx);
    return UpdateControl.noUpdate();
  }

  /**
   * Keeps label coffer.io/phase equal to the phase and coffer.io/type to the type, so `kubectl get backups -l
   * coffer.io/phase=Failed` or `-l coffer.io/type=Incremental` answers (RayERP's history filtered by status and type).
   * The labels go in their own merge patch of metadata (a status write travels to the status subresource, which
   * ignores metadata).
   */
  private static void label(Context<Backup> ctx, Backup backup) {
    java.util.Map<String, String> wanted = new java.util.HashMap<>();
    if (backup.getStatus().phase != null) wanted.put(LABEL_PHASE, backup.getStatus().phase.name());
    if (backup.getSpec().type != null) wanted.put(LABEL_TYPE, backup.getSpec().type.name());
    var labels = backup.getMetadata().getLabels() == null ? java.util.Map.<String, String>of() : backup.getMetadata().getLabels();
    wanted.entrySet().removeIf(e -> e.getValue().equals(labels.get(e.getKey())));
    if (wanted.isEmpty()) return;
    try {
      StatusWriter.mergeLabels(backup, ctx, wanted);
    } catch (KubernetesClientException e) {
      // the labels follow at the next reconcile; the status is what matters
    }
  }

  /** Progress and the log tail come from the pod's log; a log that cannot be read leaves them as they were. */
  private void readLog(Backup backup, JobObserver.Outcome o, BackupStatus s, Context<Backup> ctx) {
    LogTail.Parsed parsed = PodLogs.read(ctx.getClient(), backup.getMetadata().getNamespace(), o.podName(), now());
    if (parsed == null) return;
    if (parsed.progress() != null) s.progress = parsed.progress();
    if (!parsed.tail().isEmpty()) s.logTail = parsed.tail();
  }

  @Override
  public DeleteControl cleanup(Backup backup, Context<Backup> ctx) {
    return cleanup.run(backup, ctx);
  }

  private String now() {
    return Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
