package io.coffer.controller.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.Phase;
import io.coffer.controller.Action;
import io.coffer.job.JobFactory;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import io.coffer.testing.JobStates;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What deleting a Backup does, transition by transition: stop, delete the stored objects
 * (retrying), or keep them.
 */
class CleanupDeciderTest {
  final CleanupDecider decider =
      new CleanupDecider(BackupDeciderTest.SETTINGS, BackupDeciderTest.TUNING);

  static Backup deleted(BackupSpec.DeletionPolicy policy, String annotation) {
    var b =
        BackupDeciderTest.nightly()
            .deletionPolicy(policy)
            .deleting("2026-12-01T01:59:00Z")
            .status(
                Phase.Succeeded,
                s -> {
                  s.attempts = 1;
                  s.backupId = "nightly-1234abcd";
                  s.location = "s3://backups/rayerp/nightly-1234abcd.zip.age";
                });
    if (annotation != null) b.annotation(CleanupDecider.ANNOTATION, annotation);
    return b.build();
  }

  @Test
  void givenABackupThatNeverStartedAnAttempt_thenItGoesAtOnce() {
    Backup b = BackupDeciderTest.nightly().deleting("2026-12-01T01:59:00Z").build();
    var c = decider.decide(b, BackupDeciderTest.seen(List.of(), List.of()), BackupDeciderTest.NOW);
    assertThat(c.release()).isTrue();
    assertThat(c.decision().actions()).isEmpty();
  }

  @Test
  void givenARunningAttempt_thenItIsStoppedFirst() {
    Backup b =
        BackupDeciderTest.nightly()
            .deleting("2026-12-01T01:59:00Z")
            .status(Phase.Running, s -> s.attempts = 1)
            .build();
    Job running = JobFactory.backupJob(b, 1, BackupDeciderTest.SETTINGS);
    var c =
        decider.decide(
            b,
            BackupDeciderTest.seen(List.of(running), List.of(JobStates.running(running))),
            BackupDeciderTest.NOW);
    assertThat(c.release()).isFalse();
    assertThat(BackupDeciderTest.actions(c.decision(), Action.DeleteJob.class))
        .singleElement()
        .satisfies(x -> assertThat(x.job().getMetadata().getName()).isEqualTo("nightly-backup-1"));
  }

  @Test
  void
      givenPolicyDelete_thenADeleteJobRuns_aFailureIsReportedWithTheWayOut_retriedWhenDue_andSuccessReleases() {
    Backup b = deleted(BackupSpec.DeletionPolicy.Delete, null);
    var first =
        decider.decide(b, BackupDeciderTest.seen(List.of(), List.of()), BackupDeciderTest.NOW);
    Job job = BackupDeciderTest.actions(first.decision(), Action.CreateJob.class).get(0).job();
    assertThat(job.getMetadata().getName()).isEqualTo("nightly-delete-1");
    assertThat(first.decision().status().deleteAttempts).isEqualTo(1);
    assertThat(BackupDeciderTest.events(first.decision())).containsExactly("Deleting");
    b.setStatus(first.decision().status());
    Job failed = JobStates.failed(job);
    var f =
        decider.decide(
            b,
            BackupDeciderTest.seen(
                List.of(failed),
                List.of(
                    JobStates.terminated(
                        failed,
                        4,
                        JobStates.failure(
                            ExitCode.STORAGE,
                            "bucket backups does not exist at http://minio:9000; create it or fix "
                                + Field.STORAGE.mark())))),
            BackupDeciderTest.NOW.plusSeconds(5));
    assertThat(f.release()).isFalse();
    assertThat(f.decision().status().lastError)
        .isEqualTo(
            "deleting the stored backup failed (attempt 1): bucket backups does not exist at "
                + "http://minio:9000; create it or fix spec.storage");
    assertThat(BackupDeciderTest.actions(f.decision(), Action.Event.class))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.warning()).isTrue();
              assertThat(e.message())
                  .contains("kubectl annotate backup nightly coffer.io/deletion-policy=Retain");
            });
    assertThat(f.decision().requeue()).isEqualTo(Duration.ofSeconds(10));
    b.setStatus(f.decision().status());
    var early =
        decider.decide(
            b,
            BackupDeciderTest.seen(List.of(failed), List.of()),
            BackupDeciderTest.NOW.plusSeconds(8));
    assertThat(early.decision().actions()).isEmpty();
    var due =
        decider.decide(
            b,
            BackupDeciderTest.seen(List.of(failed), List.of()),
            BackupDeciderTest.NOW.plusSeconds(16));
    Job second = BackupDeciderTest.actions(due.decision(), Action.CreateJob.class).get(0).job();
    assertThat(second.getMetadata().getName()).isEqualTo("nightly-delete-2");
    b.setStatus(due.decision().status());
    var done =
        decider.decide(
            b,
            BackupDeciderTest.seen(List.of(failed, JobStates.complete(second)), List.of()),
            BackupDeciderTest.NOW.plusSeconds(20));
    assertThat(done.release()).isTrue();
    assertThat(BackupDeciderTest.events(done.decision())).containsExactly("Deleted");
  }

  @Test
  void givenObjectLockUntilLater_thenNoDeleteJob_theBackupWaitsForIt_saidOnce() {
    Backup b = deleted(BackupSpec.DeletionPolicy.Delete, null);
    b.getStatus().objectLock = "COMPLIANCE";
    b.getStatus().lockedUntil = "2026-12-31T00:00:00Z";
    var c = decider.decide(b, BackupDeciderTest.seen(List.of(), List.of()), BackupDeciderTest.NOW);
    assertThat(c.release()).isFalse();
    assertThat(BackupDeciderTest.actions(c.decision(), Action.CreateJob.class)).isEmpty();
    assertThat(c.decision().status().lastError)
        .contains("under Object Lock (COMPLIANCE) until 2026-12-31T00:00:00Z");
    assertThat(BackupDeciderTest.events(c.decision())).containsExactly("Warning DeleteBlocked");
    assertThat(c.decision().requeue())
        .isEqualTo(
            Duration.between(BackupDeciderTest.NOW, Instant.parse("2026-12-31T00:00:00Z"))
                .plusSeconds(1));
    b.setStatus(c.decision().status());
    var again =
        decider.decide(
            b, BackupDeciderTest.seen(List.of(), List.of()), BackupDeciderTest.NOW.plusSeconds(60));
    assertThat(BackupDeciderTest.events(again.decision())).as("said once").isEmpty();
    // once it has expired, the deletion Job runs, with the deletion credentials
    b.getSpec().storage.s3.deleteCredentialsSecret = "s3-pruner";
    var later =
        decider.decide(
            b, BackupDeciderTest.seen(List.of(), List.of()), Instant.parse("2026-12-31T00:00:01Z"));
    var job = BackupDeciderTest.actions(later.decision(), Action.CreateJob.class).get(0).job();
    assertThat(job.getSpec().getTemplate().getSpec().getVolumes())
        .filteredOn(v -> v.getSecret() != null)
        .extracting(v -> v.getSecret().getSecretName())
        .contains("s3-pruner")
        .doesNotContain("s3");
  }

  @Test
  void givenPolicyRetain_thenNoDeleteJob_theBackupGoes_andAnEventSaysWhereTheObjectsLie() {
    var c =
        decider.decide(
            deleted(BackupSpec.DeletionPolicy.Retain, null),
            BackupDeciderTest.seen(List.of(), List.of()),
            BackupDeciderTest.NOW);
    assertThat(c.release()).isTrue();
    assertThat(BackupDeciderTest.actions(c.decision(), Action.CreateJob.class)).isEmpty();
    assertThat(BackupDeciderTest.actions(c.decision(), Action.Event.class))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.reason().name()).isEqualTo("Retained");
              assertThat(e.message())
                  .contains("s3://backups/rayerp/nightly-1234abcd.zip.age")
                  .contains(
                      "coffer delete --storage s3://backups/rayerp --backup nightly-1234abcd");
            });
  }

  @Test
  void
      givenAStuckDeletion_whenAnnotatedRetain_thenTheBackupGoes_andTheAnnotationAlsoOverridesAnyPolicy() {
    Backup b = deleted(BackupSpec.DeletionPolicy.Delete, "Retain");
    b.getStatus().deleteAttempts = 3;
    b.getStatus().nextAttemptAt = "2026-12-01T02:05:00Z";
    Job failed = JobStates.failed(JobFactory.deleteJob(b, 3, BackupDeciderTest.SETTINGS));
    var c =
        decider.decide(
            b, BackupDeciderTest.seen(List.of(failed), List.of()), BackupDeciderTest.NOW);
    assertThat(c.release()).isTrue();
    assertThat(CleanupDecider.policy(deleted(BackupSpec.DeletionPolicy.Retain, "delete")))
        .isEqualTo(BackupSpec.DeletionPolicy.Delete);
    assertThat(CleanupDecider.policy(deleted(BackupSpec.DeletionPolicy.Retain, "nonsense")))
        .isEqualTo(BackupSpec.DeletionPolicy.Retain);
  }

  @Test
  void givenAnIncrementalBuiltOnIt_thenItsObjectsStay_untilThatOneIsDeleted_saidOnce() {
    Backup b = deleted(BackupSpec.DeletionPolicy.Delete, null);
    Backup child =
        BackupDeciderTest.nightly().status(Phase.Succeeded, s -> s.parent = "nightly").build();
    child.getMetadata().setName("nightly-inc");
    var obs = new BackupObservation(List.of(), List.of(), null, List.of(b, child), null);
    var c = decider.decide(b, obs, BackupDeciderTest.NOW);
    assertThat(c.release()).isFalse();
    assertThat(BackupDeciderTest.actions(c.decision(), Action.CreateJob.class)).isEmpty();
    assertThat(c.decision().status().lastError)
        .startsWith("incremental Backup nightly-inc builds on this one");
    assertThat(BackupDeciderTest.events(c.decision())).containsExactly("Warning DeleteBlocked");
    b.setStatus(c.decision().status());
    assertThat(
            BackupDeciderTest.events(
                decider.decide(b, obs, BackupDeciderTest.NOW.plusSeconds(100)).decision()))
        .isEmpty();
  }
}
