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
import io.coffer.protocol.Protocol;
import io.coffer.status.BackupStatusMapper;
import io.coffer.status.Reason;
import io.coffer.status.Statuses;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Copies, part of a Succeeded Backup's life: for each entry of {@code spec.copies}, a Job that
 * copies the stored objects there and checks them ({@code coffer copy}); its outcome goes to {@code
 * status.copies}. A failed copy is tried again after back-off, up to {@value #ATTEMPTS} attempts.
 * Pure.
 *
 * <pre>
 *   Succeeded, copy not started -> Copying (Job created)
 *   Copying -> Verified | Failed, from the Job
 *   Failed, attempts left, back-off over -> Copying (the next attempt's Job)
 * </pre>
 */
public final class CopyDecider {
  static final int ATTEMPTS = 3;

  private CopyDecider() {}

  /**
   * Updates {@code s.copies} and {@code d}; returns when to look again (a failed copy's next
   * attempt), or null: the copy Jobs' events wake the Backup.
   */
  static Duration decide(
      Backup b,
      BackupStatus s,
      BackupObservation o,
      Instant now,
      JobFactory.Settings settings,
      Tuning tuning,
      Decision.Builder<BackupStatus> d) {
    List<BackupSpec.CopySpec> specs = b.getSpec().copies;
    if (specs == null
        || specs.isEmpty()
        || s.phase != Phase.Succeeded
        || b.getMetadata().getDeletionTimestamp() != null) return null;
    if (s.copies == null) s.copies = new ArrayList<>();
    Duration next = null;
    for (int i = 0; i < specs.size(); i++) {
      BackupSpec.CopySpec spec = specs.get(i);
      BackupStatus.Copy c = status(s, spec);
      if ("Verified".equals(c.phase)) continue;
      int attempts = c.attempts == null ? 0 : c.attempts;
      if (c.phase == null) {
        start(b, i, c, 1, settings, d);
        continue;
      }
      if ("Failed".equals(c.phase)) {
        if (c.nextAttemptAt == null) continue; // no attempt left
        Instant at = Instant.parse(c.nextAttemptAt);
        if (at.isAfter(now)) next = Statuses.min(next, Duration.between(now, at));
        else start(b, i, c, attempts + 1, settings, d);
        continue;
      }
      Job job = o.named(c.jobName);
      if (job == null) continue; // not seen yet
      JobObserver.Outcome out = JobObserver.observe(job, o.pods());
      if (out.state() == JobObserver.State.SUCCEEDED) {
        c.phase = "Verified";
        c.verified = true;
        c.time = Statuses.time(now);
        c.nextAttemptAt = null;
        if (out.result() instanceof Protocol.Copy r) {
          c.objects = r.result().objects();
          c.bytes = r.result().bytes();
          c.location = r.result().location();
          c.message =
              (r.result().alreadyThere()
                      ? "there already; its archive checks"
                      : "copied and read back: every SHA-256 checks")
                  + (r.result().warnings() == null
                      ? ""
                      : "; " + String.join("; ", r.result().warnings()));
        }
        d.event(Reason.Copied, "copy " + spec.name + " at " + c.location + ": " + c.message);
      } else if (out.state() == JobObserver.State.FAILED) {
        c.phase = "Failed";
        c.verified = false;
        c.time = Statuses.time(now);
        c.message = SpecWords.copy(BackupStatusMapper.errorOf(out.result()), b, i);
        if (attempts < ATTEMPTS) {
          Duration wait = tuning.backoff(attempts);
          c.nextAttemptAt = now.plus(wait).toString();
          next = Statuses.min(next, wait);
          d.warning(
              Reason.CopyFailed,
              "copy "
                  + spec.name
                  + " failed (attempt "
                  + attempts
                  + " of "
                  + ATTEMPTS
                  + ", next in "
                  + wait.toSeconds()
                  + " s): "
                  + c.message);
        } else {
          c.nextAttemptAt = null;
          d.warning(
              Reason.CopyGaveUp,
              "copy "
                  + spec.name
                  + " failed "
                  + ATTEMPTS
                  + " times, the last: "
                  + c.message
                  + "; the backup itself is fine. Fix the cause and make the copy by hand:"
                  + " coffer copy --backup "
                  + JobFactory.backupId(b)
                  + " --to ...");
        }
      }
    }
    return next;
  }

  /** The status entry of a copy, added (with its location) when it has none yet. */
  private static BackupStatus.Copy status(BackupStatus s, BackupSpec.CopySpec spec) {
    for (BackupStatus.Copy c : s.copies) if (spec.name.equals(c.name)) return c;
    BackupStatus.Copy c = new BackupStatus.Copy();
    c.name = spec.name;
    c.location = CleanupDecider.storage(spec.storage);
    s.copies.add(c);
    return c;
  }

  private static void start(
      Backup b,
      int index,
      BackupStatus.Copy c,
      int attempt,
      JobFactory.Settings settings,
      Decision.Builder<BackupStatus> d) {
    Job job = JobFactory.copyJob(b, index, attempt, settings);
    d.act(new Action.CreateJob(job));
    c.phase = "Copying";
    c.verified = null;
    c.attempts = attempt;
    c.jobName = job.getMetadata().getName();
    c.nextAttemptAt = null;
    d.event(
        Reason.Copying,
        "copying to "
            + c.name
            + " ("
            + c.location
            + (attempt > 1 ? ", attempt " + attempt : "")
            + "): Job "
            + c.jobName);
  }
}
