package io.coffer.controller;

import static io.coffer.controller.OperatorHarness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleSpec;
import io.coffer.api.Restore;
import io.coffer.testing.Specs;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Who did what, written by the API server itself: the chart's MutatingAdmissionPolicy and
 * ValidatingAdmissionPolicy (installed by the testkit's cluster as the chart renders them) on the
 * real control plane of {@link OperatorHarness}. Two people, alice and bob, are the admin
 * impersonating them, each bound to the chart's coffer-editor and coffer-restorer roles; the
 * operator is the chart's ServiceAccount. Nothing here is simulated but the nodes.
 */
class RequestedByIT {
  static KubernetesClient alice;
  static KubernetesClient bob;

  @BeforeAll
  static void start() throws Exception {
    OperatorHarness.start();
    alice = as("alice");
    bob = as("bob");
  }

  static KubernetesClient as(String user) {
    for (String role : List.of("coffer-editor", "coffer-restorer"))
      client
          .rbac()
          .roleBindings()
          .inNamespace(NS)
          .resource(
              new RoleBindingBuilder()
                  .withNewMetadata()
                  .withName(user + "-" + role)
                  .endMetadata()
                  .withNewRoleRef()
                  .withApiGroup("rbac.authorization.k8s.io")
                  .withKind("ClusterRole")
                  .withName(role)
                  .endRoleRef()
                  .addNewSubject()
                  .withApiGroup("rbac.authorization.k8s.io")
                  .withKind("User")
                  .withName(user)
                  .endSubject()
                  .build())
          .serverSideApply();
    return new KubernetesClientBuilder()
        .withConfig(
            new ConfigBuilder(client.getConfiguration()).withImpersonateUsername(user).build())
        .build();
  }

  static String requestedBy(io.fabric8.kubernetes.api.model.HasMetadata r) {
    Map<String, String> a = r.getMetadata().getAnnotations();
    return a == null ? null : a.get(Backup.REQUESTED_BY);
  }

  @Test
  void givenTwoPeople_thenEachResourceCarriesItsCreator_andNobodyCanSetOrChangeIt()
      throws Exception {
    Backup a = alice.resource(backup("by-alice", "s3")).create();
    assertThat(requestedBy(a)).isEqualTo("alice");
    Restore r =
        bob.resource(
                Specs.restore(NS, "by-bob")
                    .backupName("by-alice")
                    .dryRun()
                    .identity("age-key", "identity")
                    .build())
            .create();
    assertThat(requestedBy(r)).isEqualTo("bob");
    BackupSchedule s = new BackupSchedule();
    s.setMetadata(new ObjectMetaBuilder().withName("bobs-weekly").withNamespace(NS).build());
    s.setSpec(new BackupScheduleSpec());
    s.getSpec().schedule = "0 0 1 1 *";
    s.getSpec().template = backup("unused", "s3").getSpec();
    assertThat(requestedBy(bob.resource(s).create())).isEqualTo("bob");

    // a value set by hand is refused, whoever it names
    Backup forged = backup("forged", "s3");
    forged.getMetadata().setAnnotations(Map.of(Backup.REQUESTED_BY, "bob"));
    assertThatThrownBy(() -> alice.resource(forged).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("is written by the API server")
        .hasMessageContaining("here alice");
    // and it cannot be changed afterwards, by its creator or an admin
    assertThatThrownBy(
            () ->
                alice
                    .resources(Backup.class)
                    .inNamespace(NS)
                    .withName("by-alice")
                    .patch(
                        PatchContext.of(PatchType.JSON_MERGE),
                        "{\"metadata\":{\"annotations\":{\"coffer.io/requested-by\":\"bob\"}}}"))
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("cannot be changed or removed");
    // an update that drops it (a `kubectl replace` of the original manifest) keeps the creator
    Backup replaced =
        patch(
            Backup.class,
            "by-alice",
            "{\"metadata\":{\"annotations\":{\"coffer.io/requested-by\":null},"
                + "\"labels\":{\"replaced\":\"yes\"}}}");
    assertThat(requestedBy(replaced)).isEqualTo("alice");
    assertThat(replaced.getMetadata().getLabels()).containsEntry("replaced", "yes");

    // the operator (the chart's ServiceAccount) alone may name another requester: a schedule's
    Backup scheduled = backup("as-if-scheduled", "s3");
    scheduled
        .getMetadata()
        .setAnnotations(Map.of(Backup.REQUESTED_BY, "bob", Backup.REQUESTED_VIA, "schedule x"));
    assertThat(requestedBy(cluster.operatorClient().resource(scheduled).create())).isEqualTo("bob");

    // kubectl get shows it (Restores always; Backups and schedules with -o wide), describe too
    assertThat(kubectl("get", "restores", "-n", NS)).contains("REQUESTED-BY").contains("bob");
    assertThat(kubectl("get", "backups", "-n", NS, "-o", "wide"))
        .contains("REQUESTED-BY")
        .containsPattern("by-alice .*alice");
    assertThat(kubectl("describe", "backup", "by-alice", "-n", NS))
        .contains("coffer.io/requested-by: alice");
  }

  /** What the test made goes, so the suites after it see the namespace as they expect. */
  @AfterAll
  static void cleanUp() {
    client.resources(BackupSchedule.class).inNamespace(NS).withName("bobs-weekly").delete();
    client.resources(Restore.class).inNamespace(NS).withName("by-bob").delete();
    for (String b : List.of("by-alice", "as-if-scheduled"))
      client.resources(Backup.class).inNamespace(NS).withName(b).delete();
  }

  static String kubectl(String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                cluster.controlPlane().kubectl().toString(),
                "--kubeconfig",
                cluster.controlPlane().kubeconfig().toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }
}
