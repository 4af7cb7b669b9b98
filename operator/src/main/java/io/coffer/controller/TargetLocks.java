package io.coffer.controller;

import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.KeyRef;
import io.coffer.api.Restore;
import io.coffer.job.JobFactory;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * One restore per target at a time, and no backup of a target while it is being restored. A target is named
 * by what the Jobs are given: the MongoDB URI Secret key and the volume claims. Checked only when a Job is
 * about to start.
 */
public final class TargetLocks {
  private TargetLocks() {}

  public static Set<String> of(Restore r, Backup backup) {
    Set<String> keys = new HashSet<>();
    KeyRef uri = JobFactory.targetUri(r, backup);
    if (uri != null) keys.add("mongodb:" + uri.name + "/" + uri.key);
    JobFactory.targetFiles(r, backup).forEach(f -> keys.add("pvc:" + f.claimName));
    return keys;
  }

  public static Set<String> of(Backup b) {
    Set<String> keys = new HashSet<>();
    BackupSpec spec = b.getSpec();
    if (spec.type != BackupSpec.Type.Files && spec.source.mongodb != null) {
      keys.add("mongodb:" + spec.source.mongodb.uriSecret.name + "/" + spec.source.mongodb.uriSecret.key);
    }
    if (spec.type != BackupSpec.Type.Database) spec.source.files.forEach(f -> keys.add("pvc:" + f.claimName));
    return keys;
  }

  /** A restore, other than {@code self}, that has a Job and has not finished, writing to any of these targets. */
  public static Optional<Restore> activeRestore(KubernetesClient client, String namespace, Set<String> keys, String self) {
    for (Restore r : client.resources(Restore.class).inNamespace(namespace).list().getItems()) {
      if (r.getMetadata().getName().equals(self) || r.getStatus() == null || r.getStatus().jobName == null) continue;
      if (r.getStatus().phase != null && r.getStatus().phase.terminal()) continue;
      if (Boolean.TRUE.equals(r.getSpec().dryRun)) continue;
      Backup backup = r.getSpec().backupName == null ? null
          : client.resources(Backup.class).inNamespace(namespace).withName(r.getSpec().backupName).get();
      Set<String> theirs = of(r, backup);
      theirs.retainAll(keys);
      if (!theirs.isEmpty()) return Optional.of(r);
    }
    return Optional.empty();
  }

}
