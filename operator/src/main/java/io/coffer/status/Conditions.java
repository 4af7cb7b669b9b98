package io.coffer.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The one writer of conditions: replaces a condition of the same type, keeps its lastTransitionTime when the
 * status did not change, and stamps observedGeneration.
 */
public final class Conditions {
  public static final String READY = "Ready";
  public static final String FAILED = "Failed";

  private Conditions() {}

  public static void set(List<Condition> conditions, String type, boolean status, Reason reason, String message, Long generation,
      Clock clock) {
    String s = status ? "True" : "False";
    Condition old = conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    String since = old != null && s.equals(old.getStatus()) ? old.getLastTransitionTime()
        : Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    conditions.removeIf(c -> type.equals(c.getType()));
    conditions.add(new ConditionBuilder().withType(type).withStatus(s).withReason(reason.name()).withMessage(message)
        .withLastTransitionTime(since).withObservedGeneration(generation).build());
  }

  public static Condition get(List<Condition> conditions, String type) {
    return conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
  }
}
