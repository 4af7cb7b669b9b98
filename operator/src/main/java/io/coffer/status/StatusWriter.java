package io.coffer.status;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import java.util.Map;

/**
 * The one way the controllers write a status: the whole status replaced in one JSON patch ({@code add /status}),
 * then cached so the next reconcile reads it back. Unlike a patch computed as the difference from the cached copy,
 * this does not depend on that copy being current: a diff from a copy one event behind can name fields the
 * stored object no longer has, which a server refuses and a retry computed from the same copy repeats.
 */
public final class StatusWriter {
  private StatusWriter() {}

  /**
   * Replaces the status of {@code resource} with {@code resource.getStatus()}; writes nothing when the cached copy
   * already says the same (a Backup looked at every few seconds while its Job runs costs no write when nothing moved).
   */
  public static <P extends CustomResource<?, ?>> void replace(P resource, Context<P> ctx) {
    var json = ctx.getClient().getKubernetesSerialization().asJson(resource.getStatus());
    var cached = ctx.getPrimaryCache().get(io.javaoperatorsdk.operator.processing.event.ResourceID.fromResource(resource));
    if (cached.isPresent() && json.equals(ctx.getClient().getKubernetesSerialization().asJson(cached.get().getStatus()))) return;
    String patch = "[{\"op\":\"add\",\"path\":\"/status\",\"value\":" + json + "}]";
    PrimaryUpdateAndCacheUtils.updateAndCacheResource(resource, ctx, r -> r,
        r -> ctx.getClient().resource(r).subresource("status").patch(PatchContext.of(PatchType.JSON), patch));
  }

  /**
   * Sets one member of the status (and nothing else) with a JSON merge patch: for a second controller that owns
   * only that member of another controller's resource.
   */
  public static <P extends CustomResource<?, ?>> void mergeMember(P resource, Context<P> ctx, String member, Object value) {
    String patch = ctx.getClient().getKubernetesSerialization().asJson(Map.of("status", Map.of(member, value)));
    PrimaryUpdateAndCacheUtils.updateAndCacheResource(resource, ctx, r -> r,
        r -> ctx.getClient().resource(r).subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), patch));
  }

  /** The metadata labels of {@code resource} merged with {@code labels}, in their own merge patch. */
  public static <P extends HasMetadata> void mergeLabels(P resource, Context<P> ctx, Map<String, String> labels) {
    String patch = ctx.getClient().getKubernetesSerialization().asJson(Map.of("metadata", Map.of("labels", labels)));
    PrimaryUpdateAndCacheUtils.updateAndCacheResource(resource, ctx, r -> r,
        r -> ctx.getClient().resource(r).patch(PatchContext.of(PatchType.JSON_MERGE), patch));
  }
}
