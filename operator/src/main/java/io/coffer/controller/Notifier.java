package io.coffer.controller;

import io.coffer.status.Reason;
import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * Tells people outside the cluster what an event tells those who look at it: the operator's
 * transitions, as they are recorded ({@link Actuator}). Best effort, never blocking a reconcile.
 */
@FunctionalInterface
public interface Notifier {
  Notifier NONE = (about, warning, reason, message) -> {};

  void notify(HasMetadata about, boolean warning, Reason reason, String message);
}
