package io.coffer.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.coffer.job.JobFactory;
import io.coffer.protocol.RestoreRequest;
import io.coffer.testing.CrdValidator;
import io.coffer.testing.PodSecurity;
import io.coffer.testing.Validator;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RestoreValidationTest {
  static Validator validator;

  @BeforeAll
  static void load() throws IOException {
    validator = new CrdValidator(Path.of("../api/target/crds/restores.coffer.io-v1.yml"));
  }

  @Test
  void givenEverySampleRestore_thenItPassesTheSchemaAndCelRules_andMakesARestrictedJob()
      throws IOException {
    List<JsonNode> restores = BackupValidationTest.samples("Restore");
    assertThat(restores).hasSizeGreaterThanOrEqualTo(4);
    KubernetesSerialization k8s = new KubernetesSerialization();
    Backup backup =
        k8s.unmarshal(BackupValidationTest.samples("Backup").get(1).toString(), Backup.class);
    backup.getMetadata().setUid("0b1c2d3e-0000");
    for (JsonNode doc : restores) {
      assertThat(validator.validate(doc)).as(doc.path("metadata").path("name").asText()).isEmpty();
      Restore r = k8s.unmarshal(doc.toString(), Restore.class);
      Job job =
          JobFactory.restoreJob(
              r,
              r.getSpec().backupName == null ? null : backup,
              new JobFactory.Settings("coffer:1", "IfNotPresent"));
      PodSecurity.assertRestricted(job.getSpec().getTemplate().getSpec());
      assertThat(JobFactory.request(job)).isInstanceOf(RestoreRequest.class);
    }
  }

  static ObjectNode valid() throws IOException {
    return (ObjectNode)
        BackupValidationTest.YAML.readTree(
            """
        apiVersion: coffer.io/v1alpha1
        kind: Restore
        metadata: {name: r, namespace: ns}
        spec:
          backupName: nightly
          mode: Merge
        """);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      neither backup nor source        | /spec/backupName              | ~                                   | set exactly one of backupName
      both backup and source           | /spec/source                  | {"backupId": "x"}                   | set exactly one of backupName
      replace without confirm          | /spec/mode                    | "Replace"                           | set confirm: true
      unknown mode                     | /spec/mode                    | "Overwrite"                         | Unsupported value: "Overwrite"
      both keys                        | /spec/decryption              | {"identity": {"name": "a", "key": "b"}, "passphraseSecret": {"name": "c", "key": "d"}} | set exactly one of decryption.identity
      bad backup name                  | /spec/backupName              | "Nightly_1"                         | should match
      bad module                       | /spec/modules                 | ["Finance"]                         | should match
      """)
  void givenAMalformedRestore_thenItIsRefusedWithAClearMessage(
      String what, String pointer, String value, String expected) throws IOException {
    ObjectNode doc = valid();
    assertThat(validator.validate(doc)).isEmpty();
    BackupValidationTest.set(
        doc, pointer, value.equals("~") ? null : BackupValidationTest.YAML.readTree(value));
    assertThat(validator.validate(doc)).as(what).anyMatch(e -> e.contains(expected));
  }

  @Test
  void givenADisasterRecoveryRestoreWithoutTarget_thenItIsRefused() throws IOException {
    ObjectNode doc =
        (ObjectNode)
            BackupValidationTest.YAML.readTree(
                """
        apiVersion: coffer.io/v1alpha1
        kind: Restore
        metadata: {name: r, namespace: ns}
        spec:
          source: {backupId: b1, storage: {volume: {claimName: backups}}}
        """);
    assertThat(validator.validate(doc)).anyMatch(e -> e.contains("needs a target"));
    BackupValidationTest.set(
        doc,
        "/spec/target",
        BackupValidationTest.YAML.readTree(
            "{\"mongodb\": {\"uriSecret\": {\"name\": \"m\", \"key\": \"uri\"}}}"));
    assertThat(validator.validate(doc)).isEmpty();
    // a restore only reads its storage: the volume holding the backups is mounted read-only
    Restore r = new KubernetesSerialization().unmarshal(doc.toString(), Restore.class);
    var pod =
        JobFactory.restoreJob(r, null, new JobFactory.Settings("coffer:1", "IfNotPresent"))
            .getSpec()
            .getTemplate()
            .getSpec();
    assertThat(pod.getVolumes())
        .anyMatch(v -> v.getName().equals("storage") && v.getPersistentVolumeClaim().getReadOnly());
    assertThat(pod.getContainers().get(0).getVolumeMounts())
        .anyMatch(m -> m.getName().equals("storage") && m.getReadOnly());
  }

  @Test
  void givenAnArchiveFileSource_thenTheJobReadsItFromItsVolumeReadOnly_andMalformedOnesAreRefused()
      throws IOException {
    ObjectNode doc =
        (ObjectNode)
            BackupValidationTest.YAML.readTree(
                """
        apiVersion: coffer.io/v1alpha1
        kind: Restore
        metadata: {name: r, namespace: ns, uid: 0b1c}
        spec:
          source: {archive: {claimName: offline, path: 2026/rayerp.zip.age}}
          target: {mongodb: {uriSecret: {name: m, key: uri}}}
          decryption: {identity: {name: id, key: identity}}
        """);
    assertThat(validator.validate(doc)).isEmpty();
    Restore r = new KubernetesSerialization().unmarshal(doc.toString(), Restore.class);
    Job job = JobFactory.restoreJob(r, null, new JobFactory.Settings("coffer:1", "IfNotPresent"));
    var pod = job.getSpec().getTemplate().getSpec();
    PodSecurity.assertRestricted(pod);
    RestoreRequest request = (RestoreRequest) JobFactory.request(job);
    assertThat(request.source().archiveFile()).isEqualTo("/data/archive/2026/rayerp.zip.age");
    assertThat(request.source().backupId()).isNull();
    assertThat(request.storage()).isNull();
    assertThat(pod.getVolumes())
        .anyMatch(
            v ->
                v.getPersistentVolumeClaim() != null
                    && v.getPersistentVolumeClaim().getClaimName().equals("offline")
                    && v.getPersistentVolumeClaim().getReadOnly());
    assertThat(pod.getContainers().get(0).getVolumeMounts())
        .anyMatch(m -> m.getMountPath().equals("/data/archive") && m.getReadOnly());

    for (String[] bad :
        new String[][] {
          {"/spec/source/backupId", "\"b1\"", "or source.archive alone"},
          {"/spec/source/archive/path", "\"../secrets/x.zip\"", "must stay inside the volume"},
          {"/spec/source/archive/path", "\"/etc/passwd\"", "should match"},
          {"/spec/source/archive/claimName", "~", "claimName"}
        }) {
      ObjectNode copy = doc.deepCopy();
      BackupValidationTest.set(
          copy, bad[0], bad[1].equals("~") ? null : BackupValidationTest.YAML.readTree(bad[1]));
      assertThat(validator.validate(copy))
          .as(bad[0] + " = " + bad[1])
          .anyMatch(e -> e.contains(bad[2]));
    }
  }

  @Test
  void givenAMongodumpSource_thenTheJobReadsItFromTheStorage_withNoKey_andMalformedOnesAreRefused()
      throws IOException {
    ObjectNode doc =
        (ObjectNode)
            BackupValidationTest.YAML.readTree(
                """
        apiVersion: coffer.io/v1alpha1
        kind: Restore
        metadata: {name: r, namespace: ns, uid: 0b1c}
        spec:
          source: {storage: {volume: {claimName: old-dumps}}, mongodump: cron/2026-11-30}
          target: {mongodb: {uriSecret: {name: m, key: uri}, renameDatabases: {erp: erp_old}}}
        """);
    assertThat(validator.validate(doc)).isEmpty();
    Restore r = new KubernetesSerialization().unmarshal(doc.toString(), Restore.class);
    Job job = JobFactory.restoreJob(r, null, new JobFactory.Settings("coffer:1", "IfNotPresent"));
    var pod = job.getSpec().getTemplate().getSpec();
    PodSecurity.assertRestricted(pod);
    RestoreRequest request = (RestoreRequest) JobFactory.request(job);
    assertThat(request.source().mongodump()).isEqualTo("cron/2026-11-30");
    assertThat(request.storage().uri()).isEqualTo("file:///data/storage");
    assertThat(request.mongodb().renameDatabases()).containsExactly(Map.entry("erp", "erp_old"));
    assertThat(request.source().backupId()).isNull();
    assertThat(request.source().archiveFile()).isNull();
    assertThat(request.decryption()).isNull();
    assertThat(pod.getVolumes())
        .anyMatch(
            v ->
                v.getPersistentVolumeClaim() != null
                    && v.getPersistentVolumeClaim().getClaimName().equals("old-dumps")
                    && v.getPersistentVolumeClaim().getReadOnly());
    assertThat(pod.getContainers().get(0).getVolumeMounts())
        .anyMatch(m -> m.getName().equals("storage") && m.getReadOnly());
    for (String[] bad :
        new String[][] {
          {"/spec/source/backupId", "\"b1\"", "with source.mongodump"},
          {"/spec/source/mongodump", "\"../secrets\"", "must stay inside the storage"},
          {"/spec/source/mongodump", "\"/etc\"", "should match"},
          {
            "/spec/decryption",
            "{\"identity\": {\"name\": \"a\", \"key\": \"b\"}}",
            "is not encrypted and holds only collections"
          },
          {"/spec/modules", "[\"hr\"]", "is not encrypted and holds only collections"},
          {"/spec/trees", "[\"uploads\"]", "is not encrypted and holds only collections"},
          {
            "/spec/target/files",
            "[{\"name\": \"uploads\", \"claimName\": \"u\"}]",
            "is not encrypted and holds only collections"
          },
          {
            "/spec/source/archive",
            "{\"claimName\": \"c\", \"path\": \"a.zip\"}",
            "or source.archive alone"
          },
          {"/spec/backupName", "\"nightly\"", "set exactly one of backupName"},
          {"/spec/target/mongodb", "~", "set target.mongodb.uriSecret"}
        }) {
      ObjectNode copy = doc.deepCopy();
      BackupValidationTest.set(
          copy, bad[0], bad[1].equals("~") ? null : BackupValidationTest.YAML.readTree(bad[1]));
      assertThat(validator.validate(copy))
          .as(bad[0] + " = " + bad[1])
          .anyMatch(e -> e.contains(bad[2]));
    }
  }
}
