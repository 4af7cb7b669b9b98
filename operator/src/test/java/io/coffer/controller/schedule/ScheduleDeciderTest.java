package io.coffer.controller.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleSpec;
import io.coffer.api.BackupScheduleStatus;
import io.coffer.api.KeyRef;
import io.coffer.api.Phase;
import io.coffer.controller.Action;
import io.coffer.controller.Decision;
import io.coffer.controller.backup.VerificationDecider;
import io.coffer.job.JobFactory;
import io.coffer.protocol.DrillRequest;
import io.coffer.protocol.DrillResult;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.OplogWindow;
import io.coffer.protocol.Protocol;
import io.coffer.status.Conditions;
import io.coffer.status.Reason;
import io.coffer.testing.JobStates;
import io.coffer.testing.Specs;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The schedule's runs, concurrency, deadlines, retention and verification requests, as plain
 * values.
 */
class ScheduleDeciderTest {
  final ScheduleDecider decider = new ScheduleDecider(Duration.ofMinutes(1));

  static BackupSchedule nightly(Consumer<BackupScheduleSpec> more) {
    BackupSchedule s = new BackupSchedule();
    s.setMetadata(
        new ObjectMetaBuilder()
            .withName("nightly")
            .withNamespace("rayerp")
            .withUid("5555-0")
            .withGeneration(1L)
            .withCreationTimestamp("2026-11-30T12:00:00Z")
            .build());
    BackupScheduleSpec spec = new BackupScheduleSpec();
    spec.schedule = "0 2 * * *";
    spec.timeZone = "Europe/Berlin";
    spec.template =
        Specs.backup("rayerp", "x").files("uploads", "uploads").volume("store").build().getSpec();
    more.accept(spec);
    s.setSpec(spec);
    return s;
  }

  static Backup made(String name, Phase phase, String completedAt) {
    var b =
        Specs.backup("rayerp", name)
            .label(ScheduleDecider.LABEL_SCHEDULE, "nightly")
            .created(completedAt);
    if (phase != null) b.status(phase, s -> s.completedAt = phase.terminal() ? completedAt : null);
    return b.build();
  }

  static <T extends Action> List<T> actions(Decision<?> d, Class<T> type) {
    return d.actions().stream().filter(type::isInstance).map(type::cast).toList();
  }

  @Test
  void givenTheRunTimePassed_thenItsBackupIsCreated_ownedAndLabelled_andTheNextRunIsReported() {
    // 02:00 in Berlin is 01:00 UTC
    BackupSchedule asked = nightly(s -> {});
    asked.getMetadata().setAnnotations(Map.of(Backup.REQUESTED_BY, "alice"));
    var d =
        decider.decide(
            asked,
            new ScheduleObservation(List.of(), Set.of()),
            Instant.parse("2026-12-01T01:00:30Z"));
    Backup b =
        actions(d, Action.Create.class).stream()
            .map(c -> (Backup) c.resource())
            .findFirst()
            .orElseThrow();
    assertThat(b.getMetadata().getName()).isEqualTo("nightly-20261201-0200");
    assertThat(b.getMetadata().getLabels()).containsEntry("coffer.io/schedule", "nightly");
    // who asked for it: the schedule's requester, and that it came through the schedule
    assertThat(b.getMetadata().getAnnotations())
        .containsEntry(Backup.REQUESTED_BY, "alice")
        .containsEntry(Backup.REQUESTED_VIA, "schedule nightly");
    assertThat(b.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(o -> assertThat(o.getUid()).isEqualTo("5555-0"));
    assertThat(d.status().lastScheduleTime).isEqualTo("2026-12-01T02:00+01:00");
    assertThat(d.status().nextScheduleTime).isEqualTo("2026-12-02T02:00+01:00");
    assertThat(d.status().conditions)
        .anySatisfy(
            c -> {
              assertThat(c.getReason()).isEqualTo("Scheduled");
              assertThat(c.getStatus()).isEqualTo("True");
            });
    assertThat(d.requeue()).isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void givenTheRunsBackupExistsAlready_thenNoSecondOne() {
    var d =
        decider.decide(
            nightly(s -> {}),
            new ScheduleObservation(
                List.of(made("nightly-20261201-0200", Phase.Running, "2026-12-01T01:00:01Z")),
                Set.of()),
            Instant.parse("2026-12-01T01:00:30Z"));
    assertThat(actions(d, Action.Create.class)).isEmpty();
  }

  @Test
  void givenARunningBackup_thenForbidSkipsTheRun_andReplaceStopsItForTheNewOne() {
    Backup slow = made("nightly-20261130-0200", Phase.Running, "2026-11-30T01:00:00Z");
    var forbid =
        decider.decide(
            nightly(s -> {}),
            new ScheduleObservation(List.of(slow), Set.of()),
            Instant.parse("2026-12-01T01:00:30Z"));
    assertThat(actions(forbid, Action.Create.class)).isEmpty();
    assertThat(actions(forbid, Action.Event.class))
        .anySatisfy(
            e -> {
              assertThat(e.reason().name()).isEqualTo("RunSkipped");
              assertThat(e.message()).contains("spec.concurrencyPolicy Forbid");
            });
    var replace =
        decider.decide(
            nightly(s -> s.concurrencyPolicy = BackupScheduleSpec.ConcurrencyPolicy.Replace),
            new ScheduleObservation(List.of(slow), Set.of()),
            Instant.parse("2026-12-01T01:00:30Z"));
    assertThat(actions(replace, Action.Delete.class))
        .singleElement()
        .satisfies(x -> assertThat(x.resource()).isSameAs(slow));
    assertThat(actions(replace, Action.Create.class)).hasSize(1);
  }

  @Test
  void givenTheOperatorWasDownPastTheStartingDeadline_thenTheRunIsSkipped_withAWarning() {
    var d =
        decider.decide(
            nightly(s -> s.startingDeadlineSeconds = 600L),
            new ScheduleObservation(List.of(), Set.of()),
            Instant.parse("2026-12-01T02:00:00Z"));
    assertThat(actions(d, Action.Create.class)).isEmpty();
    assertThat(actions(d, Action.Event.class))
        .singleElement()
        .satisfies(e -> assertThat(e.message()).contains("spec.startingDeadlineSeconds"));
    assertThat(d.status().lastScheduleTime)
        .as("the run counts as handled")
        .isEqualTo("2026-12-01T02:00+01:00");
  }

  @Test
  void givenSuspend_thenNoRun_andTheConditionSaysSo() {
    var d =
        decider.decide(
            nightly(s -> s.suspend = true),
            new ScheduleObservation(List.of(), Set.of()),
            Instant.parse("2026-12-01T01:00:30Z"));
    assertThat(actions(d, Action.Create.class)).isEmpty();
    assertThat(d.status().conditions)
        .anySatisfy(c -> assertThat(c.getReason()).isEqualTo("Suspended"));
  }

  @Test
  void givenRetention_thenTheOldestGo_butNeverOneAnIncrementalBuildsOn() {
    var d =
        decider.decide(
            nightly(
                s -> {
                  s.retention = new BackupScheduleSpec.RetentionSpec();
                  s.retention.keepLast = 1;
                }),
            new ScheduleObservation(
                List.of(
                    made("a", Phase.Succeeded, "2026-11-28T01:00:00Z"),
                    made("b", Phase.Succeeded, "2026-11-29T01:00:00Z"),
                    made("c", Phase.Succeeded, "2026-11-30T01:00:00Z")),
                Set.of("a")),
            Instant.parse("2026-11-30T12:00:00Z"));
    assertThat(actions(d, Action.Delete.class))
        .extracting(x -> x.resource().getMetadata().getName())
        .containsExactly("b");
    assertThat(actions(d, Action.Event.class))
        .extracting(e -> e.reason().name())
        .containsExactly("Pruned");
    assertThat(d.status().retained).isEqualTo(3);
    assertThat(d.status().lastSuccessfulBackup).isEqualTo("c");
  }

  @Test
  void givenRetentionAndBackupsUnderObjectLock_thenTheyWaitForTheirLock_saidInTheStatus() {
    Backup a = made("a", Phase.Succeeded, "2026-11-28T01:00:00Z");
    a.getStatus().objectLock = "COMPLIANCE";
    a.getStatus().lockedUntil = "2026-12-05T01:00:00Z";
    Backup b = made("b", Phase.Succeeded, "2026-11-29T01:00:00Z");
    b.getStatus().objectLock = "COMPLIANCE";
    b.getStatus().lockedUntil = "2026-11-30T01:00:00Z"; // expired
    Instant now = Instant.parse("2026-11-30T12:00:00Z");
    var d =
        decider.decide(
            nightly(
                s -> {
                  s.retention = new BackupScheduleSpec.RetentionSpec();
                  s.retention.keepLast = 1;
                }),
            new ScheduleObservation(
                List.of(a, b, made("c", Phase.Succeeded, "2026-11-30T01:00:00Z")), Set.of()),
            now);
    assertThat(actions(d, Action.Delete.class))
        .as("the expired lock lets b go; a waits")
        .extracting(x -> x.resource().getMetadata().getName())
        .containsExactly("b");
    assertThat(d.status().retentionWaiting)
        .isEqualTo(
            "1 Backup waits for its Object Lock to expire before retention deletes it (the first"
                + " at 2026-12-05T01:00:00Z)");
    assertThat(d.requeue())
        .isLessThanOrEqualTo(Duration.between(now, Instant.parse("2026-12-05T01:00:01Z")));
  }

  static BackupScheduleSpec.DrillSpec drillSpec() {
    BackupScheduleSpec.DrillSpec d = new BackupScheduleSpec.DrillSpec();
    d.schedule = "0 6 1 * *";
    d.uriSecret = new KeyRef("scratch-mongo", "uri");
    d.identity = new KeyRef("age-key", "identity");
    return d;
  }

  @Test
  void
      givenADrill_whenItsCronFires_thenADrillJobRuns_andItsOutcomeIsTheStatusTheConditionAndAnEvent() {
    BackupSchedule schedule = nightly(s -> s.drill = drillSpec());
    List<Backup> backups = List.of(made("a", Phase.Succeeded, "2026-11-30T01:00:00Z"));
    // 06:00 Berlin on the 1st is 05:00 UTC
    var d =
        decider.decide(
            schedule,
            new ScheduleObservation(backups, Set.of()),
            Instant.parse("2026-12-01T05:00:30Z"));
    var job = actions(d, Action.CreateJob.class).get(0).job();
    assertThat(job.getMetadata().getName()).isEqualTo("nightly-drill-1");
    var request = (DrillRequest) JobFactory.request(job);
    assertThat(request.databasePrefix()).isEqualTo("coffer_drill_");
    assertThat(request.mongodb().uriFile()).isEqualTo("/etc/coffer/drill-mongodb-uri/value");
    assertThat(request.decryption().identityFile()).isEqualTo("/etc/coffer/identity/value");
    assertThat(d.status().lastDrill.result).isEqualTo("Running");
    schedule.setStatus(d.status());
    String passed =
        Protocol.write(
            new DrillResult(
                "Passed", "a-1234", 4.5, 2, 2001, 1, 2, 2, null, "backup a-1234 restored"));
    var done =
        decider.decide(
            schedule,
            new ScheduleObservation(
                backups,
                Set.of(),
                null,
                null,
                List.of(JobStates.complete(job)),
                List.of(JobStates.terminated(job, 0, passed))),
            Instant.parse("2026-12-01T05:02:00Z"));
    assertThat(done.status().lastDrill.result).isEqualTo("Passed");
    assertThat(done.status().lastDrill.rtoSeconds).isEqualTo(4.5);
    assertThat(done.status().conditions)
        .anySatisfy(
            c -> {
              assertThat(c.getType()).isEqualTo("DrillFailed");
              assertThat(c.getStatus()).isEqualTo("False");
            });
    assertThat(actions(done, Action.Event.class))
        .extracting(e -> e.reason().name())
        .contains("DrillPassed");
    // the next: a failure, in the schedule's words
    schedule.setStatus(done.status());
    var second =
        decider.decide(
            schedule,
            new ScheduleObservation(backups, Set.of()),
            Instant.parse("2027-01-01T05:00:30Z"));
    var job2 = actions(second, Action.CreateJob.class).get(0).job();
    assertThat(job2.getMetadata().getName()).isEqualTo("nightly-drill-2");
    schedule.setStatus(second.status());
    var failed =
        decider.decide(
            schedule,
            new ScheduleObservation(
                backups,
                Set.of(),
                null,
                null,
                List.of(JobStates.failed(job2)),
                List.of(
                    JobStates.terminated(
                        job2,
                        5,
                        JobStates.failure(
                            ExitCode.INTEGRITY,
                            "drill of backup a-1234 failed: erp.invoices holds 0 documents, the"
                                + " backup 500")))),
            Instant.parse("2027-01-01T05:03:00Z"));
    assertThat(failed.status().lastDrill.result).isEqualTo("Failed");
    assertThat(failed.status().lastDrill.message).contains("erp.invoices holds 0 documents");
    assertThat(failed.status().conditions)
        .anySatisfy(
            c -> {
              assertThat(c.getType()).isEqualTo("DrillFailed");
              assertThat(c.getStatus()).isEqualTo("True");
            });
    assertThat(actions(failed, Action.Event.class))
        .extracting(e -> e.reason().name())
        .contains("DrillFailed");
  }

  @Test
  void givenVerifyAfterEachBackup_thenEachSucceededBackupIsAskedOnce() {
    Backup asked = made("a", Phase.Succeeded, "2026-11-28T01:00:00Z");
    asked
        .getMetadata()
        .setAnnotations(new HashMap<>(Map.of(VerificationDecider.ANNOTATION, "after-backup")));
    var d =
        decider.decide(
            nightly(s -> s.verifyAfterEachBackup = true),
            new ScheduleObservation(
                List.of(
                    asked,
                    made("b", Phase.Succeeded, "2026-11-29T01:00:00Z"),
                    made("c", Phase.Running, "2026-11-30T01:00:00Z")),
                Set.of()),
            Instant.parse("2026-11-30T12:00:00Z"));
    assertThat(actions(d, Action.Annotate.class))
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.resource().getMetadata().getName()).isEqualTo("b");
              assertThat(a.key()).isEqualTo(VerificationDecider.ANNOTATION);
            });
  }

  @Test
  void givenAnUnknownTimeZone_thenInvalidSpec_namingTheField_andNothingElseHappens() {
    var d =
        decider.decide(
            nightly(s -> s.timeZone = "Mars/Olympus_Mons"),
            new ScheduleObservation(List.of(), Set.of()),
            Instant.parse("2026-12-01T01:00:30Z"));
    assertThat(d.actions()).isEmpty();
    assertThat(d.status().conditions)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.getReason()).isEqualTo("InvalidSpec");
              assertThat(c.getMessage())
                  .startsWith("spec.timeZone: unknown time zone 'Mars/Olympus_Mons'");
            });
  }

  // --- spec.pointInTime: the oplog archiver and its window ---

  static BackupSchedule archiving(String slice) {
    BackupSchedule s =
        nightly(
            spec -> {
              spec.template =
                  Specs.backup("rayerp", "x")
                      .mongo("erp-uri", "uri")
                      .volume("store")
                      .recipients("keys", "recipients")
                      .build()
                      .getSpec();
              spec.pointInTime = new BackupScheduleSpec.PointInTimeSpec();
              spec.pointInTime.enabled = true;
              spec.pointInTime.sliceInterval = slice;
            });
    return s;
  }

  static OplogWindow window(String from, String until, int gaps) {
    List<OplogWindow.Gap> g = new ArrayList<>();
    for (int i = 0; i < gaps; i++)
      g.add(
          new OplogWindow.Gap(
              "2026-12-07T08:00:0" + i + "Z", "2026-12-07T08:10:0" + i + "Z", "rolled over"));
    return new OplogWindow(null, from, until, until, until, "p", 12, 3400, 1 << 20, g);
  }

  static final Instant AT = Instant.parse("2026-12-07T10:20:00Z");

  @Test
  void givenPointInTimeOn_thenItsArchiverDeploymentIsCreated_andTheWindowStartsAsStarting() {
    BackupSchedule s = archiving("10m");
    var d = decider.decide(s, new ScheduleObservation(List.of(), Set.of()), AT);
    Deployment dep =
        actions(d, Action.Create.class).stream()
            .map(Action.Create::resource)
            .filter(Deployment.class::isInstance)
            .map(Deployment.class::cast)
            .findFirst()
            .orElseThrow();
    assertThat(dep.getMetadata().getName()).isEqualTo("nightly-oplog-archive");
    assertThat(dep.getMetadata().getLabels())
        .containsEntry(ScheduleDecider.LABEL_SCHEDULE, "nightly")
        .containsEntry(JobFactory.LABEL_PURPOSE, "oplog-archive");
    assertThat(dep.getMetadata().getOwnerReferences().get(0).getUid()).isEqualTo("5555-0");
    assertThat(actions(d, Action.Event.class))
        .extracting(e -> e.reason())
        .contains(Reason.ArchiverStarted);
    assertThat(d.status().pointInTime.state).isEqualTo("Starting");
    Condition c = Conditions.get(d.status().conditions, ScheduleDecider.POINT_IN_TIME_READY);
    assertThat(c.getStatus()).isEqualTo("False");
    assertThat(c.getReason()).isEqualTo("ArchiverStarting");
    assertThat(d.requeue()).isLessThanOrEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void givenTheArchiverReports_thenTheWindowIsInTheStatus_aNewGapIsAnEvent_andRpoDecidesReady() {
    BackupSchedule s = archiving("10m");
    Deployment dep = JobFactory.archiver(s, ScheduleDecider.LABEL_SCHEDULE, SETTINGS);
    var seen =
        new ScheduleObservation(
            List.of(),
            Set.of(),
            dep,
            new ScheduleObservation.Archiver(
                "p", true, window("2026-12-07T02:00:00Z", "2026-12-07T10:15:00Z", 1), null));
    var d = decider.decide(s, seen, AT);
    assertThat(actions(d, Action.Create.class))
        .as("it runs already")
        .noneMatch(a -> a.resource() instanceof Deployment);
    assertThat(actions(d, Action.Delete.class)).isEmpty();
    var p = d.status().pointInTime;
    assertThat(p.state).isEqualTo("Running");
    assertThat(p.recoverableFrom).isEqualTo("2026-12-07T02:00:00Z");
    assertThat(p.recoverableUntil).isEqualTo("2026-12-07T10:15:00Z");
    assertThat(p.slices).isEqualTo(12);
    assertThat(p.size).isEqualTo("1.0 MiB");
    assertThat(p.gaps)
        .singleElement()
        .satisfies(g -> assertThat(g.reason).isEqualTo("rolled over"));
    assertThat(actions(d, Action.Event.class))
        .filteredOn(e -> e.reason() == Reason.OplogGap)
        .singleElement()
        .satisfies(e -> assertThat(e.warning()).isTrue());
    Condition c = Conditions.get(d.status().conditions, ScheduleDecider.POINT_IN_TIME_READY);
    assertThat(c.getStatus()).as("5 minutes behind, within twice the slice").isEqualTo("True");
    // the same gap on the next look is no new event
    s.setStatus(d.status());
    var again = decider.decide(s, seen, AT.plusSeconds(30));
    assertThat(actions(again, Action.Event.class))
        .extracting(e -> e.reason())
        .doesNotContain(Reason.OplogGap);
    // the archiver stops reporting: the last window stays, and 30 minutes later the RPO is missed
    var dead =
        new ScheduleObservation(
            List.of(),
            Set.of(),
            dep,
            new ScheduleObservation.Archiver(
                "p",
                false,
                null,
                "{\"status\":\"Failed\",\"exitCode\":3,\"reason\":\"x\",\"message\":\"cannot read the oplog: give \u27e6mongodb.uriFile\u27e7\",\"permanent\":false}"));
    var late = decider.decide(s, dead, AT.plusSeconds(1800));
    assertThat(late.status().pointInTime.state).isEqualTo("NotReporting");
    assertThat(late.status().pointInTime.recoverableUntil).isEqualTo("2026-12-07T10:15:00Z");
    Condition missed =
        Conditions.get(late.status().conditions, ScheduleDecider.POINT_IN_TIME_READY);
    assertThat(missed.getStatus()).isEqualTo("False");
    assertThat(missed.getReason()).isEqualTo("RpoMissed");
    assertThat(missed.getMessage())
        .contains("more than spec.pointInTime.rpoTarget (1200 s)")
        .contains("spec.template.source.mongodb.uriSecret");
  }

  @Test
  void givenTheSliceIntervalChanged_thenTheArchiverIsReplaced_andTurnedOff_itIsRemoved() {
    BackupSchedule before = archiving("10m");
    Deployment running = JobFactory.archiver(before, ScheduleDecider.LABEL_SCHEDULE, SETTINGS);
    var changed =
        decider.decide(
            archiving("1m"), new ScheduleObservation(List.of(), Set.of(), running, null), AT);
    assertThat(actions(changed, Action.Delete.class)).as("updated in place").isEmpty();
    assertThat(actions(changed, Action.Apply.class))
        .singleElement()
        .satisfies(
            a ->
                assertThat(
                        ((Deployment) a.resource())
                            .getMetadata()
                            .getAnnotations()
                            .get(JobFactory.ANNOTATION_POD_HASH))
                    .isNotEqualTo(
                        running
                            .getMetadata()
                            .getAnnotations()
                            .get(JobFactory.ANNOTATION_POD_HASH)));
    assertThat(actions(changed, Action.Event.class))
        .extracting(e -> e.reason())
        .contains(Reason.ArchiverReplaced);
    BackupSchedule off = archiving("10m");
    off.getSpec().pointInTime.enabled = false;
    off.setStatus(new BackupScheduleStatus());
    off.getStatus().pointInTime = new BackupScheduleStatus.PointInTimeStatus();
    var d = decider.decide(off, new ScheduleObservation(List.of(), Set.of(), running, null), AT);
    assertThat(actions(d, Action.Delete.class))
        .extracting(a -> a.resource())
        .containsExactly(running);
    assertThat(d.status().pointInTime).isNull();
    assertThat(Conditions.get(d.status().conditions, ScheduleDecider.POINT_IN_TIME_READY)).isNull();
  }

  static final JobFactory.Settings SETTINGS =
      new JobFactory.Settings("coffer:latest", "IfNotPresent");
}
