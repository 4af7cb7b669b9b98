package io.coffer.controller;

import io.coffer.job.JobFactory;
import io.coffer.protocol.Purpose;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Set;

/**
 * The informers every Job-running controller needs: its Jobs and their pods, mapped to the resource
 * a label names.
 */
public final class JobEventSources {
  private JobEventSources() {}

  /**
   * Jobs and pods with {@code managed-by=coffer} (and {@code coffer.io/purpose=purpose}, when
   * given), mapped to the resource named by label {@code ownerLabel} (pods carry no owner reference
   * to it).
   */
  public static <P extends HasMetadata> List<EventSource<?, P>> of(
      EventSourceContext<P> ctx,
      Class<P> primary,
      String name,
      Purpose purpose,
      String ownerLabel) {
    String selector =
        JobFactory.LABEL_MANAGED_BY
            + "="
            + JobFactory.MANAGER
            + (purpose == null ? "" : "," + JobFactory.LABEL_PURPOSE + "=" + purpose.label());
    return List.of(
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Job.class, primary)
                .withName(name + "-jobs")
                .withLabelSelector(selector)
                .withSecondaryToPrimaryMapper(byLabel(ownerLabel))
                .build(),
            ctx),
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Pod.class, primary)
                .withName(name + "-pods")
                .withLabelSelector(selector)
                .withSecondaryToPrimaryMapper(byLabel(ownerLabel))
                .build(),
            ctx));
  }

  /** Maps a resource to the one, in its namespace, that its label {@code label} names. */
  public static <R extends HasMetadata> SecondaryToPrimaryMapper<R> byLabel(String label) {
    return r -> {
      String name =
          r.getMetadata().getLabels() == null ? null : r.getMetadata().getLabels().get(label);
      return name == null ? Set.of() : Set.of(new ResourceID(name, r.getMetadata().getNamespace()));
    };
  }
}
