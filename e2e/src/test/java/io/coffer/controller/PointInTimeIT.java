package io.coffer.controller;

import static io.coffer.controller.OperatorHarness.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleSpec;
import io.coffer.api.BackupSpec;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.coffer.job.JobFactory;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.Specs;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Recovery to any second through the operator: a BackupSchedule with {@code spec.pointInTime} gets
 * one archiver Deployment, which keeps running (the same pod) across an operator restart; its
 * window reaches the schedule's status and metrics; a Restore with {@code pointInTime} restores
 * that second. On the shared real control plane of {@link OperatorHarness} (the Deployment and
 * ReplicaSet controllers are real; simulated: the nodes, whose pods are local processes), with its
 * own mongo-java-server with an oplog standing in for a replica set.
 */
class PointInTimeIT {
  static MongoServer rs;
  static MongoClient db;

  @BeforeAll
  static void start() throws Exception {
    OperatorHarness.start();
    rs = new MongoServer(new MemoryBackend());
    rs.enableOplog();
    rs.bind("127.0.0.1", 0);
    db = MongoClients.create(EmbeddedServers.uri(rs));
    secret("mongo-rs", Map.of("uri", EmbeddedServers.uri(rs)));
  }

  @AfterAll
  static void stopServer() {
    db.close();
    rs.shutdownNow();
  }

  static BackupSpec template() {
    BackupSpec spec =
        Specs.backup(NS, "x")
            .mongo("mongo-rs", "uri", "erp")
            .s3(EmbeddedServers.endpoint(s3), "backups", "pitr", "s3")
            .recipients("age", "recipients")
            .build()
            .getSpec();
    spec.type = BackupSpec.Type.Database;
    spec.source.files = List.of();
    return spec;
  }

  static Instant nextSecond() throws InterruptedException {
    Instant now = Instant.now();
    Instant next = now.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
    Thread.sleep(Duration.between(now, next).toMillis() + 20);
    return next;
  }

  static List<Pod> archiverPods() {
    return client
        .pods()
        .inNamespace(NS)
        .withLabel(JobFactory.LABEL_PURPOSE, "oplog-archive")
        .list()
        .getItems()
        .stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .toList();
  }

  @Test
  void givenAScheduleWithPointInTime_thenOneArchiverRunsAcrossARestart_andARestoreReachesASecond()
      throws Exception {
    var orders = db.getDatabase("erp").getCollection("orders");
    for (int i = 0; i < 100; i++) orders.insertOne(new Document("_id", i).append("state", "new"));
    Backup base = new Backup();
    base.setMetadata(new ObjectMetaBuilder().withName("pitr-base").withNamespace(NS).build());
    base.setSpec(template());
    client.resource(base).create();
    await("pitr-base", b -> b.getStatus() != null && b.getStatus().phase == Phase.Succeeded);
    assertThat(
            client
                .resources(Backup.class)
                .inNamespace(NS)
                .withName("pitr-base")
                .get()
                .getStatus()
                .consistency)
        .isEqualTo("PointInTime");

    BackupSchedule schedule = new BackupSchedule();
    schedule.setMetadata(new ObjectMetaBuilder().withName("pitr").withNamespace(NS).build());
    BackupScheduleSpec spec = new BackupScheduleSpec();
    spec.schedule = "@yearly";
    spec.template = template();
    spec.pointInTime = new BackupScheduleSpec.PointInTimeSpec();
    spec.pointInTime.enabled = true;
    spec.pointInTime.sliceInterval = "2s";
    schedule.setSpec(spec);
    client.resource(schedule).create();
    try {
      // the archiver reports; the window opens with the first write after the backup (a replica
      // set writes a no-op every 10 s when idle; mongo-java-server does not)
      awaitCondition(
          "the archiver reports",
          () ->
              status("pitr") != null
                  && status("pitr").pointInTime != null
                  && "Running".equals(status("pitr").pointInTime.state),
          () -> client.getKubernetesSerialization().asJson(status("pitr")));
      Deployment dep =
          client.apps().deployments().inNamespace(NS).withName("pitr-oplog-archive").get();
      assertThat(dep.getSpec().getReplicas()).isEqualTo(1);
      String pod = archiverPods().get(0).getMetadata().getName();

      Instant t1 = nextSecond();
      orders.insertOne(new Document("_id", 1000).append("state", "new"));
      Instant t2 = nextSecond();
      orders.updateOne(Filters.eq("_id", 1000), Updates.set("state", "paid"));
      nextSecond();
      orders.insertOne(new Document("_id", 1001)); // ends second t2 in the archive

      // the operator restarts: the archiver keeps running, the same pod of the same Deployment
      restartOperator();
      awaitCondition(
          "the window reaches " + t2,
          () ->
              status("pitr").pointInTime.recoverableUntil != null
                  && !Instant.parse(status("pitr").pointInTime.recoverableUntil).isBefore(t2),
          () -> client.getKubernetesSerialization().asJson(status("pitr")));
      assertThat(status("pitr").pointInTime.recoverableFrom)
          .isEqualTo(
              client
                  .resources(Backup.class)
                  .inNamespace(NS)
                  .withName("pitr-base")
                  .get()
                  .getStatus()
                  .consistentAt);
      awaitCondition(
          "the window still reaches " + t2 + " after the restart",
          () ->
              status("pitr").pointInTime.recoverableUntil != null
                  && !Instant.parse(status("pitr").pointInTime.recoverableUntil).isBefore(t2),
          () -> client.getKubernetesSerialization().asJson(status("pitr")));
      assertThat(
              client
                  .apps()
                  .deployments()
                  .inNamespace(NS)
                  .withName("pitr-oplog-archive")
                  .get()
                  .getMetadata()
                  .getUid())
          .isEqualTo(dep.getMetadata().getUid());
      assertThat(archiverPods()).extracting(p -> p.getMetadata().getName()).containsExactly(pod);
      var st = client.resources(BackupSchedule.class).inNamespace(NS).withName("pitr").get();
      assertThat(Metrics.render(List.of(), List.of(), List.of(st)))
          .contains(
              "coffer_pitr_recoverable_until_timestamp_seconds{namespace=\"rayerp\",schedule=\"pitr\"}")
          .contains("coffer_pitr_archiver_up{namespace=\"rayerp\",schedule=\"pitr\"} 1.0");

      // a Restore of second t1: the insert, not yet the update
      Restore r =
          Specs.restore(NS, "pitr-t1")
              .backupName("pitr-base")
              .mode(RestoreSpec.Mode.Replace)
              .confirm()
              .identity("age-key", "identity")
              .targetMongo("mongo-rs", "uri")
              .renameDatabases(Map.of("erp", "erp_t1"))
              .build();
      r.getSpec().pointInTime = t1.toString();
      client.resource(r).create();
      Restore done = awaitRestore("pitr-t1");
      assertThat(done.getStatus().phase)
          .as(client.getKubernetesSerialization().asJson(done.getStatus()))
          .isEqualTo(Phase.Succeeded);
      assertThat(done.getStatus().consistentAt).isEqualTo(t1.toString());
      assertThat(done.getStatus().pointInTime.oplogEntries).isPositive();
      var restored = db.getDatabase("erp_t1").getCollection("orders");
      assertThat(restored.find(Filters.eq("_id", 1000)).first().getString("state"))
          .isEqualTo("new");
      assertThat(restored.countDocuments()).isEqualTo(101);

      // turned off: the Deployment goes (its pod writes its open slice as it stops)
      // (a merge patch, as kubectl patch sends it: it never conflicts with the operator's status)
      patch(BackupSchedule.class, "pitr", "{\"spec\":{\"pointInTime\":{\"enabled\":false}}}");
      awaitCondition(
          "the archiver is removed",
          () ->
              client.apps().deployments().inNamespace(NS).withName("pitr-oplog-archive").get()
                  == null);
      awaitCondition("no pointInTime status", () -> status("pitr").pointInTime == null);
    } finally {
      client.resources(BackupSchedule.class).inNamespace(NS).withName("pitr").delete();
    }
  }
}
