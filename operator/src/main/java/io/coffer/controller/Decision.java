package io.coffer.controller;

import io.coffer.status.Reason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What a decider made of one look at a resource: its new status (null: the status stays as it is),
 * the actions to carry out, and when to look again if no event comes first (null: only on an
 * event).
 */
public record Decision<S>(S status, List<Action> actions, Duration requeue) {
  public Decision {
    actions = List.copyOf(actions);
  }

  /** Nothing to write or do. */
  public static <S> Decision<S> none() {
    return new Decision<>(null, List.of(), null);
  }

  /**
   * A decision under construction: deciders add actions as they go and finish with a status and a
   * requeue.
   */
  public static final class Builder<S> {
    private final List<Action> actions = new ArrayList<>();

    public Builder<S> act(Action a) {
      actions.add(a);
      return this;
    }

    public Builder<S> event(Reason reason, String message) {
      return act(Action.Event.normal(reason, message));
    }

    public Builder<S> warning(Reason reason, String message) {
      return act(Action.Event.warning(reason, message));
    }

    public Decision<S> done(S status, Duration requeue) {
      return new Decision<>(status, actions, requeue);
    }

    public List<Action> actions() {
      return actions;
    }
  }
}
