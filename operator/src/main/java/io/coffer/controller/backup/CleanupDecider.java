package io.coffer.controller.backup;

import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.BackupStatus;
import io.coffer.controller.Action;
import io.coffer.controller.Decision;
import io.coffer.controller.Tuning;
import io.coffer.job.JobFactory;
import io.coffer.job.JobObserver;
import io.coffer.job.SpecWords;
import io.coffer.protocol.Purpose;
import io.coffer.status.BackupStatusMapper;
import io.coffer.status.Reason;
import io.coffer.status.Statuses;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What deleting a Backup does, as a pure function. A running attempt is stopped first. Then, under
 * deletion policy Delete (the default), its stored objects are deleted by a Job running {@code
 * coffer delete}; the finalizer stays until such a Job succeeds, a failed one is reported (event
 * and status.lastError) and retried after back-off, and a Backup another one builds on waits for
 * that one. Under Retain (spec.deletionPolicy, or the annotation {@value #ANNOTATION} set at any
 * time, also while a deletion is stuck), the objects stay and the Backup goes, with an event saying
 * where they lie.
 */
public final class CleanupDecider {
  public static final String ANNOTATION = "coffer.io/deletion-policy";

  /** The decision, and whether the finalizer may go (the Backup is then gone). */
  public record Cleanup(Decision<BackupStatus> decision, boolean release) {}

  private final JobFactory.Settings settings;
  private final Tuning tuning;

  public CleanupDecider(JobFactory.Settings settings, Tuning tuning) {
    this.settings = settings;
    this.tuning = tuning;
  }

  public Cleanup decide(Backup b, BackupObservation o, Instant now) {
    var d = new Decision.Builder<BackupStatus>();
    if (b.getStatus() == null || b.getStatus().attempts == null)
      return new Cleanup(d.done(null, null), true); // nothing was ever stored
    BackupStatus s = Statuses.copyOr(b.getStatus(), new BackupStatus());
    Job running = o.job(Purpose.BACKUP, s.attempts);
    if (running != null && (s.phase == null || !s.phase.terminal())) {
      d.act(new Action.DeleteJob(running));
      return new Cleanup(d.done(s, tuning.retryBase()), false);
    }
    String id = JobFactory.backupId(b);
    if (policy(b) == BackupSpec.DeletionPolicy.Retain) {
      d.event(
          Reason.Retained,
          "stored backup "
              + id
              + " left at "
              + where(b, s)
              + " (deletion policy Retain); delete it when no longer "
              + "needed with: coffer delete --storage "
              + storage(b.getSpec().storage)
              + " --backup "
              + id);
      return new Cleanup(d.done(s, null), true);
    }
    if (s.lockedUntil != null && Instant.parse(s.lockedUntil).isAfter(now)) {
      String why =
          "stored backup "
              + id
              + " is under Object Lock ("
              + s.objectLock
              + ") until "
              + s.lockedUntil
              + ": its objects cannot be deleted before, so the Backup stays until then (or annotate "
              + ANNOTATION
              + "=Retain to let it go and leave the objects to expire)";
      if (!why.equals(s.lastError)) d.warning(Reason.DeleteBlocked, why);
      s.lastError = why;
      return new Cleanup(
          d.done(s, Duration.between(now, Instant.parse(s.lockedUntil)).plusSeconds(1)), false);
    }
    Optional<Backup> child =
        o.neighbours().stream()
            .filter(
                x ->
                    x.getStatus() != null && b.getMetadata().getName().equals(x.getStatus().parent))
            .filter(x -> x.getMetadata().getDeletionTimestamp() == null)
            .findFirst();
    if (child.isPresent()) {
      String why =
          "incremental Backup "
              + child.get().getMetadata().getName()
              + " builds on this one; its stored objects stay until every "
              + "Backup built on it is deleted (or annotate "
              + ANNOTATION
              + "=Retain to let this Backup go and keep them)";
      if (!why.equals(s.lastError)) d.warning(Reason.DeleteBlocked, why);
      s.lastError = why;
      return new Cleanup(d.done(s, tuning.retryBase().multipliedBy(10)), false);
    }
    int n =
        Math.max(s.deleteAttempts == null ? 0 : s.deleteAttempts, o.lastAttempt(Purpose.DELETE));
    Job job = n == 0 ? null : o.job(Purpose.DELETE, n);
    if (job == null)
      return n == 0 || due(s, now)
          ? next(b, s, n + 1, d)
          : new Cleanup(d.done(s, wait(s, now)), false);
    JobObserver.Outcome out = JobObserver.observe(job, o.pods());
    switch (out.state()) {
      case SUCCEEDED -> {
        d.event(Reason.Deleted, "stored backup " + id + " deleted");
        return new Cleanup(d.done(s, null), true);
      }
      case FAILED -> {
        if (s.nextAttemptAt == null) {
          Duration wait = tuning.backoff(n);
          s.lastError =
              "deleting the stored backup failed (attempt "
                  + n
                  + "): "
                  + SpecWords.backup(BackupStatusMapper.errorOf(out.result()), b, Purpose.DELETE);
          s.nextAttemptAt = now.plus(wait).toString();
          d.warning(
              Reason.DeleteFailed,
              s.lastError
                  + "; the Backup stays until it succeeds, retrying. To keep the stored objects and let it go: "
                  + "kubectl annotate backup "
                  + b.getMetadata().getName()
                  + " "
                  + ANNOTATION
                  + "=Retain");
          return new Cleanup(d.done(s, wait), false);
        }
        return due(s, now) ? next(b, s, n + 1, d) : new Cleanup(d.done(s, wait(s, now)), false);
      }
      default -> {
        return new Cleanup(d.done(s, tuning.retryBase()), false);
      }
    }
  }

  /** The annotation, when it says Delete or Retain, else the spec's policy. */
  static BackupSpec.DeletionPolicy policy(Backup b) {
    String a =
        b.getMetadata().getAnnotations() == null
            ? null
            : b.getMetadata().getAnnotations().get(ANNOTATION);
    for (BackupSpec.DeletionPolicy p : BackupSpec.DeletionPolicy.values())
      if (p.name().equalsIgnoreCase(a == null ? "" : a.strip())) return p;
    return b.getSpec().deletionPolicy == null
        ? BackupSpec.DeletionPolicy.Delete
        : b.getSpec().deletionPolicy;
  }

  private Cleanup next(Backup b, BackupStatus s, int attempt, Decision.Builder<BackupStatus> d) {
    d.act(new Action.CreateJob(JobFactory.deleteJob(b, attempt, settings)));
    if (attempt == 1) d.event(Reason.Deleting, "deleting stored backup " + JobFactory.backupId(b));
    s.deleteAttempts = attempt;
    s.nextAttemptAt = null;
    return new Cleanup(d.done(s, tuning.retryBase()), false);
  }

  private static boolean due(BackupStatus s, Instant now) {
    return s.nextAttemptAt == null || !Instant.parse(s.nextAttemptAt).isAfter(now);
  }

  private static Duration wait(BackupStatus s, Instant now) {
    return Duration.between(now, Instant.parse(s.nextAttemptAt));
  }

  private static String where(Backup b, BackupStatus s) {
    return s.location != null ? s.location : storage(b.getSpec().storage);
  }

  /**
   * The storage location as the engine's --storage names it (the volume as its claim: it is mounted
   * elsewhere by hand).
   */
  static String storage(BackupSpec.StorageSpec st) {
    if (st.s3 != null)
      return "s3://"
          + st.s3.bucket
          + (st.s3.prefix == null ? "" : "/" + st.s3.prefix.replaceAll("^/+|/+$", ""));
    return "file:///<volume "
        + st.volume.claimName
        + ">"
        + (st.volume.path == null ? "" : "/" + st.volume.path.replaceAll("^/+|/+$", ""));
  }
}
