package io.coffer.controller.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.coffer.api.RestoreStatus;
import io.coffer.controller.Action;
import io.coffer.controller.Decision;
import io.coffer.controller.Tuning;
import io.coffer.job.JobFactory;
import io.coffer.protocol.Consistency;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import io.coffer.protocol.Protocol;
import io.coffer.protocol.RestoreRequest;
import io.coffer.protocol.RestoreResult;
import io.coffer.testing.JobStates;
import io.coffer.testing.Specs;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every transition of the Restore state machine, as plain values (see {@link JobStates} for what
 * Kubernetes writes).
 */
class RestoreDeciderTest {
  static final Instant NOW = Instant.parse("2026-12-01T09:00:00Z");
  static final JobFactory.Settings SETTINGS = new JobFactory.Settings("coffer:1", "IfNotPresent");
  static final Tuning TUNING =
      new Tuning(Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofMinutes(1));
  final RestoreDecider decider = new RestoreDecider(SETTINGS, TUNING);

  static Backup backup(Phase phase) {
    return Specs.backup("rayerp", "nightly")
        .uid("1234abcd-0")
        .mongo("mongo", "uri", "erp")
        .files("uploads", "uploads")
        .s3("http://minio:9000", "backups", "rayerp", "s3")
        .status(phase, s -> s.backupId = "nightly-1234abcd")
        .build();
  }

  static Specs.RestoreBuilder rollback() {
    return Specs.restore("rayerp", "rollback")
        .uid("9999-0")
        .backupName("nightly")
        .created("2026-12-01T08:59:00Z");
  }

  static RestoreObservation seen(
      Job job, Backup backup, Restore other, io.fabric8.kubernetes.api.model.Pod... pods) {
    return new RestoreObservation(job, List.of(pods), null, backup, other);
  }

  static List<String> events(Decision<?> d) {
    return d.actions().stream()
        .filter(Action.Event.class::isInstance)
        .map(a -> ((Action.Event) a).reason().name())
        .toList();
  }

  static Job created(Decision<?> d) {
    return d.actions().stream()
        .filter(Action.CreateJob.class::isInstance)
        .map(a -> ((Action.CreateJob) a).job())
        .findFirst()
        .orElse(null);
  }

  @Test
  void givenASucceededBackup_thenTheJobIsCreated_andTheTargetsItWritesAreRecorded() {
    var d = decider.decide(rollback().build(), seen(null, backup(Phase.Succeeded), null), NOW);
    assertThat(created(d).getMetadata().getName()).isEqualTo("rollback-restore-1");
    assertThat(created(d).getMetadata().getAnnotations())
        .containsEntry(JobFactory.ANNOTATION_BACKUP_ID, "nightly-1234abcd");
    assertThat(d.status().phase).isEqualTo(Phase.Pending);
    assertThat(d.status().targets).containsExactly("mongodb:mongo/uri", "pvc:uploads");
    assertThat(d.status().backupId).isEqualTo("nightly-1234abcd");
    assertThat(events(d)).containsExactly("JobCreated");
  }

  @Test
  void givenADryRun_thenItLocksNothing() {
    var d =
        decider.decide(rollback().dryRun().build(), seen(null, backup(Phase.Succeeded), null), NOW);
    assertThat(((RestoreRequest) JobFactory.request(created(d))).dryRun()).isTrue();
    assertThat(d.status().targets).isNull();
  }

  @Test
  void givenAnUnconfirmedReplace_thenFailed_nothingChanged_sayingWhichFieldToSet() {
    var d =
        decider.decide(
            rollback().mode(RestoreSpec.Mode.Replace).build(),
            seen(null, backup(Phase.Succeeded), null),
            NOW);
    assertThat(d.status().phase).isEqualTo(Phase.Failed);
    assertThat(d.status().lastError)
        .contains("set spec.confirm: true")
        .contains("spec.dryRun: true");
    assertThat(created(d)).isNull();
  }

  @Test
  void givenTheBackupNotYetSeen_thenItWaitsBriefly_thenFailsNamingTheField() {
    Restore r = rollback().created("2026-12-01T08:59:50Z").build();
    var soon = decider.decide(r, seen(null, null, null), NOW);
    assertThat(soon.status().phase).isEqualTo(Phase.Pending);
    assertThat(soon.status().waitingFor).isEqualTo("Backup nightly to exist in this namespace");
    var later = decider.decide(r, seen(null, null, null), NOW.plusSeconds(30));
    assertThat(later.status().phase).isEqualTo(Phase.Failed);
    assertThat(later.status().lastError)
        .isEqualTo("spec.backupName: Backup nightly does not exist in this namespace");
    assertThat(later.status().waitingFor).isNull();
  }

  @Test
  void givenTheBackupRunningOrFailed_thenItWaitsOrFails() {
    assertThat(
            decider
                .decide(rollback().build(), seen(null, backup(Phase.Running), null), NOW)
                .status()
                .waitingFor)
        .isEqualTo("Backup nightly to succeed");
    var failed = decider.decide(rollback().build(), seen(null, backup(Phase.Failed), null), NOW);
    assertThat(failed.status().phase).isEqualTo(Phase.Failed);
    assertThat(failed.status().lastError).contains("failed; it cannot be restored");
  }

  @Test
  void givenAnotherRestoreOfTheSameTarget_thenItWaits_unlessItIsADryRun() {
    Restore other = Specs.restore("rayerp", "earlier").backupName("nightly").build();
    var d = decider.decide(rollback().build(), seen(null, backup(Phase.Succeeded), other), NOW);
    assertThat(created(d)).isNull();
    assertThat(d.status().waitingFor).isEqualTo("Restore earlier of the same target to finish");
    assertThat(d.requeue()).isEqualTo(TUNING.retryBase());
    assertThat(
            created(
                decider.decide(
                    rollback().dryRun().build(), seen(null, backup(Phase.Succeeded), other), NOW)))
        .isNotNull();
  }

  @Test
  void givenItsJob_thenPendingRunningAndSucceeded_withWhatWasRestored() {
    Restore r = rollback().build();
    Backup b = backup(Phase.Succeeded);
    var start = decider.decide(r, seen(null, b, null), NOW);
    r.setStatus(start.status());
    Job job = created(start);
    assertThat(decider.decide(r, seen(job, b, null, JobStates.pending(job)), NOW).status().phase)
        .isEqualTo(Phase.Pending);
    var running = decider.decide(r, seen(job, b, null, JobStates.running(job)), NOW.plusSeconds(3));
    assertThat(running.status().phase).isEqualTo(Phase.Running);
    assertThat(running.requeue()).isEqualTo(TUNING.progressEvery());
    r.setStatus(running.status());
    String result =
        Protocol.write(
            new RestoreResult(
                "Succeeded",
                "nightly-1234abcd",
                "merge",
                false,
                2.0,
                2,
                2001,
                1,
                100,
                List.of(
                    new RestoreResult.Item(
                        "collection", "erp.employees", "erp.employees", 2000L, null, 90, "merge")),
                Consistency.pointInTime("2026-12-07T02:00:00Z"),
                new RestoreResult.PointInTime(
                    "2026-12-07T02:00:00Z",
                    "nightly-1234abcd",
                    3,
                    420,
                    List.of("dropped erp.tmp at 2026-12-07T01:30:00Z"))));
    var done =
        decider.decide(
            r,
            seen(JobStates.complete(job), b, null, JobStates.terminated(job, 0, result)),
            NOW.plusSeconds(9));
    assertThat(done.status().phase).isEqualTo(Phase.Succeeded);
    assertThat(done.status().documents).isEqualTo(2001);
    assertThat(done.status().consistency).isEqualTo("PointInTime");
    assertThat(done.status().consistentAt).isEqualTo("2026-12-07T02:00:00Z");
    assertThat(done.status().pointInTime.baseBackupId).isEqualTo("nightly-1234abcd");
    assertThat(done.status().pointInTime.slices).isEqualTo(3);
    assertThat(done.status().pointInTime.oplogEntries).isEqualTo(420);
    assertThat(done.status().pointInTime.changes)
        .containsExactly("dropped erp.tmp at 2026-12-07T01:30:00Z");
    assertThat(done.status().plan)
        .singleElement()
        .satisfies(i -> assertThat(i.action).isEqualTo("merge"));
    assertThat(events(done)).containsExactly("Succeeded");
    r.setStatus(done.status());
    var after = decider.decide(r, seen(JobStates.complete(job), b, null), NOW.plusSeconds(60));
    assertThat(after.actions()).as("one-shot: finished, it never acts again").isEmpty();
  }

  @Test
  void givenTheEngineFails_thenFailed_inTheRestoresWords() {
    Restore r = rollback().build();
    Backup b = backup(Phase.Succeeded);
    r.setStatus(decider.decide(r, seen(null, b, null), NOW).status());
    Job job = JobStates.failed(JobFactory.restoreJob(r, b, SETTINGS));
    var d =
        decider.decide(
            r,
            seen(
                job,
                b,
                null,
                JobStates.terminated(
                    job,
                    6,
                    JobStates.failure(
                        ExitCode.KEY,
                        "this archive is encrypted to age recipients; give "
                            + Field.IDENTITY.mark()
                            + " with a matching AGE-SECRET-KEY"))),
            NOW.plusSeconds(4));
    assertThat(d.status().phase).isEqualTo(Phase.Failed);
    assertThat(d.status().lastError)
        .isEqualTo(
            "this archive is encrypted to age recipients; give spec.decryption.identity with a matching AGE-SECRET-KEY");
    assertThat(d.status().conditions)
        .anySatisfy(
            c -> {
              assertThat(c.getType()).isEqualTo("Failed");
              assertThat(c.getStatus()).isEqualTo("True");
            });
  }

  /** A Restore of a file uploaded to the team's bucket (spec.source.upload). */
  static Restore uploading(boolean dryRun) {
    Restore r =
        Specs.restore("rayerp", "uploaded")
            .uid("7777-0")
            .created("2026-12-01T08:59:00Z")
            .targetMongo("mongo", "uri")
            .build();
    r.getSpec().backupName = null;
    r.getSpec().source = new RestoreSpec.Source();
    r.getSpec().source.storage = backup(Phase.Succeeded).getSpec().storage;
    r.getSpec().source.upload = new RestoreSpec.Upload();
    r.getSpec().source.upload.fileName = "rayerp.zip.age";
    r.getSpec().dryRun = dryRun ? Boolean.TRUE : null;
    return r;
  }

  static RestoreObservation uploadSeen(
      Job restore,
      Job signing,
      Job removal,
      Restore uploader,
      io.fabric8.kubernetes.api.model.Pod... pods) {
    return new RestoreObservation(
        restore, List.of(pods), null, null, null, signing, removal, uploader, List.of());
  }

  static final String SHA = "ab".repeat(32);

  /** The status of a dry run of its own upload, which ended: the file kept for a day. */
  static RestoreStatus previewed() {
    RestoreStatus st = new RestoreStatus();
    st.phase = Phase.Succeeded;
    st.jobName = "uploaded-restore-1";
    st.upload = new RestoreStatus.Upload();
    st.upload.path = ".coffer-uploads/7777-0/rayerp.zip.age";
    st.upload.expiresAt = "2026-12-01T10:00:00Z";
    st.upload.uploadedAt = "2026-12-01T09:01:00Z";
    st.upload.keepUntil = "2026-12-02T09:01:00Z";
    return st;
  }

  @Test
  void givenAnUpload_thenAJobSignsTheUrl_thenItWaitsForTheAnnotation_thenRestoresTheStagedFile() {
    Restore r = uploading(true);
    var sign = decider.decide(r, uploadSeen(null, null, null, null), NOW);
    Job signing = created(sign);
    assertThat(signing.getMetadata().getName()).isEqualTo("uploaded-upload-1");
    var req = (io.coffer.protocol.UploadRequest) JobFactory.request(signing);
    assertThat(req.key()).isEqualTo(".coffer-uploads/7777-0/rayerp.zip.age");
    assertThat(req.remove()).isFalse();
    assertThat(req.expiresMinutes()).isEqualTo(60);
    assertThat(sign.status().phase).isEqualTo(Phase.Pending);
    assertThat(sign.status().waitingFor).startsWith("the upload URL (Job uploaded-upload-1)");

    r.setStatus(sign.status());
    Job done = JobStates.complete(signing);
    var pod =
        JobStates.terminated(
            done,
            0,
            Protocol.write(
                new io.coffer.protocol.UploadResult(
                    "Staged",
                    req.key(),
                    "https://s3/backups/rayerp/" + req.key() + "?sig",
                    "2026-12-01T10:00:00Z",
                    null)));
    r.getMetadata().setAnnotations(java.util.Map.of(RestoreDecider.UPLOADED, "sha256:" + SHA));
    var ready = decider.decide(r, uploadSeen(null, done, null, null, pod), NOW);
    assertThat(ready.status().upload.url)
        .isEqualTo("https://s3/backups/rayerp/.coffer-uploads/7777-0/rayerp.zip.age?sig");
    assertThat(ready.status().upload.uploadedAt)
        .as("an annotation set before the URL was published does not count yet")
        .isNull();
    assertThat(ready.status().waitingFor).contains("PUT the file to status.upload.url");
    assertThat(ready.requeue()).isEqualTo(TUNING.retryBase());
    assertThat(events(ready)).contains("UploadReady");
    assertThat(created(ready)).isNull();

    r.setStatus(ready.status());
    r.getMetadata().setAnnotations(java.util.Map.of(RestoreDecider.UPLOADED, "false"));
    var invalid = decider.decide(r, uploadSeen(null, done, null, null, pod), NOW.plusSeconds(30));
    assertThat(invalid.status().waitingFor).startsWith("a valid coffer.io/uploaded");
    assertThat(created(invalid)).isNull();
    r.getMetadata().setAnnotations(java.util.Map.of(RestoreDecider.UPLOADED, "sha256:" + SHA));
    var go = decider.decide(r, uploadSeen(null, done, null, null, pod), NOW.plusSeconds(60));
    var restore = (RestoreRequest) JobFactory.request(created(go));
    assertThat(restore.source().archiveFile()).isEqualTo(req.key());
    assertThat(restore.source().sha256())
        .as("the staged file must be the one announced")
        .isEqualTo(SHA);
    assertThat(restore.storage().uri()).isEqualTo("s3://backups/rayerp");
    assertThat(go.status().upload.url).as("spent").isNull();
    assertThat(go.status().upload.uploadedAt).isEqualTo("2026-12-01T09:01:00Z");
    assertThat(go.status().upload.keepUntil).isEqualTo("2026-12-02T09:01:00Z");
  }

  @Test
  void givenNoUploadBeforeTheUrlExpires_thenFailed_andWhatMayBeStagedIsRemoved() {
    Restore r = uploading(true);
    RestoreStatus st = new RestoreStatus();
    st.phase = Phase.Pending;
    st.upload = new RestoreStatus.Upload();
    st.upload.path = ".coffer-uploads/7777-0/rayerp.zip.age";
    st.upload.url = "https://s3/put?sig";
    st.upload.expiresAt = "2026-12-01T10:00:00Z";
    st.upload.keepUntil = "2026-12-02T10:00:00Z";
    r.setStatus(st);
    Job signing = JobStates.complete(JobFactory.uploadJob(r, st.upload.path, false, SETTINGS));
    var d =
        decider.decide(
            r, uploadSeen(null, signing, null, null), Instant.parse("2026-12-01T10:00:01Z"));
    assertThat(d.status().phase).isEqualTo(Phase.Failed);
    assertThat(d.status().lastError).contains("no upload arrived before the URL expired");
    assertThat(d.status().upload.url).isNull();
    assertThat(created(d)).as("an upload begun before the expiry may still land: kept").isNull();
    assertThat(d.requeue()).isEqualTo(TUNING.retryBase());
    r.setStatus(d.status());
    var later =
        decider.decide(
            r, uploadSeen(null, signing, null, null), Instant.parse("2026-12-02T10:00:00Z"));
    var removal = (io.coffer.protocol.UploadRequest) JobFactory.request(created(later));
    assertThat(removal.remove()).isTrue();
    assertThat(removal.key()).isEqualTo(st.upload.path);
  }

  @Test
  void givenAPreviewedUpload_thenKeptUntilItsTimeRunsOut_thenRemoved() {
    Restore r = uploading(true);
    RestoreStatus st = previewed();
    r.setStatus(st);
    var kept = decider.decide(r, uploadSeen(null, null, null, null), NOW);
    assertThat(created(kept)).isNull();
    assertThat(kept.requeue())
        .as("looks each retry step whether a restore used it")
        .isEqualTo(TUNING.retryBase());
    var due =
        decider.decide(
            r, uploadSeen(null, null, null, null), Instant.parse("2026-12-02T09:01:00Z"));
    Job removal = created(due);
    assertThat(removal.getMetadata().getName()).isEqualTo("uploaded-upload-2");
    r.setStatus(due.status());
    var failedPod =
        JobStates.terminated(
            JobStates.failed(removal),
            4,
            JobStates.failure(ExitCode.STORAGE, "access denied for " + Field.STORAGE.mark()));
    var failed =
        decider.decide(
            r,
            uploadSeen(null, null, JobStates.failed(removal), null, failedPod),
            Instant.parse("2026-12-02T09:02:00Z"));
    assertThat(failed.status().upload.removed).isNull();
    assertThat(failed.status().upload.message)
        .contains("cannot remove the staged upload")
        .contains("spec.source.storage")
        .endsWith("remove it by hand");
    assertThat(events(failed)).containsExactly("UploadFailed");
  }

  @Test
  void givenFromRestore_thenItWaitsForTheUpload_andRefusesOneThatWasRemoved() {
    Restore preview = uploading(true);
    Restore real = uploading(false);
    real.getMetadata().setName("uploaded-for-real");
    real.getSpec().source.upload.fileName = null;
    real.getSpec().source.upload.fromRestore = "uploaded";
    var waiting = decider.decide(real, uploadSeen(null, null, null, preview), NOW);
    assertThat(waiting.status().waitingFor).isEqualTo("the upload of Restore uploaded");
    RestoreStatus st = new RestoreStatus();
    st.phase = Phase.Succeeded;
    st.upload = new RestoreStatus.Upload();
    st.upload.path = ".coffer-uploads/7777-0/rayerp.zip.age";
    st.upload.uploadedAt = "2026-12-01T09:01:00Z";
    preview.setStatus(st);
    var go = decider.decide(real, uploadSeen(null, null, null, preview), NOW);
    assertThat(((RestoreRequest) JobFactory.request(created(go))).source().archiveFile())
        .isEqualTo(st.upload.path);
    st.upload.sha256 = SHA;
    var checked = decider.decide(real, uploadSeen(null, null, null, preview), NOW);
    assertThat(((RestoreRequest) JobFactory.request(created(checked))).source().sha256())
        .isEqualTo(SHA);
    st.upload.removed = true;
    var gone = decider.decide(real, uploadSeen(null, null, null, preview), NOW);
    assertThat(gone.status().phase).isEqualTo(Phase.Failed);
    assertThat(gone.status().lastError).contains("was removed").contains("upload it again");
    assertThat(created(gone)).isNull();
  }

  @Test
  void givenFromRestoreOfItselfOrOfARestoreWithoutItsOwnFile_thenFailedAtOnce() {
    Restore self = uploading(false);
    self.getSpec().source.upload.fileName = null;
    self.getSpec().source.upload.fromRestore = "uploaded";
    var d = decider.decide(self, uploadSeen(null, null, null, self), NOW);
    assertThat(d.status().lastError).contains("names this Restore");
    Restore other = uploading(true);
    other.getMetadata().setName("other");
    other.getSpec().source.upload.fileName = null;
    other.getSpec().source.upload.fromRestore = "uploaded";
    Restore real = uploading(false);
    real.getMetadata().setName("real");
    real.getSpec().source.upload.fileName = null;
    real.getSpec().source.upload.fromRestore = "other";
    var cycle = decider.decide(real, uploadSeen(null, null, null, other), NOW);
    assertThat(cycle.status().phase).isEqualTo(Phase.Failed);
    assertThat(cycle.status().lastError).contains("uploaded no file of its own");
  }

  /**
   * Only the uploader removes its file, and not while a Restore that uses it runs: a restore that
   * is not a dry run having ended, it goes at once.
   */
  @Test
  void givenAPreviewedUploadUsedByARunningRestore_thenKept_andRemovedOnceThatOneEnded() {
    Restore preview = uploading(true);
    RestoreStatus st = previewed();
    preview.setStatus(st);
    Restore real = uploading(false);
    real.getMetadata().setName("real");
    real.getSpec().source.upload.fileName = null;
    real.getSpec().source.upload.fromRestore = "uploaded";
    RestoreStatus rs = new RestoreStatus();
    rs.phase = Phase.Running;
    rs.jobName = "real-restore-1";
    real.setStatus(rs);
    var seen =
        new RestoreObservation(null, List.of(), null, null, null, null, null, null, List.of(real));
    var running = decider.decide(preview, seen, Instant.parse("2026-12-03T00:00:00Z"));
    assertThat(created(running)).as("past keepUntil, but a restore reads it").isNull();
    rs.phase = Phase.Succeeded;
    var ended = decider.decide(preview, seen, NOW);
    var removal = (io.coffer.protocol.UploadRequest) JobFactory.request(created(ended));
    assertThat(removal.remove()).isTrue();
    // the restore that used it removes nothing itself
    real.setStatus(rs);
    rs.upload = new RestoreStatus.Upload();
    rs.upload.path = st.upload.path;
    rs.upload.uploadedAt = st.upload.uploadedAt;
    assertThat(created(decider.decide(real, uploadSeen(null, null, null, preview), NOW))).isNull();
  }

  /**
   * A status written from a stale copy of the Restore (the informer had not seen the upload yet) is
   * mended from the restore Job, which holds the file and its SHA-256: the upload counts as
   * announced when the Job was made, and its removal is planned from then.
   */
  @Test
  void givenAStaleStatusAndTheRestoreJob_thenTheUploadIsTakenFromTheJob() {
    Restore r = uploading(true);
    RestoreStatus announced = new RestoreStatus();
    announced.upload = new RestoreStatus.Upload();
    announced.upload.path = ".coffer-uploads/7777-0/rayerp.zip.age";
    announced.upload.sha256 = SHA;
    Job job = JobFactory.restoreJob(r, null, SETTINGS, announced.upload);
    job.getMetadata().setCreationTimestamp("2026-12-01T09:01:00Z");
    RestoreStatus stale = new RestoreStatus();
    stale.phase = Phase.Pending;
    stale.waitingFor = "the upload: PUT the file to status.upload.url";
    stale.upload = new RestoreStatus.Upload();
    stale.upload.path = announced.upload.path;
    stale.upload.url = "https://s3/put?sig";
    stale.upload.expiresAt = "2026-12-01T10:00:00Z";
    r.setStatus(stale);
    var d = decider.decide(r, uploadSeen(job, null, null, null, JobStates.running(job)), NOW);
    assertThat(d.status().upload.url).isNull();
    assertThat(d.status().upload.uploadedAt).isEqualTo("2026-12-01T09:01:00Z");
    assertThat(d.status().upload.sha256).isEqualTo(SHA);
    assertThat(d.status().upload.keepUntil).isEqualTo("2026-12-02T09:01:00Z");
    assertThat(d.status().waitingFor).isNull();
  }
}
