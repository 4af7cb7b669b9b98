package io.coffer.controller;

import static io.coffer.controller.OperatorHarness.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleSpec;
import io.coffer.api.KeyRef;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.coffer.engine.Engine;
import io.coffer.job.JobFactory;
import io.coffer.testing.ChaosProxy;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.TestStorage;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Backup whose attempts fail: killed pods, storage and MongoDB going away, wrong credentials,
 * missing Secrets and inputs only the engine can judge; each retried within its limit or failed at
 * once, with the reason in the Backup's words. On the shared real control plane of {@link
 * OperatorHarness} (which says what is simulated: the nodes).
 */
class BackupFailuresIT {
  @BeforeAll
  static void start() throws Exception {
    OperatorHarness.start();
  }

  @Test
  void
      givenTwelveBackupsWhoseFirstAttemptIsKilledAtRandom_thenEachIsRetriedToSuccess_andNothingIncompleteIsLeft()
          throws Exception {
    kubelet.killFirstAttempts(new Random(2026), 2500);
    List<String> names = new ArrayList<>();
    try {
      for (int i = 0; i < 12; i++) { // 20 kill points of the engine alone: KillE2E
        Backup b = backup("chaos-" + i, "s3");
        b.getSpec().storage.s3.prefix = "chaos";
        b.getSpec().backoffLimit = 2;
        client.resource(b).create();
        names.add("chaos-" + i);
      }
      var storage = TestStorage.s3(s3, "backups", "chaos");
      for (String n : names) {
        Backup b =
            await(
                n,
                x ->
                    x.getStatus() != null
                        && x.getStatus().phase != null
                        && x.getStatus().phase.terminal());
        assertThat(b.getStatus().phase)
            .as(n + ": " + b.getStatus().lastError)
            .isEqualTo(Phase.Succeeded);
        assertThat(b.getStatus().attempts).as(n).isBetween(1, 3);
        assertThat(b.getStatus().contents.documents).isEqualTo(2001);
        // what is stored is the complete backup and nothing else: no part of the killed attempt
        // remains
        assertThat(storage.list(b.getStatus().backupId))
            .extracting(k -> k.substring(k.lastIndexOf('/') + 1))
            .containsExactlyInAnyOrder(
                "archive.zip.age", "manifest.json.age", "backup.log", "backup.json");
      }
      long retried =
          names.stream()
              .filter(
                  n ->
                      client
                              .resources(Backup.class)
                              .inNamespace(NS)
                              .withName(n)
                              .get()
                              .getStatus()
                              .attempts
                          > 1)
              .count();
      assertThat(retried)
          .as("first attempts killed before they finished")
          .isGreaterThanOrEqualTo(5);
    } finally {
      kubelet.killFirstAttempts(null, 0);
      for (String n : names) {
        Backup b = client.resources(Backup.class).inNamespace(NS).withName(n).get();
        if (b != null) client.resource(b).delete();
      }
    }
  }

  @Test
  void
      givenS3OrMongoGoingAwayMidStream_thenEachAttemptFails_isRetriedWithinItsLimit_andTheBackupEndsFailedWithTheCause()
          throws Exception {
    try (ChaosProxy s3Cut = new ChaosProxy(s3.getPort());
        ChaosProxy mongoCut = new ChaosProxy(mongo.getLocalAddress().getPort())) {
      s3Cut.cutAfter(
          20_000); // every connection dies early in the upload, and the proxy then refuses new ones
      mongoCut.cutAfter(20_000); // the dump dies mid-collection
      secret(
          "mongo-cut",
          Map.of(
              "uri", "mongodb://127.0.0.1:" + mongoCut.port() + "/?serverSelectionTimeoutMS=2000"));
      Backup s3Down = backup("s3-down", "s3");
      s3Down.getSpec().storage.s3.endpoint = "http://127.0.0.1:" + s3Cut.port();
      s3Down.getSpec().storage.s3.prefix = "cut";
      s3Down.getSpec().backoffLimit = 1;
      Backup mongoDown = backup("mongo-down", "s3");
      mongoDown.getSpec().source.mongodb.uriSecret = new KeyRef("mongo-cut", "uri");
      mongoDown.getSpec().storage.s3.prefix = "cut";
      mongoDown.getSpec().backoffLimit = 1;
      client.resource(s3Down).create();
      client.resource(mongoDown).create();
      Backup a =
          await("s3-down", x -> x.getStatus() != null && x.getStatus().phase == Phase.Failed);
      Backup b =
          await("mongo-down", x -> x.getStatus() != null && x.getStatus().phase == Phase.Failed);
      assertThat(a.getStatus().attempts).isEqualTo(2);
      assertThat(b.getStatus().attempts).isEqualTo(2);
      assertThat(a.getStatus().lastError)
          .containsIgnoringCase("S3")
          .doesNotContain(EmbeddedServers.SECRET_KEY)
          .doesNotContain("--");
      assertThat(b.getStatus().lastError).containsIgnoringCase("MongoDB");
      var cut = TestStorage.s3(s3, "backups", "cut");
      assertThat(Engine.list(cut).backups())
          .as("nothing of either is visible as a backup")
          .allMatch(l -> l.descriptor() == null);
    }
  }

  @Test
  void
      givenInputsOnlyTheOperatorOrTheEngineCanJudge_thenEachEndsFailedOrInvalidWithAClearMessage_andNothingSpins()
          throws Exception {
    // a time zone the schema cannot know is wrong
    BackupSchedule mars = new BackupSchedule();
    mars.setMetadata(new ObjectMetaBuilder().withName("mars").withNamespace(NS).build());
    BackupScheduleSpec ms = new BackupScheduleSpec();
    ms.schedule = "0 2 * * *";
    ms.timeZone = "Mars/Olympus_Mons";
    ms.template = backup("unused", "s3").getSpec();
    mars.setSpec(ms);
    client.resource(mars).create();
    awaitCondition(
        "invalid schedule",
        () ->
            status("mars") != null
                && status("mars").conditions.stream()
                    .anyMatch(
                        c ->
                            "InvalidSpec".equals(c.getReason())
                                && c.getMessage()
                                    .contains("unknown time zone 'Mars/Olympus_Mons'")));
    // a module the module map does not know: the engine says so, and the Backup fails without
    // retrying in vain
    client
        .configMaps()
        .inNamespace(NS)
        .resource(
            new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                .withNewMetadata()
                .withName("modules")
                .endMetadata()
                .withData(Map.of("modules.yaml", "modules:\n  hr: [erp.employees]\n"))
                .build())
        .create();
    Backup unknownModule = backup("unknown-module", "s3");
    unknownModule.getSpec().source.mongodb.include = List.of();
    unknownModule.getSpec().source.mongodb.modules = List.of("payroll");
    unknownModule.getSpec().source.mongodb.moduleMap = new KeyRef("modules", "modules.yaml");
    unknownModule.getSpec().backoffLimit = 3; // not used: a bad input fails the same way every time
    client.resource(unknownModule).create();
    Backup um =
        await("unknown-module", x -> x.getStatus() != null && x.getStatus().phase == Phase.Failed);
    // in the Backup's words: the field to fix, not the engine's option
    assertThat(um.getStatus().lastError)
        .startsWith("spec.source.mongodb.modules names unknown module 'payroll'")
        .endsWith("(not retried: it would fail again)")
        .doesNotContain("--");
    // a module map ConfigMap that does not exist: the pod cannot start, the Backup fails at once
    Backup noMap = backup("no-module-map", "s3");
    noMap.getSpec().source.mongodb.modules = List.of("hr");
    noMap.getSpec().source.mongodb.moduleMap = new KeyRef("no-such-configmap", "modules.yaml");
    client.resource(noMap).create();
    Backup nm =
        await("no-module-map", x -> x.getStatus() != null && x.getStatus().phase == Phase.Failed);
    assertThat(nm.getStatus().lastError).contains("no-such-configmap");
    // the samples' recipient Secret applied unedited: refused at once, in the Backup's words, not
    // retried
    secret(
        "sample-recipients",
        Map.of("recipients", "# ops team: one age1... public key per line\nage1-CHANGE-ME\n"));
    Backup unedited = backup("unedited-recipients", "s3");
    unedited.getSpec().encryption.recipients = new KeyRef("sample-recipients", "recipients");
    unedited.getSpec().backoffLimit = 3;
    client.resource(unedited).create();
    Backup ue =
        await(
            "unedited-recipients",
            x -> x.getStatus() != null && x.getStatus().phase == Phase.Failed);
    assertThat(ue.getStatus().lastError)
        .startsWith("spec.encryption.recipients still holds the samples' placeholder CHANGE-ME")
        .endsWith("(not retried: it would fail again)");
    assertThat(ue.getStatus().attempts).isEqualTo(1);
    // a Restore of a Backup that does not exist
    Restore ghost = restore("ghost", "no-such-backup", RestoreSpec.Mode.Merge);
    client.resource(ghost).create();
    Restore g = awaitRestore("ghost");
    assertThat(g.getStatus().phase).isEqualTo(Phase.Failed);
    assertThat(g.getStatus().lastError)
        .isEqualTo("spec.backupName: Backup no-such-backup does not exist in this namespace");
    // nothing spins: no further attempts or Jobs appear
    Thread.sleep(1500);
    assertThat(
            client
                .resources(Backup.class)
                .inNamespace(NS)
                .withName("unknown-module")
                .get()
                .getStatus()
                .attempts)
        .isEqualTo(1);
    assertThat(
            client
                .batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withLabel(JobFactory.LABEL_BACKUP, "unknown-module")
                .list()
                .getItems())
        .hasSize(1);
    // a missing ConfigMap may yet be created: retried with back-off, within backoffLimit (1 here),
    // then Failed
    assertThat(
            client
                .batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withLabel(JobFactory.LABEL_BACKUP, "no-module-map")
                .list()
                .getItems())
        .hasSize(2);
    client.resources(BackupSchedule.class).inNamespace(NS).withName("mars").delete();
  }

  @Test
  void
      givenWrongS3Credentials_whenApplied_thenEachAttemptFailsAndTheBackupEndsFailedWithTheEnginesReason()
          throws Exception {
    client.resource(backup("bad-creds", "s3-wrong")).create();
    Backup b =
        await("bad-creds", x -> x.getStatus() != null && x.getStatus().phase == Phase.Failed);
    assertThat(b.getStatus().attempts).isEqualTo(2);
    assertThat(b.getStatus().lastError)
        .contains("refused the credentials")
        .doesNotContain("wrong-secret");
    assertThat(b.getStatus().conditions)
        .anySatisfy(
            c -> {
              assertThat(c.getType()).isEqualTo("Failed");
              assertThat(c.getStatus()).isEqualTo("True");
              assertThat(c.getMessage()).contains("attempt 2 of 2 failed");
            });
    assertThat(client.batch().v1().jobs().inNamespace(NS).list().getItems())
        .extracting(j -> j.getMetadata().getName())
        .contains("bad-creds-backup-1", "bad-creds-backup-2")
        .doesNotContain("bad-creds-backup-3");
    // the failure reached the webhook once (not once per attempt), as a CloudEvent, without a
    // secret; the local receiver stands in for Slack
    awaitCondition(
        "the failure notification",
        () -> notifications.stream().anyMatch(n -> n.contains("\"subject\":\"rayerp/bad-creds\"")));
    Thread.sleep(500); // a second one, were it sent, would have come by now
    List<String> mine =
        notifications.stream().filter(n -> n.contains("\"subject\":\"rayerp/bad-creds\"")).toList();
    assertThat(mine)
        .singleElement()
        .asString()
        .contains("\"specversion\":\"1.0\"")
        .contains("\"type\":\"io.coffer.backup.failed\"")
        .contains("\"text\":\":x: Coffer: Backup rayerp/bad-creds failed: ")
        .contains("refused the credentials")
        .doesNotContain("wrong-secret")
        .doesNotContain(EmbeddedServers.SECRET_KEY);
  }

  @Test
  void givenAMissingSecret_whenApplied_thenTheBackupFailsNamingItsSpecFieldAndNeverSpins()
      throws Exception {
    // the Job's Secret volumes are optional: the pod starts, the engine finds no file and says
    // which spec field names the missing Secret; the attempt is retried (the Secret may come)
    client.resource(backup("no-secret", "does-not-exist")).create();
    Backup b =
        await("no-secret", x -> x.getStatus() != null && x.getStatus().phase == Phase.Failed);
    assertThat(b.getStatus().lastError)
        .contains(
            "spec.storage.s3.credentialsSecret (Secret does-not-exist, key AWS_ACCESS_KEY_ID)")
        .contains("no such file")
        .doesNotContain("/etc/coffer");
    assertThat(b.getStatus().attempts).isEqualTo(2);
  }
}
