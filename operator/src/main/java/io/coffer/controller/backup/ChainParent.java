package io.coffer.controller.backup;

import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.Phase;
import java.util.Collection;
import java.util.Comparator;
import java.util.Objects;
import java.util.Optional;

/**
 * Which Backup an Incremental one builds on: the one named in spec.chain.parent, else the newest
 * Succeeded Backup of the same source, storage and index key. Once an attempt's Job exists, its
 * annotation {@code coffer.io/parent-backup-id} is the answer, so retries and a restarted operator
 * never change a chain. Pure.
 */
final class ChainParent {
  /** Either a parent, or why there is none yet ({@code waiting}) or ever ({@code failure}). */
  record Choice(Backup parent, String waiting, String failure) {}

  private ChainParent() {}

  static Choice choose(Backup b, Collection<Backup> all) {
    BackupSpec spec = b.getSpec();
    String ns = b.getMetadata().getNamespace();
    if (spec.chain.parent != null) {
      Optional<Backup> named =
          all.stream()
              .filter(x -> ns.equals(x.getMetadata().getNamespace()))
              .filter(x -> x.getMetadata().getName().equals(spec.chain.parent))
              .findFirst();
      if (named.isEmpty())
        return new Choice(
            null,
            null,
            "chain.parent " + spec.chain.parent + " is not a Backup in namespace " + ns);
      Backup p = named.get();
      if (p.getSpec().chain == null) {
        return new Choice(
            null,
            null,
            "Backup "
                + spec.chain.parent
                + " was made without chain.indexKeySecret; nothing can build on it");
      }
      Phase phase = p.getStatus() == null ? null : p.getStatus().phase;
      if (phase == Phase.Failed)
        return new Choice(
            null, null, "Backup " + spec.chain.parent + " failed; nothing can build on it");
      if (phase != Phase.Succeeded)
        return new Choice(null, "waiting for Backup " + spec.chain.parent + " to succeed", null);
      return new Choice(p, null, null);
    }
    return all.stream()
        .filter(
            x ->
                ns.equals(x.getMetadata().getNamespace())
                    && !x.getMetadata().getName().equals(b.getMetadata().getName()))
        .filter(x -> x.getMetadata().getDeletionTimestamp() == null)
        .filter(
            x ->
                x.getStatus() != null
                    && x.getStatus().phase == Phase.Succeeded
                    && x.getStatus().completedAt != null)
        .filter(x -> sameChain(x.getSpec(), spec))
        .max(Comparator.comparing(x -> x.getStatus().completedAt))
        .map(p -> new Choice(p, null, null))
        .orElse(
            new Choice(
                null,
                null,
                "no Succeeded Backup with the same source, storage and chain.indexKeySecret to build on: "
                    + "make a Full (or Database, Files) Backup with spec.chain first"));
  }

  private static boolean sameChain(BackupSpec a, BackupSpec b) {
    if (a.chain == null || b.chain == null) return false;
    return Objects.equals(json(a.source), json(b.source))
        && Objects.equals(json(a.storage), json(b.storage))
        && Objects.equals(json(a.chain.indexKeySecret), json(b.chain.indexKeySecret));
  }

  private static String json(Object o) {
    return io.fabric8.kubernetes.client.utils.Serialization.asJson(o);
  }
}
