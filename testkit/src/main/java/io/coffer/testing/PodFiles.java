package io.coffer.testing;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * What both stand-in kubelets ({@link NodeAgent}, {@link LocalKubelet}) read for a pod, and how
 * they map its paths.
 */
final class PodFiles {
  private PodFiles() {}

  /** A Secret's keys and decoded values, or null when it does not exist. */
  static Map<String, String> secret(KubernetesClient client, String ns, String name) {
    Secret s = client.secrets().inNamespace(ns).withName(name).get();
    if (s == null) return null;
    Map<String, String> out = new HashMap<>();
    if (s.getData() != null)
      s.getData()
          .forEach(
              (k, v) ->
                  out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    if (s.getStringData() != null) out.putAll(s.getStringData());
    return out;
  }

  /** A ConfigMap's data (empty when it has none), or null when it does not exist. */
  static Map<String, String> configMap(KubernetesClient client, String ns, String name) {
    ConfigMap m = client.configMaps().inNamespace(ns).withName(name).get();
    return m == null ? null : m.getData() == null ? Map.of() : m.getData();
  }

  /**
   * A container's argument or environment value with a path inside one of its mounts (alone, after
   * {@code =}, or in a {@code file://} URI) replaced by where that mount lies on this machine, and
   * the termination message path by the pod's termination file; for containers run as local
   * processes, which see this machine's file system.
   */
  /**
   * A container run as a local process has no mount namespace: the in-pod paths of a JSON document
   * the pod mounts from its own annotations (the downward API; Coffer's request document) are
   * rewritten as its args are. Text that is not JSON is left as it is. A simulation: a real kubelet
   * leaves the file alone, and the mount namespace makes the paths right.
   */
  static void rewriteDocument(
      Path file, Map<String, Path> mounts, String terminationPath, Path termination)
      throws IOException {
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    com.fasterxml.jackson.databind.JsonNode doc;
    try {
      doc = json.readTree(Files.readString(file));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return;
    }
    if (doc == null || !doc.isContainerNode()) return;
    Files.writeString(
        file, json.writeValueAsString(rewriteNode(doc, mounts, terminationPath, termination)));
  }

  private static com.fasterxml.jackson.databind.JsonNode rewriteNode(
      com.fasterxml.jackson.databind.JsonNode n,
      Map<String, Path> mounts,
      String terminationPath,
      Path termination) {
    if (n.isTextual())
      return com.fasterxml.jackson.databind.node.TextNode.valueOf(
          rewrite(n.asText(), mounts, terminationPath, termination));
    if (n instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
      var names = new ArrayList<String>();
      o.fieldNames().forEachRemaining(names::add);
      for (String k : names) o.set(k, rewriteNode(o.get(k), mounts, terminationPath, termination));
    } else if (n instanceof com.fasterxml.jackson.databind.node.ArrayNode a) {
      for (int i = 0; i < a.size(); i++)
        a.set(i, rewriteNode(a.get(i), mounts, terminationPath, termination));
    }
    return n;
  }

  static String rewrite(
      String arg, Map<String, Path> mounts, String terminationPath, Path termination) {
    if (arg.equals(terminationPath)) return termination.toString();
    for (var m : mounts.entrySet()) {
      String mp = m.getKey();
      if (arg.equals(mp) || arg.startsWith(mp + "/"))
        return m.getValue() + arg.substring(mp.length());
      int i = arg.indexOf("=" + mp);
      if (i >= 0
          && (arg.length() == i + 1 + mp.length() || arg.charAt(i + 1 + mp.length()) == '/')) {
        return arg.substring(0, i + 1) + m.getValue() + arg.substring(i + 1 + mp.length());
      }
      if (arg.startsWith("file://" + mp))
        return "file://" + m.getValue() + arg.substring(("file://" + mp).length());
    }
    return arg;
  }
}
