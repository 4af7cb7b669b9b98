package io.coffer.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.KeyRef;
import io.coffer.protocol.BackupRequest;
import io.coffer.protocol.Purpose;
import io.coffer.protocol.Request;
import io.coffer.testing.Specs;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.List;
import org.junit.jupiter.api.Test;

class JobFactoryTest {
  static Backup backup(String name) {
    Backup b =
        Specs.backup("ns", name)
            .uid("1234abcd-5678")
            .type(BackupSpec.Type.Database)
            .mongo("mongo", "uri")
            .s3("https://s3.internal:9000", "backups", "/team/prod/", "s3")
            .build();
    b.getSpec().storage.s3.caSecret = new KeyRef("internal-ca", "ca.crt");
    return b;
  }

  @Test
  void
      givenAPrivateCaEndpoint_thenTheCaIsMountedAndNamedInTheRequest_andEveryJobOfTheBackupGetsIt() {
    Backup b = backup("nightly");
    JobFactory.Settings s = new JobFactory.Settings("coffer:1", "IfNotPresent");
    for (Job job :
        List.of(
            JobFactory.backupJob(b, 1, s),
            JobFactory.deleteJob(b, 1, s),
            JobFactory.verifyJob(b, 1, false, s))) {
      var pod = job.getSpec().getTemplate().getSpec();
      Request request = JobFactory.request(job);
      assertThat(request.storage().uri()).isEqualTo("s3://backups/team/prod");
      assertThat(request.storage().s3().caFile()).isEqualTo("/etc/coffer/s3-ca/value");
      assertThat(pod.getContainers().get(0).getArgs())
          .containsExactly("run", "--request", "/etc/coffer/request/request.json");
      assertThat(pod.getVolumes().stream().filter(v -> v.getSecret() != null).toList())
          .anySatisfy(
              v -> {
                assertThat(v.getSecret().getSecretName()).isEqualTo("internal-ca");
                assertThat(v.getSecret().getItems().get(0).getKey()).isEqualTo("ca.crt");
              });
      assertThat(job.getMetadata().getAnnotations())
          .containsEntry(JobFactory.ANNOTATION_BACKUP_ID, "nightly-1234abcd");
    }
  }

  @Test
  void givenALongName_thenJobNamesStayWithin63CharactersAndDeterministic() {
    Backup b = backup("a".repeat(60));
    String n1 = JobFactory.jobName(b, "backup", 12);
    assertThat(n1)
        .hasSizeLessThanOrEqualTo(63)
        .endsWith("-backup-12")
        .isEqualTo(JobFactory.jobName(b, "backup", 12));
    assertThat(JobFactory.jobName(backup("nightly"), "backup", 1)).isEqualTo("nightly-backup-1");
  }

  @Test
  void givenAnIncrementalAttempt_thenItsParentTravelsAsAnAnnotation_andInTheRequest() {
    Backup b = backup("inc");
    b.getSpec().type = BackupSpec.Type.Incremental;
    Job job =
        JobFactory.backupJob(
            b, 2, new JobFactory.Settings("coffer:1", "IfNotPresent"), "full-1-aaaaaaaa");
    assertThat(job.getMetadata().getAnnotations())
        .containsEntry(JobFactory.ANNOTATION_PARENT_ID, "full-1-aaaaaaaa")
        .containsEntry(JobFactory.ANNOTATION_BACKUP_ID, "inc-1234abcd");
    assertThat(((BackupRequest) JobFactory.request(job)).chain().parent())
        .isEqualTo("full-1-aaaaaaaa");
    assertThat(JobFactory.attempt(job)).isEqualTo(2);
    assertThat(JobFactory.purpose(job)).isEqualTo(Purpose.BACKUP);
  }

  @Test
  void givenNoResources_thenEveryJobRequestsMemoryAsItsLimit_andCpuWithoutALimit() {
    Backup b = backup("nightly");
    JobFactory.Settings s = new JobFactory.Settings("coffer:1", "IfNotPresent");
    for (Job job :
        List.of(
            JobFactory.backupJob(b, 1, s),
            JobFactory.deleteJob(b, 1, s),
            JobFactory.verifyJob(b, 1, false, s))) {
      var r = job.getSpec().getTemplate().getSpec().getContainers().get(0).getResources();
      assertThat(r.getRequests())
          .containsEntry("memory", new Quantity("384Mi"))
          .containsEntry("cpu", new Quantity("250m"));
      assertThat(r.getLimits())
          .containsOnlyKeys("memory")
          .containsEntry("memory", new Quantity("384Mi"));
    }
  }

  @Test
  void givenSomeResources_thenTheyWinKeyByKey_andNoRequestEverExceedsItsLimit() {
    // a bigger request only: the default limit rises with it, or the API server would refuse the
    // Job
    var bigger =
        JobFactory.resources(
            new ResourceRequirementsBuilder().addToRequests("memory", new Quantity("1Gi")).build(),
            false);
    assertThat(bigger.getRequests())
        .containsEntry("memory", new Quantity("1Gi"))
        .containsEntry("cpu", new Quantity("250m"));
    assertThat(bigger.getLimits()).containsEntry("memory", new Quantity("1Gi"));
    // limits only: they replace the default limits, and a limit without a request requests the
    // limit
    var limited =
        JobFactory.resources(
            new ResourceRequirementsBuilder()
                .addToLimits("memory", new Quantity("2Gi"))
                .addToLimits("cpu", new Quantity("2"))
                .build(),
            false);
    assertThat(limited.getLimits())
        .containsOnlyKeys("memory", "cpu")
        .containsEntry("cpu", new Quantity("2"));
    assertThat(limited.getRequests())
        .containsEntry("memory", new Quantity("2Gi"))
        .containsEntry("cpu", new Quantity("2"));
    // both given: taken as they are
    var both =
        JobFactory.resources(
            new ResourceRequirementsBuilder()
                .addToRequests("memory", new Quantity("200Mi"))
                .addToLimits("memory", new Quantity("300Mi"))
                .build(),
            false);
    assertThat(both.getRequests())
        .containsEntry("memory", new Quantity("200Mi"))
        .containsEntry("cpu", new Quantity("250m"));
    assertThat(both.getLimits())
        .containsOnlyKeys("memory")
        .containsEntry("memory", new Quantity("300Mi"));
  }

  @Test
  void givenARestoreThatDecryptsWithAPassphrase_thenItsDefaultMemoryHoldsAgesScrypt() {
    var r = JobFactory.resources(null, true);
    assertThat(r.getRequests()).containsEntry("memory", new Quantity("640Mi"));
    assertThat(r.getLimits()).containsEntry("memory", new Quantity("640Mi"));
    assertThat(JobFactory.resources(null, false).getLimits())
        .containsEntry("memory", new Quantity("384Mi"));
  }
}
