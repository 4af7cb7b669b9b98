package io.coffer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.KeyRef;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.coffer.controller.CofferOperator;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.job.JobFactory;
import io.coffer.testing.Cluster;
import io.coffer.testing.ControlPlane;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.ImageRuntime;
import io.coffer.testing.Specs;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.bson.Document;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole system with known secret values: an S3 secret key, a passphrase, an age private key and
 * a chain index key, and a MongoDB password (in a URI the server refuses), used by backups
 * (public-key, passphrase, incremental, refused), a restore and a deep verification. Afterwards
 * every status, event and Job, every pod (with its termination message) and pod log is searched for
 * them: zero hits. On the real control plane ({@link Cluster}), the operator as the chart's
 * ServiceAccount; simulated: the nodes.
 */
class SecretsE2E {
  static final String NS = "secrets-e2e";
  static final String PASSPHRASE = "correct horse battery staple 4711";
  static final String INDEX_KEY = "index-key-that-must-never-show-0123456789";

  /**
   * mongo-java-server has no authentication: a URI with credentials fails, which is where a
   * password leaks most easily.
   */
  static final String MONGO_PASSWORD = "Mongo-Pa55word-never-printed";

  @TempDir Path tmp;

  @Test
  void
      givenBackupsRestoresAndVerificationsWithKnownSecrets_thenNoneOfThemAppearsAnywhereTheSystemWrites()
          throws Exception {
    AgeKeys.Identity identity = AgeKeys.generate();
    MongoServer mongo = EmbeddedServers.mongo();
    S3Proxy s3 = EmbeddedServers.s3();
    if (ControlPlane.binaries() == null) {
      if ("true".equalsIgnoreCase(System.getenv("CI")))
        throw new AssertionError(ControlPlane.missing() + " - CI=true requires it");
      org.junit.jupiter.api.Assumptions.abort(
          ControlPlane.missing() + "; real-cluster test skipped");
    }
    Cluster cluster = Cluster.shared();
    cluster.namespace(NS);
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      c.getDatabase("erp")
          .getCollection("employees")
          .insertOne(new Document("_id", 1).append("name", "Ada"));
      EmbeddedServers.makeBucket(s3, "backups");
      KubernetesClient client = cluster.admin();
      secret(client, "mongo", Map.of("uri", EmbeddedServers.uri(mongo)));
      secret(
          client,
          "s3",
          Map.of(
              "AWS_ACCESS_KEY_ID",
              EmbeddedServers.ACCESS_KEY,
              "AWS_SECRET_ACCESS_KEY",
              EmbeddedServers.SECRET_KEY));
      secret(client, "recipients", Map.of("recipients", identity.recipient().encoded()));
      secret(client, "identity", Map.of("identity", identity.encoded()));
      secret(client, "passphrase", Map.of("passphrase", PASSPHRASE));
      secret(client, "index", Map.of("key", INDEX_KEY));
      secret(
          client,
          "mongo-auth",
          Map.of(
              "uri",
              EmbeddedServers.uri(mongo)
                  .replace("mongodb://", "mongodb://coffer:" + MONGO_PASSWORD + "@")));
      {
        Operator operator =
            CofferOperator.create(
                cluster.operatorClient(),
                new CofferOperator.Config(
                    new JobFactory.Settings(ImageRuntime.REFERENCE, "IfNotPresent"),
                    Set.of(NS),
                    Duration.ofMillis(300),
                    Duration.ofMillis(300),
                    Duration.ofSeconds(5),
                    Clock.systemUTC(),
                    null));
        operator.start();
        try {
          Backup pub = backup("public-key", s3);
          pub.getSpec().encryption.recipients = new KeyRef("recipients", "recipients");
          pub.getSpec().chain = new BackupSpec.ChainSpec();
          pub.getSpec().chain.indexKeySecret = new KeyRef("index", "key");
          pub.getSpec().verification = new BackupSpec.VerificationSpec();
          pub.getSpec().verification.deep = true;
          pub.getSpec().verification.identity = new KeyRef("identity", "identity");
          client.resource(pub).create();
          awaitBackup(client, "public-key");
          Backup inc = backup("increment", s3);
          inc.getSpec().type = BackupSpec.Type.Incremental;
          inc.getSpec().encryption.recipients = new KeyRef("recipients", "recipients");
          inc.getSpec().chain = pub.getSpec().chain;
          client.resource(inc).create();
          Backup pass = backup("passphrase", s3);
          pass.getSpec().encryption.passphraseSecret = new KeyRef("passphrase", "passphrase");
          client.resource(pass).create();
          Backup auth = backup("mongo-password", s3);
          auth.getSpec().encryption.passphraseSecret = new KeyRef("passphrase", "passphrase");
          auth.getSpec().source.mongodb.uriSecret = new KeyRef("mongo-auth", "uri");
          client.resource(auth).create();
          awaitBackup(client, "increment");
          awaitBackup(client, "passphrase");
          Backup refused = awaitTerminal(client, "mongo-password");
          assertThat(refused.getStatus().phase).isEqualTo(Phase.Failed);
          assertThat(refused.getStatus().lastError)
              .contains("refused the credentials")
              .contains("mongodb://127.0.0.1:");
          client
              .resources(Backup.class)
              .inNamespace(NS)
              .withName("public-key")
              .patch(
                  io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                      io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                  "{\"metadata\":{\"annotations\":{\"coffer.io/verify-requested\":\"deep\"}}}");
          Restore r = new Restore();
          r.setMetadata(new ObjectMetaBuilder().withName("restore").withNamespace(NS).build());
          r.setSpec(new RestoreSpec());
          r.getSpec().backupName = "increment";
          r.getSpec().mode = RestoreSpec.Mode.Merge;
          r.getSpec().decryption = new RestoreSpec.Decryption();
          r.getSpec().decryption.identity = new KeyRef("identity", "identity");
          r.getSpec().target = new RestoreSpec.Target();
          r.getSpec().target.mongodb = new RestoreSpec.TargetMongo();
          r.getSpec().target.mongodb.renameDatabases = Map.of("erp", "erp_copy");
          client.resource(r).create();
          long deadline = System.currentTimeMillis() + 90_000;
          while (System.currentTimeMillis() < deadline) {
            Restore x = client.resources(Restore.class).inNamespace(NS).withName("restore").get();
            Backup v = client.resources(Backup.class).inNamespace(NS).withName("public-key").get();
            boolean restored =
                x.getStatus() != null
                    && x.getStatus().phase != null
                    && x.getStatus().phase.terminal();
            boolean verified =
                v.getStatus().verification != null
                    && "deep".equals(v.getStatus().verification.requested)
                    && !"Running".equals(v.getStatus().verification.result);
            if (restored && verified) break;
            Thread.sleep(200);
          }
          assertThat(
                  client
                      .resources(Restore.class)
                      .inNamespace(NS)
                      .withName("restore")
                      .get()
                      .getStatus()
                      .phase)
              .isEqualTo(Phase.Succeeded);
          assertThat(
                  client
                      .resources(Backup.class)
                      .inNamespace(NS)
                      .withName("public-key")
                      .get()
                      .getStatus()
                      .verification
                      .result)
              .isEqualTo("Verified");
          // everything the system wrote
          var json = client.getKubernetesSerialization();
          StringBuilder all = new StringBuilder();
          all.append(json.asJson(client.resources(Backup.class).inNamespace(NS).list()));
          all.append(json.asJson(client.resources(Restore.class).inNamespace(NS).list()));
          all.append(json.asJson(client.v1().events().inNamespace(NS).list()));
          all.append(json.asJson(client.batch().v1().jobs().inNamespace(NS).list()));
          all.append(
              json.asJson(
                  client
                      .pods()
                      .inNamespace(NS)
                      .list())); // their statuses carry the termination messages
          int logs = 0;
          for (var pod : client.pods().inNamespace(NS).list().getItems()) {
            all.append(
                client
                    .pods()
                    .inNamespace(NS)
                    .withName(pod.getMetadata().getName())
                    .getLog()); // what kubectl logs shows
            logs++;
          }
          assertThat(logs)
              .as(
                  "pod logs searched, through the API server (four backups, a restore, a verification)")
              .isGreaterThanOrEqualTo(6);
          assertThat(all.toString())
              .contains("completed in")
              .contains("Verified")
              .contains("refused the credentials")
              .doesNotContain(MONGO_PASSWORD)
              .doesNotContain(EmbeddedServers.SECRET_KEY)
              .doesNotContain(PASSPHRASE)
              .doesNotContain(INDEX_KEY)
              .doesNotContain(identity.encoded())
              .doesNotContainIgnoringCase("AGE-SECRET-KEY-1");
        } finally {
          operator.stop();
        }
      }
    } finally {
      mongo.shutdownNow();
      s3.stop();
    }
  }

  static void secret(KubernetesClient client, String name, Map<String, String> data) {
    client
        .secrets()
        .inNamespace(NS)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NS)
                .endMetadata()
                .withStringData(data)
                .build())
        .create();
  }

  /** A Database backup to S3 whose encryption the scenario sets (public keys or a passphrase). */
  static Backup backup(String name, S3Proxy s3) {
    Backup b =
        Specs.backup(NS, name)
            .type(BackupSpec.Type.Database)
            .mongo("mongo", "uri")
            .s3(
                EmbeddedServers.endpoint(s3),
                "backups",
                name.equals("increment") ? "public-key" : name,
                "s3")
            .backoffLimit(0)
            .build();
    b.getSpec().encryption = new BackupSpec.EncryptionSpec();
    return b;
  }

  static void awaitBackup(KubernetesClient client, String name) throws InterruptedException {
    Backup b = awaitTerminal(client, name);
    assertThat(b.getStatus().phase)
        .as(name + ": " + b.getStatus().lastError)
        .isEqualTo(Phase.Succeeded);
  }

  static Backup awaitTerminal(KubernetesClient client, String name) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 90_000;
    Backup b = null;
    while (System.currentTimeMillis() < deadline) {
      b = client.resources(Backup.class).inNamespace(NS).withName(name).get();
      if (b != null
          && b.getStatus() != null
          && b.getStatus().phase != null
          && b.getStatus().phase.terminal()) return b;
      Thread.sleep(200);
    }
    throw new AssertionError(
        "Backup " + name + " did not finish in 90 s: " + (b == null ? null : b.getStatus()));
  }
}
