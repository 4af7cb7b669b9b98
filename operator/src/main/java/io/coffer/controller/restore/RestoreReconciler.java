package io.coffer.controller.restore;

import io.coffer.api.Backup;
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
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Restore: observe (its Job and pod, the Backup it names, other Restores of the same targets:
 * informer caches; the engine's log while it can change), decide ({@link RestoreDecider}), act
 * (create the Job once, record events, patch the status). A Backup that changes wakes the Restores
 * that name it; so does an annotation (coffer.io/uploaded: an upload arrived), which is why updates
 * are filtered by {@link RequestChanged} rather than by generation.
 */
@ControllerConfiguration(
    name = "restore",
    generationAwareEventProcessing = false,
    informer =
        @io.javaoperatorsdk.operator.api.config.informer.Informer(
            onUpdateFilter = RequestChanged.class))
public class RestoreReconciler implements Reconciler<Restore> {
  static final String BY_BACKUP = "coffer.io/backup-name";
  static final String BY_UPLOADER = "coffer.io/upload-from";
  private final RestoreDecider decider;
  private final Actuator actuator;
  private final Clock clock;
  private final Caches caches;
  private final Writes writes;
  private InformerEventSource<Backup, Restore> backups;

  public RestoreReconciler(
      JobFactory.Settings settings,
      Tuning tuning,
      Clock clock,
      Caches caches,
      Writes writes,
      Notifier notifier) {
    this.writes = writes;
    this.decider = new RestoreDecider(settings, tuning);
    this.actuator = new Actuator(clock, notifier);
    this.clock = clock;
    this.caches = caches;
  }

  @Override
  public List<EventSource<?, Restore>> prepareEventSources(EventSourceContext<Restore> ctx) {
    var restores = ctx.getPrimaryCache();
    restores.addIndexers(
        Map.of(
            TargetLocks.INDEX,
            TargetLocks::indexKeys,
            BY_BACKUP,
            r ->
                r.getSpec().backupName == null
                    ? List.of()
                    : List.of(r.getMetadata().getNamespace() + "/" + r.getSpec().backupName),
            BY_UPLOADER,
            r ->
                r.getSpec().source == null
                        || r.getSpec().source.upload == null
                        || r.getSpec().source.upload.fromRestore == null
                    ? List.of()
                    : List.of(
                        r.getMetadata().getNamespace()
                            + "/"
                            + r.getSpec().source.upload.fromRestore)));
    caches.restores(restores);
    List<EventSource<?, Restore>> sources =
        new ArrayList<>(
            JobEventSources.of(ctx, Restore.class, "restore", null, JobFactory.LABEL_RESTORE));
    backups =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Backup.class, Restore.class)
                .withName("restore-backups")
                .withSecondaryToPrimaryMapper(
                    b ->
                        restores
                            .byIndex(
                                BY_BACKUP,
                                b.getMetadata().getNamespace() + "/" + b.getMetadata().getName())
                            .stream()
                            .map(ResourceID::fromResource)
                            .collect(Collectors.toSet()))
                .build(),
            ctx);
    sources.add(backups);
    return sources;
  }

  @Override
  public UpdateControl<Restore> reconcile(Restore restore, Context<Restore> ctx) {
    var d = decider.decide(restore, observe(restore, ctx), clock.instant());
    actuator.run(restore, d.actions(), ctx);
    return writes.control(restore, d, Restore::new, ctx);
  }

  private RestoreObservation observe(Restore r, Context<Restore> ctx) {
    String ns = r.getMetadata().getNamespace();
    Job job = job(ctx, Purpose.RESTORE, 1);
    List<Pod> pods = List.copyOf(ctx.getSecondaryResources(Pod.class));
    Restore uploader = null;
    if (r.getSpec().source != null
        && r.getSpec().source.upload != null
        && r.getSpec().source.upload.fromRestore != null)
      uploader =
          ctx.getPrimaryCache()
              .get(new ResourceID(r.getSpec().source.upload.fromRestore, ns))
              .orElse(null);
    Backup backup =
        r.getSpec().backupName == null
            ? null
            : backups.get(new ResourceID(r.getSpec().backupName, ns)).orElse(null);
    Restore other =
        TargetLocks.activeRestore(
                k -> ctx.getPrimaryCache().byIndex(TargetLocks.INDEX, k),
                ns,
                TargetLocks.of(r, backup),
                r.getMetadata().getName())
            .orElse(null);
    return new RestoreObservation(
        job,
        pods,
        log(r, job, pods, ctx),
        backup,
        other,
        job(ctx, Purpose.UPLOAD, JobFactory.UPLOAD_SIGN),
        job(ctx, Purpose.UPLOAD, JobFactory.UPLOAD_REMOVE),
        uploader,
        r.getSpec().source != null && r.getSpec().source.upload != null
            ? ctx.getPrimaryCache().byIndex(BY_UPLOADER, ns + "/" + r.getMetadata().getName())
            : List.of());
  }

  /** This Restore's Job of {@code purpose} and {@code attempt}, or null. */
  private static Job job(Context<Restore> ctx, Purpose purpose, int attempt) {
    return ctx.getSecondaryResources(Job.class).stream()
        .filter(j -> JobFactory.purpose(j) == purpose)
        .filter(
            j ->
                String.valueOf(attempt)
                    .equals(j.getMetadata().getLabels().get(JobFactory.LABEL_ATTEMPT)))
        .findFirst()
        .orElse(null);
  }

  /**
   * The engine's log while it can have changed: the pod runs, or it ended and the Restore does not
   * say so yet.
   */
  private LogTail.Parsed log(Restore r, Job job, List<Pod> pods, Context<Restore> ctx) {
    if (job == null
        || r.getStatus() != null && r.getStatus().phase != null && r.getStatus().phase.terminal())
      return null;
    JobObserver.Outcome out = JobObserver.observe(job, pods);
    if (out.state() == JobObserver.State.PENDING) return null;
    return PodLog.read(
        ctx.getClient(), r.getMetadata().getNamespace(), out.podName(), clock.instant());
  }
}
