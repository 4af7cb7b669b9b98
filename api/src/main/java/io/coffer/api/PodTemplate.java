package io.coffer.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/**
 * The parts of a Job's pod that users may tune; everything else (security, command) is the
 * operator's.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PodTemplate {
  @JsonPropertyDescription(
      "CPU and memory requests and limits of the engine container. Default: requests cpu 250m and memory 384Mi, limit memory 384Mi (640Mi for restores and verifications that decrypt with a passphrase; the engine's heap is half its memory limit). Requests given here replace the default ones; limits given here replace the default limits.")
  public ResourceRequirements resources;

  @JsonPropertyDescription("Node labels the pod must match.")
  public Map<String, String> nodeSelector;

  @JsonPropertyDescription("Tolerations of the pod.")
  public List<Toleration> tolerations;

  @JsonPropertyDescription("Affinity of the pod.")
  public Affinity affinity;

  @JsonPropertyDescription("PriorityClass of the pod.")
  public String priorityClassName;
}
