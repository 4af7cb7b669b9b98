package io.coffer.controller;

import static io.coffer.controller.OperatorHarness.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.Phase;
import io.coffer.api.PodTemplate;
import io.coffer.api.RestoreSpec;
import io.coffer.testing.ImageRuntime;
import io.coffer.testing.Specs;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Coffer's pods as a node runs them: from the image archive the build wrote
 * (image/target/coffer-image.tar), its own read-only root file system, as uid 65532, with only the
 * pod's volumes writable and its memory limit enforced by the kernel. On the shared real control
 * plane of {@link OperatorHarness}; simulated: the node (see {@link ImageRuntime}: no network
 * namespace, no seccomp). Without root or the archive (a developer's machine) these tests are
 * skipped, and with CI=true the harness refuses to start instead.
 */
class ImageIT {
  @BeforeAll
  static void start() throws Exception {
    OperatorHarness.start();
    Assumptions.assumeTrue(
        ImageRuntime.shared() != null,
        () -> "the image cannot run here: " + ImageRuntime.unavailable());
  }

  @Test
  void givenABackupToAVolume_thenItsPodRanFromTheImage_asTheNonRootUser_andWroteOnlyIntoItsVolume()
      throws Exception {
    Path store = Files.createTempDirectory("coffer-image-store");
    cluster.claim(NS, "image-store", store);
    Backup b =
        Specs.backup(NS, "from-image")
            .type(BackupSpec.Type.Files)
            .files("uploads", "uploads")
            .volume("image-store")
            .recipients("age", "recipients")
            .backoffLimit(0)
            .build();
    client.resource(b).create();
    Backup done =
        await(
            "from-image",
            x ->
                x.getStatus() != null
                    && x.getStatus().phase != null
                    && x.getStatus().phase.terminal());
    assertThat(done.getStatus().phase).as(done.getStatus().lastError).isEqualTo(Phase.Succeeded);
    // the archive and its manifest were written by the engine inside the image: owned by 65532,
    // group fsGroup
    List<Path> written;
    try (Stream<Path> s = Files.walk(store)) {
      written = s.filter(Files::isRegularFile).toList();
    }
    assertThat(written)
        .extracting(p -> p.getFileName().toString())
        .contains("archive.zip.age", "backup.json");
    for (Path p : written) {
      assertThat(Files.getAttribute(p, "unix:uid")).as(p.toString()).isEqualTo(65532);
      assertThat(Files.getAttribute(p, "unix:gid")).as(p.toString()).isEqualTo(65532);
    }
    Pod pod =
        client
            .pods()
            .inNamespace(NS)
            .withLabel("job-name", done.getStatus().jobName)
            .list()
            .getItems()
            .get(0);
    assertThat(pod.getStatus().getContainerStatuses().get(0).getImage())
        .isEqualTo(ImageRuntime.REFERENCE);
    // the defaults of the operator: never a BestEffort pod
    assertThat(pod.getStatus().getQosClass()).isEqualTo("Burstable");
    assertThat(pod.getSpec().getContainers().get(0).getResources().getLimits())
        .containsEntry("memory", new Quantity("384Mi"));

    // restored from the image too, the volume of backups mounted read-only (a restore only reads
    // it)
    Path target = Files.createTempDirectory("coffer-image-restored");
    cluster.claim(NS, "image-restored", target);
    client
        .resource(
            Specs.restore(NS, "from-image")
                .backupName("from-image")
                .mode(RestoreSpec.Mode.Merge)
                .identity("age-key", "identity")
                .targetFiles("uploads", "image-restored")
                .build())
        .create();
    var restored = awaitRestore("from-image");
    assertThat(restored.getStatus().phase)
        .as(restored.getStatus().lastError)
        .isEqualTo(Phase.Succeeded);
    Pod rp =
        client
            .pods()
            .inNamespace(NS)
            .withLabel("job-name", restored.getStatus().jobName)
            .list()
            .getItems()
            .get(0);
    assertThat(rp.getSpec().getContainers().get(0).getVolumeMounts())
        .anyMatch(m -> m.getName().equals("storage") && m.getReadOnly());
    try (Stream<Path> s = Files.walk(target)) {
      assertThat(s.filter(Files::isRegularFile).count())
          .as("files restored from the read-only store")
          .isEqualTo(restored.getStatus().files);
    }
    try (Stream<Path> s = Files.walk(store)) {
      assertThat(s.filter(Files::isRegularFile).toList())
          .as("the store is as the backup left it")
          .hasSameSizeAs(written);
    }
  }

  @Test
  void givenAnEngineWritingOutsideItsVolumes_thenTheReadOnlyRootRefusesIt() throws Exception {
    // not a path the operator would ever give: the engine told to store into the image itself
    Pod pod =
        client
            .pods()
            .inNamespace(NS)
            .resource(
                enginePod(
                    "writes-root",
                    List.of(
                        "backup",
                        "--type",
                        "files",
                        "--files",
                        "etc=/etc",
                        "--storage",
                        "file:///opt/coffer/backups",
                        "--recipient",
                        identity.recipient().encoded(),
                        "-q")))
            .create();
    Pod end = awaitPod(pod.getMetadata().getName());
    assertThat(end.getStatus().getPhase()).isEqualTo("Failed");
    String log = client.pods().inNamespace(NS).withName("writes-root").getLog();
    assertThat(log).contains("coffer: error:").containsIgnoringCase("read-only file system");
    assertThat(
            Files.exists(
                Path.of(
                    System.getProperty("user.home"),
                    ".cache/coffer/images",
                    ImageRuntime.shared().digest().replace(':', '-'),
                    "rootfs/opt/coffer/backups")))
        .as("the shared image stays untouched")
        .isFalse();
  }

  @Test
  void givenASecretOnlyItsOwnerMayRead_withoutAnFsGroup_thenTheEngineCannotReadIt_asOnANode()
      throws Exception {
    // the operator's Jobs mount Secrets 0400 and rely on fsGroup to make them readable to 65532:
    // without it, EACCES
    Pod pod =
        enginePod(
            "no-fsgroup",
            List.of(
                "backup",
                "--type",
                "files",
                "--files",
                "etc=/etc",
                "--storage",
                "file:///tmp/out",
                "--passphrase-file",
                "/etc/coffer/key/identity",
                "-q"));
    pod.getSpec().getSecurityContext().setFsGroup(null);
    pod.getSpec()
        .getVolumes()
        .add(
            new io.fabric8.kubernetes.api.model.VolumeBuilder()
                .withName("key")
                .withNewSecret()
                .withSecretName("age-key")
                .withDefaultMode(0400)
                .endSecret()
                .build());
    pod.getSpec()
        .getContainers()
        .get(0)
        .getVolumeMounts()
        .add(
            new io.fabric8.kubernetes.api.model.VolumeMountBuilder()
                .withName("key")
                .withMountPath("/etc/coffer/key")
                .withReadOnly(true)
                .build());
    client.pods().inNamespace(NS).resource(pod).create();
    Pod end = awaitPod("no-fsgroup");
    assertThat(end.getStatus().getPhase()).isEqualTo("Failed");
    assertThat(client.pods().inNamespace(NS).withName("no-fsgroup").getLog())
        .contains("coffer: error:")
        .containsIgnoringCase("permission denied");
  }

  @Test
  void givenAVolumeMountedInsideAnother_thenBothAreThere_whateverTheOrderThePodListsThem()
      throws Exception {
    // the nested mount listed first: a runtime mounts parents first and makes the mount point
    // inside the parent volume
    Pod pod =
        enginePod(
            "nested",
            List.of(
                "backup",
                "--type",
                "files",
                "--files",
                "inner=/work/inner",
                "--storage",
                "file:///work/out",
                "--recipient",
                identity.recipient().encoded(),
                "-q"));
    var c = pod.getSpec().getContainers().get(0);
    c.getVolumeMounts()
        .add(
            0,
            new io.fabric8.kubernetes.api.model.VolumeMountBuilder()
                .withName("inner")
                .withMountPath("/work/inner")
                .build());
    c.getVolumeMounts()
        .add(
            new io.fabric8.kubernetes.api.model.VolumeMountBuilder()
                .withName("work")
                .withMountPath("/work")
                .build());
    pod.getSpec()
        .getVolumes()
        .add(
            new io.fabric8.kubernetes.api.model.VolumeBuilder()
                .withName("inner")
                .withNewEmptyDir()
                .endEmptyDir()
                .build());
    pod.getSpec()
        .getVolumes()
        .add(
            new io.fabric8.kubernetes.api.model.VolumeBuilder()
                .withName("work")
                .withNewEmptyDir()
                .endEmptyDir()
                .build());
    client.pods().inNamespace(NS).resource(pod).create();
    Pod end = awaitPod("nested");
    assertThat(end.getStatus().getPhase())
        .as(client.pods().inNamespace(NS).withName("nested").getLog())
        .isEqualTo("Succeeded");
  }

  @Test
  void
      givenAMemoryLimitTheEngineCannotLiveIn_thenTheKernelKillsIt_andTheBackupSaysWhichFieldToRaise()
          throws Exception {
    Assumptions.assumeTrue(
        ImageRuntime.shared().memoryLimits() || "true".equals(System.getenv("CI")),
        "no writable memory cgroup here");
    Backup b = backup("starved", "s3");
    b.getSpec().backoffLimit = 0;
    b.getSpec().podTemplate = new PodTemplate();
    b.getSpec().podTemplate.resources =
        new ResourceRequirementsBuilder().addToLimits("memory", new Quantity("16Mi")).build();
    client.resource(b).create();
    Backup done =
        await("starved", x -> x.getStatus() != null && x.getStatus().phase == Phase.Failed);
    assertThat(done.getStatus().lastError)
        .contains("OOMKilled")
        .contains("16Mi")
        .contains("spec.podTemplate.resources.limits.memory");
    Pod pod =
        client
            .pods()
            .inNamespace(NS)
            .withLabel("job-name", done.getStatus().jobName)
            .list()
            .getItems()
            .get(0);
    assertThat(pod.getStatus().getContainerStatuses().get(0).getState().getTerminated().getReason())
        .isEqualTo("OOMKilled");
  }

  /**
   * A bare pod of the Coffer image that passes Pod Security "restricted", as the operator's Jobs
   * do.
   */
  static Pod enginePod(String name, List<String> args) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .withAutomountServiceAccountToken(false)
        .withNewSecurityContext()
        .withRunAsNonRoot(true)
        .withRunAsUser(65532L)
        .withRunAsGroup(65532L)
        .withFsGroup(65532L)
        .withNewSeccompProfile()
        .withType("RuntimeDefault")
        .endSeccompProfile()
        .endSecurityContext()
        .addNewContainer()
        .withName("engine")
        .withImage(ImageRuntime.REFERENCE)
        .withArgs(args)
        .withNewSecurityContext()
        .withAllowPrivilegeEscalation(false)
        .withReadOnlyRootFilesystem(true)
        .withRunAsNonRoot(true)
        .withNewCapabilities()
        .withDrop("ALL")
        .endCapabilities()
        .endSecurityContext()
        .addNewVolumeMount()
        .withName("tmp")
        .withMountPath("/tmp")
        .endVolumeMount()
        .endContainer()
        .addNewVolume()
        .withName("tmp")
        .withNewEmptyDir()
        .endEmptyDir()
        .endVolume()
        .endSpec()
        .build();
  }

  static Pod awaitPod(String name) {
    return client
        .pods()
        .inNamespace(NS)
        .withName(name)
        .waitUntilCondition(
            p ->
                p != null
                    && p.getStatus() != null
                    && ("Succeeded".equals(p.getStatus().getPhase())
                        || "Failed".equals(p.getStatus().getPhase())),
            90,
            TimeUnit.SECONDS);
  }
}
