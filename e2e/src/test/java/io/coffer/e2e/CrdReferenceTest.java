package io.coffer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * docs/reference.md is generated from the CRDs (themselves generated from the Java types): every
 * field, its type, whether it is required, its default, its limits and its description, plus the
 * CEL rules with their messages. Regenerate: {@code mvn -pl e2e test -Dtest=CrdReferenceTest
 * -Dcoffer.writeDocs=true} (after {@code -am install}).
 */
class CrdReferenceTest {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final Path DOC = Path.of("../docs/reference.md");

  /** Fields of standard Kubernetes types, listed without their (long, well documented) insides. */
  static final Set<String> NATIVE = Set.of("affinity", "tolerations", "resources");

  static String render() throws Exception {
    StringBuilder md =
        new StringBuilder(
            """
        # CRD field reference

        Generated from `crds/*.yml` by `e2e/src/test/java/io/coffer/e2e/CrdReferenceTest.java`; do not edit by hand.
        API group `coffer.io`, version `v1alpha1`, all kinds namespaced. Fields marked *required* must be set; the
        API server applies the defaults and checks the limits and rules below when a resource is applied.

        """);
    for (String crd : List.of("backups", "backupschedules", "restores")) {
      JsonNode root = YAML.readTree(Path.of("../crds/" + crd + ".coffer.io-v1.yml").toFile());
      String kind = root.path("spec").path("names").path("kind").asText();
      JsonNode version = root.path("spec").path("versions").get(0);
      md.append("## ").append(kind).append("\n\n");
      md.append("`kubectl get ").append(crd).append('`');
      root.path("spec")
          .path("names")
          .path("shortNames")
          .forEach(n -> md.append(" (short: `").append(n.asText()).append("`)"));
      md.append(" shows: ");
      List<String> cols = new ArrayList<>();
      version
          .path("additionalPrinterColumns")
          .forEach(
              c ->
                  cols.add(
                      c.path("name").asText()
                          + (c.path("priority").asInt() > 0 ? " (-o wide)" : "")));
      md.append(String.join(", ", cols)).append(".\n\n");
      JsonNode schema = version.path("schema").path("openAPIV3Schema").path("properties");
      for (String part : List.of("spec", "status")) {
        md.append("### ").append(kind).append(".").append(part).append("\n\n");
        List<String> rules = new ArrayList<>();
        md.append(
            "| Field | Type | Required | Default | Limits | Description |\n|---|---|---|---|---|---|\n");
        fields(md, rules, schema.path(part), part, Set.of());
        md.append('\n');
        if (!rules.isEmpty()) {
          md.append("Rules checked at admission:\n\n");
          rules.forEach(r -> md.append("- ").append(r).append('\n'));
          md.append('\n');
        }
      }
    }
    return md.toString();
  }

  private static void fields(
      StringBuilder md, List<String> rules, JsonNode node, String path, Set<String> required) {
    node.path("x-kubernetes-validations")
        .forEach(
            v ->
                rules.add(
                    "`"
                        + path
                        + "`: "
                        + v.path("message").asText()
                        + " (`"
                        + v.path("rule").asText()
                        + "`)"));
    Set<String> req = new HashSet<>();
    node.path("required").forEach(r -> req.add(r.asText()));
    var it = node.path("properties").fields();
    while (it.hasNext()) {
      var e = it.next();
      JsonNode f = e.getValue();
      String p = path + "." + e.getKey();
      md.append("| `")
          .append(p)
          .append("` | ")
          .append(type(f))
          .append(" | ")
          .append(req.contains(e.getKey()) ? "required" : "")
          .append(" | ")
          .append(
              f.has("default") ? "`" + f.path("default").toString().replace("\"", "") + "`" : "")
          .append(" | ")
          .append(limits(f))
          .append(" | ")
          .append(f.path("description").asText("").replace("|", "\\|").replace("\n", " "))
          .append(" |\n");
      if (NATIVE.contains(e.getKey()))
        continue; // a standard Kubernetes type: see the Kubernetes API reference
      if (f.has("properties")) fields(md, rules, f, p, req);
      else if (f.path("items").has("properties")) fields(md, rules, f.path("items"), p + "[]", req);
      else if (f.has("x-kubernetes-validations")) fields(md, rules, f, p, req);
    }
  }

  private static String type(JsonNode f) {
    String t = f.path("type").asText("object");
    if (t.equals("array")) return "array of " + f.path("items").path("type").asText("object");
    if (t.equals("object") && f.has("additionalProperties"))
      return "map of " + f.path("additionalProperties").path("type").asText("object");
    return t;
  }

  private static String limits(JsonNode f) {
    List<String> l = new ArrayList<>();
    if (f.has("enum")) {
      List<String> v = new ArrayList<>();
      f.path("enum").forEach(x -> v.add(x.asText()));
      l.add("one of " + String.join(", ", v));
    }
    if (f.has("minimum")) l.add("min " + f.path("minimum").asLong());
    if (f.has("maximum")) l.add("max " + f.path("maximum").asLong());
    if (f.has("maxLength")) l.add("max length " + f.path("maxLength").asInt());
    if (f.has("maxItems")) l.add("max items " + f.path("maxItems").asInt());
    if (f.has("pattern")) l.add("pattern `" + f.path("pattern").asText().replace("|", "\\|") + "`");
    return String.join("; ", l);
  }

  @Test
  void givenTheGeneratedCrds_whenTheReferenceIsRendered_thenDocsReferenceMdIsUpToDate()
      throws Exception {
    String text = render();
    assertThat(text)
        .contains(
            "`spec.storage.s3.bucket`",
            "`spec.schedule`",
            "`spec.confirm`",
            "Rules checked at admission");
    if (Boolean.getBoolean("coffer.writeDocs")) Files.writeString(DOC, text);
    assertThat(DOC)
        .as(
            "docs/reference.md is stale: mvn -pl e2e test -Dtest=CrdReferenceTest -Dcoffer.writeDocs=true")
        .hasContent(text);
  }
}
