package io.coffer.testing;

import io.coffer.protocol.BackupResult;
import io.coffer.protocol.Consistency;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Failure;
import io.coffer.protocol.Protocol;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;

/**
 * Jobs and pods in the states Kubernetes writes (the Job controller's conditions, the kubelet's
 * container states and termination message), for unit tests of the deciders: what an informer cache
 * would hold, as plain values.
 */
public final class JobStates {
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private JobStates() {}

  /** The Job as the API server stores it right after creation: no status. */
  public static Job created(Job j) {
    return JSON.clone(j);
  }

  public static Job complete(Job j) {
    Job c = JSON.clone(j);
    c.setStatus(
        new JobStatusBuilder()
            .withConditions(
                new JobConditionBuilder().withType("Complete").withStatus("True").build())
            .build());
    return c;
  }

  public static Job failed(Job j) {
    Job c = JSON.clone(j);
    c.setStatus(
        new JobStatusBuilder()
            .withConditions(
                new JobConditionBuilder()
                    .withType("Failed")
                    .withStatus("True")
                    .withReason("BackoffLimitExceeded")
                    .build())
            .build());
    return c;
  }

  public static Pod pending(Job j) {
    return pod(
        j,
        new ContainerStatusBuilder()
            .withName("engine")
            .withNewState()
            .withNewWaiting()
            .withReason("ContainerCreating")
            .endWaiting()
            .endState()
            .build(),
        null);
  }

  public static Pod running(Job j) {
    return pod(
        j,
        new ContainerStatusBuilder()
            .withName("engine")
            .withNewState()
            .withNewRunning()
            .withStartedAt("2026-12-01T02:00:05Z")
            .endRunning()
            .endState()
            .build(),
        "2026-12-01T02:00:01Z");
  }

  /**
   * A pod whose container ended with {@code exitCode} and left {@code message} (the engine's
   * --result-file).
   */
  public static Pod terminated(Job j, int exitCode, String message) {
    return pod(
        j,
        new ContainerStatusBuilder()
            .withName("engine")
            .withNewState()
            .withNewTerminated()
            .withExitCode(exitCode)
            .withMessage(message)
            .endTerminated()
            .endState()
            .build(),
        "2026-12-01T02:00:01Z");
  }

  /**
   * A pod that cannot start: the kubelet's waiting reason, e.g. CreateContainerConfigError for a
   * missing Secret.
   */
  public static Pod stuck(Job j, String reason, String message) {
    return pod(
        j,
        new ContainerStatusBuilder()
            .withName("engine")
            .withNewState()
            .withNewWaiting()
            .withReason(reason)
            .withMessage(message)
            .endWaiting()
            .endState()
            .build(),
        null);
  }

  private static Pod pod(
      Job j, io.fabric8.kubernetes.api.model.ContainerStatus cs, String startTime) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(j.getMetadata().getName() + "-x1y2z")
        .withNamespace(j.getMetadata().getNamespace())
        .withLabels(Map.of("job-name", j.getMetadata().getName()))
        .withOwnerReferences(
            new io.fabric8.kubernetes.api.model.OwnerReferenceBuilder()
                .withApiVersion("batch/v1")
                .withKind("Job")
                .withName(j.getMetadata().getName())
                .withUid(j.getMetadata().getUid())
                .withController(true)
                .build())
        .withCreationTimestamp("2026-12-01T02:00:00Z")
        .endMetadata()
        .withNewStatus()
        .withStartTime(startTime)
        .withContainerStatuses(List.of(cs))
        .endStatus()
        .build();
  }

  /** A backup result as the engine writes it, of a server with an oplog. */
  public static String backupResult(String id, long stored) {
    return backupResult(id, stored, Consistency.pointInTime("2026-12-07T10:00:00Z"));
  }

  /** A backup result as the engine writes it. */
  public static String backupResult(String id, long stored, Consistency consistency) {
    return Protocol.write(
        new BackupResult(
            "Succeeded",
            id,
            "full",
            "s3://backups/rayerp",
            id + ".zip.age",
            stored,
            stored * 3,
            "ab".repeat(32),
            true,
            List.of("age1example"),
            12.5,
            3,
            2001,
            1,
            Map.of("hr", 2000L),
            Map.of("erp.employees", 2000L),
            null,
            0,
            null,
            consistency,
            null,
            null));
  }

  /** A failure as the engine writes it. */
  public static String failure(ExitCode code, String message) {
    return Protocol.write(Failure.of(code, message));
  }
}
