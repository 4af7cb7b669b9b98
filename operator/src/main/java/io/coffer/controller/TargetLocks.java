package io.coffer.controller;

import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.KeyRef;
import io.coffer.api.Restore;
import io.coffer.job.JobFactory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * One restore per target at a time, and no backup of a target while it is being restored. A target
 * is named by what the Jobs are given: {@code mongodb:SECRET/KEY} (the URI Secret) and {@code
 * pvc:CLAIM}. A Restore records its targets in its status when its Job is created; an informer
 * index over them ({@link #INDEX}) answers "who writes to this now" from the cache. Pure.
 */
public final class TargetLocks {
  /** The index of active, writing Restores by {@code namespace/target}. */
  public static final String INDEX = "coffer.io/active-targets";

  private TargetLocks() {}

  public static Set<String> of(Restore r, Backup backup) {
    Set<String> keys = new TreeSet<>();
    KeyRef uri = JobFactory.targetUri(r, backup);
    if (uri != null) keys.add("mongodb:" + uri.name + "/" + uri.key);
    JobFactory.targetFiles(r, backup).forEach(f -> keys.add("pvc:" + f.claimName));
    return keys;
  }

  public static Set<String> of(Backup b) {
    Set<String> keys = new TreeSet<>();
    BackupSpec spec = b.getSpec();
    if (spec.type != BackupSpec.Type.Files && spec.source.mongodb != null) {
      keys.add(
          "mongodb:"
              + spec.source.mongodb.uriSecret.name
              + "/"
              + spec.source.mongodb.uriSecret.key);
    }
    if (spec.type != BackupSpec.Type.Database)
      spec.source.files.forEach(f -> keys.add("pvc:" + f.claimName));
    return keys;
  }

  /**
   * The index function: a Restore that has a Job, writes (no dry run) and has not finished, under
   * each of its targets.
   */
  public static List<String> indexKeys(Restore r) {
    var s = r.getStatus();
    if (s == null
        || s.jobName == null
        || s.targets == null
        || (s.phase != null && s.phase.terminal())) return List.of();
    if (Boolean.TRUE.equals(r.getSpec().dryRun)) return List.of();
    return s.targets.stream().map(t -> r.getMetadata().getNamespace() + "/" + t).toList();
  }

  /**
   * A Restore other than {@code self} that writes to any of {@code keys} in {@code namespace},
   * looked up in the index.
   */
  public static Optional<Restore> activeRestore(
      Function<String, List<Restore>> byIndex, String namespace, Set<String> keys, String self) {
    List<Restore> found = new ArrayList<>();
    for (String k : keys) found.addAll(byIndex.apply(namespace + "/" + k));
    return found.stream()
        .filter(r -> !r.getMetadata().getName().equals(self))
        .min(Comparator.comparing(r -> r.getMetadata().getName()));
  }
}
