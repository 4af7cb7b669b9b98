package io.coffer.controller.verify;

import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.BackupStatus;
import io.coffer.api.Phase;
import io.coffer.controller.EventRecorder;
import io.coffer.controller.JobEventSources;
import io.coffer.job.JobFactory;
import io.coffer.job.JobObserver;
import io.coffer.status.BackupStatusMapper;
import io.coffer.status.Reason;
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
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Verification on demand: setting annotation {@code coffer.io/verify-requested} on a succeeded Backup to a new
 * value runs a verify Job (checksum; deep when the value is "deep" or spec.verification.deep, with the identity
 * from spec.verification). The result lands in status.verification. It watches annotations, so it is a
 * controller of its own, and it writes only status.verification.
 */
@ControllerConfiguration(name = "backup-verification", generationAwareEventProcessing = false)
public class VerificationReconciler implements Reconciler<Backup> {
  public static final String ANNOTATION = "coffer.io/verify-requested";
  private final JobFactory.Settings settings;
  private final Clock clock;
  private final EventRecorder events;

  public VerificationReconciler(JobFactory.Settings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
    this.events = new EventRecorder(clock);
  }

  @Override
  public List<EventSource<?, Backup>> prepareEventSources(EventSourceContext<Backup> ctx) {
    return JobEventSources.of(ctx, Backup.class, "verify", "verify", JobFactory.LABEL_BACKUP);
  }

  @Override
  public UpdateControl<Backup> reconcile(Backup backup, Context<Backup> ctx) {
    String requested = backup.getMetadata().getAnnotations() == null ? null : backup.getMetadata().getAnnotations().get(ANNOTATION);
    BackupStatus s = backup.getStatus();
    if (requested == null || s == null || s.phase != Phase.Succeeded || backup.getMetadata().getDeletionTimestamp() != null) {
      return UpdateControl.noUpdate();
    }
    BackupStatus.Verification v = s.verification;
    if (v == null || !requested.equals(v.requested)) {
      BackupSpec.VerificationSpec spec = backup.getSpec().verification;
      boolean deep = "deep".equalsIgnoreCase(requested) || (spec != null && Boolean.TRUE.equals(spec.deep));
      BackupStatus.Verification next = new BackupStatus.Verification();
      next.requested = requested;
      next.deep = deep;
      next.count = v == null || v.count == null ? 1 : v.count + 1;
      next.time = now();
      if (deep && backup.getSpec().encryption != null && (spec == null || spec.identity == null)) {
        next.result = "Failed";
        next.message = "deep verification of an encrypted backup needs spec.verification.identity; a checksum check needs no key "
            + "(set the annotation to another value than 'deep')";
      } else {
        Job job = JobFactory.verifyJob(backup, next.count, deep, settings);
        try {
          ctx.getClient().resource(io.coffer.controller.Placement.place(ctx.getClient(), job)).create();
        } catch (KubernetesClientException e) {
          if (e.getCode() != 409) throw e;
        }
        next.result = "Running";
        next.jobName = job.getMetadata().getName();
        events.normal(ctx.getClient(), backup, Reason.Verifying, (deep ? "deep " : "") + "verification started: Job " + next.jobName);
      }
      s.verification = next;
      return written(backup, ctx);
    }
    if (!"Running".equals(v.result)) return UpdateControl.noUpdate();
    Job job = ctx.getSecondaryResources(Job.class).stream().filter(j -> j.getMetadata().getName().equals(v.jobName)).findFirst().orElse(null);
    if (job == null) return UpdateControl.noUpdate();
    JobObserver.Outcome o = JobObserver.observe(job, ctx.getSecondaryResources(Pod.class));
    if (o.state() == JobObserver.State.SUCCEEDED) {
      v.result = "Verified";
      v.message = io.coffer.protocol.Protocol.outcome(o.message(), "verify") instanceof io.coffer.protocol.Protocol.Verify r
          && r.result().message() != null ? r.result().message() : "verified";
      v.time = now();
      events.normal(ctx.getClient(), backup, Reason.Verified, v.message);
      return written(backup, ctx);
    }
    if (o.state() == JobObserver.State.FAILED) {
      v.result = "Failed";
      v.message = BackupStatusMapper.errorOf(o.message());
      v.time = now();
      events.warning(ctx.getClient(), backup, Reason.VerificationFailed, v.message);
      return written(backup, ctx);
    }
    return UpdateControl.noUpdate();
  }

  private String now() {
    return Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** This controller owns status.verification and writes nothing else of the Backup (its reconciler writes the rest). */
  private static UpdateControl<Backup> written(Backup backup, Context<Backup> ctx) {
    io.coffer.status.StatusWriter.mergeMember(backup, ctx, "verification", backup.getStatus().verification);
    return UpdateControl.noUpdate();
  }
}
