package io.coffer.controller;

import static io.coffer.controller.OperatorHarness.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.KeyRef;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.coffer.engine.storage.BackupIds;
import io.coffer.job.JobFactory;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.Forger;
import io.coffer.testing.ImageRuntime;
import io.coffer.testing.MongodumpFixtures;
import io.coffer.testing.NodeAgent;
import io.coffer.testing.TestStorage;
import io.coffer.testing.World;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Restores: dry run, confirmation, merge, disaster recovery from a bare bucket, target locks
 * against Backups, and forged archives. On the shared real control plane of {@link OperatorHarness}
 * (which says what is simulated: the nodes).
 */
class RestoreIT {
  @BeforeAll
  static void start() throws Exception {
    OperatorHarness.start();
  }

  @Test
  void
      givenASucceededBackup_whenRestores_areApplied_thenDryRunPlans_ReplaceNeedsConfirmation_andMergeRestoresOnce()
          throws Exception {
    client.resource(backup("for-restore", "s3")).create();
    await("for-restore", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded);
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      // dry run: a plan in status, nothing touched
      Restore dry = restore("dry", "for-restore", RestoreSpec.Mode.Replace);
      dry.getSpec().dryRun = true;
      client.resource(dry).create();
      var ds = awaitRestore("dry").getStatus();
      assertThat(ds.phase).as(ds.lastError).isEqualTo(Phase.Succeeded);
      assertThat(ds.plan)
          .anySatisfy(
              i -> {
                assertThat(i.source).isEqualTo("erp.employees");
                assertThat(i.target).isEqualTo("erp_dry.employees");
                assertThat(i.documents).isEqualTo(2000);
                assertThat(i.action).isEqualTo("create");
              });
      assertThat(ds.plan).anySatisfy(i -> assertThat(i.kind).isEqualTo("files"));
      // (mongo-java-server lists a database once it is asked about it; what matters is that nothing
      // was written)
      assertThat(c.getDatabase("erp_dry").listCollectionNames().into(new ArrayList<>())).isEmpty();
      // Replace without confirmation: the API server itself refuses it (the CRD's CEL rule), so no
      // Job can exist
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () ->
                  client
                      .resource(restore("unconfirmed", "for-restore", RestoreSpec.Mode.Replace))
                      .create())
          .isInstanceOf(io.fabric8.kubernetes.client.KubernetesClientException.class)
          .hasMessageContaining("set confirm: true")
          .satisfies(
              e ->
                  assertThat(((io.fabric8.kubernetes.client.KubernetesClientException) e).getCode())
                      .isEqualTo(422));
      assertThat(client.resources(Restore.class).inNamespace(NS).withName("unconfirmed").get())
          .isNull();
      // Merge into another database and volume
      client.resource(restore("copy", "for-restore", RestoreSpec.Mode.Merge)).create();
      Restore done = awaitRestore("copy");
      var cs = done.getStatus();
      assertThat(cs.phase).as(cs.lastError).isEqualTo(Phase.Succeeded);
      assertThat(cs.documents).isEqualTo(2001);
      assertThat(cs.files).isEqualTo(1);
      assertThat(c.getDatabase("erp_copy").getCollection("employees").countDocuments())
          .isEqualTo(2000);
      assertThat(Files.readString(restoredUploads.resolve("contract.txt"))).isEqualTo("signed");
      // one-shot: touching the finished Restore (as a re-sync would) starts nothing new
      patch(Restore.class, "copy", "{\"metadata\":{\"labels\":{\"resynced\":\"yes\"}}}");
      Thread.sleep(1500);
      assertThat(
              client
                  .batch()
                  .v1()
                  .jobs()
                  .inNamespace(NS)
                  .withLabel(JobFactory.LABEL_RESTORE, "copy")
                  .list()
                  .getItems())
          .hasSize(1);
      assertThat(
              client
                  .resources(Restore.class)
                  .inNamespace(NS)
                  .withName("copy")
                  .get()
                  .getStatus()
                  .phase)
          .isEqualTo(Phase.Succeeded);
    }
    client.resource(restore("no-such", "missing-backup", RestoreSpec.Mode.Merge)).create();
    assertThat(awaitRestore("no-such").getStatus().lastError)
        .contains("Backup missing-backup does not exist");
  }

  @Test
  void
      givenARunningRestore_whenABackupOfTheSameTargetIsApplied_thenTheBackupWaitsUntilTheRestoreEnds()
          throws Exception {
    client.resource(backup("source-of-restore", "s3")).create();
    await(
        "source-of-restore", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded);
    kubelet.hold();
    try {
      Restore r = restore("in-place", "source-of-restore", RestoreSpec.Mode.Merge);
      r.getSpec().target = null; // in place: the Backup's own database and volume
      client.resource(r).create();
      awaitCondition(
          "restore job",
          () ->
              client.resources(Restore.class).inNamespace(NS).withName("in-place").get().getStatus()
                      != null
                  && client
                          .resources(Restore.class)
                          .inNamespace(NS)
                          .withName("in-place")
                          .get()
                          .getStatus()
                          .jobName
                      != null);
      client.resource(backup("during-restore", "s3")).create();
      Backup waiting =
          await(
              "during-restore",
              x ->
                  x.getStatus() != null
                      && x.getStatus().conditions.stream()
                          .anyMatch(
                              c ->
                                  c.getMessage() != null
                                      && c.getMessage().contains("waiting for Restore in-place")));
      assertThat(waiting.getStatus().jobName).isNull();
      // a second restore of the same target waits too
      Restore second = restore("in-place-2", "source-of-restore", RestoreSpec.Mode.Merge);
      second.getSpec().target = null;
      client.resource(second).create();
      awaitCondition(
          "second restore waits",
          () -> {
            var st =
                client
                    .resources(Restore.class)
                    .inNamespace(NS)
                    .withName("in-place-2")
                    .get()
                    .getStatus();
            return st != null && st.waitingFor != null && st.waitingFor.contains("in-place");
          });
    } finally {
      kubelet.release();
    }
    assertThat(awaitRestore("in-place").getStatus().phase).isEqualTo(Phase.Succeeded);
    Backup after = await("during-restore", x -> x.getStatus().phase == Phase.Succeeded);
    assertThat(after.getStatus().attempts).isEqualTo(1);
    assertThat(awaitRestore("in-place-2").getStatus().phase).isEqualTo(Phase.Succeeded);
  }

  @Test
  void
      givenOnlyABucket_whenADisasterRecoveryRestoreNamesTheBackupId_thenItRestoresWithoutAnyBackupResource()
          throws Exception {
    client.resource(backup("dr-source", "s3")).create();
    String id =
        await("dr-source", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded)
            .getStatus()
            .backupId;
    Restore r = new Restore();
    r.setMetadata(new ObjectMetaBuilder().withName("dr").withNamespace(NS).build());
    RestoreSpec s = new RestoreSpec();
    s.source = new RestoreSpec.Source();
    s.source.storage = backup("unused", "s3").getSpec().storage;
    s.source.backupId = id;
    s.mode = RestoreSpec.Mode.Replace;
    s.confirm = true;
    s.include = List.of("erp.invoices");
    s.decryption = new RestoreSpec.Decryption();
    s.decryption.identity = new KeyRef("age-key", "identity");
    s.target = new RestoreSpec.Target();
    s.target.mongodb = new RestoreSpec.TargetMongo();
    s.target.mongodb.uriSecret = new KeyRef("mongo", "uri");
    s.target.mongodb.renameDatabases = Map.of("erp", "erp_dr");
    r.setSpec(s);
    client.resource(r).create();
    Restore done = awaitRestore("dr");
    assertThat(done.getStatus().phase).as(done.getStatus().lastError).isEqualTo(Phase.Succeeded);
    assertThat(done.getStatus().backupId)
        .as(client.getKubernetesSerialization().asJson(done.getStatus()))
        .isEqualTo(id);
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      assertThat(c.getDatabase("erp_dr").listCollectionNames().into(new ArrayList<>()))
          .containsExactly("invoices");
    }

    // the bucket gone too: a copy of the archive kept on a volume is enough (source.archive)
    Path offline =
        Files.createDirectories(Files.createTempDirectory("coffer-offline").resolve("2026-11"));
    cluster.claim(NS, "offline-copies", offline.getParent());
    try (var storage = bucket();
        var in = storage.open(BackupIds.key(id, "archive.zip.age"))) {
      Files.copy(in, offline.resolve("dr-source.zip.age"));
    }
    Restore fromFile = new Restore();
    fromFile.setMetadata(new ObjectMetaBuilder().withName("from-file").withNamespace(NS).build());
    RestoreSpec fs = new RestoreSpec();
    fs.source = new RestoreSpec.Source();
    fs.source.archive = new RestoreSpec.ArchiveFile();
    fs.source.archive.claimName = "offline-copies";
    fs.source.archive.path = "2026-11/dr-source.zip.age";
    fs.decryption = s.decryption;
    fs.include = List.of("erp.*"); // the documents; the uploads tree has no target here
    fs.target = new RestoreSpec.Target();
    fs.target.mongodb = new RestoreSpec.TargetMongo();
    fs.target.mongodb.uriSecret = new KeyRef("mongo", "uri");
    fs.target.mongodb.renameDatabases = Map.of("erp", "erp_from_file");
    fromFile.setSpec(fs);
    client.resource(fromFile).create();
    Restore fileDone = awaitRestore("from-file");
    assertThat(fileDone.getStatus().phase)
        .as(fileDone.getStatus().lastError)
        .isEqualTo(Phase.Succeeded);
    assertThat(fileDone.getStatus().backupId).as("named by the archive itself").isEqualTo(id);
    assertThat(fileDone.getStatus().documents).isEqualTo(2001);
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      assertThat(c.getDatabase("erp_from_file").getCollection("employees").countDocuments())
          .isEqualTo(2000);
    }
  }

  /**
   * The seed's restore by upload, as the console (or curl) does it: a Restore with source.upload
   * answers with a presigned PUT URL (a Job with the storage's credentials signs it); the file is
   * PUT there without credentials and announced with the annotation coffer.io/uploaded; the preview
   * runs on the staged file; a second Restore takes the same file (fromRestore) and restores it for
   * real; when it ends the staged file is removed from the bucket, and a third Restore of it is
   * refused with a reason. Simulated: the nodes (Job pods run as local processes), S3 (S3Proxy).
   */
  @Test
  void givenAnUploadedArchive_whenPreviewedThenRestored_thenItComesBackAndTheStagedFileIsRemoved()
      throws Exception {
    client.resource(backup("up-source", "s3")).create();
    String id =
        await("up-source", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded)
            .getStatus()
            .backupId;
    byte[] archive;
    try (var storage = bucket();
        var in = storage.open(BackupIds.key(id, "archive.zip.age"))) {
      archive = in.readAllBytes();
    }

    Restore preview = uploadRestore("upload-preview", true);
    preview.getSpec().source.upload.fileName = "rayerp-upload.zip.age";
    client.resource(preview).create();
    Restore waiting = awaitUploadUrl("upload-preview");
    assertThat(waiting.getStatus().phase).isEqualTo(Phase.Pending);
    assertThat(waiting.getStatus().waitingFor).contains("PUT the file to status.upload.url");
    assertThat(waiting.getStatus().upload.path).startsWith(".coffer-uploads/").endsWith(".zip.age");
    assertThat(client.getKubernetesSerialization().asJson(waiting.getStatus()))
        .doesNotContain(EmbeddedServers.SECRET_KEY);
    put(waiting.getStatus().upload.url, archive);
    patch(
        Restore.class,
        "upload-preview",
        "{\"metadata\":{\"annotations\":{\"coffer.io/uploaded\":\"sha256:"
            + sha256(archive)
            + "\"}}}");
    Restore planned = awaitRestore("upload-preview");
    assertThat(planned.getStatus().phase)
        .as(planned.getStatus().lastError)
        .isEqualTo(Phase.Succeeded);
    assertThat(planned.getStatus().backupId).as("named by the archive").isEqualTo(id);
    assertThat(planned.getStatus().plan).isNotEmpty();
    assertThat(planned.getStatus().upload.url).as("spent once announced").isNull();
    assertThat(planned.getStatus().upload.keepUntil).isNotNull();
    assertThat(planned.getStatus().upload.removed).as("kept for the restore that follows").isNull();
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      assertThat(c.getDatabase("erp_uploaded").listCollectionNames().into(new ArrayList<>()))
          .as("a preview writes nothing")
          .isEmpty();
    }

    Restore real = uploadRestore("upload-restore", false);
    real.getSpec().source.upload.fromRestore = "upload-preview";
    client.resource(real).create();
    Restore restored = awaitRestore("upload-restore");
    assertThat(restored.getStatus().phase)
        .as(restored.getStatus().lastError)
        .isEqualTo(Phase.Succeeded);
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      assertThat(c.getDatabase("erp_uploaded").getCollection("employees").countDocuments())
          .isEqualTo(2000);
    }
    // the preview's Restore uploaded it, so it removes it, once the restore that used it ended
    Restore cleaned = awaitRemoved("upload-preview");
    assertThat(cleaned.getStatus().upload.message).isNull();
    try (var storage = bucket()) {
      assertThat(storage.exists(cleaned.getStatus().upload.path)).isFalse();
    }

    Restore again = uploadRestore("upload-again", false);
    again.getSpec().source.upload.fromRestore = "upload-preview";
    client.resource(again).create();
    Restore refused = awaitRestore("upload-again");
    assertThat(refused.getStatus().phase).isEqualTo(Phase.Failed);
    assertThat(refused.getStatus().lastError)
        .contains(
            "spec.source.upload.fromRestore: the file Restore upload-preview uploaded was removed");
    assertThat(refused.getStatus().jobName).as("refused before any Job").isNull();
    for (String name : List.of("upload-preview", "upload-restore", "upload-again"))
      client.resources(Restore.class).inNamespace(NS).withName(name).delete();
  }

  /**
   * A Restore of a file uploaded to the team's bucket into erp_uploaded, erp's collections only.
   */
  static Restore uploadRestore(String name, boolean dryRun) {
    Restore r = new Restore();
    r.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
    RestoreSpec s = new RestoreSpec();
    s.source = new RestoreSpec.Source();
    s.source.storage = backup("unused", "s3").getSpec().storage;
    s.source.upload = new RestoreSpec.Upload();
    s.dryRun = dryRun ? Boolean.TRUE : null;
    s.include = List.of("erp.*");
    s.decryption = new RestoreSpec.Decryption();
    s.decryption.identity = new KeyRef("age-key", "identity");
    s.target = new RestoreSpec.Target();
    s.target.mongodb = new RestoreSpec.TargetMongo();
    s.target.mongodb.uriSecret = new KeyRef("mongo", "uri");
    s.target.mongodb.renameDatabases = Map.of("erp", "erp_uploaded");
    r.setSpec(s);
    return r;
  }

  static Restore awaitUploadUrl(String name) throws InterruptedException {
    return awaitRestore(
        name,
        r ->
            r.getStatus() != null
                && r.getStatus().upload != null
                && r.getStatus().upload.url != null);
  }

  static Restore awaitRemoved(String name) throws InterruptedException {
    return awaitRestore(
        name,
        r ->
            r.getStatus() != null
                && r.getStatus().upload != null
                && (Boolean.TRUE.equals(r.getStatus().upload.removed)
                    || r.getStatus().upload.message != null));
  }

  /**
   * A team's mongodump cron uploaded gzipped archives to the bucket before Coffer: a Restore names
   * one by its path (source.mongodump), and its collections come back as from a backup. Simulated:
   * the nodes, and the dump (written to mongodump's format by MongodumpFixtures; no real mongodump
   * can be built here).
   */
  @Test
  void givenAMongodumpArchiveInTheBucket_whenARestoreNamesIt_thenItsCollectionsAreRestored()
      throws Exception {
    List<org.bson.RawBsonDocument> staff = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      staff.add(
          new org.bson.RawBsonDocument(
              MongodumpFixtures.bson(
                  new org.bson.BsonDocument("_id", new org.bson.BsonInt32(i))
                      .append("name", new org.bson.BsonString("Staff " + i)))));
    }
    byte[] archive =
        MongodumpFixtures.archive(
            List.of(new MongodumpFixtures.Coll("legacy", "staff", staff)), null, 100, 1, true);
    try (var storage = bucket();
        var out = storage.create("cron/2026-11-30.archive.gz")) {
      out.write(archive);
    }
    Restore r = new Restore();
    r.setMetadata(new ObjectMetaBuilder().withName("from-mongodump").withNamespace(NS).build());
    RestoreSpec s = new RestoreSpec();
    s.source = new RestoreSpec.Source();
    s.source.storage = backup("unused", "s3").getSpec().storage;
    s.source.mongodump = "cron/2026-11-30.archive.gz";
    s.target = new RestoreSpec.Target();
    s.target.mongodb = new RestoreSpec.TargetMongo();
    s.target.mongodb.uriSecret = new KeyRef("mongo", "uri");
    s.target.mongodb.renameDatabases = Map.of("legacy", "legacy_k8s");
    r.setSpec(s);
    client.resource(r).create();
    Restore done = awaitRestore("from-mongodump");
    assertThat(done.getStatus().phase).as(done.getStatus().lastError).isEqualTo(Phase.Succeeded);
    assertThat(done.getStatus().documents).isEqualTo(250);
    assertThat(done.getStatus().backupId).isEqualTo("mongodump cron/2026-11-30.archive.gz");
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      assertThat(c.getDatabase("legacy_k8s").getCollection("staff").countDocuments())
          .isEqualTo(250);
    }
    // a mongodump is not encrypted: the API server refuses a decryption key for one, before any Job
    Restore keyed = new Restore();
    keyed.setMetadata(
        new ObjectMetaBuilder().withName("from-mongodump-keyed").withNamespace(NS).build());
    RestoreSpec k = client.getKubernetesSerialization().clone(s);
    k.decryption = new RestoreSpec.Decryption();
    k.decryption.identity = new KeyRef("age-key", "identity");
    keyed.setSpec(k);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.resource(keyed).create())
        .isInstanceOf(io.fabric8.kubernetes.client.KubernetesClientException.class)
        .hasMessageContaining("a mongodump (source.mongodump) is not encrypted");

    // the same dump uploaded (the console's Restore screen, or curl): staged, restored, removed
    Restore uploaded = new Restore();
    uploaded.setMetadata(
        new ObjectMetaBuilder().withName("from-mongodump-upload").withNamespace(NS).build());
    RestoreSpec u = client.getKubernetesSerialization().clone(s);
    u.source.mongodump = null;
    u.source.upload = new RestoreSpec.Upload();
    u.source.upload.fileName = "cron-2026-11-30.archive.gz";
    u.target.mongodb.renameDatabases = Map.of("legacy", "legacy_uploaded");
    uploaded.setSpec(u);
    client.resource(uploaded).create();
    put(awaitUploadUrl("from-mongodump-upload").getStatus().upload.url, archive);
    patch(
        Restore.class,
        "from-mongodump-upload",
        "{\"metadata\":{\"annotations\":{\"coffer.io/uploaded\":\"sha256:"
            + sha256(archive)
            + "\"}}}");
    Restore restored = awaitRestore("from-mongodump-upload");
    assertThat(restored.getStatus().phase)
        .as(restored.getStatus().lastError)
        .isEqualTo(Phase.Succeeded);
    assertThat(restored.getStatus().documents).isEqualTo(250);
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      assertThat(c.getDatabase("legacy_uploaded").getCollection("staff").countDocuments())
          .isEqualTo(250);
    }
    assertThat(awaitRemoved("from-mongodump-upload").getStatus().upload.removed).isTrue();
  }

  static String sha256(byte[] b) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
  }

  /** PUTs {@code body} to a presigned URL, as curl -T does: no credentials. */
  static void put(String url, byte[] body) throws Exception {
    var put =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                    .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
  }

  /**
   * A backup forged into the bucket by whoever can write there (checksums rewritten to match): a
   * link out of the target, then a file "under" it. The Restore ends Failed with the engine's
   * reason, and nothing outside the target volume is written. Simulated: the nodes (a local process
   * per pod).
   */
  @Test
  void
      givenAForgedBackupInTheBucket_whenARestoreNamesIt_thenItFailsWithTheReason_andNothingOutsideTheTargetVolumeChanges()
          throws Exception {
    Path sandbox = Files.createTempDirectory("coffer-forged");
    Path volume = Files.createDirectories(sandbox.resolve("volume"));
    Files.writeString(volume.resolve("keep.txt"), "the volume's own file");
    Path outside = Files.createDirectories(sandbox.resolve("outside"));
    Files.writeString(outside.resolve("secret.txt"), "must never change");
    cluster.claim(NS, "forged-target", volume);
    Path local =
        new Forger("forged-1")
            .directory("up", "")
            .symlink("up", "evil", outside.toString())
            .file("up", "evil/pwned.txt", "owned")
            .writeTo(Files.createTempDirectory("coffer-forger"));
    var storage = TestStorage.s3(s3, "backups", "rayerp");
    try (var files = Files.list(local)) {
      for (Path f : files.toList()) {
        var out = storage.create("forged-1/" + f.getFileName());
        out.write(Files.readAllBytes(f));
        out.close();
      }
    }
    // the node gives the volume to the pod's fsGroup before the engine starts (a kubelet's doing,
    // not the restore's):
    // the snapshot is of the volume as the engine finds it
    if (ImageRuntime.shared() != null) NodeAgent.ownership(volume, 65532, false);
    Map<String, String> before = World.snapshot(sandbox);
    Restore r = new Restore();
    r.setMetadata(new ObjectMetaBuilder().withName("forged").withNamespace(NS).build());
    RestoreSpec s = new RestoreSpec();
    s.source = new RestoreSpec.Source();
    s.source.storage = backup("unused", "s3").getSpec().storage;
    s.source.backupId = "forged-1";
    s.mode = RestoreSpec.Mode.Merge;
    s.target = new RestoreSpec.Target();
    BackupSpec.FileVolume v = new BackupSpec.FileVolume();
    v.name = "up";
    v.claimName = "forged-target";
    s.target.files = List.of(v);
    r.setSpec(s);
    client.resource(r).create();
    Restore done = awaitRestore("forged");
    assertThat(done.getStatus().phase).isEqualTo(Phase.Failed);
    assertThat(done.getStatus().lastError).contains("under a file or a link").contains("forged-1");
    assertThat(World.snapshot(sandbox)).isEqualTo(before);
  }
}
