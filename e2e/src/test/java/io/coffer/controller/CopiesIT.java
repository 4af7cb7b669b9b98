package io.coffer.controller;

import static io.coffer.controller.OperatorHarness.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.BackupStatus;
import io.coffer.api.KeyRef;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.TestStorage;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The 3-2-1 rule through the resources: a Backup with copies to a second bucket and to a volume, on
 * the shared real control plane of {@link OperatorHarness} (which says what is simulated: the
 * nodes). Simulated besides: both buckets are on one S3Proxy (one endpoint, one credential), and
 * the volume is a local directory the node agent mounts.
 */
class CopiesIT {
  @BeforeAll
  static void start() throws Exception {
    OperatorHarness.start();
  }

  @Test
  void
      givenABackupWithTwoCopies_thenBothAreVerified_theOriginalLostARestoreFromACopyWorks_andDeletingTheBackupDeletesTheCopies()
          throws Exception {
    EmbeddedServers.makeBucket(s3, "offsite");
    Path disk = Files.createTempDirectory("coffer-copies");
    cluster.claim(NS, "backup-disk", disk);
    Backup b = backup("copied", "s3");
    BackupSpec.CopySpec offsite = new BackupSpec.CopySpec();
    offsite.name = "offsite";
    offsite.storage.s3 = new BackupSpec.S3();
    offsite.storage.s3.endpoint = EmbeddedServers.endpoint(s3);
    offsite.storage.s3.bucket = "offsite";
    offsite.storage.s3.prefix = "rayerp";
    offsite.storage.s3.credentialsSecret = "s3";
    BackupSpec.CopySpec local = new BackupSpec.CopySpec();
    local.name = "local";
    local.storage.volume = new BackupSpec.VolumeStorage();
    local.storage.volume.claimName = "backup-disk";
    local.storage.volume.path = "copies";
    b.getSpec().copies = List.of(offsite, local);
    client.resource(b).create();
    Backup done =
        await(
            "copied",
            x ->
                x.getStatus() != null
                    && x.getStatus().copies != null
                    && x.getStatus().copies.size() == 2
                    && x.getStatus().copies.stream()
                        .allMatch(c -> "Verified".equals(c.phase) || "Failed".equals(c.phase)));
    String id = done.getStatus().backupId;
    for (BackupStatus.Copy c : done.getStatus().copies) {
      assertThat(c.phase).as(c.name + ": " + c.message).isEqualTo("Verified");
      assertThat(c.verified).isTrue();
      assertThat(c.objects).isGreaterThanOrEqualTo(4);
      assertThat(c.bytes).isGreaterThan(done.getStatus().storedBytes);
      assertThat(c.time).isNotNull();
    }
    assertThat(done.getStatus().copies.get(0).location).startsWith("s3://offsite/rayerp");
    assertThat(client.v1().events().inNamespace(NS).list().getItems())
        .filteredOn(e -> e.getInvolvedObject().getName().equals("copied"))
        .extracting(e -> e.getReason())
        .contains("Copying", "Copied");
    assertThat(Files.exists(disk.resolve("copies").resolve(id).resolve("backup.json"))).isTrue();

    // the original bucket loses the backup: the copy restores it
    try (var original = TestStorage.s3(s3, "backups", "rayerp")) {
      for (String k : original.list(id)) original.delete(k);
      original.delete(id + "/backup.json");
    }
    Restore r = new Restore();
    r.setMetadata(new ObjectMetaBuilder().withName("from-copy").withNamespace(NS).build());
    RestoreSpec s = new RestoreSpec();
    s.source = new RestoreSpec.Source();
    s.source.storage = offsite.storage;
    s.source.backupId = id;
    s.mode = RestoreSpec.Mode.Replace;
    s.confirm = true;
    s.include = List.of("erp.*");
    s.decryption = new RestoreSpec.Decryption();
    s.decryption.identity = new KeyRef("age-key", "identity");
    s.target = new RestoreSpec.Target();
    s.target.mongodb = new RestoreSpec.TargetMongo();
    s.target.mongodb.uriSecret = new KeyRef("mongo", "uri");
    s.target.mongodb.renameDatabases = Map.of("erp", "erp_from_copy");
    r.setSpec(s);
    client.resource(r).create();
    Restore restored = awaitRestore("from-copy");
    assertThat(restored.getStatus().phase)
        .as(restored.getStatus().lastError)
        .isEqualTo(Phase.Succeeded);
    assertThat(restored.getStatus().documents).isEqualTo(done.getStatus().contents.documents);
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      List<String> source = c.getDatabase("erp").listCollectionNames().into(new ArrayList<>());
      assertThat(c.getDatabase("erp_from_copy").listCollectionNames().into(new ArrayList<>()))
          .containsExactlyInAnyOrderElementsOf(source);
      for (String coll : source) // identical, document for document
      assertThat(
                c.getDatabase("erp_from_copy")
                    .getCollection(coll)
                    .find()
                    .sort(new org.bson.Document("_id", 1))
                    .into(new ArrayList<>()))
            .as(coll)
            .isEqualTo(
                c.getDatabase("erp")
                    .getCollection(coll)
                    .find()
                    .sort(new org.bson.Document("_id", 1))
                    .into(new ArrayList<>()));
    }

    // deleting the Backup deletes what it stored, copies included
    client.resource(done).delete();
    awaitCondition(
        "the Backup is gone",
        () -> client.resources(Backup.class).inNamespace(NS).withName("copied").get() == null,
        () -> {
          Backup left = client.resources(Backup.class).inNamespace(NS).withName("copied").get();
          return left == null
              ? "gone"
              : client.getKubernetesSerialization().asJson(left.getStatus())
                  + " events: "
                  + client.v1().events().inNamespace(NS).list().getItems().stream()
                      .filter(e -> e.getInvolvedObject().getName().equals("copied"))
                      .map(e -> e.getReason() + ": " + e.getMessage())
                      .toList();
        });
    try (var copy = TestStorage.s3(s3, "offsite", "rayerp")) {
      assertThat(copy.list(id)).isEmpty();
    }
    assertThat(Files.exists(disk.resolve("copies").resolve(id).resolve("backup.json"))).isFalse();
  }
}
