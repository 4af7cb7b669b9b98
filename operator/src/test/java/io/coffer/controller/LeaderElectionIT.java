package io.coffer.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.Phase;
import io.coffer.job.JobFactory;
import io.coffer.testing.LocalKubelet;
import io.coffer.testing.MockKubernetes;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import java.io.FileInputStream;
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

/** Two operator replicas with leader election (a Lease), failover, and the operator's HTTP endpoints. */
class LeaderElectionIT {
  static final String NS = "ops";

  static CofferOperator.Config config(String identity) {
    return new CofferOperator.Config(new JobFactory.Settings("coffer:test", "IfNotPresent"), Set.of(), Duration.ofMillis(200),
        Duration.ofMillis(300), Duration.ofMillis(300), Clock.systemUTC(), new CofferOperator.LeaderElection("coffer-operator", NS, identity,
            Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(200)));
  }

  static Backup filesBackup(String name) {
    Backup b = new Backup();
    b.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
    BackupSpec s = new BackupSpec();
    s.type = BackupSpec.Type.Files;
    BackupSpec.FileVolume f = new BackupSpec.FileVolume();
    f.name = "docs";
    f.claimName = "docs";
    s.source.files = List.of(f);
    s.storage.volume = new BackupSpec.VolumeStorage();
    s.storage.volume.claimName = "store";
    b.setSpec(s);
    return b;
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
    Lease l = client.leases().inNamespace(NS).withName("coffer-operator").get();
    return l == null ? null : l.getSpec().getHolderIdentity();
  }

  @Test
  void givenTwoReplicas_thenOneLeads_andWhenItStopsTheOtherTakesOver_withoutDuplicateJobs() throws Exception {
    try (MockKubernetes kube = new MockKubernetes()) {
      KubernetesClient client = kube.client();
      try (var in = new FileInputStream("target/crds/backups.coffer.io-v1.yml")) {
        client.resource(client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class)).create();
      }
      Path work = Files.createTempDirectory("coffer-le");
      Files.createDirectories(work.resolve("docs"));
      Files.writeString(work.resolve("docs/a.txt"), "a");
      try (LocalKubelet kubelet = new LocalKubelet(kube, work).claim("docs", work.resolve("docs"))
          .claim("store", Files.createDirectories(work.resolve("store")))) {
        Operator one = CofferOperator.create(client, config("replica-1"));
        Operator two = CofferOperator.create(client, config("replica-2"));
        one.start();
        long deadline = System.currentTimeMillis() + 20_000;
        while (holder(client) == null && System.currentTimeMillis() < deadline) Thread.sleep(50);
        two.start();
        assertThat(holder(client)).isEqualTo("replica-1");
        try (OperatorHttp http = new OperatorHttp(0, one, client, Set.of()); OperatorHttp standby = new OperatorHttp(0, two, client, Set.of())) {
          // both replicas are ready: a Deployment of two rolls out, and the standby can take over at once
          HttpClient probe = HttpClient.newHttpClient();
          for (OperatorHttp h : List.of(http, standby)) {
            var ready = probe.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.port() + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
          }
          client.resource(filesBackup("first")).create();
          await(client, "first");
          HttpClient web = HttpClient.newHttpClient();
          var health = web.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/healthz")).build(),
              HttpResponse.BodyHandlers.ofString());
          assertThat(health.statusCode()).isEqualTo(200);
          var metrics = web.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString());
          assertThat(metrics.body()).contains("coffer_backups{namespace=\"ops\",phase=\"Succeeded\"} 1")
              .contains("coffer_backup_duration_seconds_count 1");
        }
        one.stop();
        deadline = System.currentTimeMillis() + 20_000;
        while (!"replica-2".equals(holder(client)) && System.currentTimeMillis() < deadline) Thread.sleep(50);
        assertThat(holder(client)).isEqualTo("replica-2");
        client.resource(filesBackup("second")).create();
        await(client, "second");
        two.stop();
        assertThat(client.batch().v1().jobs().inNamespace(NS).list().getItems()).extracting(j -> j.getMetadata().getName())
            .containsExactlyInAnyOrder("first-backup-1", "second-backup-1");
      }
    }
  }
}
