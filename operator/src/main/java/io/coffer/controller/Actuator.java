package io.coffer.controller;

import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;

/**
 * Carries out a decision's actions for the resource being reconciled. Creating is idempotent (409
 * means it exists already: made before a restart, or by the look before this one), and a Job just
 * created goes into the Job informer's cache at once, so the next look counts it even before its
 * watch event arrives. Events are best effort.
 */
public final class Actuator {
  private final EventRecorder events;
  private final Notifier notifier;

  public Actuator(Clock clock) {
    this(clock, Notifier.NONE);
  }

  /** {@code notifier}: who else hears of each recorded transition (a webhook). */
  public Actuator(Clock clock, Notifier notifier) {
    this.events = new EventRecorder(clock);
    this.notifier = notifier;
  }

  public <P extends HasMetadata> void run(P primary, List<Action> actions, Context<P> ctx) {
    var client = ctx.getClient();
    for (Action a : actions) {
      if (a instanceof Action.CreateJob c) {
        Job placed = Placement.place(client, c.job());
        try {
          Job created = client.resource(placed).create();
          if (ctx.eventSourceRetriever().getEventSourceFor(Job.class)
              instanceof InformerEventSource<Job, P> jobs) {
            jobs.handleRecentResourceCreate(ResourceID.fromResource(primary), created);
          }
        } catch (KubernetesClientException e) {
          if (e.getCode() != 409) throw e;
        }
      } else if (a instanceof Action.DeleteJob d) {
        client.resource(d.job()).withPropagationPolicy(DeletionPropagation.FOREGROUND).delete();
      } else if (a instanceof Action.Create c) {
        try {
          client.resource(c.resource()).create();
        } catch (KubernetesClientException e) {
          if (e.getCode() != 409) throw e;
        }
      } else if (a instanceof Action.Apply ap) {
        client.resource(ap.resource()).fieldManager("coffer").forceConflicts().serverSideApply();
      } else if (a instanceof Action.Delete d) {
        client.resource(d.resource()).delete();
      } else if (a instanceof Action.Annotate an) {
        try {
          client
              .resource(an.resource())
              .edit(
                  x -> {
                    if (x.getMetadata().getAnnotations() == null)
                      x.getMetadata().setAnnotations(new HashMap<>());
                    x.getMetadata().getAnnotations().put(an.key(), an.value());
                    return x;
                  });
        } catch (KubernetesClientException e) {
          if (e.getCode() != 404) throw e; // gone meanwhile: nothing to ask
        }
      } else if (a instanceof Action.Event e) {
        if (e.warning()) events.warning(client, primary, e.reason(), e.message());
        else events.normal(client, primary, e.reason(), e.message());
        notifier.notify(primary, e.warning(), e.reason(), e.message());
      }
    }
  }
}
