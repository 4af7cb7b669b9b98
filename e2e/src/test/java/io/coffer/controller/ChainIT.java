package io.coffer.controller;

import static io.coffer.controller.OperatorHarness.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleSpec;
import io.coffer.api.BackupSpec;
import io.coffer.api.KeyRef;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.coffer.testing.EmbeddedServers;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.function.Function;
import org.bson.Document;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Incremental chains: an Incremental Backup builds on a full one, restores the whole, and retention
 * never breaks a chain. On the shared real control plane of {@link OperatorHarness} (which says
 * what is simulated: the nodes).
 */
class ChainIT {
  @BeforeAll
  static void start() throws Exception {
    OperatorHarness.start();
  }

  @Test
  void
      givenAFullBackupWithAChainIndex_whenAnIncrementalIsApplied_thenItBuildsOnIt_storesLittle_restoresTheWhole_andKeepsItsParent()
          throws Exception {
    secret("index-key", Map.of("key", "a-random-index-key-0123456789abcdef"));
    Backup full = backup("chain-full", "s3");
    full.getSpec().storage.s3.prefix = "chains";
    full.getSpec().chain = new BackupSpec.ChainSpec();
    full.getSpec().chain.indexKeySecret = new KeyRef("index-key", "key");
    client.resource(full).create();
    Backup f =
        await("chain-full", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded);
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      // a collection of its own, dropped at the end: the other tests count erp's documents
      c.getDatabase("erp")
          .getCollection("chain_extra")
          .insertOne(new Document("_id", 2).append("total", 99));
    }
    try {
      incrementalChain(f);
    } finally {
      try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
        c.getDatabase("erp").getCollection("chain_extra").drop();
      }
    }
  }

  @Test
  void
      givenAnIncrementalSchedule_whenRetentionWouldPruneParents_thenEveryLinkAKeptBackupNeedsStays()
          throws Exception {
    secret("index-key-2", Map.of("key", "another-random-index-key-0123456789"));
    Backup base = backup("links-full", "s3");
    base.getSpec().type = BackupSpec.Type.Files;
    base.getSpec().source.mongodb = null;
    base.getSpec().storage.s3.prefix = "links";
    base.getSpec().chain = new BackupSpec.ChainSpec();
    base.getSpec().chain.indexKeySecret = new KeyRef("index-key-2", "key");
    client.resource(base).create();
    await("links-full", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded);
    ZonedDateTime t0 =
        ZonedDateTime.now(clock)
            .withZoneSameInstant(ZoneOffset.UTC)
            .plusHours(2)
            .withMinute(0)
            .withSecond(0)
            .withNano(0);
    BackupSchedule schedule = new BackupSchedule();
    schedule.setMetadata(new ObjectMetaBuilder().withName("links").withNamespace(NS).build());
    BackupScheduleSpec spec = new BackupScheduleSpec();
    spec.schedule = "0 * * * *";
    spec.startingDeadlineSeconds = 600L; // no catch-up run for the hour before the test's first
    BackupSpec template = base.getSpec();
    Backup inc = backup("unused", "s3");
    inc.getSpec().type = BackupSpec.Type.Incremental;
    inc.getSpec().source = template.source;
    inc.getSpec().storage = template.storage;
    inc.getSpec().chain = template.chain;
    spec.template = inc.getSpec();
    spec.retention = new BackupScheduleSpec.RetentionSpec();
    spec.retention.keepLast = 1;
    schedule.setSpec(spec);
    Function<Integer, String> nameAt =
        h -> "links-" + t0.plusHours(h).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmm"));
    try {
      clock.setTo(t0.minusMinutes(30).toInstant());
      client.resource(schedule).create();
      awaitCondition(
          "nextScheduleTime",
          () -> status("links") != null && status("links").nextScheduleTime != null);
      for (int h = 0; h < 3; h++) {
        awaitCondition("no active backup", () -> noActive("links"));
        clock.setTo(t0.plusHours(h).plusMinutes(1).toInstant());
        String name = nameAt.apply(h);
        Backup b =
            await(
                name,
                x ->
                    x.getStatus() != null
                        && x.getStatus().phase != null
                        && x.getStatus().phase.terminal());
        assertThat(b.getStatus().phase).as(b.getStatus().lastError).isEqualTo(Phase.Succeeded);
        assertThat(b.getStatus().parent).isEqualTo(h == 0 ? "links-full" : nameAt.apply(h - 1));
      }
      Thread.sleep(
          1500); // retention had its looks: keepLast 1, yet every earlier increment is a link of
      // the newest one's chain
      for (int h = 0; h < 3; h++)
        assertThat(client.resources(Backup.class).inNamespace(NS).withName(nameAt.apply(h)).get())
            .isNotNull();
      // the chain restores from its newest point
      Restore r = restore("links-restore", nameAt.apply(2), RestoreSpec.Mode.Merge);
      r.getSpec().target.mongodb = null;
      client.resource(r).create();
      Restore done = awaitRestore("links-restore");
      assertThat(done.getStatus().phase).as(done.getStatus().lastError).isEqualTo(Phase.Succeeded);
      assertThat(restoredUploads.resolve("contract.txt")).hasContent("signed");
    } finally {
      clock.setTo(Instant.now());
      client.resources(BackupSchedule.class).inNamespace(NS).withName("links").delete();
      for (Backup b : client.resources(Backup.class).inNamespace(NS).list().getItems()) {
        if (b.getMetadata().getName().startsWith("links")) client.resource(b).delete();
      }
    }
    // deleted together: children go first, each parent follows once nothing builds on it
    awaitCondition(
        "chain deleted",
        () ->
            client.resources(Backup.class).inNamespace(NS).list().getItems().stream()
                .noneMatch(b -> b.getMetadata().getName().startsWith("links")));
  }
}
