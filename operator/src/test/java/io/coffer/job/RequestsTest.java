package io.coffer.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleSpec;
import io.coffer.api.BackupSpec;
import io.coffer.api.KeyRef;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.coffer.protocol.BackupRequest;
import io.coffer.protocol.OplogArchiveRequest;
import io.coffer.protocol.Protocol;
import io.coffer.protocol.Purpose;
import io.coffer.protocol.Request;
import io.coffer.protocol.RestoreRequest;
import io.coffer.testing.Specs;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The spec -> request mapping, as plain values: every spec field the engine needs reaches the
 * request, as a path, never a secret.
 */
class RequestsTest {
  static final JobFactory.Settings SETTINGS = new JobFactory.Settings("coffer:1", "IfNotPresent");

  /** A Backup with every field the engine reads set. */
  static Backup full() {
    Backup b =
        Specs.backup("rayerp", "nightly")
            .uid("1234abcd-5678")
            .type(BackupSpec.Type.Full)
            .mongo("mongo", "uri", "erp.*")
            .files("uploads", "rayerp-uploads", "documents")
            .s3("https://minio:9000", "backups", "/rayerp/", "s3")
            .recipients("age", "recipients")
            .chain("index", "key")
            .build();
    BackupSpec spec = b.getSpec();
    spec.source.mongodb.exclude = List.of("erp.audit_*");
    spec.source.mongodb.modules = List.of("hr");
    spec.source.mongodb.moduleMap = new KeyRef("modules", "modules.yaml");
    spec.source.filesInclude = List.of("**.pdf");
    spec.source.filesExclude = List.of("tmp");
    spec.storage.s3.region = "eu-1";
    spec.storage.s3.caSecret = new KeyRef("ca", "ca.crt");
    spec.storage.uploadLimitMiBps = 20;
    spec.source.mongodb.tls = new BackupSpec.MongoTls();
    spec.source.mongodb.tls.caSecret = new KeyRef("mongodb-tls", "ca.crt");
    spec.source.mongodb.tls.clientCertificateSecret = "coffer-client";
    spec.compression = new BackupSpec.CompressionSpec();
    spec.compression.method = BackupSpec.CompressionSpec.Method.store;
    spec.compression.level = 3;
    return b;
  }

  @Test
  void givenEveryBackupField_thenEachReachesTheRequest_asAPathOfAMountedFile() {
    Requests.Mapped m = Requests.backup(full(), null);
    BackupRequest r = (BackupRequest) m.request();
    assertThat(r.id()).isEqualTo("nightly-1234abcd");
    assertThat(r.type()).isEqualTo("full");
    assertThat(r.storage().uri()).isEqualTo("s3://backups/rayerp");
    assertThat(r.storage().s3())
        .isEqualTo(
            new Request.S3(
                "https://minio:9000",
                "eu-1",
                "/etc/coffer/s3-ca/value",
                "/etc/coffer/s3-credentials/AWS_ACCESS_KEY_ID",
                "/etc/coffer/s3-credentials/AWS_SECRET_ACCESS_KEY"));
    assertThat(r.storage().uploadLimitMiBps()).isEqualTo(20);
    assertThat(r.mongodb().uriFile()).isEqualTo("/etc/coffer/mongodb-uri/value");
    assertThat(r.mongodb().tls())
        .isEqualTo(
            new Request.MongoTls(
                "/etc/coffer/mongodb-ca/value",
                "/etc/coffer/mongodb-client-cert/tls.crt",
                "/etc/coffer/mongodb-client-cert/tls.key"));
    assertThat(m.places())
        .containsEntry("/etc/coffer/mongodb-ca/value", "(Secret mongodb-tls, key ca.crt)");
    assertThat(r.mongodb().include()).containsExactly("erp.*");
    assertThat(r.mongodb().exclude()).containsExactly("erp.audit_*");
    assertThat(r.mongodb().modules()).containsExactly("hr");
    assertThat(r.mongodb().moduleMapFile()).isEqualTo("/etc/coffer/module-map/modules.yaml");
    assertThat(r.files()).containsExactly(new Request.Tree("uploads", "/data/files/uploads"));
    assertThat(r.filesInclude()).containsExactly("**.pdf");
    assertThat(r.filesExclude()).containsExactly("tmp");
    assertThat(r.encryption().recipientsFile()).isEqualTo("/etc/coffer/recipients/value");
    assertThat(r.compression()).isEqualTo(new BackupRequest.Compression("store", 3));
    assertThat(r.chain().indexKeyFile()).isEqualTo("/etc/coffer/index-key/value");
    assertThat(r.lock().token()).isEqualTo("1234abcd-5678");
    assertThat(r.existing()).isEqualTo("keep");
    assertThat(r.report()).isEqualTo(new Request.Report("json", "/dev/termination-log"));
    // each file the request names is mounted from the Secret or ConfigMap the spec names, and that
    // is all the secrets travel as
    Map<String, String> secrets =
        Map.of(
            "s3-ca",
            "ca",
            "s3-credentials",
            "s3",
            "mongodb-uri",
            "mongo",
            "recipients",
            "age",
            "index-key",
            "index");
    secrets.forEach(
        (volume, secret) ->
            assertThat(m.volumes())
                .anyMatch(
                    v ->
                        v.getName().equals(volume)
                            && v.getSecret().getSecretName().equals(secret)));
    assertThat(m.volumes())
        .anyMatch(
            v -> v.getName().equals("module-map") && v.getConfigMap().getName().equals("modules"));
    assertThat(m.volumes())
        .anyMatch(
            v ->
                v.getPersistentVolumeClaim() != null
                    && v.getPersistentVolumeClaim().getClaimName().equals("rayerp-uploads"));
    assertThat(m.mounts())
        .anyMatch(
            x ->
                x.getMountPath().equals("/data/files/uploads")
                    && "documents".equals(x.getSubPath())
                    && x.getReadOnly());
  }

  @Test
  void givenARestoreOfABackup_thenItsTargetsDefaultToTheBackupsSources_andItsOwnFieldsWin() {
    Backup b =
        Specs.backup("rayerp", "nightly")
            .uid("1234abcd-5678")
            .files("uploads", "rayerp-uploads")
            .mongo("mongo", "uri")
            .s3("http://minio:9000", "backups", "rayerp", "s3")
            .status(Phase.Succeeded, s -> {})
            .build();
    Restore r =
        Specs.restore("rayerp", "rollback")
            .backupName("nightly")
            .targetFiles("scans", "restored-scans")
            .targetMongo("target", "uri")
            .renameDatabases(Map.of("erp", "erp_copy"))
            .identity("id", "key")
            .dryRun()
            .confirm()
            .build();
    r.getSpec().include = List.of("erp.*");
    r.getSpec().exclude = List.of("erp.logs");
    r.getSpec().modules = List.of("hr");
    Requests.Mapped m = Requests.restore(r, b);
    RestoreRequest q = (RestoreRequest) m.request();
    assertThat(q.source()).isEqualTo(new RestoreRequest.Source("nightly-1234abcd", null, null));
    assertThat(q.storage().uri()).isEqualTo("s3://backups/rayerp");
    assertThat(q.mongodb().uriFile()).isEqualTo("/etc/coffer/mongodb-uri/value");
    assertThat(m.volumes())
        .anyMatch(
            v ->
                v.getName().equals("mongodb-uri")
                    && v.getSecret().getSecretName().equals("target"));
    assertThat(q.mongodb().include()).containsExactly("erp.*");
    assertThat(q.mongodb().exclude()).containsExactly("erp.logs");
    assertThat(q.mongodb().modules()).containsExactly("hr");
    assertThat(q.mongodb().renameDatabases()).containsExactly(Map.entry("erp", "erp_copy"));
    assertThat(q.files()).extracting(Request.Tree::name).containsExactly("uploads", "scans");
    assertThat(q.decryption().identityFile()).isEqualTo("/etc/coffer/identity/value");
    assertThat(q.dryRun()).isTrue();
    assertThat(q.confirm()).isTrue();
    assertThat(q.mode()).isEqualTo(r.getSpec().mode.name().toLowerCase());
    // a dry run mounts its targets read-only, and every restore reads its storage only
    assertThat(m.mounts())
        .filteredOn(x -> x.getMountPath().startsWith("/data/files/"))
        .allMatch(x -> x.getReadOnly());
  }

  @Test
  void givenEveryPurpose_thenItsJobCarriesItsRequest_underItsLabelAndSuffix_andRunsIt() {
    Backup b = full();
    b.getStatus();
    Restore r = Specs.restore("rayerp", "rollback").backupName("nightly").build();
    BackupSchedule schedule = new BackupSchedule();
    schedule.setMetadata(
        new ObjectMetaBuilder()
            .withName("nightly")
            .withNamespace("rayerp")
            .withUid("5555")
            .build());
    schedule.setSpec(new BackupScheduleSpec());
    schedule.getSpec().template = b.getSpec();
    schedule.getSpec().pointInTime = new BackupScheduleSpec.PointInTimeSpec();
    schedule.getSpec().pointInTime.enabled = true;
    for (Purpose p : Purpose.values()) {
      // exhaustive: a purpose without its workload does not compile
      Job job =
          switch (p) {
            case BACKUP -> JobFactory.backupJob(b, 1, SETTINGS);
            case VERIFY -> JobFactory.verifyJob(b, 1, true, SETTINGS);
            case SHARE -> JobFactory.shareJob(b, 1, 15, SETTINGS);
            case UPLOAD -> {
              Restore up = Specs.restore("rayerp", "uploaded").build();
              up.getSpec().backupName = null;
              up.getSpec().source = new RestoreSpec.Source();
              up.getSpec().source.storage = b.getSpec().storage;
              up.getSpec().source.upload = new RestoreSpec.Upload();
              up.getSpec().source.upload.fileName = "rayerp.zip.age";
              up.getMetadata().setUid("7777");
              assertThat(Requests.uploadKey(up)).isEqualTo(".coffer-uploads/7777/rayerp.zip.age");
              yield JobFactory.uploadJob(up, Requests.uploadKey(up), false, SETTINGS);
            }
            case DELETE -> JobFactory.deleteJob(b, 1, SETTINGS);
            case COPY -> {
              BackupSpec.CopySpec c = new BackupSpec.CopySpec();
              c.name = "offsite";
              c.storage.volume = new BackupSpec.VolumeStorage();
              c.storage.volume.claimName = "offsite-disk";
              b.getSpec().copies = List.of(c);
              yield JobFactory.copyJob(b, 0, 1, SETTINGS);
            }
            case RESTORE -> JobFactory.restoreJob(r, b, SETTINGS);
            case DRILL -> {
              schedule.getSpec().drill = new BackupScheduleSpec.DrillSpec();
              schedule.getSpec().drill.uriSecret = new KeyRef("scratch", "uri");
              schedule.getSpec().drill.files = true;
              yield JobFactory.drillJob(schedule, "coffer.io/schedule", 1, SETTINGS);
            }
            case OPLOG_ARCHIVE -> {
              // a long-lived Deployment, not a Job: the same pod, restarted when it ends
              Deployment d = JobFactory.archiver(schedule, "coffer.io/schedule", SETTINGS);
              assertThat(d.getSpec().getReplicas()).isEqualTo(1);
              assertThat(d.getSpec().getStrategy().getType()).isEqualTo("Recreate");
              assertThat(d.getSpec().getTemplate().getSpec().getRestartPolicy())
                  .isEqualTo("Always");
              assertThat(d.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken())
                  .isFalse();
              var q =
                  (OplogArchiveRequest)
                      Protocol.request(
                          d.getSpec()
                              .getTemplate()
                              .getMetadata()
                              .getAnnotations()
                              .get(JobFactory.ANNOTATION_REQUEST));
              assertThat(q.sliceSeconds()).isEqualTo(600);
              assertThat(q.lockToken()).isEqualTo("5555");
              assertThat(Protocol.write(q)).doesNotContain("s3-secret-value");
              yield new JobBuilder()
                  .withNewMetadata()
                  .withName(d.getMetadata().getName() + "-1")
                  .withLabels(d.getMetadata().getLabels())
                  .endMetadata()
                  .withNewSpec()
                  .withTemplate(d.getSpec().getTemplate())
                  .endSpec()
                  .build();
            }
          };
      assertThat(JobFactory.purpose(job)).isEqualTo(p);
      assertThat(job.getMetadata().getName())
          .endsWith("-" + p.label() + (p == Purpose.COPY ? "-offsite" : "") + "-1");
      Request request = JobFactory.request(job);
      assertThat(request).isInstanceOf(p.requestType());
      assertThat(request.purpose()).isEqualTo(p);
      // the document round-trips as the engine reads it
      assertThat(Protocol.request(Protocol.write(request))).isEqualTo(request);
      var pod = job.getSpec().getTemplate().getSpec();
      assertThat(pod.getContainers().get(0).getArgs())
          .containsExactly("run", "--request", "/etc/coffer/request/request.json");
      assertThat(pod.getContainers().get(0).getEnv()).isEmpty();
      Volume v =
          pod.getVolumes().stream()
              .filter(x -> x.getName().equals("request"))
              .findFirst()
              .orElseThrow();
      assertThat(v.getDownwardAPI().getItems().get(0).getFieldRef().getFieldPath())
          .isEqualTo("metadata.annotations['coffer.io/request']");
      assertThat(Protocol.write(request))
          .doesNotContain("s3-secret-value")
          .doesNotContain("mongodb://");
    }
  }
}
