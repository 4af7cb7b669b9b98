package io.coffer.controller.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleSpec;
import io.coffer.api.Phase;
import io.coffer.controller.Action;
import io.coffer.controller.Decision;
import io.coffer.controller.backup.VerificationDecider;
import io.coffer.testing.Specs;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Duration;
import java.time.Instant;
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
    var d =
        decider.decide(
            nightly(s -> {}),
            new ScheduleObservation(List.of(), Set.of()),
            Instant.parse("2026-12-01T01:00:30Z"));
    Backup b =
        actions(d, Action.Create.class).stream()
            .map(c -> (Backup) c.resource())
            .findFirst()
            .orElseThrow();
    assertThat(b.getMetadata().getName()).isEqualTo("nightly-20261201-0200");
    assertThat(b.getMetadata().getLabels()).containsEntry("coffer.io/schedule", "nightly");
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
}
