package io.coffer.controller;

import io.coffer.status.LogTail;
import io.coffer.status.Statuses;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;

/**
 * The one read that no informer can serve: the tail of an engine pod's log (progress lines and the
 * log tail). The controllers call it only while the log can change; null when there is no pod or it
 * cannot be read.
 */
public final class PodLog {
  private PodLog() {}

  public static LogTail.Parsed read(
      KubernetesClient client, String namespace, String pod, Instant now) {
    if (pod == null) return null;
    try {
      return LogTail.parse(
          client.pods().inNamespace(namespace).withName(pod).tailingLines(200).getLog(),
          Statuses.time(now));
    } catch (KubernetesClientException e) {
      return null;
    }
  }
}
