package io.coffer.controller.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.Phase;
import io.coffer.controller.Action;
import io.coffer.job.JobFactory;
import io.coffer.protocol.CopyRequest;
import io.coffer.protocol.CopyResult;
import io.coffer.protocol.DeleteRequest;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Protocol;
import io.coffer.testing.JobStates;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Copies as part of a Succeeded Backup's state machine: one Job per spec.copies entry, its outcome
 * in status.copies, a failed copy retried after back-off up to three attempts, and the deletion Job
 * reaching every copy. Pure: Jobs and pods are objects the test makes.
 */
class CopyDeciderTest {
  final BackupDecider decider =
      new BackupDecider(BackupDeciderTest.SETTINGS, BackupDeciderTest.TUNING);

  static Backup succeeded() {
    return BackupDeciderTest.nightly()
        .copyToS3("offsite", "https://s3.eu-west-1.amazonaws.com", "offsite", "offsite-s3")
        .copyToVolume("local", "backup-disk")
        .status(
            Phase.Succeeded,
            s -> {
              s.completedAt = "2026-12-01T01:00:00Z";
              s.backupId = "nightly-1234abcd";
            })
        .build();
  }

  @Test
  void givenASucceededBackupWithTwoCopies_thenAJobPerCopy_eachWithItsOwnStorageAndNoKey() {
    Backup b = succeeded();
    var d = decider.decide(b, BackupDeciderTest.seen(List.of(), List.of()), BackupDeciderTest.NOW);
    List<Job> jobs =
        BackupDeciderTest.actions(d, Action.CreateJob.class).stream()
            .map(Action.CreateJob::job)
            .toList();
    assertThat(jobs)
        .extracting(j -> j.getMetadata().getName())
        .containsExactly("nightly-copy-offsite-1", "nightly-copy-local-1");
    assertThat(jobs.get(0).getMetadata().getLabels())
        .containsEntry(JobFactory.LABEL_COPY, "offsite");
    CopyRequest r = (CopyRequest) JobFactory.request(jobs.get(0));
    assertThat(r.backupId()).isEqualTo("nightly-1234abcd");
    assertThat(r.storage().uri()).isEqualTo("s3://backups/rayerp");
    assertThat(r.to().uri()).isEqualTo("s3://offsite");
    assertThat(r.to().s3().endpoint()).isEqualTo("https://s3.eu-west-1.amazonaws.com");
    assertThat(r.to().s3().accessKeyIdFile())
        .isEqualTo("/etc/coffer/copy0-s3-credentials/AWS_ACCESS_KEY_ID");
    CopyRequest local = (CopyRequest) JobFactory.request(jobs.get(1));
    assertThat(local.to().uri()).isEqualTo("file:///data/copies/1");
    List<String> secrets =
        jobs.get(0).getSpec().getTemplate().getSpec().getVolumes().stream()
            .filter(v -> v.getSecret() != null)
            .map(Volume::getSecret)
            .map(s -> s.getSecretName())
            .toList();
    assertThat(secrets)
        .as("storage credentials only: no key")
        .containsExactlyInAnyOrder("s3", "offsite-s3");
    assertThat(d.status().copies)
        .extracting(c -> c.name + " " + c.phase + " " + c.location)
        .containsExactly(
            "offsite Copying s3://offsite", "local Copying file:///<volume backup-disk>");
    assertThat(BackupDeciderTest.events(d)).containsExactly("Copying", "Copying");
  }

  @Test
  void givenTheBackupJobJustSucceeded_thenTheCopiesStartInTheSamePass() {
    Backup b = BackupDeciderTest.nightly().copyToVolume("local", "backup-disk").build();
    BackupDeciderTest.withStatus(
        b, decider.decide(b, BackupDeciderTest.seen(List.of(), List.of()), BackupDeciderTest.NOW));
    Job job = JobFactory.backupJob(b, 1, BackupDeciderTest.SETTINGS);
    var d =
        decider.decide(
            b,
            BackupDeciderTest.seen(
                List.of(JobStates.complete(job)),
                List.of(
                    JobStates.terminated(
                        job, 0, JobStates.backupResult("nightly-1234abcd", 4096)))),
            BackupDeciderTest.NOW.plusSeconds(30));
    assertThat(d.status().phase).isEqualTo(Phase.Succeeded);
    assertThat(BackupDeciderTest.actions(d, Action.CreateJob.class))
        .as("a status write wakes no reconcile: the copy Job is made now")
        .singleElement()
        .satisfies(
            c -> assertThat(c.job().getMetadata().getName()).isEqualTo("nightly-copy-local-1"));
  }

  @Test
  void
      givenACopyJobSucceedsAndTheOtherFails_thenVerifiedAndRetriedAfterBackOff_upToThreeAttempts() {
    Backup b = succeeded();
    var d = decider.decide(b, BackupDeciderTest.seen(List.of(), List.of()), BackupDeciderTest.NOW);
    b.setStatus(d.status());
    List<Job> jobs =
        BackupDeciderTest.actions(d, Action.CreateJob.class).stream()
            .map(Action.CreateJob::job)
            .toList();
    Job ok = JobStates.complete(jobs.get(0));
    Job bad = JobStates.failed(jobs.get(1));
    String result =
        Protocol.write(
            new CopyResult(
                "Copied",
                "nightly-1234abcd",
                "s3://offsite/ at https://s3.eu-west-1.amazonaws.com",
                4,
                12345,
                "ab",
                false,
                null,
                1.5));
    var after =
        decider.decide(
            b,
            BackupDeciderTest.seen(
                List.of(ok, bad),
                List.of(
                    JobStates.terminated(ok, 0, result),
                    JobStates.terminated(
                        bad,
                        4,
                        JobStates.failure(
                            ExitCode.STORAGE,
                            "the copy's destination: the storage directory /data/copies/1 does not"
                                + " exist; check ⟦to.uri⟧")))),
            BackupDeciderTest.NOW.plusSeconds(5));
    var offsite = after.status().copies.get(0);
    assertThat(offsite.phase).isEqualTo("Verified");
    assertThat(offsite.verified).isTrue();
    assertThat(offsite.bytes).isEqualTo(12345);
    var local = after.status().copies.get(1);
    assertThat(local.phase).isEqualTo("Failed");
    assertThat(local.message)
        .as("in the Backup's words")
        .contains("spec.copies[1].storage")
        .doesNotContain("⟦");
    assertThat(local.nextAttemptAt).isEqualTo(BackupDeciderTest.NOW.plusSeconds(15).toString());
    assertThat(BackupDeciderTest.events(after)).containsExactly("Copied", "Warning CopyFailed");
    assertThat(after.requeue()).isEqualTo(Duration.ofSeconds(10));
    b.setStatus(after.status());
    var retry =
        decider.decide(
            b,
            BackupDeciderTest.seen(List.of(ok, bad), List.of()),
            BackupDeciderTest.NOW.plusSeconds(16));
    assertThat(BackupDeciderTest.actions(retry, Action.CreateJob.class))
        .singleElement()
        .satisfies(
            c -> assertThat(c.job().getMetadata().getName()).isEqualTo("nightly-copy-local-2"));
    assertThat(retry.status().copies.get(1).attempts).isEqualTo(2);
    // the third failure is the last
    b.setStatus(retry.status());
    b.getStatus().copies.get(1).attempts = 3;
    b.getStatus().copies.get(1).jobName = "nightly-copy-local-3";
    Job third = JobStates.failed(JobFactory.copyJob(b, 1, 3, BackupDeciderTest.SETTINGS));
    var last =
        decider.decide(
            b,
            BackupDeciderTest.seen(
                List.of(ok, third),
                List.of(
                    JobStates.terminated(third, 4, JobStates.failure(ExitCode.STORAGE, "gone")))),
            BackupDeciderTest.NOW.plusSeconds(100));
    assertThat(last.status().copies.get(1).phase).isEqualTo("Failed");
    assertThat(last.status().copies.get(1).nextAttemptAt).isNull();
    b.setStatus(last.status());
    var quiet =
        decider.decide(
            b,
            BackupDeciderTest.seen(List.of(ok, third), List.of()),
            BackupDeciderTest.NOW.plusSeconds(1000));
    assertThat(BackupDeciderTest.actions(quiet, Action.CreateJob.class)).isEmpty();
  }

  @Test
  void givenABackupWithCopies_whenDeleted_thenTheDeletionJobReachesEveryCopy() {
    Backup b = succeeded();
    DeleteRequest r =
        (DeleteRequest) JobFactory.request(JobFactory.deleteJob(b, 1, BackupDeciderTest.SETTINGS));
    assertThat(r.storage().uri()).isEqualTo("s3://backups/rayerp");
    assertThat(r.copies())
        .extracting(c -> c.uri())
        .containsExactly("s3://offsite", "file:///data/copies/1");
  }
}
