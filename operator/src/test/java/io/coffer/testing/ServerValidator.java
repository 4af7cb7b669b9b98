package io.coffer.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;

/**
 * Admission by the real API server: a server-side dry-run create (or update) of the resource, with
 * the CRD's structural schema, defaulting and CEL rules (cost budget included) as the cluster
 * applies them. Nothing is stored.
 */
public final class ServerValidator implements Validator {
  private final KubernetesClient client;
  private final String namespace;
  private int counter;

  public ServerValidator(Cluster cluster, String namespace) throws InterruptedException {
    this.client = cluster.admin();
    this.namespace = namespace;
    cluster.namespace(namespace);
  }

  private String json(JsonNode object, String name) {
    ObjectNode copy = object.deepCopy();
    ObjectNode meta =
        copy.has("metadata") ? (ObjectNode) copy.get("metadata") : copy.putObject("metadata");
    meta.put("namespace", namespace);
    if (name != null) meta.put("name", name);
    meta.remove("resourceVersion");
    return copy.toString();
  }

  @Override
  public List<String> validate(JsonNode object) {
    try {
      client.resource(json(object, null)).dryRun().create();
      return List.of();
    } catch (KubernetesClientException e) {
      return errors(e);
    }
  }

  @Override
  public List<String> validateUpdate(JsonNode oldObject, JsonNode newObject) {
    String name = "update-check-" + (++counter);
    GenericKubernetesResource created =
        (GenericKubernetesResource) client.resource(json(oldObject, name)).create();
    try {
      GenericKubernetesResource changed =
          client
              .getKubernetesSerialization()
              .unmarshal(json(newObject, name), GenericKubernetesResource.class);
      changed.getMetadata().setResourceVersion(created.getMetadata().getResourceVersion());
      client.resource(changed).dryRun().update();
      return List.of();
    } catch (KubernetesClientException e) {
      return errors(e);
    } finally {
      client.resource(created).delete();
    }
  }

  static List<String> errors(KubernetesClientException e) {
    if (e.getCode() != 422 && e.getCode() != 400) throw e;
    List<String> out = new ArrayList<>();
    Status s = e.getStatus();
    if (s != null && s.getMessage() != null) out.add(s.getMessage());
    if (s != null && s.getDetails() != null && s.getDetails().getCauses() != null) {
      s.getDetails().getCauses().forEach(c -> out.add(c.getField() + ": " + c.getMessage()));
    }
    if (out.isEmpty()) out.add(e.getMessage());
    return out;
  }
}
