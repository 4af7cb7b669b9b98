package io.coffer.controller;

import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Engine pods run where their data is. A ReadWriteOnce volume can be attached to one node at a
 * time: while a pod (the application's, or another Coffer Job's) has it mounted on node B, a backup
 * pod on node A would wait for ever on a Multi-Attach error. So before a Job is created, the nodes
 * of the running pods that mount its ReadWriteOnce claims are looked up, and the Job's pod is
 * required onto that node ({@code kubernetes.io/hostname}). A volume bound to one node (a {@code
 * local} PersistentVolume's node affinity) needs nothing here: the scheduler follows the volume. A
 * pod template with its own affinity is left as the user wrote it. Called once per Job created, not
 * per reconcile.
 */
public final class Placement {
  public static final String HOSTNAME = "kubernetes.io/hostname";

  private Placement() {}

  /**
   * The nodes where the Job's ReadWriteOnce claims are mounted now (empty: the scheduler may choose
   * freely).
   */
  public static Set<String> nodesOf(KubernetesClient client, Job job) {
    String ns = job.getMetadata().getNamespace();
    PodSpec spec = job.getSpec().getTemplate().getSpec();
    Set<String> claims = new LinkedHashSet<>();
    for (Volume v : spec.getVolumes() == null ? List.<Volume>of() : spec.getVolumes()) {
      if (v.getPersistentVolumeClaim() == null) continue;
      try {
        PersistentVolumeClaim pvc =
            client
                .persistentVolumeClaims()
                .inNamespace(ns)
                .withName(v.getPersistentVolumeClaim().getClaimName())
                .get();
        List<String> modes =
            pvc == null || pvc.getSpec().getAccessModes() == null
                ? List.of()
                : pvc.getSpec().getAccessModes();
        if (modes.contains("ReadWriteOnce")
            && !modes.contains("ReadWriteMany")
            && !modes.contains("ReadOnlyMany")) claims.add(pvc.getMetadata().getName());
      } catch (KubernetesClientException e) {
        if (e.getCode() != 403 && e.getCode() != 404)
          throw e; // without the right to read claims, the scheduler decides
      }
    }
    Set<String> nodes = new LinkedHashSet<>();
    if (claims.isEmpty()) return nodes;
    for (Pod p : client.pods().inNamespace(ns).list().getItems()) {
      if (p.getSpec().getNodeName() == null
          || p.getMetadata().getDeletionTimestamp() != null
          || p.getStatus() == null) continue;
      String phase = p.getStatus().getPhase();
      if (!"Running".equals(phase) && !"Pending".equals(phase)) continue;
      for (Volume v :
          p.getSpec().getVolumes() == null ? List.<Volume>of() : p.getSpec().getVolumes()) {
        if (v.getPersistentVolumeClaim() != null
            && claims.contains(v.getPersistentVolumeClaim().getClaimName()))
          nodes.add(p.getSpec().getNodeName());
      }
    }
    return nodes;
  }

  /**
   * The Job with its pod required onto {@code node}, unless the pod template already says where it
   * goes.
   */
  public static Job pin(Job job, String node) {
    PodSpec spec = job.getSpec().getTemplate().getSpec();
    if (node == null || spec.getAffinity() != null && spec.getAffinity().getNodeAffinity() != null)
      return job;
    if (spec.getAffinity() == null)
      spec.setAffinity(new io.fabric8.kubernetes.api.model.Affinity());
    spec.getAffinity()
        .setNodeAffinity(
            new io.fabric8.kubernetes.api.model.NodeAffinityBuilder()
                .withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .addNewNodeSelectorTerm()
                .withMatchExpressions(
                    new NodeSelectorRequirementBuilder()
                        .withKey(HOSTNAME)
                        .withOperator("In")
                        .withValues(node)
                        .build())
                .endNodeSelectorTerm()
                .endRequiredDuringSchedulingIgnoredDuringExecution()
                .build());
    return job;
  }

  /** Pins the Job to where its ReadWriteOnce volumes are mounted, if they are mounted anywhere. */
  public static Job place(KubernetesClient client, Job job) {
    Set<String> nodes = nodesOf(client, job);
    return nodes.isEmpty() ? job : pin(job, nodes.iterator().next());
  }
}
