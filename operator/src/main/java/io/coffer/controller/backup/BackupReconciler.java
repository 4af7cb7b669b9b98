package io.coffer.controller.backup;

import io.coffer.api.Backup;
import io.coffer.api.BackupStatus;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.controller.Actuator;
import io.coffer.controller.Caches;
import io.coffer.controller.JobEventSources;
import io.coffer.controller.Notifier;
import io.coffer.controller.PodLog;
import io.coffer.controller.RequestChanged;
import io.coffer.controller.TargetLocks;
import io.coffer.controller.Tuning;
import io.coffer.controller.Writes;
import io.coffer.job.JobFactory;
import io.coffer.job.JobObserver;
import io.coffer.protocol.Purpose;
import io.coffer.status.LogTail;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Backup: observe (its Jobs and pods, the Restores writing to its source, the Backups beside it:
 * informer caches; the engine's log while it can change), decide ({@link BackupDecider}; when
 * deleted, {@link CleanupDecider}), act (create or stop Jobs, record events, patch the status).
 * Annotation changes wake it too (a verification request, a deletion policy), so updates are
 * filtered by {@link RequestChanged} rather than by generation.
 */
@ControllerConfiguration(
    name = "backup",
    generationAwareEventProcessing = false,
    informer =
        @io.javaoperatorsdk.operator.api.config.informer.Informer(
            onUpdateFilter = RequestChanged.class))
public class BackupReconciler implements Reconciler<Backup>, Cleaner<Backup> {
  private final BackupDecider decider;
  private final CleanupDecider cleanup;
  private final Actuator actuator;
  private final Clock clock;
  private final Caches caches;
  private final Writes writes;
  private InformerEventSource<Restore, Backup> restores;

  public BackupReconciler(
      JobFactory.Settings settings,
      Tuning tuning,
      Clock clock,
      Caches caches,
      Writes writes,
      Notifier notifier) {
    this.writes = writes;
    this.decider = new BackupDecider(settings, tuning);
    this.cleanup = new CleanupDecider(settings, tuning);
    this.actuator = new Actuator(clock, notifier);
    this.clock = clock;
    this.caches = caches;
  }

  @Override
  public List<EventSource<?, Backup>> prepareEventSources(EventSourceContext<Backup> ctx) {
    var backups = ctx.getPrimaryCache();
    caches.backups(backups);
    List<EventSource<?, Backup>> sources =
        new ArrayList<>(
            JobEventSources.of(ctx, Backup.class, "backup", null, JobFactory.LABEL_BACKUP));
    // a Restore that starts or ends wakes the unfinished Backups of its targets
    restores =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Restore.class, Backup.class)
                .withName("backup-restores")
                .withSecondaryToPrimaryMapper(
                    r -> {
                      if (r.getStatus() == null || r.getStatus().targets == null) return Set.of();
                      return backups
                          .list(
                              r.getMetadata().getNamespace(),
                              b ->
                                  b.getStatus() == null
                                      || b.getStatus().phase == null
                                      || !b.getStatus().phase.terminal())
                          .filter(
                              b -> !Collections.disjoint(TargetLocks.of(b), r.getStatus().targets))
                          .map(ResourceID::fromResource)
                          .collect(Collectors.toSet());
                    })
                .build(),
            ctx);
    restores.addIndexers(Map.of(TargetLocks.INDEX, TargetLocks::indexKeys));
    sources.add(restores);
    return sources;
  }

  @Override
  public UpdateControl<Backup> reconcile(Backup backup, Context<Backup> ctx) {
    var d = decider.decide(backup, observe(backup, ctx), clock.instant());
    actuator.run(backup, d.actions(), ctx);
    if (d.status() != null
        && d.status().phase == Phase.Succeeded
        && (backup.getStatus() == null || backup.getStatus().phase != Phase.Succeeded))
      caches.metrics().backupSucceeded(d.status().durationSeconds, d.status().storedBytes);
    return writes.control(backup, d, Backup::new, ctx);
  }

  @Override
  public DeleteControl cleanup(Backup backup, Context<Backup> ctx) {
    var c = cleanup.decide(backup, observe(backup, ctx), clock.instant());
    actuator.run(backup, c.decision().actions(), ctx);
    return writes.cleanup(backup, c.decision(), c.release(), Backup::new, ctx);
  }

  private BackupObservation observe(Backup b, Context<Backup> ctx) {
    List<Job> jobs = List.copyOf(ctx.getSecondaryResources(Job.class));
    List<Pod> pods = List.copyOf(ctx.getSecondaryResources(Pod.class));
    String ns = b.getMetadata().getNamespace();
    List<Backup> neighbours = ctx.getPrimaryCache().list(ns).toList();
    Restore lockedBy =
        TargetLocks.activeRestore(
                k -> restores.byIndex(TargetLocks.INDEX, k), ns, TargetLocks.of(b), null)
            .orElse(null);
    var partial = new BackupObservation(jobs, pods, null, neighbours, lockedBy);
    return new BackupObservation(jobs, pods, log(b, partial, ctx), neighbours, lockedBy);
  }

  /**
   * The current attempt's log, while it can have changed: the engine runs, or it ended and the
   * Backup does not say so yet. A finished Backup, or a failed attempt already counted, is not read
   * again.
   */
  private LogTail.Parsed log(Backup b, BackupObservation o, Context<Backup> ctx) {
    BackupStatus s = b.getStatus();
    if (s != null && s.phase != null && s.phase.terminal()
        || b.getMetadata().getDeletionTimestamp() != null) return null;
    int attempt =
        Math.max(s == null || s.attempts == null ? 0 : s.attempts, o.lastAttempt(Purpose.BACKUP));
    Job job = o.job(Purpose.BACKUP, attempt);
    if (job == null) return null;
    JobObserver.Outcome out = JobObserver.observe(job, o.pods());
    boolean changing =
        out.state() == JobObserver.State.RUNNING
            || (out.state() != JobObserver.State.PENDING && (s == null || s.nextAttemptAt == null));
    return changing
        ? PodLog.read(
            ctx.getClient(), b.getMetadata().getNamespace(), out.podName(), clock.instant())
        : null;
  }
}
