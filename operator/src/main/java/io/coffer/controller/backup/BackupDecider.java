package io.coffer.controller.backup;

import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.BackupStatus;
import io.coffer.api.Phase;
import io.coffer.controller.Action;
import io.coffer.controller.Decision;
import io.coffer.controller.Tuning;
import io.coffer.job.JobFactory;
import io.coffer.job.JobObserver;
import io.coffer.job.SpecWords;
import io.coffer.protocol.Consistency;
import io.coffer.protocol.Purpose;
import io.coffer.schedule.Retention;
import io.coffer.status.BackupStatusMapper;
import io.coffer.status.Conditions;
import io.coffer.status.LogTail;
import io.coffer.status.Reason;
import io.coffer.status.Statuses;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * A Backup's state machine (see {@link Phase}), as a pure function of the Backup, what was observed
 * and the time.
 *
 * <pre>
 *   no Job for the next attempt -> wait for a Restore of the same source, or for a chain parent; else create it (Pending)
 *   Job pending -> Pending; running -> Running (progress from the log); succeeded -> Succeeded (the engine's result)
 *   Job failed -> Pending with nextAttemptAt (back-off), or Failed once the attempts are used up or the failure is permanent
 *   Succeeded or Failed -> only the ttl, verifications and download URLs on request ({@link VerificationDecider},
 *                          {@link DownloadDecider}) and copies ({@link CopyDecider}), act
 * </pre>
 */
public final class BackupDecider {
  private final JobFactory.Settings settings;
  private final Tuning tuning;

  public BackupDecider(JobFactory.Settings settings, Tuning tuning) {
    this.settings = settings;
    this.tuning = tuning;
  }

  public Decision<BackupStatus> decide(Backup b, BackupObservation o, Instant now) {
    BackupStatus s = Statuses.copyOr(b.getStatus(), new BackupStatus());
    var d = new Decision.Builder<BackupStatus>();
    if (s.phase != null && s.phase.terminal()) {
      Duration verify = VerificationDecider.decide(b, s, o, now, settings, d);
      Duration download = DownloadDecider.decide(b, s, o, now, settings, d);
      Duration copies = CopyDecider.decide(b, s, o, now, settings, tuning, d);
      return d.done(
          s,
          Statuses.min(Statuses.min(Statuses.min(verify, download), copies), expiry(b, s, now, d)));
    }
    s.backupId = JobFactory.backupId(b);
    s.observedGeneration = b.getMetadata().getGeneration();
    // the Jobs are the truth: a status written from a stale copy of the Backup may count fewer
    // attempts
    int stored = s.attempts == null ? 0 : s.attempts;
    int attempt = Math.max(stored, o.lastAttempt(Purpose.BACKUP));
    if (attempt > 0) s.attempts = attempt;
    Job job = o.job(Purpose.BACKUP, attempt);
    if (job == null) return start(b, s, o, attempt, now, d);
    s.jobName = job.getMetadata().getName();
    String parentId = JobFactory.annotation(job, JobFactory.ANNOTATION_PARENT_ID);
    if (parentId != null && s.parent == null) {
      o.neighbours().stream()
          .filter(x -> parentId.equals(JobFactory.backupId(x)))
          .findFirst()
          .ifPresent(p -> s.parent = p.getMetadata().getName());
    }
    JobObserver.Outcome out = JobObserver.observe(job, o.pods());
    if (out.state() == JobObserver.State.FAILED && s.nextAttemptAt != null && stored == attempt) {
      return start(
          b, s, o, attempt, now,
          d); // this failure is counted (the status knows this attempt); the next may be due
    }
    log(s, o.log());
    switch (out.state()) {
      case PENDING -> {
        s.phase = Phase.Pending;
        // a Job exists: look again even if no event comes (a missed one must not leave the Backup
        // Pending)
        return d.done(s, tuning.progressEvery());
      }
      case RUNNING -> {
        if (s.phase != Phase.Running) d.event(Reason.Running, "attempt " + attempt + " is running");
        s.phase = Phase.Running;
        if (s.startedAt == null)
          s.startedAt = out.startedAt() != null ? out.startedAt() : Statuses.time(now);
        Conditions.working(
            s.conditions,
            Reason.Running,
            "attempt " + attempt + " is running",
            s.observedGeneration,
            now);
        return d.done(s, tuning.progressEvery());
      }
      case SUCCEEDED -> {
        if (!BackupStatusMapper.applySuccess(s, out.result())) {
          return fail(
              b,
              s,
              attempt,
              "the Job completed but the engine left no result; the backup cannot be trusted",
              now,
              d);
        }
        s.phase = Phase.Succeeded;
        s.completedAt = Statuses.time(now);
        s.lastError = null;
        s.nextAttemptAt = null;
        Conditions.ready(
            s.conditions,
            Reason.Succeeded,
            "backup " + s.backupId + " stored: " + s.size,
            s.observedGeneration,
            now);
        d.event(Reason.Succeeded, "stored " + s.size + " at " + s.location + " in " + s.duration);
        if (Consistency.PER_COLLECTION.equals(s.consistency)) {
          // said once, where an admin looks: a restore gives each collection as it was read
          d.warning(
              Reason.NotPointInTime, "not one moment of the database: " + s.consistencyReason);
        }
        // copies start at once: a status write wakes no reconcile
        Duration copies = CopyDecider.decide(b, s, o, now, settings, tuning, d);
        return d.done(s, Statuses.min(copies, expiry(b, s, now, d)));
      }
      default -> {
        String error =
            SpecWords.backup(BackupStatusMapper.errorOf(out.result()), b, Purpose.BACKUP);
        if (BackupStatusMapper.permanent(out.result())) { // another attempt would fail the same way
          return fail(
              b, s, Integer.MAX_VALUE, error + " (not retried: it would fail again)", now, d);
        }
        return fail(b, s, attempt, error, now, d);
      }
    }
  }

  /**
   * The next attempt: after its back-off, once no Restore writes to the source, on the chain's
   * parent.
   */
  private Decision<BackupStatus> start(
      Backup b,
      BackupStatus s,
      BackupObservation o,
      int attempt,
      Instant now,
      Decision.Builder<BackupStatus> d) {
    if (s.nextAttemptAt != null) {
      Duration wait = Duration.between(now, Instant.parse(s.nextAttemptAt));
      if (!wait.isNegative() && !wait.isZero()) return d.done(s, wait);
    }
    if (o.lockedBy() != null) {
      s.phase = Phase.Pending;
      Conditions.working(
          s.conditions,
          Reason.Waiting,
          "waiting for Restore "
              + o.lockedBy().getMetadata().getName()
              + " of the same target to finish",
          s.observedGeneration,
          now);
      return d.done(s, tuning.retryBase());
    }
    String parentId = null;
    if (b.getSpec().type == BackupSpec.Type.Incremental) {
      // an earlier attempt's parent is the chain's: retries and a restarted operator never change
      // it
      parentId =
          o.jobs().stream()
              .filter(j -> JobFactory.purpose(j) == Purpose.BACKUP)
              .map(j -> JobFactory.annotation(j, JobFactory.ANNOTATION_PARENT_ID))
              .filter(Objects::nonNull)
              .findFirst()
              .orElse(null);
      if (parentId == null) {
        ChainParent.Choice c = ChainParent.choose(b, o.neighbours());
        if (c.failure() != null) return fail(b, s, Integer.MAX_VALUE, c.failure(), now, d);
        if (c.waiting() != null) {
          s.phase = Phase.Pending;
          Conditions.working(s.conditions, Reason.Waiting, c.waiting(), s.observedGeneration, now);
          return d.done(s, tuning.retryBase());
        }
        parentId = c.parent().getStatus().backupId;
        s.parent = c.parent().getMetadata().getName();
      }
    }
    int next = attempt + 1;
    Job job = JobFactory.backupJob(b, next, settings, parentId);
    d.act(new Action.CreateJob(job));
    s.attempts = next;
    s.jobName = job.getMetadata().getName();
    s.nextAttemptAt = null;
    s.phase = Phase.Pending;
    String msg = "attempt " + next + ": Job " + s.jobName + " created";
    Conditions.working(s.conditions, Reason.JobCreated, msg, s.observedGeneration, now);
    d.event(Reason.JobCreated, msg);
    return d.done(s, tuning.progressEvery());
  }

  /** {@code attempt}: the one that failed; {@link Integer#MAX_VALUE} when no attempt can help. */
  private Decision<BackupStatus> fail(
      Backup b,
      BackupStatus s,
      int attempt,
      String error,
      Instant now,
      Decision.Builder<BackupStatus> d) {
    s.lastError = error;
    int limit =
        b.getSpec().backoffLimit == null
            ? BackupSpec.DEFAULT_BACKOFF_LIMIT
            : b.getSpec().backoffLimit;
    if (attempt <= limit) {
      Duration wait = tuning.backoff(attempt);
      s.nextAttemptAt = now.plus(wait).truncatedTo(ChronoUnit.MILLIS).toString();
      s.phase = Phase.Pending;
      String msg =
          "attempt "
              + attempt
              + " failed: "
              + error
              + "; retrying in "
              + (wait.toMillis() < 1000 ? wait.toMillis() + " ms" : wait.toSeconds() + " s");
      Conditions.working(s.conditions, Reason.RetryScheduled, msg, s.observedGeneration, now);
      d.warning(Reason.AttemptFailed, msg);
      return d.done(s, wait);
    }
    s.phase = Phase.Failed;
    s.completedAt = Statuses.time(now);
    s.nextAttemptAt = null;
    String msg =
        attempt == Integer.MAX_VALUE
            ? error
            : "attempt " + attempt + " of " + (limit + 1) + " failed: " + error;
    Conditions.failed(s.conditions, Reason.Failed, msg, s.observedGeneration, now);
    d.warning(Reason.Failed, msg);
    return d.done(s, expiry(b, s, now, d));
  }

  /**
   * spec.ttl: a finished Backup is deleted (with its stored objects) that long after it completed;
   * null: no ttl.
   */
  private Duration expiry(Backup b, BackupStatus s, Instant now, Decision.Builder<BackupStatus> d) {
    String ttl = b.getSpec().ttl;
    if (ttl == null || s.completedAt == null || b.getMetadata().getDeletionTimestamp() != null)
      return null;
    Duration left =
        Duration.between(now, Instant.parse(s.completedAt).plus(Retention.parseAge(ttl)));
    if (left.isNegative() || left.isZero()) {
      d.event(
          Reason.Deleting, "ttl " + ttl + " expired: deleting the Backup and its stored objects");
      d.act(new Action.Delete(b));
      return null;
    }
    return tuning.capped(left);
  }

  /**
   * Progress and the log tail, when the log was read; a log that could not be read leaves them as
   * they were.
   */
  private static void log(BackupStatus s, LogTail.Parsed log) {
    if (log == null) return;
    if (log.progress() != null) s.progress = log.progress();
    if (!log.tail().isEmpty()) s.logTail = log.tail();
  }
}
