package io.coffer.controller;

import io.coffer.status.Reason;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/** Writes a Kubernetes Event for a transition; a failure to record never fails the reconcile. */
public final class EventRecorder {
  private final Clock clock;

  public EventRecorder(Clock clock) {
    this.clock = clock;
  }

  public void normal(KubernetesClient client, HasMetadata about, Reason reason, String message) {
    record(client, about, "Normal", reason, message);
  }

  public void warning(KubernetesClient client, HasMetadata about, Reason reason, String message) {
    record(client, about, "Warning", reason, message);
  }

  private void record(
      KubernetesClient client, HasMetadata about, String type, Reason reason, String message) {
    String now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    try {
      client
          .v1()
          .events()
          .inNamespace(about.getMetadata().getNamespace())
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(
                      about.getMetadata().getName()
                          + "."
                          + UUID.randomUUID().toString().substring(0, 8))
                  .withNamespace(about.getMetadata().getNamespace())
                  .endMetadata()
                  .withInvolvedObject(
                      new ObjectReferenceBuilder()
                          .withApiVersion(about.getApiVersion())
                          .withKind(about.getKind())
                          .withName(about.getMetadata().getName())
                          .withNamespace(about.getMetadata().getNamespace())
                          .withUid(about.getMetadata().getUid())
                          .build())
                  .withType(type)
                  .withReason(reason.name())
                  .withMessage(message.length() > 1000 ? message.substring(0, 1000) : message)
                  .withFirstTimestamp(now)
                  .withLastTimestamp(now)
                  .withCount(1)
                  .withNewSource()
                  .withComponent("coffer-operator")
                  .endSource()
                  .build())
          .create();
    } catch (KubernetesClientException e) {
      // events are best effort
    }
  }
}
