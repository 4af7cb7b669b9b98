package io.coffer.controller;

import io.coffer.status.LogTail;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/** Reads the tail of an engine pod's log for progress and the log tail; null when it cannot be read. */
public final class PodLogs {
  private PodLogs() {}

  public static LogTail.Parsed read(KubernetesClient client, String namespace, String pod, String now) {
    if (pod == null) return null;
    try {
      return LogTail.parse(client.pods().inNamespace(namespace).withName(pod).tailingLines(200).getLog(), now);
    } catch (KubernetesClientException e) {
      return null;
    }
  }
}
