package io.coffer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.Phase;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.testing.Cluster;
import io.coffer.testing.ControlPlane;
import io.coffer.testing.ImageRuntime;
import io.coffer.testing.RealCluster;
import io.coffer.testing.Specs;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The install path of the README, on the real control plane: the chart rendered by Helm and applied
 * as it is (ServiceAccount, RBAC, Service, Deployment), the Deployment's pod run by a node from the
 * image archive under the chart's security context (uid 65532, read-only root, its memory limit),
 * the operator inside it finding the API server through its service account as on a cluster, then a
 * Backup done by that operator through a Job pod of the same image. Simulated: the nodes ({@link
 * ImageRuntime}: the host's network, so the metrics port is a free one; the readiness probe runs,
 * the liveness probe does not); one replica, not the chart's two, to spare two cores. No other
 * operator of this test JVM watches this namespace (each watches its own), so the Job can only be
 * the in-pod operator's.
 */
class InstallE2E {
  static final String NS = "install-demo";

  @Test
  void givenTheChartInstalled_thenTheOperatorRunsFromTheImage_andBacksUpWithJobsOfThatImage()
      throws Exception {
    Assumptions.assumeTrue(
        ImageRuntime.shared() != null,
        () -> "the image cannot run here: " + ImageRuntime.unavailable());
    Cluster cluster = RealCluster.get();
    KubernetesClient client = cluster.admin();
    cluster.namespace(NS);
    int port;
    int consolePort;
    try (ServerSocket s = new ServerSocket(0);
        ServerSocket c = new ServerSocket(0)) {
      port = s.getLocalPort();
      consolePort = c.getLocalPort();
    }
    // the control plane is built with its version stamped as a release build's: what the server
    // says is what Helm checks the chart's kubeVersion against
    String serverVersion = client.getKubernetesVersion().getGitVersion();
    assertThat(serverVersion).isEqualTo("v" + ControlPlane.VERSION);
    String rendered =
        new Helm(ChartIT.CHART)
            .template()
            .withName("coffer")
            .withNamespace(Cluster.OPERATOR_NAMESPACE)
            .withKubeVersion(serverVersion)
            .set("replicaCount", "1")
            .set("metrics.port", String.valueOf(port))
            .set("watchNamespaces[0]", NS)
            .set("operator.progressSeconds", "1")
            .set("operator.retryBaseSeconds", "1")
            .set("console.enabled", "true")
            .set("console.port", String.valueOf(consolePort))
            .call();
    Deployment deployment = null;
    Deployment console = null;
    for (HasMetadata r : cluster.parse(rendered)) {
      if (r.getMetadata().getNamespace() == null && !r.getKind().startsWith("Cluster"))
        r.getMetadata().setNamespace(Cluster.OPERATOR_NAMESPACE);
      client.resource(r).serverSideApply();
      if (r instanceof Deployment d && d.getMetadata().getName().equals("coffer")) deployment = d;
      if (r instanceof Deployment d && d.getMetadata().getName().equals("coffer-console"))
        console = d;
    }
    assertThat(deployment).as("the chart renders a Deployment").isNotNull();
    assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
        .isEqualTo(ImageRuntime.REFERENCE);
    String name = deployment.getMetadata().getName();
    try {
      Deployment ready =
          client
              .apps()
              .deployments()
              .inNamespace(Cluster.OPERATOR_NAMESPACE)
              .withName(name)
              .waitUntilCondition(
                  d ->
                      d != null
                          && d.getStatus() != null
                          && Integer.valueOf(1).equals(d.getStatus().getAvailableReplicas()),
                  120,
                  TimeUnit.SECONDS);
      assertThat(ready.getStatus().getAvailableReplicas()).isEqualTo(1);
      Pod operatorPod =
          client
              .pods()
              .inNamespace(Cluster.OPERATOR_NAMESPACE)
              .withLabels(deployment.getSpec().getSelector().getMatchLabels())
              .list()
              .getItems()
              .get(0);

      AgeKeys.Identity id = AgeKeys.generate();
      client
          .secrets()
          .inNamespace(NS)
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName("age")
                  .endMetadata()
                  .addToStringData("recipients", id.recipient().encoded() + "\n")
                  .build())
          .create();
      Path work = Files.createTempDirectory("coffer-install");
      Files.createDirectories(work.resolve("uploads"));
      Files.writeString(work.resolve("uploads/contract.txt"), "signed");
      cluster.claim(NS, "uploads", work.resolve("uploads"));
      cluster.claim(NS, "backups", Files.createDirectories(work.resolve("backups")));
      client
          .resource(
              Specs.backup(NS, "first")
                  .type(BackupSpec.Type.Files)
                  .files("uploads", "uploads")
                  .volume("backups")
                  .recipients("age", "recipients")
                  .backoffLimit(0)
                  .build())
          .create();
      Backup done =
          client
              .resources(Backup.class)
              .inNamespace(NS)
              .withName("first")
              .waitUntilCondition(
                  b ->
                      b != null
                          && b.getStatus() != null
                          && b.getStatus().phase != null
                          && b.getStatus().phase.terminal(),
                  120,
                  TimeUnit.SECONDS);
      assertThat(done.getStatus().phase).as(done.getStatus().lastError).isEqualTo(Phase.Succeeded);
      assertThat(done.getStatus().contents.files).isEqualTo(1L);

      // the operator in the pod logs JSON lines (no JVM notice in between) and serves its metrics
      // on the chart's port
      String log =
          client
              .pods()
              .inNamespace(Cluster.OPERATOR_NAMESPACE)
              .withName(operatorPod.getMetadata().getName())
              .getLog();
      assertThat(log.lines().filter(l -> !l.isBlank()))
          .isNotEmpty()
          .allSatisfy(l -> assertThat(l).startsWith("{"));
      var metrics =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.body())
          .contains("coffer_backups{namespace=\"" + NS + "\",phase=\"Succeeded\"} 1");
      Pod jobPod =
          client
              .pods()
              .inNamespace(NS)
              .withLabel("job-name", done.getStatus().jobName)
              .list()
              .getItems()
              .get(0);
      assertThat(jobPod.getSpec().getContainers().get(0).getImage())
          .isEqualTo(ImageRuntime.REFERENCE);

      // the console, from the same image, in the cluster: no token of its own, the API server's CA
      // from kube-root-ca.crt,
      // and each request acts as the bearer token it carries (here a viewer's, as an authenticating
      // proxy would forward it)
      assertThat(console).as("console.enabled renders the console").isNotNull();
      client
          .apps()
          .deployments()
          .inNamespace(Cluster.OPERATOR_NAMESPACE)
          .withName("coffer-console")
          .waitUntilCondition(
              d ->
                  d != null
                      && d.getStatus() != null
                      && Integer.valueOf(1).equals(d.getStatus().getAvailableReplicas()),
              120,
              TimeUnit.SECONDS);
      client
          .serviceAccounts()
          .inNamespace(NS)
          .resource(
              new io.fabric8.kubernetes.api.model.ServiceAccountBuilder()
                  .withNewMetadata()
                  .withName("auditor")
                  .endMetadata()
                  .build())
          .create();
      client
          .rbac()
          .roleBindings()
          .inNamespace(NS)
          .resource(
              new io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder()
                  .withNewMetadata()
                  .withName("auditor")
                  .endMetadata()
                  .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "coffer-viewer")
                  .addNewSubject()
                  .withKind("ServiceAccount")
                  .withName("auditor")
                  .withNamespace(NS)
                  .endSubject()
                  .build())
          .create();
      String token = cluster.controlPlane().token(NS, "auditor");
      HttpClient http = HttpClient.newHttpClient();
      URI session = URI.create("http://127.0.0.1:" + consolePort + "/api/session");
      HttpResponse<String> anonymous = null;
      for (long deadline = System.currentTimeMillis() + 60_000;
          System.currentTimeMillis() < deadline;
          Thread.sleep(200)) {
        try {
          anonymous =
              http.send(
                  HttpRequest.newBuilder(session).build(), HttpResponse.BodyHandlers.ofString());
          break;
        } catch (IOException e) {
          // the JVM in the pod is still starting
        }
      }
      assertThat(anonymous).as("the console answers on its port").isNotNull();
      assertThat(anonymous.statusCode()).isEqualTo(401);
      HttpResponse<String> asViewer =
          http.send(
              HttpRequest.newBuilder(session).header("Authorization", "Bearer " + token).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(asViewer.statusCode()).as(asViewer.body()).isEqualTo(200);
      assertThat(asViewer.body())
          .contains("\"user\":\"system:serviceaccount:" + NS + ":auditor\"")
          .contains("\"createBackup\":false")
          .contains("\"listBackups\":true")
          .contains("\"mode\":\"token\"");
      HttpResponse<String> list =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://127.0.0.1:"
                              + consolePort
                              + "/api/namespaces/"
                              + NS
                              + "/backups/first"))
                  .header("Authorization", "Bearer " + token)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(list.body()).contains("\"phase\":\"Succeeded\"");
      Pod consolePod =
          client
              .pods()
              .inNamespace(Cluster.OPERATOR_NAMESPACE)
              .withLabel("app.kubernetes.io/name", "coffer-console")
              .list()
              .getItems()
              .get(0);
      assertThat(consolePod.getSpec().getContainers().get(0).getImage())
          .isEqualTo(ImageRuntime.REFERENCE);
    } finally {
      client.apps().deployments().inNamespace(Cluster.OPERATOR_NAMESPACE).withName(name).delete();
      client
          .apps()
          .deployments()
          .inNamespace(Cluster.OPERATOR_NAMESPACE)
          .withName("coffer-console")
          .delete();
    }
  }
}
