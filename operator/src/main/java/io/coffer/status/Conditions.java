package io.coffer.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The one writer of conditions, in the three shapes a Coffer resource is in: working on it (Ready
 * False), done (Ready True, Failed False) or failed for good (Ready False, Failed True). A
 * condition keeps its lastTransitionTime while its status stays the same, and carries the
 * generation it describes. Pure: the time is given.
 */
public final class Conditions {
  public static final String READY = "Ready";
  public static final String FAILED = "Failed";

  private Conditions() {}

  /** Not ready yet, not failed: pending, running, waiting, retrying. */
  public static void working(
      List<Condition> conditions, Reason reason, String message, Long generation, Instant now) {
    set(conditions, READY, false, reason, message, generation, now);
  }

  /** Done: Ready True, and Failed False if it was ever set. */
  public static void ready(
      List<Condition> conditions, Reason reason, String message, Long generation, Instant now) {
    set(conditions, READY, true, reason, message, generation, now);
    if (get(conditions, FAILED) != null)
      set(conditions, FAILED, false, reason, "", generation, now);
  }

  /** Failed for good: no further attempt follows. */
  public static void failed(
      List<Condition> conditions, Reason reason, String message, Long generation, Instant now) {
    set(conditions, READY, false, reason, message, generation, now);
    set(conditions, FAILED, true, reason, message, generation, now);
  }

  /** Sets one condition (Ready, Failed, or another type such as a schedule's PointInTimeReady). */
  public static void set(
      List<Condition> conditions,
      String type,
      boolean status,
      Reason reason,
      String message,
      Long generation,
      Instant now) {
    String s = status ? "True" : "False";
    Condition old = get(conditions, type);
    String since =
        old != null && s.equals(old.getStatus())
            ? old.getLastTransitionTime()
            : now.truncatedTo(ChronoUnit.SECONDS).toString();
    conditions.removeIf(c -> type.equals(c.getType()));
    conditions.add(
        new ConditionBuilder()
            .withType(type)
            .withStatus(s)
            .withReason(reason.name())
            .withMessage(message)
            .withLastTransitionTime(since)
            .withObservedGeneration(generation)
            .build());
  }

  public static Condition get(List<Condition> conditions, String type) {
    return conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
  }
}
