package io.coffer.controller;

import io.coffer.status.Statuses;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The one way a decision's status reaches the API server: through the framework's {@code
 * PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource}, a server-side apply of the status
 * subresource under the controller's field manager, and only when it differs from the stored
 * status. The patch carries the resource's name and its status, nothing else, so no other field
 * gets an owner by accident. Unlike returning {@code UpdateControl.patchStatus}, which writes after
 * the reconcile and may let the next one see the status from before (an event that arrives first),
 * this waits until the informer cache holds what was written: the next look never decides on a
 * status older than the last write (a retry counted twice, an attempt started twice). Against
 * fabric8's mock, which knows no server-side apply, the same status replaces the stored one in a
 * JSON patch ({@code add /status}), through the framework's {@code updateAndCacheResource}.
 */
public final class Writes {
  private final boolean serverSideApply;

  public Writes(boolean serverSideApply) {
    this.serverSideApply = serverSideApply;
  }

  public <S, P extends CustomResource<?, S>> UpdateControl<P> control(
      P primary, Decision<S> d, Supplier<P> empty, Context<P> ctx) {
    if (changed(primary, d)) write(primary, d.status(), empty, ctx);
    UpdateControl<P> c = UpdateControl.noUpdate();
    if (d.requeue() != null) c.rescheduleAfter(atLeastOneMs(d.requeue()));
    return c;
  }

  /** For a Cleaner: writes the status if it changed, then keeps or releases the finalizer. */
  public <S, P extends CustomResource<?, S>> DeleteControl cleanup(
      P primary, Decision<S> d, boolean release, Supplier<P> empty, Context<P> ctx) {
    if (release) return DeleteControl.defaultDelete();
    if (changed(primary, d)) write(primary, d.status(), empty, ctx);
    DeleteControl c = DeleteControl.noFinalizerRemoval();
    if (d.requeue() != null) c.rescheduleAfter(atLeastOneMs(d.requeue()));
    return c;
  }

  private <S, P extends CustomResource<?, S>> void write(
      P primary, S status, Supplier<P> empty, Context<P> ctx) {
    if (serverSideApply) {
      PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource(
          primary, statusOnly(primary, status, empty), ctx);
      return;
    }
    String patch =
        "[{\"op\":\"add\",\"path\":\"/status\",\"value\":"
            + ctx.getClient().getKubernetesSerialization().asJson(status)
            + "}]";
    PrimaryUpdateAndCacheUtils.updateAndCacheResource(
        primary,
        ctx,
        r -> r,
        r ->
            ctx.getClient()
                .resource(r)
                .subresource("status")
                .patch(PatchContext.of(PatchType.JSON), patch));
  }

  private static <S, P extends CustomResource<?, S>> boolean changed(P primary, Decision<S> d) {
    return d.status() != null && !Statuses.same(d.status(), primary.getStatus());
  }

  private static <S, P extends CustomResource<?, S>> P statusOnly(
      P primary, S status, Supplier<P> empty) {
    P p = empty.get();
    p.setMetadata(
        new ObjectMetaBuilder()
            .withName(primary.getMetadata().getName())
            .withNamespace(primary.getMetadata().getNamespace())
            .build());
    p.setStatus(status);
    return p;
  }

  private static Duration atLeastOneMs(Duration d) {
    return d.toMillis() < 1 ? Duration.ofMillis(1) : d;
  }
}
