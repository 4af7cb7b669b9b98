package io.coffer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.controller.CofferOperator;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.job.JobFactory;
import io.coffer.testing.Cluster;
import io.coffer.testing.ControlPlane;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.ImageRuntime;
import io.javaoperatorsdk.operator.Operator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A platform engineer's first hour, with the real {@code kubectl} against the real control plane
 * ({@link Cluster}): secrets made with {@code kubectl create secret}, the samples applied (every
 * one accepted by {@code --dry-run=server}), {@code get} (Coffer's columns), {@code wait}, {@code
 * describe} (events), {@code logs job/...} (through the API server to the node's log endpoint),
 * {@code delete}; and the chart's roles by impersonation: a viewer cannot back up, an editor cannot
 * restore, an admin can. The operator runs in this JVM as the chart's ServiceAccount. Simulated:
 * the nodes (pods are local processes); MongoDB (mongo-java-server) and S3 (S3Proxy) are embedded.
 */
class KubectlJourneyE2E {
  static final String NS = "rayerp";
  static Cluster cluster;
  static MongoServer mongo;
  static S3Proxy s3;
  static Operator operator;
  static Path work;

  record Run(int exit, String out) {}

  static Run kubectl(String stdin, String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                cluster.controlPlane().kubectl().toString(),
                "--kubeconfig",
                cluster.controlPlane().kubeconfig().toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("kubectl timed out: " + cmd);
    }
    return new Run(p.exitValue(), out);
  }

  static Run ok(String stdin, String... args) throws Exception {
    Run r = kubectl(stdin, args);
    assertThat(r.exit()).as("kubectl " + String.join(" ", args) + ":\n" + r.out()).isZero();
    return r;
  }

  @BeforeAll
  static void start() throws Exception {
    if (ControlPlane.binaries() == null) {
      if ("true".equalsIgnoreCase(System.getenv("CI")))
        throw new AssertionError(ControlPlane.missing() + " - CI=true requires it");
      Assumptions.abort(ControlPlane.missing() + "; real-cluster test skipped");
    }
    cluster = Cluster.shared();
    cluster.namespace(NS);
    mongo = EmbeddedServers.mongo();
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      List<Document> docs = new ArrayList<>();
      for (int i = 0; i < 500; i++)
        docs.add(new Document("_id", i).append("name", "Employee " + i));
      c.getDatabase("erp").getCollection("employees").insertMany(docs);
    }
    s3 = EmbeddedServers.s3();
    EmbeddedServers.makeBucket(s3, "rayerp-backups");
    work = Files.createTempDirectory("coffer-journey");
    Files.writeString(
        Files.createDirectories(work.resolve("uploads")).resolve("contract.pdf"), "signed");
    cluster.claim(NS, "rayerp-uploads", work.resolve("uploads"));
    operator =
        CofferOperator.create(
            cluster.operatorClient(),
            new CofferOperator.Config(
                new JobFactory.Settings(ImageRuntime.REFERENCE, "IfNotPresent"),
                Set.of(NS),
                Duration.ofSeconds(1),
                Duration.ofSeconds(1),
                Duration.ofSeconds(30),
                Clock.systemUTC(),
                null));
    operator.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (operator != null) operator.stop();
    if (mongo != null) mongo.shutdownNow();
    if (s3 != null) s3.stop();
  }

  @Test
  void givenTheSamples_whenAnEngineerUsesKubectl_thenEveryStepOfTheReadmeWorks() throws Exception {
    AgeKeys.Identity key = AgeKeys.generate();
    ok(
        null,
        "create",
        "secret",
        "generic",
        "rayerp-mongodb",
        "-n",
        NS,
        "--from-literal=uri=" + EmbeddedServers.uri(mongo));
    ok(
        null,
        "create",
        "secret",
        "generic",
        "backup-bucket",
        "-n",
        NS,
        "--from-literal=AWS_ACCESS_KEY_ID=" + EmbeddedServers.ACCESS_KEY,
        "--from-literal=AWS_SECRET_ACCESS_KEY=" + EmbeddedServers.SECRET_KEY);
    ok(
        null,
        "create",
        "secret",
        "generic",
        "backup-recipients",
        "-n",
        NS,
        "--from-literal=recipients=" + key.recipient().encoded());

    // every sample is accepted by the API server itself (schema, CEL rules and their cost budget)
    Path samples = Path.of("../samples");
    try (var files = Files.list(samples)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        if (!Files.readString(f).contains("apiVersion:"))
          continue; // the module map: a file for --module-map, not a resource
        Run r = kubectl(null, "apply", "--dry-run=server", "-f", f.toString());
        assertThat(r.exit()).as(f + ":\n" + r.out()).isZero();
      }
    }

    String sample =
        Files.readString(samples.resolve("backup-on-demand.yaml"))
            .replace("http://minio.storage.svc:9000", EmbeddedServers.endpoint(s3))
            .replace("exclude: [\"erp.sessions\"]", "exclude: []");
    ok(sample, "apply", "-f", "-");
    ok(
        null,
        "wait",
        "--for=jsonpath={.status.phase}=Succeeded",
        "backup/rayerp-before-upgrade",
        "-n",
        NS,
        "--timeout=150s");

    Run get = ok(null, "get", "backups", "-n", NS);
    assertThat(get.out().lines().findFirst().orElse(""))
        .containsSubsequence("NAME", "PHASE", "TYPE", "PROGRESS", "SIZE", "DURATION", "AGE");
    assertThat(get.out()).contains("rayerp-before-upgrade").contains("Succeeded").contains("Full");
    Run selected =
        ok(
            null,
            "get",
            "backups",
            "-n",
            NS,
            "--field-selector",
            "status.phase=Succeeded,spec.type=Full",
            "-o",
            "name");
    assertThat(selected.out()).contains("backup.coffer.io/rayerp-before-upgrade");
    Run failed =
        ok(
            null,
            "get",
            "backups",
            "-n",
            NS,
            "--field-selector",
            "status.phase=Failed",
            "-o",
            "name");
    assertThat(failed.out()).doesNotContain("rayerp-before-upgrade");

    Run describe = ok(null, "describe", "backup", "rayerp-before-upgrade", "-n", NS);
    assertThat(describe.out()).contains("Events:").contains("JobCreated").contains("Succeeded");

    Run logs = ok(null, "logs", "-n", NS, "job/rayerp-before-upgrade-backup-1");
    assertThat(logs.out()).contains("completed in");

    // the chart's roles, by impersonation (aggregated into view, edit and admin by the controller
    // manager)
    ok(null, "create", "rolebinding", "viewers", "-n", NS, "--clusterrole=view", "--user=vera");
    ok(null, "create", "rolebinding", "editors", "-n", NS, "--clusterrole=edit", "--user=eddie");
    ok(null, "create", "rolebinding", "admins", "-n", NS, "--clusterrole=admin", "--user=ada");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!kubectl(null, "auth", "can-i", "create", "restores.coffer.io", "-n", NS, "--as=ada")
        .out()
        .strip()
        .equals("yes")) {
      assertThat(System.nanoTime()).as("the aggregated roles appear").isLessThan(deadline);
      Thread.sleep(200);
    }
    assertThat(
            kubectl(null, "auth", "can-i", "create", "backups.coffer.io", "-n", NS, "--as=vera")
                .out()
                .strip())
        .isEqualTo("no");
    assertThat(
            kubectl(null, "auth", "can-i", "get", "backups.coffer.io", "-n", NS, "--as=vera")
                .out()
                .strip())
        .isEqualTo("yes");
    assertThat(
            kubectl(null, "auth", "can-i", "create", "backups.coffer.io", "-n", NS, "--as=eddie")
                .out()
                .strip())
        .isEqualTo("yes");
    String restore = Files.readString(samples.resolve("restore-dry-run.yaml"));
    Run refused = kubectl(restore, "create", "--dry-run=server", "-f", "-", "--as=eddie");
    assertThat(refused.exit()).isNotZero();
    assertThat(refused.out()).contains("forbidden").contains("restores");
    ok(restore, "create", "--dry-run=server", "-f", "-", "--as=ada");

    ok(null, "delete", "backup", "rayerp-before-upgrade", "-n", NS, "--timeout=150s");
    Run gone = kubectl(null, "get", "backup", "rayerp-before-upgrade", "-n", NS);
    assertThat(gone.exit()).isNotZero();
    assertThat(gone.out()).contains("NotFound");
  }
}
