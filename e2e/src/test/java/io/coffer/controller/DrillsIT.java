package io.coffer.controller;

import static io.coffer.controller.OperatorHarness.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleSpec;
import io.coffer.api.KeyRef;
import io.coffer.api.Phase;
import io.coffer.controller.schedule.ScheduleDecider;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.TestStorage;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.io.OutputStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Restore drills through the resources, on the shared real control plane of {@link OperatorHarness}
 * (which says what is simulated: the nodes; the schedule runs under its controllable clock). The
 * drill's scratch databases go to the source's own MongoDB (mongo-java-server), as on a shared
 * server; its files to the pod's emptyDir. A drill of a good backup passes with its RTO in the
 * status; after the stored archive is damaged the next one fails (status, the DrillFailed
 * condition, an event, the webhook) and leaves no scratch database.
 */
class DrillsIT {
  @BeforeAll
  static void start() throws Exception {
    OperatorHarness.start();
  }

  @Test
  void givenADrill_thenAGoodBackupPasses_andADamagedOneFails_saidEverywhere_leavingNothing()
      throws Exception {
    ZonedDateTime t0 =
        ZonedDateTime.now(clock)
            .withZoneSameInstant(ZoneOffset.UTC)
            .plusHours(3)
            .withMinute(0)
            .withSecond(0)
            .withNano(0);
    Backup manual = backup("drilled-manual", "s3");
    manual.getSpec().storage.s3.prefix = "drills";
    manual.getMetadata().setLabels(Map.of(ScheduleDecider.LABEL_SCHEDULE, "drilled"));
    client.resource(manual).create();
    String id =
        await(
                "drilled-manual",
                x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded)
            .getStatus()
            .backupId;
    BackupSchedule schedule = new BackupSchedule();
    schedule.setMetadata(new ObjectMetaBuilder().withName("drilled").withNamespace(NS).build());
    BackupScheduleSpec spec = new BackupScheduleSpec();
    spec.schedule = "0 0 1 1 *"; // no backup of its own during the test
    spec.template = backup("unused", "s3").getSpec();
    spec.template.storage.s3.prefix = "drills";
    spec.drill = new BackupScheduleSpec.DrillSpec();
    spec.drill.schedule = "0 * * * *";
    spec.drill.uriSecret = new KeyRef("mongo", "uri");
    spec.drill.identity = new KeyRef("age-key", "identity");
    spec.drill.files = true;
    schedule.setSpec(spec);
    Supplier<String> report =
        () ->
            client.getKubernetesSerialization().asJson(status("drilled"))
                + " events: "
                + client.v1().events().inNamespace(NS).list().getItems().stream()
                    .filter(e -> e.getInvolvedObject().getName().equals("drilled"))
                    .map(e -> e.getReason() + ": " + e.getMessage())
                    .toList();
    try {
      // the hour marks between the schedule's creation (the API server's time) and the test clock
      // are past firings: the first drill starts at once, the second at t0
      clock.setTo(t0.minusMinutes(1).toInstant());
      client.resource(schedule).create();
      awaitCondition(
          "the first drill ends",
          () ->
              status("drilled") != null
                  && status("drilled").lastDrill != null
                  && status("drilled").lastDrill.count == 1
                  && !"Running".equals(status("drilled").lastDrill.result),
          report);
      var first = status("drilled").lastDrill;
      assertThat(first.result).as(report.get()).isEqualTo("Passed");
      assertThat(first.backupId).isEqualTo(id);
      assertThat(first.rtoSeconds).isPositive();
      assertThat(first.documents).isEqualTo(2001);
      assertThat(first.files).isEqualTo(1);
      assertThat(status("drilled").conditions)
          .anySatisfy(
              c -> {
                assertThat(c.getType()).isEqualTo("DrillFailed");
                assertThat(c.getStatus()).isEqualTo("False");
              });

      // the stored archive damaged: the next drill fails
      try (var storage = TestStorage.s3(s3, "backups", "drills");
          OutputStream out = storage.create(id + "/archive.zip.age")) {
        out.write("not an age file".getBytes());
      }
      clock.setTo(t0.plusMinutes(1).toInstant());
      awaitCondition(
          "the second drill ends",
          () ->
              status("drilled").lastDrill.count == 2
                  && !"Running".equals(status("drilled").lastDrill.result),
          report);
      var second = status("drilled").lastDrill;
      assertThat(second.result).isEqualTo("Failed");
      assertThat(second.message).isNotBlank();
      assertThat(status("drilled").conditions)
          .anySatisfy(
              c -> {
                assertThat(c.getType()).isEqualTo("DrillFailed");
                assertThat(c.getStatus()).isEqualTo("True");
              });
      assertThat(client.v1().events().inNamespace(NS).list().getItems())
          .filteredOn(e -> e.getInvolvedObject().getName().equals("drilled"))
          .extracting(e -> e.getReason())
          .contains("Drilling", "DrillPassed", "DrillFailed");
      awaitCondition(
          "the drill failure notification",
          () ->
              notifications.stream()
                  .anyMatch(
                      n ->
                          n.contains("\"type\":\"io.coffer.backupschedule.drill-failed\"")
                              && n.contains("\"subject\":\"rayerp/drilled\"")));
      try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
        assertThat(c.listDatabaseNames().into(new ArrayList<>()))
            .as("no scratch database left behind")
            .noneMatch(
                db ->
                    db.startsWith("coffer_drill_")
                        && c.getDatabase(db).listCollectionNames().first() != null);
      }
    } finally {
      client.resource(schedule).delete();
      // the clock is shared: left hours ahead, it fired the next suite's schedules at once
      clock.setTo(Instant.now());
    }
  }
}
