package io.coffer.controller.restore;

import io.coffer.api.Backup;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.coffer.api.RestoreStatus;
import io.coffer.controller.Action;
import io.coffer.controller.Decision;
import io.coffer.controller.TargetLocks;
import io.coffer.controller.Tuning;
import io.coffer.job.JobFactory;
import io.coffer.job.JobObserver;
import io.coffer.job.Requests;
import io.coffer.job.SpecWords;
import io.coffer.protocol.Protocol;
import io.coffer.protocol.RestoreRequest;
import io.coffer.status.BackupStatusMapper;
import io.coffer.status.Conditions;
import io.coffer.status.Reason;
import io.coffer.status.RestoreStatusMapper;
import io.coffer.status.Statuses;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;

/**
 * A Restore's state machine, one-shot, as a pure function. Before its Job: checks what only the
 * operator can see (a Replace is confirmed, the Backup exists and succeeded, no other restore
 * writes to the same targets), else it waits or fails. With its Job: Pending, Running (progress
 * from the log), then Succeeded with the plan (dry run) or what was restored, or Failed with the
 * engine's reason in the Restore's words. Finished, it never acts again.
 */
public final class RestoreDecider {
  private final JobFactory.Settings settings;
  private final Tuning tuning;

  public RestoreDecider(JobFactory.Settings settings, Tuning tuning) {
    this.settings = settings;
    this.tuning = tuning;
  }

  public Decision<RestoreStatus> decide(Restore r, RestoreObservation o, Instant now) {
    RestoreStatus s = Statuses.copyOr(r.getStatus(), new RestoreStatus());
    var d = new Decision.Builder<RestoreStatus>();
    if (s.phase != null && s.phase.terminal()) return removal(r, s, o, now, d);
    s.observedGeneration = r.getMetadata().getGeneration();
    if (o.job() == null) {
      Decision<RestoreStatus> started = start(r, s, o, now, d);
      // an upload that failed before its restore: what may have been staged goes
      return s.phase == Phase.Failed ? removal(r, s, o, now, d) : started;
    }
    // the Job is the truth: a status written from a stale copy of the Restore may lack these
    s.jobName = o.job().getMetadata().getName();
    String annotated = JobFactory.annotation(o.job(), JobFactory.ANNOTATION_BACKUP_ID);
    if (annotated != null && !annotated.isBlank()) s.backupId = annotated;
    s.waitingFor = null;
    if (r.getSpec().source != null && r.getSpec().source.upload != null) staged(r, s, o.job());
    JobObserver.Outcome out = JobObserver.observe(o.job(), o.pods());
    if (o.log() != null) {
      if (o.log().progress() != null) s.progress = o.log().progress();
      if (!o.log().tail().isEmpty()) s.logTail = o.log().tail();
    }
    switch (out.state()) {
      case PENDING -> {
        s.phase = Phase.Pending; // a Job exists: look again even if no event comes
        return d.done(s, tuning.progressEvery());
      }
      case RUNNING -> {
        s.phase = Phase.Running;
        if (s.startedAt == null)
          s.startedAt = out.startedAt() != null ? out.startedAt() : Statuses.time(now);
        Conditions.working(s.conditions, Reason.Running, "restoring", s.observedGeneration, now);
        return d.done(s, tuning.progressEvery());
      }
      case SUCCEEDED -> {
        if (!RestoreStatusMapper.apply(s, out.result()))
          return finish(s, "the Job completed but the engine left no result", now, d);
        s.phase = Phase.Succeeded;
        s.completedAt = Statuses.time(now);
        boolean dry = Boolean.TRUE.equals(r.getSpec().dryRun);
        String msg =
            dry
                ? "plan ready: " + s.plan.size() + " items, nothing was changed"
                : "restored "
                    + s.collections
                    + " collections ("
                    + s.documents
                    + " documents) and "
                    + s.files
                    + " files";
        Conditions.ready(
            s.conditions, dry ? Reason.Planned : Reason.Succeeded, msg, s.observedGeneration, now);
        d.event(dry ? Reason.Planned : Reason.Succeeded, msg);
        return removal(r, s, o, now, d);
      }
      default -> {
        finish(
            s, SpecWords.restore(BackupStatusMapper.errorOf(out.result()), r, o.backup()), now, d);
        return removal(r, s, o, now, d);
      }
    }
  }

  private Decision<RestoreStatus> start(
      Restore r,
      RestoreStatus s,
      RestoreObservation o,
      Instant now,
      Decision.Builder<RestoreStatus> d) {
    RestoreSpec spec = r.getSpec();
    boolean dry = Boolean.TRUE.equals(spec.dryRun);
    if (spec.mode == RestoreSpec.Mode.Replace && !dry && !Boolean.TRUE.equals(spec.confirm)) {
      return finish(
          s,
          "mode Replace drops and recreates every selected collection and file tree: set spec.confirm: true "
              + "(or spec.dryRun: true to preview); nothing was changed",
          now,
          d);
    }
    Backup backup = o.backup();
    if (spec.backupName != null) {
      if (backup == null) {
        // applied together, the Restore may be seen before its Backup: three wait steps before a
        // name counts as wrong
        if (justCreated(r, now)) {
          return waitFor(s, "Backup " + spec.backupName + " to exist in this namespace", now, d);
        }
        return finish(
            s,
            "spec.backupName: Backup " + spec.backupName + " does not exist in this namespace",
            now,
            d);
      }
      Phase bp = backup.getStatus() == null ? null : backup.getStatus().phase;
      if (bp == Phase.Failed)
        return finish(
            s,
            "spec.backupName: Backup " + spec.backupName + " failed; it cannot be restored",
            now,
            d);
      if (bp != Phase.Succeeded)
        return waitFor(s, "Backup " + spec.backupName + " to succeed", now, d);
      s.backupId = JobFactory.backupId(backup);
    } else {
      s.backupId =
          spec.source
              .backupId; // null for an archive file (the engine's result names it) and a mongodump
      // (the result names it "mongodump PATH")
    }
    RestoreStatus.Upload staged = null;
    if (backup == null && spec.source != null && spec.source.upload != null) {
      Decision<RestoreStatus> waiting = upload(r, s, o, now, d);
      if (waiting != null) return waiting;
      staged = s.upload;
    }
    if (!dry && o.other() != null) {
      return waitFor(
          s,
          "Restore " + o.other().getMetadata().getName() + " of the same target to finish",
          now,
          d);
    }
    Job job = JobFactory.restoreJob(r, backup, settings, staged);
    d.act(new Action.CreateJob(job));
    s.jobName = job.getMetadata().getName();
    s.waitingFor = null;
    s.targets = dry ? null : new ArrayList<>(TargetLocks.of(r, backup));
    s.phase = Phase.Pending;
    Conditions.working(
        s.conditions,
        Reason.JobCreated,
        "Job " + s.jobName + " created",
        s.observedGeneration,
        now);
    d.event(
        Reason.JobCreated,
        "Job "
            + s.jobName
            + " created for "
            + (s.backupId != null
                ? "backup " + s.backupId
                : staged != null
                    ? "the uploaded " + staged.path.substring(staged.path.lastIndexOf('/') + 1)
                    : spec.source.mongodump != null
                        ? "mongodump " + spec.source.mongodump
                        : "archive file "
                            + spec.source.archive.path
                            + " on volume "
                            + spec.source.archive.claimName));
    return d.done(s, tuning.progressEvery());
  }

  /**
   * The annotation that says the file was PUT to status.upload.url: {@code sha256:<hex>} (what the
   * console sets: the file's SHA-256, which the restore then requires of the staged file) or {@code
   * true} (no check: whoever held the URL until it expired may have replaced the file).
   */
  public static final String UPLOADED = "coffer.io/uploaded";

  /** How long a staged upload is kept unless spec.source.upload.keepHours says. */
  public static final int KEEP_HOURS = 24;

  private static final java.util.regex.Pattern ANNOUNCED =
      java.util.regex.Pattern.compile("^(true|sha256:[0-9a-f]{64})$");

  /**
   * Before the restore Job of an upload: the file's place (this Restore's own upload: its URL
   * signed by a Job, then the annotation {@value #UPLOADED}; fromRestore: the other Restore's
   * upload). Null once the file is there (s.upload.path names it); else the decision to wait or
   * fail.
   */
  private Decision<RestoreStatus> upload(
      Restore r,
      RestoreStatus s,
      RestoreObservation o,
      Instant now,
      Decision.Builder<RestoreStatus> d) {
    RestoreSpec.Upload up = r.getSpec().source.upload;
    if (up.fromRestore != null) return fromRestore(r, s, o, now, d);
    if (s.upload == null) {
      s.upload = new RestoreStatus.Upload();
      s.upload.path = Requests.uploadKey(r);
    }
    RestoreStatus.Upload u = s.upload;
    if (u.uploadedAt != null) return null;
    if (u.expiresAt == null) {
      if (o.signing() == null) {
        Job job = JobFactory.uploadJob(r, u.path, false, settings);
        d.act(new Action.CreateJob(job));
        d.event(Reason.JobCreated, "Job " + job.getMetadata().getName() + " signs the upload URL");
        return waitFor(s, "the upload URL (Job " + job.getMetadata().getName() + ")", now, d);
      }
      JobObserver.Outcome out = JobObserver.observe(o.signing(), o.pods());
      switch (out.state()) {
        case PENDING, RUNNING -> {
          return waitFor(
              s, "the upload URL (Job " + o.signing().getMetadata().getName() + ")", now, d);
        }
        case SUCCEEDED -> {
          // the pod's answer is input like any other: an http(s) URL of this upload's object, a
          // time
          if (!(out.result() instanceof Protocol.Upload signed)
              || signed.result().url() == null
              || !signed.result().url().matches("^https?://[^\\s\"<>]+$")
              || !signed.result().url().contains("/" + u.path + "?")
              || !Statuses.parses(signed.result().expiresAt()))
            return finish(s, "the upload Job answered without a usable URL", now, d);
          u.url = signed.result().url();
          u.expiresAt = signed.result().expiresAt();
          u.keepUntil =
              Statuses.time(Instant.parse(u.expiresAt).plus(Duration.ofHours(keepHours(r))));
          d.event(
              Reason.UploadReady,
              "upload URL ready until "
                  + u.expiresAt
                  + ": PUT the file to status.upload.url, then annotate "
                  + UPLOADED
                  + "=sha256:<its SHA-256>");
          // the annotation counts only once the URL was published: look again then
          return waitFor(s, uploadWords(u), now, d);
        }
        default -> {
          return finish(
              s,
              "cannot make the upload URL: "
                  + SpecWords.upload(BackupStatusMapper.errorOf(out.result()), r),
              now,
              d);
        }
      }
    }
    Instant expires = Instant.parse(u.expiresAt);
    var annotations = r.getMetadata().getAnnotations();
    String announced = annotations == null ? null : annotations.get(UPLOADED);
    if (announced == null || !ANNOUNCED.matcher(announced).matches()) {
      if (!now.isBefore(expires)) {
        u.url = null;
        return finish(
            s,
            "no upload arrived before the URL expired at "
                + u.expiresAt
                + " (the annotation "
                + UPLOADED
                + " was not set); create a new Restore to upload again",
            now,
            d);
      }
      waitFor(
          s,
          announced == null
              ? uploadWords(u)
              : "a valid " + UPLOADED + ": sha256:<the file's SHA-256, 64 hex digits> or true",
          now,
          d);
      // the annotation wakes the controller; the URL's expiry must too
      return d.done(s, Statuses.min(tuning.retryBase(), Duration.between(now, expires)));
    }
    u.url = null; // spent: the restore reads the file now
    u.uploadedAt = Statuses.time(now);
    u.sha256 = announced.startsWith("sha256:") ? announced.substring(7) : null;
    u.keepUntil = Statuses.time(now.plus(Duration.ofHours(keepHours(r))));
    d.event(
        Reason.Uploaded,
        "the file was uploaded to "
            + u.path
            + (u.sha256 == null ? " (announced without its SHA-256: not checked)" : ""));
    return null;
  }

  /**
   * An upload as its restore Job has it: the file it reads and the SHA-256 it requires, announced
   * by the Job's creation. A status written from a stale copy of the Restore may lack them.
   */
  private static void staged(Restore r, RestoreStatus s, Job job) {
    if (!(JobFactory.request(job) instanceof RestoreRequest q) || q.source() == null) return;
    String path =
        q.source().archiveFile() != null ? q.source().archiveFile() : q.source().mongodump();
    if (path == null) return;
    if (s.upload == null) s.upload = new RestoreStatus.Upload();
    s.upload.path = path;
    s.upload.url = null;
    if (s.upload.sha256 == null) s.upload.sha256 = q.source().sha256();
    if (s.upload.uploadedAt == null) {
      String created = job.getMetadata().getCreationTimestamp();
      s.upload.uploadedAt = created;
      if (created != null && r.getSpec().source.upload.fileName != null)
        s.upload.keepUntil =
            Statuses.time(Instant.parse(created).plus(Duration.ofHours(keepHours(r))));
    }
  }

  private static String uploadWords(RestoreStatus.Upload u) {
    return "the upload: PUT the file to status.upload.url until "
        + u.expiresAt
        + ", then annotate the Restore "
        + UPLOADED
        + "=sha256:<its SHA-256>";
  }

  /** A Restore of the file another Restore (its uploader) uploaded. */
  private Decision<RestoreStatus> fromRestore(
      Restore r,
      RestoreStatus s,
      RestoreObservation o,
      Instant now,
      Decision.Builder<RestoreStatus> d) {
    String name = r.getSpec().source.upload.fromRestore;
    Restore from = o.uploader();
    if (name.equals(r.getMetadata().getName()))
      return finish(
          s,
          "spec.source.upload.fromRestore names this Restore: name the one that uploaded",
          now,
          d);
    if (from == null) {
      if (justCreated(r, now)) return waitFor(s, "Restore " + name + " to exist", now, d);
      return finish(
          s,
          "spec.source.upload.fromRestore: Restore " + name + " does not exist in this namespace",
          now,
          d);
    }
    if (from.getSpec().source == null
        || from.getSpec().source.upload == null
        || from.getSpec().source.upload.fileName == null)
      return finish(
          s,
          "spec.source.upload.fromRestore: Restore "
              + name
              + " uploaded no file of its own (name the Restore with source.upload.fileName)",
          now,
          d);
    RestoreStatus.Upload theirs = from.getStatus() == null ? null : from.getStatus().upload;
    if (theirs == null || theirs.uploadedAt == null) {
      if (from.getStatus() != null
          && from.getStatus().phase != null
          && from.getStatus().phase.terminal())
        return finish(
            s,
            "spec.source.upload.fromRestore: Restore "
                + name
                + " ended without an upload; upload the file again",
            now,
            d);
      return waitFor(s, "the upload of Restore " + name, now, d);
    }
    if (Boolean.TRUE.equals(theirs.removed))
      return finish(
          s,
          "spec.source.upload.fromRestore: the file Restore "
              + name
              + " uploaded was removed (a restore used it, or its time ran out); upload it again",
          now,
          d);
    s.upload = new RestoreStatus.Upload();
    s.upload.path = theirs.path;
    s.upload.uploadedAt = theirs.uploadedAt;
    s.upload.sha256 = theirs.sha256;
    return null;
  }

  /**
   * Made less than three wait steps ago: what it names may not be seen yet (applied together), so a
   * missing name waits before it counts as wrong.
   */
  private boolean justCreated(Restore r, Instant now) {
    String created = r.getMetadata().getCreationTimestamp();
    return created != null
        && Duration.between(Instant.parse(created), now)
                .compareTo(tuning.retryBase().multipliedBy(3))
            < 0;
  }

  private static int keepHours(Restore r) {
    Integer h = r.getSpec().source.upload.keepHours;
    return h == null ? KEEP_HOURS : h;
  }

  /**
   * After a Restore of its own upload ended: the staged file is removed by this Restore alone (a
   * Job with the storage's deletion credentials), once no Restore that uses it (fromRestore) still
   * runs, and once a restore that was not a dry run used it (this one or one of those) or its time
   * ran out (keepHours after the upload, or after the URL expired without one: an upload begun
   * before then may still land). Until then it looks again each retry step. A Restore of another's
   * upload removes nothing.
   */
  private Decision<RestoreStatus> removal(
      Restore r,
      RestoreStatus s,
      RestoreObservation o,
      Instant now,
      Decision.Builder<RestoreStatus> d) {
    RestoreStatus.Upload u = s.upload;
    if (u == null
        || u.path == null
        || Boolean.TRUE.equals(u.removed)
        || u.message != null
        || u.keepUntil == null // never signed: nothing can be there
        || r.getSpec().source == null
        || r.getSpec().source.upload == null
        || r.getSpec().source.upload.fileName == null) return d.done(s, null);
    boolean running =
        o.users().stream()
            .anyMatch(
                x ->
                    x.getStatus() == null
                        || x.getStatus().phase == null
                        || !x.getStatus().phase.terminal());
    boolean usedForReal =
        (u.uploadedAt != null && s.jobName != null && !Boolean.TRUE.equals(r.getSpec().dryRun))
            || o.users().stream()
                .anyMatch(
                    x ->
                        !Boolean.TRUE.equals(x.getSpec().dryRun)
                            && x.getStatus() != null
                            && x.getStatus().jobName != null
                            && x.getStatus().phase != null
                            && x.getStatus().phase.terminal());
    Instant keepUntil = Instant.parse(u.keepUntil);
    boolean due = !running && (usedForReal || !now.isBefore(keepUntil));
    // a kept upload looks again each retry step whether the restores that use it ended
    Duration look = tuning.retryBase();
    if (!due)
      return d.done(
          s, now.isBefore(keepUntil) ? Statuses.min(look, Duration.between(now, keepUntil)) : look);
    u.url = null;
    if (o.removal() == null) {
      Job job = JobFactory.uploadJob(r, u.path, true, settings);
      d.act(new Action.CreateJob(job));
      d.event(
          Reason.JobCreated,
          "Job " + job.getMetadata().getName() + " removes the staged upload " + u.path);
      return d.done(s, tuning.progressEvery());
    }
    JobObserver.Outcome out = JobObserver.observe(o.removal(), o.pods());
    switch (out.state()) {
      case PENDING, RUNNING -> {
        return d.done(s, tuning.progressEvery());
      }
      case SUCCEEDED -> {
        u.removed = true;
        d.event(Reason.UploadRemoved, "removed the staged upload " + u.path);
        return d.done(s, null);
      }
      default -> {
        u.message =
            "cannot remove the staged upload "
                + u.path
                + ": "
                + SpecWords.upload(BackupStatusMapper.errorOf(out.result()), r)
                + "; remove it by hand";
        d.warning(Reason.UploadFailed, u.message);
        return d.done(s, null);
      }
    }
  }

  private Decision<RestoreStatus> waitFor(
      RestoreStatus s, String what, Instant now, Decision.Builder<RestoreStatus> d) {
    s.phase = Phase.Pending;
    s.waitingFor = what;
    Conditions.working(
        s.conditions, Reason.Waiting, "waiting for " + what, s.observedGeneration, now);
    return d.done(s, tuning.retryBase());
  }

  private Decision<RestoreStatus> finish(
      RestoreStatus s, String error, Instant now, Decision.Builder<RestoreStatus> d) {
    s.phase = Phase.Failed;
    s.lastError = error;
    s.waitingFor = null;
    s.completedAt = Statuses.time(now);
    Conditions.failed(s.conditions, Reason.Failed, error, s.observedGeneration, now);
    d.warning(Reason.Failed, error);
    return d.done(s, null);
  }
}
