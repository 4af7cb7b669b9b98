package io.coffer.job;

import io.coffer.protocol.Protocol;
import io.coffer.protocol.Purpose;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Reads what a Job and its pod say, as Kubernetes writes it: the Job's conditions, the container's
 * state and its termination message (the engine's result file). Pure.
 */
public final class JobObserver {
  /** Waiting reasons that will not fix themselves: a missing Secret or ConfigMap, a bad image. */
  static final Set<String> STUCK =
      Set.of(
          "CreateContainerConfigError",
          "InvalidImageName",
          "ErrImagePull",
          "ImagePullBackOff",
          "CreateContainerError",
          "ErrImageNeverPull");

  public enum State {
    PENDING,
    RUNNING,
    SUCCEEDED,
    FAILED
  }

  /**
   * {@code message} is the termination message (engine result JSON) when there is one, else a
   * reason; {@code result} is that message read once, as the protocol's record for the Job's
   * purpose (its result, its failure, or Unknown).
   */
  public record Outcome(
      State state, String message, String startedAt, String podName, Protocol.Outcome result) {
    Outcome(State state, String message, String startedAt, String podName, Purpose purpose) {
      this(
          state,
          message,
          startedAt,
          podName,
          purpose == null ? new Protocol.Unknown(message) : Protocol.outcome(message, purpose));
    }
  }

  private JobObserver() {}

  public static Outcome observe(Job job, Collection<Pod> pods) {
    Purpose purpose = JobFactory.purpose(job);
    Pod pod =
        podsOf(job, pods)
            .max(
                Comparator.comparing(
                    p ->
                        p.getMetadata().getCreationTimestamp() == null
                            ? ""
                            : p.getMetadata().getCreationTimestamp()))
            .orElse(null);
    ContainerStatus cs =
        pod == null
                || pod.getStatus() == null
                || pod.getStatus().getContainerStatuses() == null
                || pod.getStatus().getContainerStatuses().isEmpty()
            ? null
            : pod.getStatus().getContainerStatuses().get(0);
    ContainerStateTerminated term =
        cs == null || cs.getState() == null ? null : cs.getState().getTerminated();
    String startedAt =
        pod == null || pod.getStatus() == null ? null : pod.getStatus().getStartTime();
    List<JobCondition> conds =
        job.getStatus() == null || job.getStatus().getConditions() == null
            ? List.of()
            : job.getStatus().getConditions();
    boolean complete =
        conds.stream()
            .anyMatch(c -> "Complete".equals(c.getType()) && "True".equals(c.getStatus()));
    JobCondition failed =
        conds.stream()
            .filter(c -> "Failed".equals(c.getType()) && "True".equals(c.getStatus()))
            .findFirst()
            .orElse(null);
    String podName = pod == null ? null : pod.getMetadata().getName();
    if (!complete && term != null && "OOMKilled".equals(term.getReason())) {
      // the kernel killed it: the log tail it leaves says nothing useful, the limit does
      var limits =
          pod.getSpec().getContainers().get(0).getResources() == null
              ? null
              : pod.getSpec().getContainers().get(0).getResources().getLimits();
      var memory = limits == null ? null : limits.get("memory");
      return new Outcome(
          State.FAILED,
          "the engine was killed for using more memory than its limit"
              + (memory == null ? "" : " (" + memory + ")")
              + " (OOMKilled): raise spec.podTemplate.resources.limits.memory",
          startedAt,
          podName,
          purpose);
    }
    if (complete)
      return new Outcome(
          State.SUCCEEDED, term == null ? null : term.getMessage(), startedAt, podName, purpose);
    if (failed != null) {
      String msg =
          term != null && term.getMessage() != null && !term.getMessage().isBlank()
              ? term.getMessage()
              : "the Job failed: "
                  + failed.getReason()
                  + (failed.getMessage() == null ? "" : " (" + failed.getMessage() + ")");
      return new Outcome(State.FAILED, msg, startedAt, podName, purpose);
    }
    if (term != null && term.getExitCode() != null && term.getExitCode() != 0) {
      return new Outcome(
          State.FAILED,
          term.getMessage() == null || term.getMessage().isBlank()
              ? "the engine exited with code " + term.getExitCode()
              : term.getMessage(),
          startedAt,
          podName,
          purpose);
    }
    if (term != null)
      return new Outcome(
          State.RUNNING, null, startedAt, podName, purpose); // exited 0: the Job is completing
    ContainerStateWaiting waiting =
        cs == null || cs.getState() == null ? null : cs.getState().getWaiting();
    if (waiting != null && STUCK.contains(waiting.getReason())) {
      return new Outcome(
          State.FAILED,
          "the pod cannot start: "
              + waiting.getReason()
              + (waiting.getMessage() == null ? "" : ": " + waiting.getMessage()),
          startedAt,
          podName,
          purpose);
    }
    if (cs != null && cs.getState() != null && cs.getState().getRunning() != null) {
      return new Outcome(State.RUNNING, null, startedAt, podName, purpose);
    }
    return new Outcome(State.PENDING, null, startedAt, podName, purpose);
  }

  /** The pods of {@code job} among {@code pods} (by the job-name label the Job controller sets). */
  public static java.util.stream.Stream<Pod> podsOf(Job job, Collection<Pod> pods) {
    return pods.stream().filter(p -> job.getMetadata().getName().equals(label(p, "job-name")));
  }

  private static String label(Pod p, String key) {
    return p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(key);
  }
}
