package io.coffer.controller;

import static io.coffer.controller.OperatorHarness.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.KeyRef;
import io.coffer.api.Phase;
import io.coffer.job.JobFactory;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.TestStorage;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Backup from creation to deletion: the Job, the status, events, progress, verification, the ttl,
 * placement, and what deleting it does to its stored objects. On the shared real control plane of
 * {@link OperatorHarness} (which says what is simulated: the nodes).
 */
class BackupLifecycleIT {
  @BeforeAll
  static void start() throws Exception {
    OperatorHarness.start();
  }

  @Test
  void givenAFullEncryptedBackup_whenApplied_thenAJobRunsTheEngineAndTheStatusSaysWhatWasStored()
      throws Exception {
    client.resource(backup("nightly", "s3")).create();
    Backup b =
        await(
            "nightly",
            x ->
                x.getStatus() != null
                    && x.getStatus().phase != null
                    && x.getStatus().phase.terminal());
    var s = b.getStatus();
    assertThat(s.phase).as(s.lastError).isEqualTo(Phase.Succeeded);
    assertThat(s.attempts).isEqualTo(1);
    assertThat(s.contents.documents).isEqualTo(2001);
    assertThat(s.contents.files).isEqualTo(1);
    assertThat(s.storedBytes).isPositive();
    assertThat(s.size).endsWith("KiB");
    assertThat(s.sha256).hasSize(64);
    assertThat(s.recipients).containsExactly(identity.recipient().encoded());
    assertThat(s.location)
        .startsWith("s3://backups/rayerp/" + s.backupId + "/archive.zip.age (at http://127.0.0.1:");
    assertThat(s.progress.percent).isEqualTo(100.0);
    assertThat(s.progress.documents).isEqualTo(2001);
    assertThat(s.logTail)
        .isNotEmpty()
        .hasSizeLessThanOrEqualTo(20)
        .anyMatch(l -> l.contains("completed in"));
    assertThat(s.conditions)
        .anySatisfy(
            c -> {
              assertThat(c.getType()).isEqualTo("Ready");
              assertThat(c.getStatus()).isEqualTo("True");
              assertThat(c.getObservedGeneration()).isEqualTo(b.getMetadata().getGeneration());
            });
    // the stored backup is complete: its descriptor exists
    var storage = TestStorage.s3(s3, "backups", "rayerp");
    assertThat(storage.exists(s.backupId + "/backup.json")).isTrue();
    // the Job: restricted pod security, no token, secrets by reference only
    Job job = client.batch().v1().jobs().inNamespace(NS).withName(s.jobName).get();
    var pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    var sc = pod.getContainers().get(0).getSecurityContext();
    assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
    assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
    assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(sc.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(job.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(o -> assertThat(o.getName()).isEqualTo("nightly"));
    assertThat(client.getKubernetesSerialization().asJson(job))
        .doesNotContain(EmbeddedServers.SECRET_KEY)
        .doesNotContain("mongodb://");
  }

  @Test
  void
      givenASucceededBackup_whenDeleted_thenItsStoredObjectsGoFirst_andAFailedDeletionKeepsItAndRetries()
          throws Exception {
    secret(
        "s3-temp",
        Map.of(
            "AWS_ACCESS_KEY_ID",
            EmbeddedServers.ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY",
            EmbeddedServers.SECRET_KEY));
    client.resource(backup("to-delete", "s3-temp")).create();
    Backup b =
        await("to-delete", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded);
    assertThat(b.getMetadata().getFinalizers()).isNotEmpty();
    // the phase and the type are selectable fields of the CRD: the API server filters, the operator
    // writes no labels
    assertThat(
            client
                .resources(Backup.class)
                .inNamespace(NS)
                .withField("status.phase", "Succeeded")
                .withField("spec.type", "Full")
                .list()
                .getItems())
        .extracting(x -> x.getMetadata().getName())
        .contains("to-delete");
    assertThat(
            client
                .resources(Backup.class)
                .inNamespace(NS)
                .withField("status.phase", "Failed")
                .list()
                .getItems())
        .extracting(x -> x.getMetadata().getName())
        .doesNotContain("to-delete");
    var storage = TestStorage.s3(s3, "backups", "rayerp");
    String id = b.getStatus().backupId;
    assertThat(storage.list(id)).isNotEmpty();
    // the credentials disappear: deletion fails, is reported, and the Backup stays
    client.secrets().inNamespace(NS).withName("s3-temp").delete();
    client.resource(b).delete();
    await(
        "to-delete",
        x ->
            x.getStatus().lastError != null
                && x.getStatus().lastError.startsWith("deleting the stored backup failed"));
    assertThat(client.v1().events().inNamespace(NS).list().getItems())
        .anySatisfy(
            e -> {
              assertThat(e.getReason()).isEqualTo("DeleteFailed");
              assertThat(e.getType()).isEqualTo("Warning");
              assertThat(e.getInvolvedObject().getName()).isEqualTo("to-delete");
            });
    assertThat(storage.list(id)).isNotEmpty();
    // they come back: the next attempt deletes the objects, then the Backup goes
    secret(
        "s3-temp",
        Map.of(
            "AWS_ACCESS_KEY_ID",
            EmbeddedServers.ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY",
            EmbeddedServers.SECRET_KEY));
    long deadline = System.currentTimeMillis() + 60_000;
    while (client.resources(Backup.class).inNamespace(NS).withName("to-delete").get() != null
        && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
    }
    assertThat(client.resources(Backup.class).inNamespace(NS).withName("to-delete").get()).isNull();
    assertThat(storage.list(id)).isEmpty();
    assertThat(client.v1().events().inNamespace(NS).list().getItems())
        .extracting(e -> e.getReason())
        .contains("JobCreated", "Succeeded", "Deleting", "DeleteFailed", "Deleted");
  }

  @Test
  void
      givenARunningBackup_whenWatched_thenProgressIsRefreshedLive_andDeletingItStopsTheEngineAndLeavesNothingStored()
          throws Exception {
    client.resource(slowBackup("slow", 3)).create();
    Backup first =
        await(
            "slow",
            x ->
                x.getStatus() != null
                    && x.getStatus().phase == Phase.Running
                    && x.getStatus().progress != null
                    && x.getStatus().progress.bytes != null
                    && x.getStatus().progress.bytes > 0);
    assertThat(first.getStatus().progress.percent).isGreaterThanOrEqualTo(0.0).isLessThan(100.0);
    assertThat(first.getStatus().progress.item).isNotBlank();
    long bytes = first.getStatus().progress.bytes;
    Backup later = await("slow", x -> x.getStatus().progress.bytes > bytes);
    assertThat(later.getStatus().phase).isEqualTo(Phase.Running);
    assertThat(later.getStatus().progress.percent).isLessThan(100.0);
    String id = later.getStatus().backupId;
    String job = later.getStatus().jobName;
    // deleted while it runs: the Job goes (its container is stopped), then the delete Job clears
    // the storage
    client.resource(later).delete();
    awaitCondition(
        "deletion",
        () -> client.resources(Backup.class).inNamespace(NS).withName("slow").get() == null);
    assertThat(kubelet.killed()).anyMatch(pod -> pod.startsWith(job + "-"));
    assertThat(TestStorage.s3(s3, "backups", "rayerp").list(id)).isEmpty();
  }

  @Test
  void givenATtl_whenItExpires_thenTheBackupAndItsStoredObjectsAreDeleted() throws Exception {
    Backup b = backup("short-lived", "s3");
    b.getSpec().ttl = "90m";
    client.resource(b).create();
    Backup done =
        await("short-lived", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded);
    var storage = TestStorage.s3(s3, "backups", "rayerp");
    assertThat(storage.list(done.getStatus().backupId)).isNotEmpty();
    Thread.sleep(1000);
    assertThat(client.resources(Backup.class).inNamespace(NS).withName("short-lived").get())
        .as("not yet expired")
        .isNotNull();
    clock.advance(Duration.ofHours(2));
    try {
      awaitCondition(
          "expiry",
          () ->
              client.resources(Backup.class).inNamespace(NS).withName("short-lived").get() == null);
    } finally {
      clock.advance(Duration.ofHours(-2));
    }
    assertThat(storage.list(done.getStatus().backupId)).isEmpty();
  }

  @Test
  void
      givenASucceededBackup_whenVerificationIsRequested_thenChecksumAndDeepChecksRun_andDamageIsReported()
          throws Exception {
    Backup b = backup("verified", "s3");
    b.getSpec().verification = new BackupSpec.VerificationSpec();
    b.getSpec().verification.identity = new KeyRef("age-key", "identity");
    client.resource(b).create();
    Backup done =
        await("verified", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded);
    // public-key mode: the backup Job holds no private key, though the Backup names one for deep
    // verification
    Job backupJob =
        client.batch().v1().jobs().inNamespace(NS).withName(done.getStatus().jobName).get();
    assertThat(client.getKubernetesSerialization().asJson(backupJob))
        .doesNotContain("\"age-key\"")
        .doesNotContain("AGE-SECRET-KEY");
    annotate("verified", "2026-11-26T10:00");
    Backup v1 =
        await(
            "verified",
            x ->
                x.getStatus().verification != null
                    && "2026-11-26T10:00".equals(x.getStatus().verification.requested)
                    && !"Running".equals(x.getStatus().verification.result));
    assertThat(v1.getStatus().verification.result)
        .as(v1.getStatus().verification.message)
        .isEqualTo("Verified");
    assertThat(v1.getStatus().verification.deep).isFalse();
    annotate("verified", "deep");
    Backup v2 =
        await(
            "verified",
            x ->
                "deep".equals(x.getStatus().verification.requested)
                    && !"Running".equals(x.getStatus().verification.result));
    assertThat(v2.getStatus().verification.result)
        .as(v2.getStatus().verification.message)
        .isEqualTo("Verified");
    assertThat(v2.getStatus().verification.message).contains("2001 documents verified");
    // damage the stored archive: the next verification fails and says why
    var minio =
        io.minio.MinioClient.builder()
            .endpoint(EmbeddedServers.endpoint(s3))
            .credentials(EmbeddedServers.ACCESS_KEY, EmbeddedServers.SECRET_KEY)
            .build();
    byte[] junk = "not the archive".getBytes();
    minio.putObject(
        io.minio.PutObjectArgs.builder()
            .bucket("backups")
            .object("rayerp/" + done.getStatus().backupId + "/archive.zip.age")
            .stream(new ByteArrayInputStream(junk), junk.length, -1)
            .build());
    annotate("verified", "after-damage");
    Backup v3 =
        await(
            "verified",
            x ->
                "after-damage".equals(x.getStatus().verification.requested)
                    && !"Running".equals(x.getStatus().verification.result));
    assertThat(v3.getStatus().verification.result).isEqualTo("Failed");
    assertThat(v3.getStatus().verification.message).contains("does not match its checksum");
    assertThat(v3.getStatus().phase).isEqualTo(Phase.Succeeded);
  }

  /**
   * Backup pods run where the data is. The application's pod on node-b holds a ReadWriteOnce volume
   * (a second node could not attach it: the node agent refuses with the kubelet's Multi-Attach
   * error): the backup's pod is required onto node-b. A local volume that only node-a has: the
   * scheduler follows its node affinity to node-a. Simulated: the nodes (local processes;
   * "attaching" is the node agent's check).
   */
  @Test
  void givenVolumesBoundToOneNode_whenBackedUp_thenTheEnginesPodRunsOnThatNode() throws Exception {
    Path work = Files.createTempDirectory("coffer-placement");
    Files.writeString(
        Files.createDirectories(work.resolve("app")).resolve("invoice.pdf"), "scanned");
    cluster.claim(NS, "appdata", work.resolve("app"));
    client
        .pods()
        .inNamespace(NS)
        .resource(
            new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata()
                .withName("rayerp-app")
                .withNamespace(NS)
                .endMetadata()
                .withNewSpec()
                .withNodeName("node-b")
                .withAutomountServiceAccountToken(false)
                .withNewSecurityContext()
                .withRunAsNonRoot(true)
                .withRunAsUser(1000L)
                .withNewSeccompProfile()
                .withType("RuntimeDefault")
                .endSeccompProfile()
                .endSecurityContext()
                .addNewContainer()
                .withName("app")
                .withImage("rayerp/app:1")
                .withNewSecurityContext()
                .withAllowPrivilegeEscalation(false)
                .withNewCapabilities()
                .withDrop("ALL")
                .endCapabilities()
                .endSecurityContext()
                .addNewVolumeMount()
                .withName("data")
                .withMountPath("/data")
                .endVolumeMount()
                .endContainer()
                .addNewVolume()
                .withName("data")
                .withNewPersistentVolumeClaim()
                .withClaimName("appdata")
                .endPersistentVolumeClaim()
                .endVolume()
                .endSpec()
                .build())
        .create();
    client
        .pods()
        .inNamespace(NS)
        .withName("rayerp-app")
        .waitUntilCondition(
            p -> p != null && p.getStatus() != null && "Running".equals(p.getStatus().getPhase()),
            60,
            TimeUnit.SECONDS);
    Files.writeString(
        Files.createDirectories(work.resolve("local")).resolve("ledger.csv"), "1,2,3");
    cluster.claim(NS, "local-data", work.resolve("local"), "node-a");
    try {
      for (String[] c :
          List.of(new String[] {"appdata", "node-b"}, new String[] {"local-data", "node-a"})) {
        Backup b = backup("placed-" + c[0], "s3");
        b.getSpec().type = BackupSpec.Type.Files;
        b.getSpec().source.mongodb = null;
        b.getSpec().source.files.get(0).name = "data";
        b.getSpec().source.files.get(0).claimName = c[0];
        client.resource(b).create();
        Backup done =
            await(
                "placed-" + c[0],
                x ->
                    x.getStatus() != null
                        && x.getStatus().phase != null
                        && x.getStatus().phase.terminal());
        assertThat(done.getStatus().phase)
            .as(done.getStatus().lastError)
            .isEqualTo(Phase.Succeeded);
        assertThat(done.getStatus().contents.files).isEqualTo(1);
        var pods =
            client
                .pods()
                .inNamespace(NS)
                .withLabel("job-name", done.getStatus().jobName)
                .list()
                .getItems();
        assertThat(pods).extracting(p -> p.getSpec().getNodeName()).as(c[0]).containsOnly(c[1]);
      }
    } finally {
      client.pods().inNamespace(NS).withName("rayerp-app").delete();
    }
  }

  @Test
  void
      givenAStuckDeletion_whenAnnotatedRetain_thenTheBackupGoes_itsObjectsStay_andAnEventSaysWhere_asWithPolicyRetain()
          throws Exception {
    secret(
        "s3-gone",
        Map.of(
            "AWS_ACCESS_KEY_ID",
            EmbeddedServers.ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY",
            EmbeddedServers.SECRET_KEY));
    client.resource(backup("stuck", "s3-gone")).create();
    Backup stuck =
        await("stuck", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded);
    Backup kept = backup("kept", "s3");
    kept.getSpec().deletionPolicy = BackupSpec.DeletionPolicy.Retain;
    client.resource(kept).create();
    kept = await("kept", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded);
    var storage = TestStorage.s3(s3, "backups", "rayerp");
    // the storage credentials go: the deletion fails and the Backup stays, saying how to let it go
    client.secrets().inNamespace(NS).withName("s3-gone").delete();
    client.resource(stuck).delete();
    await(
        "stuck",
        x ->
            x.getStatus().lastError != null
                && x.getStatus().lastError.startsWith("deleting the stored backup failed"));
    assertThat(client.v1().events().inNamespace(NS).list().getItems())
        .anySatisfy(
            e -> {
              assertThat(e.getInvolvedObject().getName()).isEqualTo("stuck");
              assertThat(e.getReason()).isEqualTo("DeleteFailed");
              assertThat(e.getMessage())
                  .contains("kubectl annotate backup stuck coffer.io/deletion-policy=Retain");
            });
    // the owner keeps the data and lets the resource go, without touching the finalizer
    client
        .resources(Backup.class)
        .inNamespace(NS)
        .withName("stuck")
        .edit(
            x -> {
              x.getMetadata()
                  .setAnnotations(new HashMap<>(Map.of("coffer.io/deletion-policy", "Retain")));
              return x;
            });
    awaitCondition(
        "stuck Backup gone",
        () -> client.resources(Backup.class).inNamespace(NS).withName("stuck").get() == null);
    assertThat(storage.list(stuck.getStatus().backupId)).as("its stored objects stay").isNotEmpty();
    String id = stuck.getStatus().backupId;
    assertThat(client.v1().events().inNamespace(NS).list().getItems())
        .anySatisfy(
            e -> {
              assertThat(e.getInvolvedObject().getName()).isEqualTo("stuck");
              assertThat(e.getReason()).isEqualTo("Retained");
              assertThat(e.getMessage())
                  .contains(id)
                  .contains("coffer delete --storage s3://backups/rayerp --backup " + id);
            });
    // spec.deletionPolicy Retain: no delete Job at all
    client.resource(kept).delete();
    awaitCondition(
        "kept Backup gone",
        () -> client.resources(Backup.class).inNamespace(NS).withName("kept").get() == null);
    assertThat(storage.list(kept.getStatus().backupId)).isNotEmpty();
    assertThat(
            client
                .batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withLabel(JobFactory.LABEL_BACKUP, "kept")
                .list()
                .getItems())
        .extracting(j -> j.getMetadata().getName())
        .doesNotContain("kept-delete-1");
  }
}
