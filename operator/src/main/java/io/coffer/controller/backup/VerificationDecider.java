package io.coffer.controller.backup;

import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.BackupStatus;
import io.coffer.api.Phase;
import io.coffer.controller.Action;
import io.coffer.controller.Decision;
import io.coffer.job.JobFactory;
import io.coffer.job.JobObserver;
import io.coffer.job.SpecWords;
import io.coffer.protocol.Protocol;
import io.coffer.protocol.Purpose;
import io.coffer.status.BackupStatusMapper;
import io.coffer.status.Reason;
import io.coffer.status.Statuses;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import java.time.Instant;

/**
 * Verification, part of a Succeeded Backup's life: each new value of the annotation {@value
 * #ANNOTATION} (a person, or a schedule's {@code verifyAfterEachBackup} / {@code
 * verificationSchedule}) starts one verification Job; its outcome goes to {@code
 * status.verification}. {@code deep} (the value, or spec.verification.deep) reads every entry and
 * needs the identity; otherwise the stored checksum is compared. Pure.
 *
 * <pre>
 *   annotation value not yet answered -> Running (Job created), or Failed at once (deep without an identity)
 *   Running -> Verified | Failed, from the Job
 * </pre>
 */
public final class VerificationDecider {
  public static final String ANNOTATION = "coffer.io/verify-requested";

  private VerificationDecider() {}

  /**
   * Updates {@code s.verification} and {@code d}; the requeue is always null: the verification
   * Job's events wake the Backup.
   */
  static Duration decide(
      Backup b,
      BackupStatus s,
      BackupObservation o,
      Instant now,
      JobFactory.Settings settings,
      Decision.Builder<BackupStatus> d) {
    String requested =
        b.getMetadata().getAnnotations() == null
            ? null
            : b.getMetadata().getAnnotations().get(ANNOTATION);
    if (requested == null
        || s.phase != Phase.Succeeded
        || b.getMetadata().getDeletionTimestamp() != null) return null;
    BackupStatus.Verification v = s.verification;
    if (v == null || !requested.equals(v.requested)) {
      BackupSpec.VerificationSpec spec = b.getSpec().verification;
      boolean deep =
          "deep".equalsIgnoreCase(requested) || (spec != null && Boolean.TRUE.equals(spec.deep));
      BackupStatus.Verification next = new BackupStatus.Verification();
      next.requested = requested;
      next.deep = deep;
      next.count = v == null || v.count == null ? 1 : v.count + 1;
      next.time = Statuses.time(now);
      if (deep && b.getSpec().encryption != null && (spec == null || spec.identity == null)) {
        next.result = "Failed";
        next.message =
            "deep verification of an encrypted backup needs spec.verification.identity; a checksum check needs no key "
                + "(set the annotation to another value than 'deep')";
        d.warning(Reason.VerificationFailed, next.message);
      } else {
        Job job = JobFactory.verifyJob(b, next.count, deep, settings);
        d.act(new Action.CreateJob(job));
        next.result = "Running";
        next.jobName = job.getMetadata().getName();
        d.event(
            Reason.Verifying, (deep ? "deep " : "") + "verification started: Job " + next.jobName);
      }
      s.verification = next;
      return null;
    }
    if (!"Running".equals(v.result)) return null;
    Job job = o.named(v.jobName);
    if (job == null) return null;
    JobObserver.Outcome out = JobObserver.observe(job, o.pods());
    if (out.state() == JobObserver.State.SUCCEEDED) {
      v.result = "Verified";
      v.message =
          out.result() instanceof Protocol.Verify r && r.result().message() != null
              ? r.result().message()
              : "verified";
      v.time = Statuses.time(now);
      d.event(Reason.Verified, v.message);
    } else if (out.state() == JobObserver.State.FAILED) {
      v.result = "Failed";
      v.message = SpecWords.backup(BackupStatusMapper.errorOf(out.result()), b, Purpose.VERIFY);
      v.time = Statuses.time(now);
      d.warning(Reason.VerificationFailed, v.message);
    }
    return null;
  }
}
