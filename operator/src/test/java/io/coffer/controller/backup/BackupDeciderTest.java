package io.coffer.controller.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.BackupStatus;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.controller.Action;
import io.coffer.controller.Decision;
import io.coffer.controller.Tuning;
import io.coffer.job.JobFactory;
import io.coffer.protocol.BackupRequest;
import io.coffer.protocol.Consistency;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import io.coffer.status.LogTail;
import io.coffer.status.Statuses;
import io.coffer.testing.JobStates;
import io.coffer.testing.Specs;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every transition of the Backup state machine, as plain values: a Backup, what the informers would
 * hold (Jobs and pods in the states Kubernetes writes, see {@link JobStates}), a time; then the
 * decision. Nothing runs.
 */
class BackupDeciderTest {
  static final Instant NOW = Instant.parse("2026-12-01T02:00:00Z");
  static final JobFactory.Settings SETTINGS = new JobFactory.Settings("coffer:1", "IfNotPresent");
  static final Tuning TUNING =
      new Tuning(Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofMinutes(1));
  final BackupDecider decider = new BackupDecider(SETTINGS, TUNING);

  static Specs.BackupBuilder nightly() {
    return Specs.backup("rayerp", "nightly")
        .uid("1234abcd-0000")
        .generation(1)
        .mongo("mongo", "uri", "erp")
        .files("uploads", "uploads")
        .s3("http://minio:9000", "backups", "rayerp", "s3")
        .recipients("age", "recipients");
  }

  static BackupObservation seen(List<Job> jobs, List<Pod> pods) {
    return new BackupObservation(jobs, pods, null, List.of(), null);
  }

  static Backup withStatus(Backup b, Decision<BackupStatus> d) {
    b.setStatus(d.status());
    return b;
  }

  static <T extends Action> List<T> actions(Decision<?> d, Class<T> type) {
    return d.actions().stream().filter(type::isInstance).map(type::cast).toList();
  }

  static List<String> events(Decision<?> d) {
    return actions(d, Action.Event.class).stream()
        .map(e -> (e.warning() ? "Warning " : "") + e.reason())
        .toList();
  }

  @Test
  void givenANewBackup_thenTheFirstAttemptsJobIsCreated_andTheBackupIsPending() {
    var d = decider.decide(nightly().build(), seen(List.of(), List.of()), NOW);
    assertThat(actions(d, Action.CreateJob.class))
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.job().getMetadata().getName()).isEqualTo("nightly-backup-1");
              assertThat(c.job().getMetadata().getAnnotations())
                  .containsEntry(JobFactory.ANNOTATION_BACKUP_ID, "nightly-1234abcd")
                  .doesNotContainKey(JobFactory.ANNOTATION_PARENT_ID);
            });
    assertThat(d.status().phase).isEqualTo(Phase.Pending);
    assertThat(d.status().attempts).isEqualTo(1);
    assertThat(d.status().backupId).isEqualTo("nightly-1234abcd");
    assertThat(d.status().conditions)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.getType()).isEqualTo("Ready");
              assertThat(c.getStatus()).isEqualTo("False");
              assertThat(c.getReason()).isEqualTo("JobCreated");
              assertThat(c.getObservedGeneration()).isEqualTo(1L);
            });
    assertThat(events(d)).containsExactly("JobCreated");
    assertThat(d.requeue()).isEqualTo(TUNING.progressEvery());
  }

  @Test
  void givenItsJobPending_thenItStaysPending_andIsLookedAtAgainWithoutAnEvent() {
    Backup b = nightly().build();
    Job job =
        actions(decider.decide(b, seen(List.of(), List.of()), NOW), Action.CreateJob.class)
            .get(0)
            .job();
    withStatus(b, decider.decide(b, seen(List.of(), List.of()), NOW));
    var d =
        decider.decide(
            b,
            seen(List.of(JobStates.created(job)), List.of(JobStates.pending(job))),
            NOW.plusSeconds(1));
    assertThat(d.actions()).isEmpty();
    assertThat(d.status().phase).isEqualTo(Phase.Pending);
    assertThat(d.requeue()).isEqualTo(TUNING.progressEvery());
  }

  @Test
  void givenItsPodRunning_thenRunningWithTheLogsProgress_andTheRunningEventOnlyOnce() {
    Backup b = nightly().build();
    withStatus(b, decider.decide(b, seen(List.of(), List.of()), NOW));
    Job job = JobFactory.backupJob(b, 1, SETTINGS);
    LogTail.Parsed log =
        LogTail.parse(
            "{\"phase\":\"dump\",\"percent\":42.0,\"bytes\":1024,\"documents\":840,\"item\":\"erp.employees\"}\nstarting\n",
            "2026-12-01T02:00:07Z");
    var running =
        new BackupObservation(List.of(job), List.of(JobStates.running(job)), log, List.of(), null);
    var d = decider.decide(b, running, NOW.plusSeconds(7));
    assertThat(d.status().phase).isEqualTo(Phase.Running);
    assertThat(d.status().startedAt).isEqualTo("2026-12-01T02:00:01Z");
    assertThat(d.status().progress.percent).isEqualTo(42.0);
    assertThat(d.status().logTail).containsExactly("starting");
    assertThat(events(d)).containsExactly("Running");
    var again = decider.decide(withStatus(b, d), running, NOW.plusSeconds(12));
    assertThat(events(again)).isEmpty();
    assertThat(again.status().phase).isEqualTo(Phase.Running);
  }

  @Test
  void givenItsJobComplete_withTheEnginesResult_thenSucceededWithWhatWasStored() {
    Backup b = nightly().ttl("30d").build();
    withStatus(b, decider.decide(b, seen(List.of(), List.of()), NOW));
    Job job = JobFactory.backupJob(b, 1, SETTINGS);
    var d =
        decider.decide(
            b,
            seen(
                List.of(JobStates.complete(job)),
                List.of(
                    JobStates.terminated(
                        job, 0, JobStates.backupResult("nightly-1234abcd", 4096)))),
            NOW.plusSeconds(30));
    BackupStatus s = d.status();
    assertThat(s.phase).isEqualTo(Phase.Succeeded);
    assertThat(s.size).isEqualTo("4.0 KiB");
    assertThat(s.storedBytes).isEqualTo(4096);
    assertThat(s.contents.modules).containsEntry("hr", 2000L);
    assertThat(s.completedAt).isEqualTo("2026-12-01T02:00:30Z");
    assertThat(s.conditions)
        .anySatisfy(
            c -> {
              assertThat(c.getType()).isEqualTo("Ready");
              assertThat(c.getStatus()).isEqualTo("True");
            });
    assertThat(s.consistency).isEqualTo("PointInTime");
    assertThat(s.consistentAt).isEqualTo("2026-12-07T10:00:00Z");
    assertThat(events(d)).containsExactly("Succeeded");
    assertThat(d.requeue())
        .as("the ttl is far: looked at again within the poll")
        .isEqualTo(TUNING.poll());
  }

  @Test
  void givenABackupOfAServerWithoutAnOplog_thenSucceededSayingPlainlyItIsNotOneMoment() {
    Backup b = nightly().build();
    withStatus(b, decider.decide(b, seen(List.of(), List.of()), NOW));
    Job job = JobFactory.backupJob(b, 1, SETTINGS);
    String why = "the server keeps no oplog that Coffer can read (a standalone server or FerretDB)";
    var d =
        decider.decide(
            b,
            seen(
                List.of(JobStates.complete(job)),
                List.of(
                    JobStates.terminated(
                        job,
                        0,
                        JobStates.backupResult(
                            "nightly-1234abcd", 4096, Consistency.perCollection(why))))),
            NOW.plusSeconds(30));
    BackupStatus s = d.status();
    assertThat(s.phase).isEqualTo(Phase.Succeeded);
    assertThat(s.consistency).isEqualTo("PerCollection");
    assertThat(s.consistentAt).isNull();
    assertThat(s.consistencyReason).isEqualTo(why);
    assertThat(events(d)).containsExactly("Succeeded", "Warning NotPointInTime");
  }

  @Test
  void givenItsJobCompleteWithoutAResult_thenTheAttemptCountsAsFailed() {
    Backup b = nightly().build();
    withStatus(b, decider.decide(b, seen(List.of(), List.of()), NOW));
    Job job = JobFactory.backupJob(b, 1, SETTINGS);
    var d =
        decider.decide(
            b,
            seen(List.of(JobStates.complete(job)), List.of(JobStates.terminated(job, 0, ""))),
            NOW.plusSeconds(30));
    assertThat(d.status().phase).isEqualTo(Phase.Pending);
    assertThat(d.status().lastError).contains("left no result");
    assertThat(d.status().nextAttemptAt).isNotNull();
  }

  @Test
  void givenATransientFailure_thenARetryIsScheduledWithBackOff_andStartsOnlyWhenDue() {
    Backup b = nightly().backoffLimit(2).build();
    withStatus(b, decider.decide(b, seen(List.of(), List.of()), NOW));
    Job one = JobStates.failed(JobFactory.backupJob(b, 1, SETTINGS));
    List<Pod> pods =
        List.of(
            JobStates.terminated(
                one,
                4,
                JobStates.failure(
                    ExitCode.STORAGE,
                    "cannot reach S3 at http://minio:9000 (connection refused); check "
                        + Field.S3_ENDPOINT.mark()
                        + " and the network")));
    var failed = decider.decide(b, seen(List.of(one), pods), NOW.plusSeconds(20));
    assertThat(failed.status().phase).isEqualTo(Phase.Pending);
    assertThat(failed.status().lastError)
        .isEqualTo(
            "cannot reach S3 at http://minio:9000 (connection refused); check spec.storage.s3.endpoint and the network");
    assertThat(failed.status().nextAttemptAt).isEqualTo("2026-12-01T02:00:30Z");
    assertThat(failed.requeue()).isEqualTo(Duration.ofSeconds(10));
    assertThat(events(failed)).containsExactly("Warning AttemptFailed");
    assertThat(failed.status().conditions)
        .anySatisfy(c -> assertThat(c.getReason()).isEqualTo("RetryScheduled"));
    withStatus(b, failed);
    var early = decider.decide(b, seen(List.of(one), pods), NOW.plusSeconds(25));
    assertThat(early.actions()).isEmpty();
    assertThat(early.requeue()).isEqualTo(Duration.ofSeconds(5));
    var due = decider.decide(b, seen(List.of(one), pods), NOW.plusSeconds(31));
    assertThat(actions(due, Action.CreateJob.class))
        .singleElement()
        .satisfies(c -> assertThat(c.job().getMetadata().getName()).isEqualTo("nightly-backup-2"));
    assertThat(due.status().attempts).isEqualTo(2);
    assertThat(due.status().nextAttemptAt).isNull();
  }

  @Test
  void
      givenAStatusFromBeforeTheSecondAttempt_whenTheSecondAttemptFailed_thenItIsCountedNotSkipped() {
    // the informer holds attempt 2's failed Job, the status still says attempt 1 failed and a retry
    // is due
    Backup b =
        nightly()
            .backoffLimit(1)
            .status(
                Phase.Pending,
                s -> {
                  s.attempts = 1;
                  s.nextAttemptAt = "2026-12-01T01:59:00Z";
                })
            .build();
    Job one = JobStates.failed(JobFactory.backupJob(b, 1, SETTINGS));
    Job two = JobStates.failed(JobFactory.backupJob(b, 2, SETTINGS));
    var d =
        decider.decide(
            b,
            seen(
                List.of(one, two),
                List.of(
                    JobStates.terminated(
                        two, 4, JobStates.failure(ExitCode.STORAGE, "S3 refused")))),
            NOW);
    assertThat(actions(d, Action.CreateJob.class))
        .as("no third attempt: backoffLimit 1 allows two")
        .isEmpty();
    assertThat(d.status().phase).isEqualTo(Phase.Failed);
    assertThat(d.status().attempts).isEqualTo(2);
  }

  @Test
  void givenAPermanentFailure_thenFailedAtOnce_withTheFieldToFix() {
    Backup b = nightly().backoffLimit(3).build();
    withStatus(b, decider.decide(b, seen(List.of(), List.of()), NOW));
    Job one = JobStates.failed(JobFactory.backupJob(b, 1, SETTINGS));
    var d =
        decider.decide(
            b,
            seen(
                List.of(one),
                List.of(
                    JobStates.terminated(
                        one,
                        2,
                        JobStates.failure(
                            ExitCode.USAGE,
                            Field.MODULES.mark()
                                + " names unknown module 'payroll'; the module map defines: hr")))),
            NOW.plusSeconds(5));
    assertThat(d.status().phase).isEqualTo(Phase.Failed);
    assertThat(d.status().lastError)
        .isEqualTo(
            "spec.source.mongodb.modules names unknown module 'payroll'; the module map defines: hr "
                + "(not retried: it would fail again)");
    assertThat(actions(d, Action.CreateJob.class)).isEmpty();
    assertThat(d.status().conditions)
        .anySatisfy(
            c -> {
              assertThat(c.getType()).isEqualTo("Failed");
              assertThat(c.getStatus()).isEqualTo("True");
            });
    assertThat(events(d)).containsExactly("Warning Failed");
  }

  @Test
  void givenTheLastAttemptFailed_thenFailed_sayingWhichOfHowMany() {
    Backup b = nightly().backoffLimit(0).build();
    withStatus(b, decider.decide(b, seen(List.of(), List.of()), NOW));
    Job one = JobStates.failed(JobFactory.backupJob(b, 1, SETTINGS));
    var d =
        decider.decide(
            b,
            seen(
                List.of(one),
                List.of(
                    JobStates.terminated(
                        one,
                        4,
                        JobStates.failure(ExitCode.STORAGE, "S3 refused the credentials")))),
            NOW.plusSeconds(5));
    assertThat(d.status().phase).isEqualTo(Phase.Failed);
    assertThat(d.status().conditions)
        .anySatisfy(
            c ->
                assertThat(c.getMessage())
                    .isEqualTo("attempt 1 of 1 failed: S3 refused the credentials"));
    assertThat(d.status().completedAt).isNotNull();
  }

  @Test
  void givenAPodThatCannotStart_thenTheKubeletsReasonIsTheAttemptsFailure() {
    Backup b = nightly().backoffLimit(0).build();
    withStatus(b, decider.decide(b, seen(List.of(), List.of()), NOW));
    Job one = JobFactory.backupJob(b, 1, SETTINGS);
    var d =
        decider.decide(
            b,
            seen(
                List.of(one),
                List.of(
                    JobStates.stuck(
                        one, "CreateContainerConfigError", "secret \"age\" not found"))),
            NOW);
    assertThat(d.status().phase).isEqualTo(Phase.Failed);
    assertThat(d.status().lastError)
        .contains("CreateContainerConfigError")
        .contains("secret \"age\" not found");
  }

  @Test
  void givenARestoreWritingToItsSource_thenItWaits_withoutAJob() {
    Restore r = Specs.restore("rayerp", "rollback").backupName("older").build();
    var d =
        decider.decide(
            nightly().build(),
            new BackupObservation(List.of(), List.of(), null, List.of(), r),
            NOW);
    assertThat(d.actions()).isEmpty();
    assertThat(d.status().phase).isEqualTo(Phase.Pending);
    assertThat(d.status().conditions)
        .anySatisfy(
            c -> {
              assertThat(c.getReason()).isEqualTo("Waiting");
              assertThat(c.getMessage())
                  .isEqualTo("waiting for Restore rollback of the same target to finish");
            });
    assertThat(d.requeue()).isEqualTo(TUNING.retryBase());
  }

  /** A Succeeded Full Backup with a chain index, as its status says after its Job. */
  static Backup chainedFull(String name, String uid, String completedAt) {
    Backup b =
        nightly()
            .chain("index", "key")
            .type(BackupSpec.Type.Full)
            .uid(uid + "-0")
            .status(
                Phase.Succeeded,
                s -> {
                  s.completedAt = completedAt;
                  s.backupId = name + "-" + uid;
                })
            .build();
    b.getMetadata().setName(name);
    return b;
  }

  @Test
  void
      givenAnIncremental_thenItBuildsOnTheNewestSucceededBackupOfTheSameChain_andItsRetriesKeepThatParent() {
    Backup older = chainedFull("full-1", "aaaaaaaa", "2026-11-30T02:00:00Z");
    Backup newer = chainedFull("full-2", "bbbbbbbb", "2026-11-30T14:00:00Z");
    Backup inc = nightly().chain("index", "key").type(BackupSpec.Type.Incremental).build();
    var d =
        decider.decide(
            inc,
            new BackupObservation(List.of(), List.of(), null, List.of(older, newer, inc), null),
            NOW);
    Job job = actions(d, Action.CreateJob.class).get(0).job();
    assertThat(job.getMetadata().getAnnotations())
        .containsEntry(JobFactory.ANNOTATION_PARENT_ID, "full-2-bbbbbbbb");
    assertThat(((BackupRequest) JobFactory.request(job)).chain().parent())
        .isEqualTo("full-2-bbbbbbbb");
    assertThat(d.status().parent).isEqualTo("full-2");
    // the first attempt failed; meanwhile a newer full backup succeeded: the retry still builds on
    // full-2
    withStatus(inc, d);
    Job failed = JobStates.failed(job);
    var f =
        decider.decide(
            inc,
            new BackupObservation(
                List.of(failed),
                List.of(
                    JobStates.terminated(
                        failed, 4, JobStates.failure(ExitCode.STORAGE, "S3 down"))),
                null,
                List.of(older, newer, inc),
                null),
            NOW.plusSeconds(10));
    withStatus(inc, f);
    Backup newest = chainedFull("full-3", "cccccccc", "2026-12-01T02:00:15Z");
    var retry =
        decider.decide(
            inc,
            new BackupObservation(
                List.of(failed), List.of(), null, List.of(older, newer, newest, inc), null),
            NOW.plusSeconds(60));
    assertThat(actions(retry, Action.CreateJob.class))
        .singleElement()
        .satisfies(
            c ->
                assertThat(c.job().getMetadata().getAnnotations())
                    .containsEntry(JobFactory.ANNOTATION_PARENT_ID, "full-2-bbbbbbbb"));
  }

  @Test
  void givenAnIncrementalWithNothingToBuildOn_thenFailed_sayingWhatToDo() {
    Backup inc = nightly().chain("index", "key").type(BackupSpec.Type.Incremental).build();
    var d =
        decider.decide(
            inc, new BackupObservation(List.of(), List.of(), null, List.of(inc), null), NOW);
    assertThat(d.status().phase).isEqualTo(Phase.Failed);
    assertThat(d.status().lastError)
        .contains("make a Full (or Database, Files) Backup with spec.chain first");
    assertThat(actions(d, Action.CreateJob.class)).isEmpty();
  }

  @Test
  void givenAFinishedBackupPastItsTtl_thenItIsDeleted_andUntilThenLookedAtWithinThePoll() {
    Backup b =
        nightly()
            .ttl("1h")
            .status(Phase.Succeeded, s -> s.completedAt = "2026-12-01T01:30:00Z")
            .build();
    var before = decider.decide(b, seen(List.of(), List.of()), NOW);
    assertThat(before.actions()).isEmpty();
    assertThat(before.requeue()).isEqualTo(TUNING.poll());
    var close =
        decider.decide(b, seen(List.of(), List.of()), Instant.parse("2026-12-01T02:29:50Z"));
    assertThat(close.requeue()).isEqualTo(Duration.ofSeconds(10));
    var after =
        decider.decide(b, seen(List.of(), List.of()), Instant.parse("2026-12-01T02:30:00Z"));
    assertThat(actions(after, Action.Delete.class))
        .singleElement()
        .satisfies(x -> assertThat(x.resource()).isSameAs(b));
    assertThat(events(after)).containsExactly("Deleting");
  }

  @Test
  void givenAFailedBackup_thenNothingMoreHappens() {
    Backup b = nightly().status(Phase.Failed, s -> s.completedAt = "2026-12-01T01:00:00Z").build();
    var d = decider.decide(b, seen(List.of(), List.of()), NOW);
    assertThat(d.actions()).isEmpty();
    assertThat(d.requeue()).isNull();
    assertThat(Statuses.same(d.status(), b.getStatus())).isTrue();
  }
}
