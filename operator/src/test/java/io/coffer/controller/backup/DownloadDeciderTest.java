package io.coffer.controller.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.Phase;
import io.coffer.controller.Action;
import io.coffer.job.JobFactory;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Protocol;
import io.coffer.protocol.ShareRequest;
import io.coffer.protocol.ShareResult;
import io.coffer.testing.JobStates;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Download URLs as part of a Succeeded Backup's state machine: asked for by annotation, answered in
 * status.download, expired.
 */
class DownloadDeciderTest {
  final BackupDecider decider =
      new BackupDecider(BackupDeciderTest.SETTINGS, BackupDeciderTest.TUNING);

  static Backup succeeded(String requested, boolean volume) {
    var builder = BackupDeciderTest.nightly();
    if (volume) builder.volume("backups");
    var b =
        builder.status(
            Phase.Succeeded,
            s -> {
              s.completedAt = "2026-12-01T01:00:00Z";
              s.backupId = "nightly-1234abcd";
            });
    if (requested != null) b.annotation(DownloadDecider.ANNOTATION, requested);
    Backup out = b.build();
    if (volume) out.getSpec().storage.s3 = null;
    return out;
  }

  static String shared(String url, String expiresAt) {
    return Protocol.write(
        new ShareResult(
            ShareResult.STATUS,
            "nightly-1234abcd",
            url,
            expiresAt,
            "nightly-1234abcd-archive.zip.age",
            "ab",
            10,
            true,
            null));
  }

  @Test
  void givenARequest_thenAShareJobWithStorageAccessOnly_thenAUrlUntilItExpires_thenNone() {
    Backup b = succeeded("2026-12-01T10:00:00Z", false);
    var d = decider.decide(b, BackupDeciderTest.seen(List.of(), List.of()), BackupDeciderTest.NOW);
    Job job = BackupDeciderTest.actions(d, Action.CreateJob.class).get(0).job();
    assertThat(job.getMetadata().getName()).isEqualTo("nightly-share-1");
    var container = job.getSpec().getTemplate().getSpec().getContainers().get(0);
    ShareRequest request = (ShareRequest) JobFactory.request(job);
    assertThat(request.backupId()).isEqualTo("nightly-1234abcd");
    assertThat(request.expiresMinutes()).isEqualTo(15);
    assertThat(request.storage().uri()).startsWith("s3://");
    assertThat(container.getVolumeMounts())
        .noneMatch(m -> m.getName().contains("identity") || m.getName().contains("passphrase"));
    assertThat(d.status().download.result).isEqualTo("Running");
    assertThat(BackupDeciderTest.events(d)).containsExactly("Sharing");
    b.setStatus(d.status());
    String expires = BackupDeciderTest.NOW.plusSeconds(900).toString();
    var ready =
        decider.decide(
            b,
            BackupDeciderTest.seen(
                List.of(JobStates.complete(job)),
                List.of(
                    JobStates.terminated(
                        job,
                        0,
                        shared(
                            "http://minio:9000/backups/rayerp/nightly-1234abcd/archive.zip.age?X-Amz-Signature=x",
                            expires)))),
            BackupDeciderTest.NOW.plusSeconds(3));
    assertThat(ready.status().download.result).isEqualTo("Ready");
    assertThat(ready.status().download.url).startsWith("http://minio:9000/backups/");
    assertThat(ready.status().download.expiresAt).isEqualTo(expires);
    assertThat(ready.status().download.message).contains("age-encrypted");
    assertThat(ready.requeue())
        .as("looked at again when it expires")
        .isLessThanOrEqualTo(Duration.ofSeconds(898));
    assertThat(BackupDeciderTest.events(ready)).containsExactly("Shared");
    b.setStatus(ready.status());
    var expired =
        decider.decide(
            b,
            BackupDeciderTest.seen(List.of(JobStates.complete(job)), List.of()),
            BackupDeciderTest.NOW.plusSeconds(901));
    assertThat(expired.status().download.result).isEqualTo("Expired");
    assertThat(expired.status().download.url).as("an expired URL leaves the status").isNull();
    assertThat(expired.actions()).isEmpty();
  }

  @Test
  void givenAnAnswerThatIsNotAnHttpUrl_thenItIsNotTaken() {
    Backup b = succeeded("1", false);
    var d = decider.decide(b, BackupDeciderTest.seen(List.of(), List.of()), BackupDeciderTest.NOW);
    Job job = BackupDeciderTest.actions(d, Action.CreateJob.class).get(0).job();
    b.setStatus(d.status());
    var bad =
        decider.decide(
            b,
            BackupDeciderTest.seen(
                List.of(JobStates.complete(job)),
                List.of(
                    JobStates.terminated(
                        job,
                        0,
                        shared(
                            "javascript:alert(1)",
                            BackupDeciderTest.NOW.plusSeconds(900).toString())))),
            BackupDeciderTest.NOW);
    assertThat(bad.status().download.result).isEqualTo("Failed");
    assertThat(bad.status().download.url).isNull();
  }

  @Test
  void givenAFailedShareJob_thenTheEnginesReasonInTheSpecsWords() {
    Backup b = succeeded("1", false);
    var d = decider.decide(b, BackupDeciderTest.seen(List.of(), List.of()), BackupDeciderTest.NOW);
    Job job = JobStates.failed(BackupDeciderTest.actions(d, Action.CreateJob.class).get(0).job());
    b.setStatus(d.status());
    var failed =
        decider.decide(
            b,
            BackupDeciderTest.seen(
                List.of(job),
                List.of(
                    JobStates.terminated(
                        job,
                        4,
                        JobStates.failure(
                            ExitCode.STORAGE,
                            "cannot sign a download URL for nightly-1234abcd/archive.zip.age: access denied")))),
            BackupDeciderTest.NOW);
    assertThat(failed.status().download.result).isEqualTo("Failed");
    assertThat(failed.status().download.message).contains("access denied");
    assertThat(BackupDeciderTest.events(failed)).containsExactly("Warning ShareFailed");
  }

  /**
   * A volume has no URL to sign: the Job's pod serves the archive itself (a port, a readiness
   * probe, a token of the operator's key in its request), and the status takes the pod's address
   * once it is ready; the Job's end on time expires it.
   */
  @Test
  void givenAVolume_thenTheJobsPodServesTheArchive_andTheStatusTakesItsAddressOnceReady() {
    Backup b = succeeded("1", true);
    var d = decider.decide(b, BackupDeciderTest.seen(List.of(), List.of()), BackupDeciderTest.NOW);
    Job job = BackupDeciderTest.actions(d, Action.CreateJob.class).get(0).job();
    ShareRequest request = (ShareRequest) JobFactory.request(job);
    assertThat(request.serve().port()).isEqualTo(8080);
    assertThat(request.serve().token()).matches("[0-9a-f]{64}");
    assertThat(request.storage().uri()).startsWith("file://");
    var c = job.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getPorts().get(0).getContainerPort()).isEqualTo(8080);
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(job.getSpec().getActiveDeadlineSeconds()).isEqualTo(15 * 60L + 900);
    assertThat(
            JobFactory.shareJob(b, 1, 15, new JobFactory.Settings("coffer:1", "IfNotPresent"))
                .getSpec()
                .getTemplate()
                .getMetadata()
                .getAnnotations()
                .get(JobFactory.ANNOTATION_REQUEST))
        .as("another operator's key, another token")
        .doesNotContain(request.serve().token());
    assertThat(d.status().download.result).isEqualTo("Running");
    b.setStatus(d.status());

    var pod = JobStates.running(job);
    var notYet =
        decider.decide(
            b,
            BackupDeciderTest.seen(List.of(job), List.of(pod)),
            BackupDeciderTest.NOW.plusSeconds(2));
    assertThat(notYet.status().download.result)
        .as("not ready: no address yet")
        .isEqualTo("Running");
    pod.getStatus().setPodIP("10.1.2.3");
    var forged = client().clone(pod);
    forged.getMetadata().setOwnerReferences(List.of());
    ready(forged);
    assertThat(
            decider
                .decide(
                    b,
                    BackupDeciderTest.seen(List.of(job), List.of(forged)),
                    BackupDeciderTest.NOW.plusSeconds(3))
                .status()
                .download
                .url)
        .as("a pod that only carries the Job's label is not the Job's")
        .isNull();
    ready(pod);
    var ready =
        decider.decide(
            b,
            BackupDeciderTest.seen(List.of(job), List.of(pod)),
            BackupDeciderTest.NOW.plusSeconds(3));
    assertThat(ready.status().download.result).isEqualTo("Ready");
    assertThat(ready.status().download.url)
        .isEqualTo(
            "http://10.1.2.3:8080/"
                + request.serve().token()
                + "/nightly-1234abcd-archive.zip.age");
    assertThat(ready.status().download.expiresAt).isEqualTo("2026-12-01T02:15:01Z");
    assertThat(ready.status().download.message).contains("served from the volume");
    assertThat(BackupDeciderTest.events(ready)).containsExactly("Shared");
    b.setStatus(ready.status());
    var ended =
        decider.decide(
            b,
            BackupDeciderTest.seen(
                List.of(JobStates.complete(job)),
                List.of(JobStates.terminated(job, 0, shared(null, "2026-12-01T02:20:05Z")))),
            BackupDeciderTest.NOW.plusSeconds(901));
    assertThat(ended.status().download.result).isEqualTo("Expired");
    assertThat(ended.status().download.url).isNull();
    var gone =
        decider.decide(
            b, BackupDeciderTest.seen(List.of(), List.of()), BackupDeciderTest.NOW.plusSeconds(60));
    assertThat(gone.status().download.result).as("its Job deleted").isEqualTo("Expired");
  }

  static void ready(io.fabric8.kubernetes.api.model.Pod p) {
    p.getStatus()
        .setConditions(
            List.of(
                new io.fabric8.kubernetes.api.model.PodConditionBuilder()
                    .withType("Ready")
                    .withStatus("True")
                    .build()));
  }

  static io.fabric8.kubernetes.client.utils.KubernetesSerialization client() {
    return new io.fabric8.kubernetes.client.utils.KubernetesSerialization();
  }

  @Test
  void givenNoRequestOrAFailedBackup_thenNothing() {
    var d =
        decider.decide(
            succeeded(null, false),
            BackupDeciderTest.seen(List.of(), List.of()),
            BackupDeciderTest.NOW);
    assertThat(d.status().download).isNull();
    assertThat(d.actions()).isEmpty();
  }
}
