package io.coffer.controller.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.Phase;
import io.coffer.controller.Action;
import io.coffer.job.JobFactory;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Protocol;
import io.coffer.protocol.VerifyRequest;
import io.coffer.protocol.VerifyResult;
import io.coffer.testing.JobStates;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Verification as part of a Succeeded Backup's state machine: requested by annotation, answered in
 * status.verification.
 */
class VerificationDeciderTest {
  final BackupDecider decider =
      new BackupDecider(BackupDeciderTest.SETTINGS, BackupDeciderTest.TUNING);

  static Backup succeeded(String requested) {
    var b =
        BackupDeciderTest.nightly()
            .status(
                Phase.Succeeded,
                s -> {
                  s.completedAt = "2026-12-01T01:00:00Z";
                  s.backupId = "nightly-1234abcd";
                });
    if (requested != null) b.annotation(VerificationDecider.ANNOTATION, requested);
    return b.build();
  }

  @Test
  void givenNoRequest_thenNoVerification() {
    var d =
        decider.decide(
            succeeded(null), BackupDeciderTest.seen(List.of(), List.of()), BackupDeciderTest.NOW);
    assertThat(d.actions()).isEmpty();
    assertThat(d.status().verification).isNull();
  }

  @Test
  void givenARequest_thenAChecksumJobRuns_andItsResultIsRecorded_andANewValueAsksAgain() {
    Backup b = succeeded("1");
    var d = decider.decide(b, BackupDeciderTest.seen(List.of(), List.of()), BackupDeciderTest.NOW);
    Job job = BackupDeciderTest.actions(d, Action.CreateJob.class).get(0).job();
    assertThat(job.getMetadata().getName()).isEqualTo("nightly-verify-1");
    assertThat(((VerifyRequest) JobFactory.request(job)).deep()).isFalse();
    assertThat(d.status().verification.result).isEqualTo("Running");
    assertThat(d.status().verification.requested).isEqualTo("1");
    assertThat(BackupDeciderTest.events(d)).containsExactly("Verifying");
    b.setStatus(d.status());
    // looked at again before the Job ends: nothing new
    var again =
        decider.decide(
            b,
            BackupDeciderTest.seen(List.of(job), List.of(JobStates.running(job))),
            BackupDeciderTest.NOW.plusSeconds(2));
    assertThat(again.actions()).isEmpty();
    String result =
        Protocol.write(
            new VerifyResult(
                "Verified",
                "nightly-1234abcd",
                false,
                "ab",
                10,
                null,
                null,
                "checksum matches",
                0.2));
    var done =
        decider.decide(
            b,
            BackupDeciderTest.seen(
                List.of(JobStates.complete(job)), List.of(JobStates.terminated(job, 0, result))),
            BackupDeciderTest.NOW.plusSeconds(5));
    assertThat(done.status().verification.result).isEqualTo("Verified");
    assertThat(done.status().verification.message).isEqualTo("checksum matches");
    assertThat(BackupDeciderTest.events(done)).containsExactly("Verified");
    b.setStatus(done.status());
    b.getMetadata().getAnnotations().put(VerificationDecider.ANNOTATION, "2");
    var second =
        decider.decide(
            b,
            BackupDeciderTest.seen(List.of(JobStates.complete(job)), List.of()),
            BackupDeciderTest.NOW.plusSeconds(60));
    assertThat(BackupDeciderTest.actions(second, Action.CreateJob.class))
        .singleElement()
        .satisfies(c -> assertThat(c.job().getMetadata().getName()).isEqualTo("nightly-verify-2"));
    assertThat(second.status().verification.count).isEqualTo(2);
  }

  @Test
  void
      givenADeepRequestOfAnEncryptedBackupWithoutAnIdentity_thenItFailsAtOnce_sayingWhatIsMissing() {
    var d =
        decider.decide(
            succeeded("deep"), BackupDeciderTest.seen(List.of(), List.of()), BackupDeciderTest.NOW);
    assertThat(d.actions()).extracting(a -> a.getClass().getSimpleName()).containsExactly("Event");
    assertThat(d.status().verification.result).isEqualTo("Failed");
    assertThat(d.status().verification.message).contains("spec.verification.identity");
  }

  @Test
  void givenADamagedArchive_thenTheVerificationFails_withTheEnginesReason() {
    Backup b = succeeded("1");
    var d = decider.decide(b, BackupDeciderTest.seen(List.of(), List.of()), BackupDeciderTest.NOW);
    b.setStatus(d.status());
    Job job = JobStates.failed(JobFactory.verifyJob(b, 1, false, BackupDeciderTest.SETTINGS));
    var failed =
        decider.decide(
            b,
            BackupDeciderTest.seen(
                List.of(job),
                List.of(
                    JobStates.terminated(
                        job,
                        5,
                        JobStates.failure(
                            ExitCode.INTEGRITY,
                            "the archive's SHA-256 does not match its descriptor")))),
            BackupDeciderTest.NOW.plusSeconds(3));
    assertThat(failed.status().verification.result).isEqualTo("Failed");
    assertThat(failed.status().verification.message)
        .isEqualTo("the archive's SHA-256 does not match its descriptor");
    assertThat(BackupDeciderTest.events(failed)).containsExactly("Warning VerificationFailed");
  }
}
