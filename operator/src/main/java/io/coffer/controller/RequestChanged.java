package io.coffer.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import java.util.Objects;

/**
 * Which updates of a Backup or a Restore are news to its controller: what its owner asks (the
 * spec's generation, annotations such as coffer.io/verify-requested, coffer.io/deletion-policy or
 * coffer.io/uploaded) and its deletion. Not its status: the controller wrote that itself, and
 * waking on it would make each progress write the cause of the next log read.
 */
public final class RequestChanged implements OnUpdateFilter<HasMetadata> {
  @Override
  public boolean accept(HasMetadata updated, HasMetadata old) {
    var n = updated.getMetadata();
    var o = old.getMetadata();
    return !Objects.equals(n.getGeneration(), o.getGeneration())
        || !Objects.equals(n.getAnnotations(), o.getAnnotations())
        || !Objects.equals(n.getDeletionTimestamp(), o.getDeletionTimestamp())
        || !Objects.equals(n.getFinalizers(), o.getFinalizers());
  }
}
