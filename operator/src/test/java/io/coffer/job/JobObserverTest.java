package io.coffer.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Job and pod states as a kubelet and the Job controller write them, read as plain values. */
class JobObserverTest {
  static Job job() {
    return new JobBuilder()
        .withNewMetadata()
        .withName("nightly-backup-1")
        .endMetadata()
        .withNewStatus()
        .endStatus()
        .build();
  }

  static Pod pod(ContainerState state) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("nightly-backup-1-abcde")
        .addToLabels("job-name", "nightly-backup-1")
        .withCreationTimestamp("2026-12-01T10:00:00Z")
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("engine")
        .withNewResources()
        .addToLimits("memory", new Quantity("384Mi"))
        .endResources()
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withStartTime("2026-12-01T10:00:01Z")
        .withContainerStatuses(
            new ContainerStatusBuilder().withName("engine").withState(state).build())
        .endStatus()
        .build();
  }

  @Test
  void givenTheKernelKilledTheEngineForItsMemory_thenTheFailureNamesTheLimitAndTheFieldToRaise() {
    var oom =
        new ContainerStateBuilder()
            .withNewTerminated()
            .withExitCode(137)
            .withReason("OOMKilled")
            .withMessage("{\"progress\":...half a line of log")
            .endTerminated()
            .build();
    var out = JobObserver.observe(job(), List.of(pod(oom)));
    assertThat(out.state()).isEqualTo(JobObserver.State.FAILED);
    assertThat(out.message())
        .isEqualTo(
            "the engine was killed for using more memory than its limit (384Mi) (OOMKilled): "
                + "raise spec.podTemplate.resources.limits.memory");
  }

  @Test
  void givenAnImageTheNodeDoesNotHave_thenTheJobFailsAtOnce_sayingSo() {
    var waiting =
        new ContainerStateBuilder()
            .withNewWaiting()
            .withReason("ErrImageNeverPull")
            .withMessage("image \"coffer:old\" is not present")
            .endWaiting()
            .build();
    var out = JobObserver.observe(job(), List.of(pod(waiting)));
    assertThat(out.state()).isEqualTo(JobObserver.State.FAILED);
    assertThat(out.message())
        .startsWith("the pod cannot start: ErrImageNeverPull: image \"coffer:old\"");
  }

  @Test
  void givenAnErrorExitWithAResult_thenTheResultIsTheMessage() {
    var err =
        new ContainerStateBuilder()
            .withNewTerminated()
            .withExitCode(4)
            .withReason("Error")
            .withMessage("{\"error\":\"x\"}")
            .endTerminated()
            .build();
    var out = JobObserver.observe(job(), List.of(pod(err)));
    assertThat(out.state()).isEqualTo(JobObserver.State.FAILED);
    assertThat(out.message()).isEqualTo("{\"error\":\"x\"}");
  }
}
