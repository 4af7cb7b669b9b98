package io.coffer.controller;

import static io.coffer.controller.OperatorHarness.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleSpec;
import io.coffer.api.BackupSpec;
import io.coffer.api.Phase;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * BackupSchedules: runs on the clock, catch-up, suspend, retention, the concurrency policies and
 * the starting deadline. On the shared real control plane of {@link OperatorHarness} (which says
 * what is simulated: the nodes).
 */
class ScheduleIT {
  @BeforeAll
  static void start() throws Exception {
    OperatorHarness.start();
  }

  @Test
  void
      givenASlowScheduledBackup_whenTheNextRunComes_thenReplaceStopsIt_AllowRunsBoth_andAMissedStartingDeadlineSkipsTheRun()
          throws Exception {
    ZoneId utc = ZoneOffset.UTC;
    // runs every 10 minutes from t0 (an hour ahead of the test clock, wherever earlier tests left
    // it)
    ZonedDateTime t0 =
        ZonedDateTime.now(clock)
            .withZoneSameInstant(utc)
            .plusHours(1)
            .withMinute(0)
            .withSecond(0)
            .withNano(0);
    BackupSchedule schedule = new BackupSchedule();
    schedule.setMetadata(new ObjectMetaBuilder().withName("scans").withNamespace(NS).build());
    BackupScheduleSpec spec = new BackupScheduleSpec();
    spec.schedule = "*/10 * * * *";
    spec.concurrencyPolicy = BackupScheduleSpec.ConcurrencyPolicy.Replace;
    spec.startingDeadlineSeconds = 300L;
    spec.template = slowBackup("unused", 1).getSpec(); // 12 s per run
    schedule.setSpec(spec);
    Function<ZonedDateTime, String> nameAt =
        t -> "scans-" + t.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmm"));
    try {
      clock.setTo(t0.minusMinutes(1).toInstant());
      client.resource(schedule).create();
      awaitCondition(
          "nextScheduleTime",
          () -> status("scans") != null && status("scans").nextScheduleTime != null);
      // first run; it is still uploading when the second comes, and Replace stops it
      clock.setTo(t0.plusMinutes(1).toInstant());
      Supplier<String> report =
          () ->
              client.getKubernetesSerialization().asJson(status("scans"))
                  + " events: "
                  + client.v1().events().inNamespace(NS).list().getItems().stream()
                      .filter(e -> e.getInvolvedObject().getName().equals("scans"))
                      .map(e -> e.getMessage())
                      .toList()
                  + " clock "
                  + clock.instant();
      awaitCondition(
          "first run " + nameAt.apply(t0),
          () ->
              client.resources(Backup.class).inNamespace(NS).withName(nameAt.apply(t0)).get()
                  != null,
          report);
      Backup a =
          await(
              nameAt.apply(t0), x -> x.getStatus() != null && x.getStatus().phase == Phase.Running);
      clock.setTo(t0.plusMinutes(11).toInstant());
      awaitCondition(
          "second run",
          () ->
              client
                      .resources(Backup.class)
                      .inNamespace(NS)
                      .withName(nameAt.apply(t0.plusMinutes(10)))
                      .get()
                  != null,
          report);
      await(
          nameAt.apply(t0.plusMinutes(10)),
          x -> x.getStatus() != null && x.getStatus().phase == Phase.Running);
      awaitCondition(
          "replaced",
          () ->
              client.resources(Backup.class).inNamespace(NS).withName(nameAt.apply(t0)).get()
                  == null);
      assertThat(kubelet.killed()).anyMatch(pod -> pod.startsWith(a.getStatus().jobName + "-"));
      // Allow: the third run starts while the second still runs
      patch(BackupSchedule.class, "scans", "{\"spec\":{\"concurrencyPolicy\":\"Allow\"}}");
      awaitCondition("policy seen", () -> status("scans").observedGeneration == 2L);
      clock.setTo(t0.plusMinutes(21).toInstant());
      awaitCondition(
          "third run",
          () ->
              client
                      .resources(Backup.class)
                      .inNamespace(NS)
                      .withName(nameAt.apply(t0.plusMinutes(20)))
                      .get()
                  != null);
      Backup second =
          client
              .resources(Backup.class)
              .inNamespace(NS)
              .withName(nameAt.apply(t0.plusMinutes(10)))
              .get();
      assertThat(second.getStatus().phase)
          .as("the second run still runs beside the third")
          .isEqualTo(Phase.Running);
      // the next run is missed by more than startingDeadlineSeconds (300 s): skipped, with a
      // Warning event
      clock.setTo(t0.plusMinutes(38).toInstant());
      awaitCondition(
          "missed run seen",
          () ->
              client.v1().events().inNamespace(NS).list().getItems().stream()
                  .anyMatch(
                      e ->
                          e.getInvolvedObject().getName().equals("scans")
                              && e.getMessage().contains("missed the run")
                              && e.getMessage()
                                  .contains(
                                      t0.plusMinutes(30)
                                          .toLocalDateTime()
                                          .toString()
                                          .substring(0, 16))));
      assertThat(
              client
                  .resources(Backup.class)
                  .inNamespace(NS)
                  .withName(nameAt.apply(t0.plusMinutes(30)))
                  .get())
          .isNull();
      // the schedule goes; the garbage collector follows the owner references to its Backups, and
      // they take their stored objects
      client
          .resources(BackupSchedule.class)
          .inNamespace(NS)
          .withName("scans")
          .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND)
          .delete();
      awaitCondition(
          "cleanup",
          () ->
              client
                  .resources(Backup.class)
                  .inNamespace(NS)
                  .withLabel("coffer.io/schedule", "scans")
                  .list()
                  .getItems()
                  .isEmpty(),
          () ->
              client
                      .resources(Backup.class)
                      .inNamespace(NS)
                      .withLabel("coffer.io/schedule", "scans")
                      .list()
                      .getItems()
                      .stream()
                      .map(
                          b ->
                              b.getMetadata().getName()
                                  + " "
                                  + b.getMetadata().getDeletionTimestamp()
                                  + " "
                                  + client.getKubernetesSerialization().asJson(b.getStatus()))
                      .toList()
                  + " jobs: "
                  + client.batch().v1().jobs().inNamespace(NS).list().getItems().stream()
                      .map(
                          j ->
                              j.getMetadata().getName()
                                  + "="
                                  + (j.getStatus() == null
                                      ? "-"
                                      : j.getStatus().getSucceeded()
                                          + "/"
                                          + j.getStatus().getFailed()))
                      .toList());
    } finally {
      clock.setTo(Instant.now());
    }
  }

  @Test
  void
      givenANightlySchedule_whenTheClockPassesItsRuns_thenItCreatesBackups_keepsTheNewest_catchesUpOnce_andHonoursSuspend()
          throws Exception {
    ZoneId berlin = ZoneId.of("Europe/Berlin");
    clock.setTo(Instant.now()); // whatever an earlier test left the shared clock at
    BackupSchedule schedule = new BackupSchedule();
    schedule.setMetadata(new ObjectMetaBuilder().withName("nightly").withNamespace(NS).build());
    BackupScheduleSpec spec = new BackupScheduleSpec();
    spec.frequency = new BackupScheduleSpec.Frequency();
    spec.frequency.every = BackupScheduleSpec.Frequency.Every.Daily;
    spec.frequency.time = "02:00";
    spec.timeZone = "Europe/Berlin";
    Backup template = backup("unused", "s3");
    template.getSpec().type = BackupSpec.Type.Database;
    template.getSpec().source.files = List.of();
    template.getSpec().source.mongodb.include = List.of("erp.invoices");
    spec.template = template.getSpec();
    spec.retention = new BackupScheduleSpec.RetentionSpec();
    spec.retention.keepLast = 2;
    spec.verifyAfterEachBackup = true;
    schedule.setSpec(spec);
    client.resource(schedule).create();
    awaitCondition(
        "nextScheduleTime",
        () -> status("nightly") != null && status("nightly").nextScheduleTime != null);
    ZonedDateTime next =
        ZonedDateTime.parse(status("nightly").nextScheduleTime).withZoneSameInstant(berlin);
    assertThat(next.toLocalTime().toString()).isEqualTo("02:00");
    assertThat(scheduled("nightly")).isEmpty();

    for (int day = 0; day < 3; day++) {
      // the schedule must have seen the previous Backup finish, or concurrencyPolicy Forbid rightly
      // skips this run
      awaitCondition("no active backup", () -> noActive("nightly"));
      clock.setTo(next.plusDays(day).plusMinutes(5).toInstant());
      int expected = Math.min(day + 1, 3);
      String name =
          "nightly-" + next.plusDays(day).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmm"));
      awaitCondition(
          name,
          () ->
              scheduled("nightly").stream().anyMatch(b -> b.getMetadata().getName().equals(name)));
      await(name, b -> b.getStatus() != null && b.getStatus().phase == Phase.Succeeded);
    }
    // who asked for them: the schedule's requester (the admin, as the API server recorded it)
    String requester =
        client
            .resources(BackupSchedule.class)
            .inNamespace(NS)
            .withName("nightly")
            .get()
            .getMetadata()
            .getAnnotations()
            .get(Backup.REQUESTED_BY);
    assertThat(requester).isNotBlank();
    assertThat(scheduled("nightly"))
        .isNotEmpty()
        .allSatisfy(
            b ->
                assertThat(b.getMetadata().getAnnotations())
                    .containsEntry(Backup.REQUESTED_BY, requester)
                    .containsEntry(Backup.REQUESTED_VIA, "schedule nightly"));
    // keepLast 2: the first night's Backup is pruned (and its stored objects deleted by its
    // finalizer)
    String first = "nightly-" + next.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmm"));
    awaitCondition(
        "pruning",
        () ->
            scheduled("nightly").size() == 2
                && client.resources(Backup.class).inNamespace(NS).withName(first).get() == null);
    awaitCondition(
        "status",
        () -> status("nightly").retained == 2 && status("nightly").lastSuccessfulBackup != null);
    // each succeeded Backup of the schedule was verified once
    String last = status("nightly").lastSuccessfulBackup;
    Backup verified =
        await(
            last,
            b ->
                b.getStatus().verification != null
                    && "Verified".equals(b.getStatus().verification.result));
    assertThat(verified.getStatus().verification.requested).isEqualTo("after-backup");
    assertThat(status("nightly").totalStoredBytes).isPositive();

    // five nights of downtime: one catch-up run, for the latest missed time
    awaitCondition("no active backup", () -> noActive("nightly"));
    clock.setTo(next.plusDays(7).plusHours(3).toInstant());
    String catchUp =
        "nightly-" + next.plusDays(7).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmm"));
    awaitCondition(
        catchUp,
        () -> client.resources(Backup.class).inNamespace(NS).withName(catchUp).get() != null);
    Thread.sleep(1500);
    assertThat(
            client
                .resources(Backup.class)
                .inNamespace(NS)
                .withLabel("coffer.io/schedule", "nightly")
                .list()
                .getItems())
        .extracting(b -> b.getMetadata().getName())
        .noneMatch(
            n -> n.contains(next.plusDays(4).format(DateTimeFormatter.ofPattern("yyyyMMdd"))));
    await(catchUp, b -> b.getStatus() != null && b.getStatus().phase == Phase.Succeeded);

    // suspended: no new run
    patch(BackupSchedule.class, "nightly", "{\"spec\":{\"suspend\":true}}");
    awaitCondition(
        "suspended",
        () ->
            status("nightly").conditions.stream()
                .anyMatch(c -> "suspended".equals(c.getMessage())));
    clock.setTo(next.plusDays(8).plusMinutes(5).toInstant());
    Thread.sleep(1500);
    String suspendedRun =
        "nightly-" + next.plusDays(8).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmm"));
    assertThat(client.resources(Backup.class).inNamespace(NS).withName(suspendedRun).get())
        .isNull();

    // verification on its own cron: the newest succeeded Backup is verified at each firing
    patch(BackupSchedule.class, "nightly", "{\"spec\":{\"verificationSchedule\":\"0 12 * * *\"}}");
    Backup reverified =
        await(
            catchUp,
            b ->
                b.getStatus().verification != null
                    && b.getStatus().verification.requested.startsWith("scheduled-")
                    && "Verified".equals(b.getStatus().verification.result));
    assertThat(reverified.getStatus().verification.count).isGreaterThanOrEqualTo(2);
    assertThat(status("nightly").lastVerificationTime).isNotNull();
  }
}
