package io.coffer.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.coffer.testing.PodSecurity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Helm chart, rendered and linted by Helm itself (helm-java bundles it; there is no helm binary
 * here).
 */
class ChartIT {
  static final Path CHART = Path.of("../charts/coffer");
  static final KubernetesSerialization K8S = new KubernetesSerialization();
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  static List<JsonNode> render(UnaryOperator<TemplateCommand> values) throws Exception {
    String text =
        values
            .apply(
                new Helm(CHART)
                    .template()
                    .withName("coffer")
                    .withNamespace("coffer-system")
                    .withKubeVersion("1.30.0"))
            .call();
    List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(text)) {
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && n.has("kind")) docs.add(n);
      }
    }
    return docs;
  }

  static List<JsonNode> kind(List<JsonNode> docs, String kind) {
    return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
  }

  static <T> T one(List<JsonNode> docs, String kind, String name, Class<T> type) {
    JsonNode n =
        docs.stream()
            .filter(
                d ->
                    d.path("kind").asText().equals(kind)
                        && d.path("metadata").path("name").asText().equals(name))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    return K8S.unmarshal(n.toString(), type);
  }

  static boolean allows(ClusterRole role, String resource, String verb) {
    for (PolicyRule r : role.getRules()) {
      if ((r.getResources().contains(resource) || r.getResources().contains("*"))
          && (r.getVerbs().contains(verb) || r.getVerbs().contains("*"))) return true;
    }
    return false;
  }

  @Test
  void givenTheChart_whenLinted_thenHelmFindsNothing() {
    LintResult r = new Helm(CHART).lint().strict().call();
    assertThat(r.isFailed()).as(String.join("\n", r.getMessages())).isFalse();
  }

  @Test
  void
      givenDefaults_whenRendered_thenTwoRestrictedReplicasElectALeader_andJobsUseTheOperatorsImage()
          throws Exception {
    List<JsonNode> docs = render(t -> t);
    Deployment d = one(docs, "Deployment", "coffer", Deployment.class);
    assertThat(d.getSpec().getReplicas()).isEqualTo(2);
    var pod = d.getSpec().getTemplate().getSpec();
    PodSecurity.assertRestricted(pod);
    var c = pod.getContainers().get(0);
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getArgs()).first().isEqualTo("operator");
    assertThat(c.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("POD_NAMESPACE");
              assertThat(e.getValueFrom().getFieldRef().getFieldPath())
                  .isEqualTo("metadata.namespace");
            });
    assertThat(c.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("COFFER_IMAGE");
              assertThat(e.getValue())
                  .isEqualTo(c.getImage())
                  .isEqualTo("ghcr.io/coffer-io/coffer:0.1.0");
            });
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(kind(docs, "ClusterRoleBinding")).hasSize(1);
    assertThat(kind(docs, "Service")).hasSize(1);
    assertThat(kind(docs, "ServiceMonitor")).isEmpty();
    assertThat(kind(docs, "PrometheusRule")).isEmpty();
    assertThat(kind(docs, "NetworkPolicy")).isEmpty();
  }

  @Test
  void givenDefaults_whenRendered_thenTheOperatorMayNotReadSecrets_andEditorsCannotRestore()
      throws Exception {
    List<JsonNode> docs = render(t -> t);
    ClusterRole operator = one(docs, "ClusterRole", "coffer-operator", ClusterRole.class);
    for (String verb : List.of("get", "list", "watch")) {
      assertThat(allows(operator, "secrets", verb)).as("operator " + verb + " secrets").isFalse();
      assertThat(allows(operator, "configmaps", verb))
          .as("operator " + verb + " configmaps")
          .isFalse();
    }
    assertThat(operator.getRules())
        .allSatisfy(
            r -> {
              assertThat(r.getResources()).doesNotContain("*");
              assertThat(r.getVerbs()).doesNotContain("*");
            });
    assertThat(allows(operator, "jobs", "create")).isTrue();
    assertThat(allows(operator, "pods/log", "get")).isTrue();
    assertThat(allows(operator, "backups/status", "patch")).isTrue();
    ClusterRole viewer = one(docs, "ClusterRole", "coffer-viewer", ClusterRole.class);
    ClusterRole editor = one(docs, "ClusterRole", "coffer-editor", ClusterRole.class);
    ClusterRole restorer = one(docs, "ClusterRole", "coffer-restorer", ClusterRole.class);
    assertThat(allows(viewer, "backups", "list")).isTrue();
    assertThat(allows(viewer, "backups", "create")).isFalse();
    assertThat(allows(editor, "backups", "create")).isTrue();
    assertThat(allows(editor, "backupschedules", "update")).isTrue();
    assertThat(allows(editor, "restores", "create")).as("an editor may not restore").isFalse();
    assertThat(allows(restorer, "restores", "create")).isTrue();
    assertThat(viewer.getMetadata().getLabels())
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-view", "true");
    assertThat(editor.getMetadata().getLabels())
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-edit", "true");
    assertThat(restorer.getMetadata().getLabels())
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-admin", "true")
        .doesNotContainKey("rbac.authorization.k8s.io/aggregate-to-edit");
  }

  @Test
  void givenWatchedNamespacesAndMonitoring_whenRendered_thenRoleBindingsPerNamespace_andAlerts()
      throws Exception {
    List<JsonNode> docs =
        render(
            t ->
                t.set("watchNamespaces[0]", "rayerp")
                    .set("watchNamespaces[1]", "crm")
                    .set("metrics.serviceMonitor.enabled", "true")
                    .set("metrics.prometheusRule.enabled", "true")
                    .set("networkPolicy.enabled", "true"));
    assertThat(kind(docs, "ClusterRoleBinding")).isEmpty();
    assertThat(kind(docs, "RoleBinding"))
        .extracting(d -> d.path("metadata").path("namespace").asText())
        .contains("rayerp", "crm", "coffer-system");
    Deployment d = one(docs, "Deployment", "coffer", Deployment.class);
    assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .contains("--namespace=rayerp", "--namespace=crm");
    assertThat(kind(docs, "ServiceMonitor")).hasSize(1);
    assertThat(kind(docs, "NetworkPolicy")).hasSize(1);
    JsonNode rules =
        kind(docs, "PrometheusRule").get(0).path("spec").path("groups").get(0).path("rules");
    List<String> alerts = new ArrayList<>();
    rules.forEach(r -> alerts.add(r.path("alert").asText()));
    assertThat(alerts)
        .containsExactlyInAnyOrder(
            "CofferBackupFailed",
            "CofferNoRecentBackup",
            "CofferVerificationFailed",
            "CofferRestoreFailed",
            "CofferPointInTimeRpoMissed",
            "CofferOplogGap",
            "CofferDrillFailed");
    rules.forEach(r -> assertThat(r.path("expr").asText()).matches(".*coffer_[a-z_]+.*"));
    // every metric a rule uses is one the operator exports (its Micrometer registry, scraped with
    // a resource of each kind the rules look at)
    Set<String> used = new TreeSet<>();
    rules.forEach(
        r -> {
          var m = Pattern.compile("coffer_[a-z_]+").matcher(r.path("expr").asText());
          while (m.find()) used.add(m.group());
        });
    String scraped = MetricsSamples.scrape();
    assertThat(used).isNotEmpty();
    for (String metric : used)
      assertThat(scraped).as(metric + " is exported").containsPattern("(?m)^" + metric + "[{ ]");
  }

  @Test
  void
      givenTheConsole_whenEnabled_thenItActsOnlyWithForwardedTokens_andNothingSelectsItButItsService()
          throws Exception {
    assertThat(kind(render(t -> t), "Deployment")).as("the console is opt-in").hasSize(1);
    List<JsonNode> docs =
        render(t -> t.set("console.enabled", "true").set("watchNamespaces[0]", "rayerp"));
    Deployment console = one(docs, "Deployment", "coffer-console", Deployment.class);
    var pod = console.getSpec().getTemplate().getSpec();
    assertThat(pod.getContainers().get(0).getArgs())
        .containsExactly(
            "console",
            "--auth=token",
            "--address=0.0.0.0",
            "--port=8484",
            "--upload-max-mib=5120",
            "--namespace=rayerp");
    assertThat(pod.getAutomountServiceAccountToken()).as("no token of its own").isFalse();
    assertThat(pod.getVolumes().get(0).getConfigMap().getName()).isEqualTo("kube-root-ca.crt");
    assertThat(pod.getContainers().get(0).getSecurityContext().getReadOnlyRootFilesystem())
        .isTrue();
    String account = pod.getServiceAccountName();
    for (String k : List.of("RoleBinding", "ClusterRoleBinding")) {
      assertThat(kind(docs, k))
          .as("no binding names the console's ServiceAccount")
          .allSatisfy(
              b -> assertThat(b.path("subjects").toString()).doesNotContain("\"" + account + "\""));
    }
    // the operator's Deployment and metrics Service must not select the console's pods, nor its
    // Service the operator's
    var consoleLabels = console.getSpec().getTemplate().getMetadata().getLabels();
    Deployment operator = one(docs, "Deployment", "coffer", Deployment.class);
    assertThat(
            consoleLabels
                .entrySet()
                .containsAll(operator.getSpec().getSelector().getMatchLabels().entrySet()))
        .as("the operator's selector")
        .isFalse();
    for (JsonNode svc : kind(docs, "Service")) {
      Map<String, String> sel =
          K8S.unmarshal(svc.path("spec").path("selector").toString(), Map.class);
      boolean selectsConsole = consoleLabels.entrySet().containsAll(sel.entrySet());
      assertThat(selectsConsole)
          .as(svc.path("metadata").path("name").asText())
          .isEqualTo(svc.path("metadata").path("name").asText().equals("coffer-console"));
    }
    ClusterRole viewer = one(docs, "ClusterRole", "coffer-viewer", ClusterRole.class);
    assertThat(allows(viewer, "pods/log", "get")).as("the Logs screen, as the user").isTrue();
    ClusterRole quiet =
        one(
            render(t -> t.set("rbac.viewerReadsLogs", "false")),
            "ClusterRole",
            "coffer-viewer",
            ClusterRole.class);
    assertThat(allows(quiet, "pods/log", "get")).isFalse();
  }

  @Test
  void givenBadValues_whenRendered_thenTheValuesSchemaRefusesThem() {
    for (Map.Entry<String, Object> bad :
        Map.<String, Object>of(
                "replicaCount",
                "0",
                "operator.logFormat",
                "xml",
                "image.pullPolicy",
                "Sometimes",
                "watchNamespaces[0]",
                "Not_A_Namespace",
                "unknownKey",
                "1")
            .entrySet()) {
      assertThatThrownBy(() -> render(t -> t.set(bad.getKey(), bad.getValue())))
          .as(bad.getKey())
          .hasMessageContaining("values don't meet the specifications of the schema");
    }
  }

  @Test
  void givenTheChart_whenItsCrdsAreCompared_thenTheyAreTheGeneratedOnes() throws Exception {
    try (var files = Files.list(Path.of("../crds"))) {
      List<Path> crds = files.filter(f -> f.toString().endsWith(".yml")).toList();
      assertThat(crds).hasSize(3);
      for (Path crd : crds) {
        assertThat(CHART.resolve("crds").resolve(crd.getFileName()))
            .as("charts/coffer/crds is stale: cp crds/*.yml charts/coffer/crds/")
            .hasSameTextualContentAs(crd);
      }
    }
  }
}
