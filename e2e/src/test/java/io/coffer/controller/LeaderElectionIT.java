package io.coffer.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.Phase;
import io.coffer.job.JobFactory;
import io.coffer.testing.Cluster;
import io.coffer.testing.ImageRuntime;
import io.coffer.testing.RealCluster;
import io.coffer.testing.Specs;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Two operator replicas with leader election (a Lease in the operator's namespace, as the chart's
 * Role allows), failover, and the operator's HTTP endpoints, on the real control plane ({@link
 * Cluster}); each replica has a client of its own, authenticated as the chart's ServiceAccount.
 * Simulated: the nodes (pods are local processes); the two replicas are two operators in this JVM
 * rather than two pods.
 */
class LeaderElectionIT {
  static final String NS = "ops";
  static final String LEASE = "coffer-operator-election-test";

  static CofferOperator.Config config(String identity) {
    return new CofferOperator.Config(
        new JobFactory.Settings(ImageRuntime.REFERENCE, "IfNotPresent"),
        Set.of(NS),
        Duration.ofMillis(200),
        Duration.ofMillis(300),
        Duration.ofMillis(300),
        Clock.systemUTC(),
        new CofferOperator.LeaderElection(
            LEASE,
            Cluster.OPERATOR_NAMESPACE,
            identity,
            Duration.ofSeconds(2),
            Duration.ofMillis(1500),
            Duration.ofMillis(200)));
  }

  static Backup filesBackup(String name) {
    return Specs.backup(NS, name)
        .type(BackupSpec.Type.Files)
        .files("docs", "docs")
        .volume("store")
        .build();
  }

  static Backup await(KubernetesClient client, String name) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      Backup b = client.resources(Backup.class).inNamespace(NS).withName(name).get();
      if (b != null && b.getStatus() != null && b.getStatus().phase == Phase.Succeeded) return b;
      Thread.sleep(100);
    }
    throw new AssertionError("backup " + name + " did not succeed");
  }

  static String holder(KubernetesClient client) {
    Lease l = client.leases().inNamespace(Cluster.OPERATOR_NAMESPACE).withName(LEASE).get();
    return l == null ? null : l.getSpec().getHolderIdentity();
  }

  @Test
  void givenTwoReplicas_thenOneLeads_andWhenItStopsTheOtherTakesOver_withoutDuplicateJobs()
      throws Exception {
    Cluster cluster = RealCluster.get();
    KubernetesClient client = cluster.admin();
    cluster.namespace(NS);
    {
      Path work = Files.createTempDirectory("coffer-le");
      Files.createDirectories(work.resolve("docs"));
      Files.writeString(work.resolve("docs/a.txt"), "a");
      cluster.claim(NS, "docs", work.resolve("docs"));
      cluster.claim(NS, "store", Files.createDirectories(work.resolve("store")));
      {
        KubernetesClient c1 = cluster.operatorClient();
        KubernetesClient c2 = cluster.operatorClient();
        Caches caches1 = new Caches();
        Caches caches2 = new Caches();
        Operator one = CofferOperator.create(c1, config("replica-1"), caches1);
        Operator two = CofferOperator.create(c2, config("replica-2"), caches2);
        one.start();
        long deadline = System.currentTimeMillis() + 20_000;
        while (holder(client) == null && System.currentTimeMillis() < deadline) Thread.sleep(50);
        two.start();
        assertThat(holder(client)).isEqualTo("replica-1");
        try (OperatorHttp http = new OperatorHttp(0, one, caches1);
            OperatorHttp standby = new OperatorHttp(0, two, caches2)) {
          // both replicas are ready: a Deployment of two rolls out, and the standby can take over
          // at once
          HttpClient probe = HttpClient.newHttpClient();
          for (OperatorHttp h : List.of(http, standby)) {
            var ready =
                probe.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.port() + "/readyz"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
          }
          client.resource(filesBackup("first")).create();
          await(client, "first");
          HttpClient web = HttpClient.newHttpClient();
          var health =
              web.send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/healthz"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          assertThat(health.statusCode()).isEqualTo(200);
          var metrics =
              web.send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          assertThat(metrics.body())
              .contains("coffer_backups{namespace=\"ops\",phase=\"Succeeded\"} 1.0")
              .contains("coffer_backup_duration_seconds_count 1")
              // the operator SDK's own meters, in the same registry
              .containsPattern("(?m)^operator_sdk_\\w+");
          // the standby's controllers wait for the lease: it counts nothing, so a scrape of both
          // does not count twice
          var standbyMetrics =
              web.send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + standby.port() + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          assertThat(standbyMetrics.statusCode()).isEqualTo(200);
          assertThat(standbyMetrics.body())
              .contains("# TYPE coffer_backup_duration_seconds histogram")
              .doesNotContain("coffer_backups{");
        }
        one.stop();
        deadline = System.currentTimeMillis() + 20_000;
        while (!"replica-2".equals(holder(client)) && System.currentTimeMillis() < deadline)
          Thread.sleep(50);
        assertThat(holder(client)).isEqualTo("replica-2");
        client.resource(filesBackup("second")).create();
        await(client, "second");
        two.stop();
        assertThat(client.batch().v1().jobs().inNamespace(NS).list().getItems())
            .extracting(j -> j.getMetadata().getName())
            .containsExactlyInAnyOrder("first-backup-1", "second-backup-1");
      }
    }
  }
}
