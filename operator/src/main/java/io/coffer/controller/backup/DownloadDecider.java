package io.coffer.controller.backup;

import io.coffer.api.Backup;
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
 * Downloads of a Succeeded Backup without storage credentials, the way Velero's DownloadRequest
 * works: each new value of the annotation {@value #ANNOTATION} (the console's Download button, or
 * {@code kubectl annotate}) starts one Job that holds the storage credentials and answers with a
 * presigned URL of the stored archive, valid for {@value #MINUTES} minutes; the URL goes to {@code
 * status.download} and is removed once it expired. Whoever may patch the Backup may ask; whoever
 * may read it sees the URL while it lasts (the archive is as stored: age-encrypted when the backup
 * is). A volume has no URL: that is said at once, without a Job. Pure.
 *
 * <pre>
 *   annotation value not yet answered -> Running (Job created), or Failed at once (a volume)
 *   Running -> Ready (url, expiresAt) | Failed, from the Job;  Ready -> Expired at expiresAt
 * </pre>
 */
public final class DownloadDecider {
  public static final String ANNOTATION = "coffer.io/download-requested";
  public static final int MINUTES = 15;

  private DownloadDecider() {}

  /**
   * Updates {@code s.download} and {@code d}; returns when to look again (the URL's expiry), or
   * null.
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
    BackupStatus.Download v = s.download;
    if (v == null || !requested.equals(v.requested)) {
      BackupStatus.Download next = new BackupStatus.Download();
      next.requested = requested;
      next.count = v == null || v.count == null ? 1 : v.count + 1;
      next.time = Statuses.time(now);
      Job job = JobFactory.shareJob(b, next.count, MINUTES, settings);
      d.act(new Action.CreateJob(job));
      next.result = "Running";
      next.jobName = job.getMetadata().getName();
      d.event(
          Reason.Sharing,
          (b.getSpec().storage.s3 != null
                  ? "download URL asked for: Job "
                  : "download asked for: Job " + "(serving the archive from the volume) ")
              + next.jobName);
      s.download = next;
      return null;
    }
    if ("Ready".equals(v.result) && b.getSpec().storage.s3 != null) return expire(v, now, d);
    if (!"Running".equals(v.result) && !"Ready".equals(v.result)) return null;
    Job job = o.named(v.jobName);
    if (job == null) {
      if ("Ready".equals(v.result)) { // a served download whose Job is gone serves no more
        v.result = "Expired";
        v.url = null;
        v.message = "the Job that served the download is gone; ask again for a new one";
      }
      return null;
    }
    JobObserver.Outcome out = JobObserver.observe(job, o.pods());
    String token = JobFactory.downloadToken(job);
    if (token != null) return served(b, v, job, token, out, o, now, settings, d);
    if (out.state() == JobObserver.State.SUCCEEDED) {
      v.time = Statuses.time(now);
      // the pod's answer is input like any other: only an http(s) URL and a time are taken from it
      if (out.result() instanceof Protocol.Share r
          && r.result().url() != null
          && r.result().url().matches("^https?://[^\\s\"<>]+$")
          && Statuses.parses(r.result().expiresAt())) {
        v.result = "Ready";
        v.url = r.result().url();
        v.expiresAt = r.result().expiresAt();
        v.fileName =
            r.result().fileName() == null
                ? null
                : r.result().fileName().replaceAll("[^A-Za-z0-9._-]", "_");
        v.message =
            "valid until "
                + v.expiresAt
                + (r.result().encrypted()
                    ? " (the archive is age-encrypted)"
                    : " (the archive is not encrypted)");
        d.event(Reason.Shared, "download URL ready, " + v.message);
        return expire(v, now, d);
      }
      v.result = "Failed";
      v.message = "the share Job answered without a usable URL";
      d.warning(Reason.ShareFailed, v.message);
    } else if (out.state() == JobObserver.State.FAILED) {
      v.result = "Failed";
      v.message = SpecWords.backup(BackupStatusMapper.errorOf(out.result()), b, Purpose.SHARE);
      v.time = Statuses.time(now);
      d.warning(Reason.ShareFailed, v.message);
    }
    return null;
  }

  /**
   * A volume's download, served by its Job's pod: Ready, with the pod's in-cluster URL (the console
   * passes it on to the browser), once the pod answers its readiness probe; Expired when the Job
   * ends on time; Failed when it fails.
   */
  private static Duration served(
      Backup b,
      BackupStatus.Download v,
      Job job,
      String token,
      JobObserver.Outcome out,
      BackupObservation o,
      Instant now,
      JobFactory.Settings settings,
      Decision.Builder<BackupStatus> d) {
    switch (out.state()) {
      case SUCCEEDED -> {
        v.result = "Expired";
        v.url = null;
        v.time = Statuses.time(now);
        v.message = "the download ended at " + v.expiresAt + "; ask again for a new one";
        return null;
      }
      case FAILED -> {
        v.result = "Failed";
        v.url = null;
        v.message = SpecWords.backup(BackupStatusMapper.errorOf(out.result()), b, Purpose.SHARE);
        v.time = Statuses.time(now);
        d.warning(Reason.ShareFailed, v.message);
        return null;
      }
      default -> {
        if ("Ready".equals(v.result)) return null;
        var pod =
            JobObserver.podsOf(job, o.pods())
                .filter(p -> ownedBy(p, job)) // a pod anyone labelled so gets no token
                .filter(DownloadDecider::ready)
                .findFirst()
                .orElse(null);
        if (pod == null) return null; // its readiness is an event
        String ip = pod.getStatus().getPodIP();
        String host = ip.contains(":") ? "[" + ip + "]" : ip;
        boolean encrypted = b.getSpec().encryption != null;
        String fileName =
            JobFactory.backupId(b) + "-" + (encrypted ? "archive.zip.age" : "archive.zip");
        Instant started = out.startedAt() != null ? Instant.parse(out.startedAt()) : now;
        v.result = "Ready";
        // the port the Job's request chose (an operator restarted with another keeps it)
        v.url =
            "http://" + host + ":" + JobFactory.downloadPort(job) + "/" + token + "/" + fileName;
        v.fileName = fileName;
        v.expiresAt = Statuses.time(started.plus(Duration.ofMinutes(MINUTES)));
        v.time = Statuses.time(now);
        v.message =
            "served from the volume until "
                + v.expiresAt
                + " (inside the cluster: the console passes it on; kubectl port-forward reaches it too)"
                + (encrypted ? "; the archive is age-encrypted" : "; the archive is not encrypted");
        d.event(Reason.Shared, "download ready, " + v.message);
        return null;
      }
    }
  }

  private static boolean ready(io.fabric8.kubernetes.api.model.Pod p) {
    return p.getStatus() != null
        && p.getStatus().getPodIP() != null
        && p.getStatus().getPodIP().matches("^[0-9a-fA-F.:]{2,45}$")
        && p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /**
   * The pod is the Job's own: its controller is that Job (by uid, once the API server gave one).
   */
  private static boolean ownedBy(io.fabric8.kubernetes.api.model.Pod p, Job job) {
    return p.getMetadata().getOwnerReferences() != null
        && p.getMetadata().getOwnerReferences().stream()
            .anyMatch(
                r ->
                    Boolean.TRUE.equals(r.getController())
                        && "Job".equals(r.getKind())
                        && job.getMetadata().getName().equals(r.getName())
                        && (job.getMetadata().getUid() == null
                            || job.getMetadata().getUid().equals(r.getUid())));
  }

  /** A Ready URL until its time, Expired (and gone from the status) after. */
  private static Duration expire(
      BackupStatus.Download v, Instant now, Decision.Builder<BackupStatus> d) {
    Instant at = Instant.parse(v.expiresAt);
    if (now.isBefore(at)) return Duration.between(now, at).plusSeconds(1);
    v.result = "Expired";
    v.url = null;
    v.message = "the download URL expired at " + v.expiresAt + "; ask again for a new one";
    return null;
  }
}
