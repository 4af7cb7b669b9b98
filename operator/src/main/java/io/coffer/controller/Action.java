package io.coffer.controller;

import io.coffer.status.Reason;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.batch.v1.Job;

/**
 * What a decider asks the reconciler to do besides writing the status: plain values, so a decision
 * can be compared in a unit test, and carried out by {@link Actuator} in the order given.
 */
public sealed interface Action {
  /** Create this Job (once: a Job of that name that exists already is the same one). */
  record CreateJob(Job job) implements Action {}

  /** Stop this Job and its pod (foreground deletion). */
  record DeleteJob(Job job) implements Action {}

  /** Create this resource (a schedule's Backup); one that exists already is left alone. */
  record Create(HasMetadata resource) implements Action {}

  /**
   * Make this resource exactly as given where it exists (a schedule's archiver Deployment whose pod
   * changed: its own rollout strategy replaces the pod).
   */
  record Apply(HasMetadata resource) implements Action {}

  /** Delete this resource (a schedule's old Backup, a Backup whose ttl expired). */
  record Delete(HasMetadata resource) implements Action {}

  /** Set an annotation on a resource (a schedule asking a Backup for a verification). */
  record Annotate(HasMetadata resource, String key, String value) implements Action {}

  /** A Kubernetes Event about the resource being reconciled. */
  record Event(Reason reason, boolean warning, String message) implements Action {
    public static Event normal(Reason reason, String message) {
      return new Event(reason, false, message);
    }

    public static Event warning(Reason reason, String message) {
      return new Event(reason, true, message);
    }
  }
}
