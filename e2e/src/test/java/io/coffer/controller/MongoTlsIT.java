package io.coffer.controller;

import static io.coffer.controller.OperatorHarness.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.KeyRef;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.FerretDb;
import io.coffer.testing.Specs;
import io.coffer.testing.TestPki;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MongoDB over TLS with a private CA and a required client certificate, through the resources: a
 * Backup whose spec.source.mongodb.tls names the CA Secret key and a kubernetes.io/tls Secret, and
 * a Restore that takes the source's TLS by default. Real: the control plane of {@link
 * OperatorHarness}, FerretDB v1.24.2 serving TLS (--listen-tls-ca-file: client certificates
 * required), certificates the real openssl makes, the engine's TLS in the Job pods. Simulated: the
 * nodes (a local process per pod).
 */
class MongoTlsIT {
  static FerretDb ferret;
  static TestPki pki;

  @BeforeAll
  static void start() throws Exception {
    OperatorHarness.start();
    pki = TestPki.create(Files.createTempDirectory("coffer-tls-pki"));
    ferret = FerretDb.startTls(pki);
    try (MongoClient c = MongoClients.create(ferret.uri())) {
      List<Document> docs = new ArrayList<>();
      for (int i = 0; i < 120; i++) docs.add(new Document("_id", i).append("name", "Staff " + i));
      c.getDatabase("hr").getCollection("staff").insertMany(docs);
    }
    secret("tls-mongo", Map.of("uri", ferret.tlsUri()));
    secret("tls-ca", Map.of("ca.crt", Files.readString(pki.ca)));
    secret("tls-other-ca", Map.of("ca.crt", Files.readString(pki.otherCa)));
    client
        .secrets()
        .inNamespace(NS)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("tls-client")
                .endMetadata()
                .withType("kubernetes.io/tls")
                .withStringData(
                    Map.of(
                        "tls.crt", Files.readString(pki.clientCert),
                        "tls.key", Files.readString(pki.clientKey)))
                .build())
        .create();
  }

  @AfterAll
  static void stop() {
    if (ferret != null) ferret.close();
  }

  static Backup tlsBackup(String name, String caSecret, String clientSecret) {
    Backup b =
        Specs.backup(NS, name)
            .type(BackupSpec.Type.Database)
            .mongo("tls-mongo", "uri", "hr")
            .s3(EmbeddedServers.endpoint(s3), "backups", "tls", "s3")
            .recipients("age", "recipients")
            .backoffLimit(0)
            .build();
    b.getSpec().source.mongodb.tls = new BackupSpec.MongoTls();
    b.getSpec().source.mongodb.tls.caSecret = new KeyRef(caSecret, "ca.crt");
    b.getSpec().source.mongodb.tls.clientCertificateSecret = clientSecret;
    return b;
  }

  static Backup failed(String name) throws InterruptedException {
    return await(name, x -> x.getStatus() != null && x.getStatus().phase == Phase.Failed);
  }

  @Test
  void givenTheCaAndAClientCertificate_thenABackupAndARestoreOfItGoThroughTls() throws Exception {
    client.resource(tlsBackup("over-tls", "tls-ca", "tls-client")).create();
    Backup done = await("over-tls", x -> x.getStatus() != null && x.getStatus().phase.terminal());
    assertThat(done.getStatus().phase).as(done.getStatus().lastError).isEqualTo(Phase.Succeeded);
    assertThat(done.getStatus().contents.documents).isEqualTo(120L);
    Restore r =
        Specs.restore(NS, "from-tls")
            .backupName("over-tls")
            .identity("age-key", "identity")
            .renameDatabases(Map.of("hr", "hr_restored"))
            .build();
    client.resource(r).create();
    Restore restored = awaitRestore("from-tls");
    assertThat(restored.getStatus().phase)
        .as(restored.getStatus().lastError)
        .isEqualTo(Phase.Succeeded);
    try (MongoClient c = MongoClients.create(ferret.uri())) {
      assertThat(c.getDatabase("hr_restored").getCollection("staff").countDocuments())
          .as("the source's TLS took the Restore to the same server")
          .isEqualTo(120);
    }
  }

  @Test
  void givenAWrongCaOrNoClientCertificate_thenTheBackupFailsSayingWhichSettingToFix()
      throws Exception {
    client.resource(tlsBackup("tls-wrong-ca", "tls-other-ca", "tls-client")).create();
    client.resource(tlsBackup("tls-no-cert", "tls-ca", null)).create();
    Backup wrongCa = failed("tls-wrong-ca");
    Backup noCert = failed("tls-no-cert");
    assertThat(wrongCa.getStatus().lastError)
        .contains("not signed by the CA")
        .contains("spec.source.mongodb.tls.caSecret");
    assertThat(noCert.getStatus().lastError)
        .contains("requires a client certificate")
        .contains("spec.source.mongodb.tls.clientCertificateSecret");
    String key = Files.readString(pki.clientKey);
    String keyLine = key.lines().skip(2).findFirst().orElseThrow();
    for (Backup b : List.of(wrongCa, noCert)) {
      String status = client.getKubernetesSerialization().asJson(b.getStatus());
      assertThat(status).doesNotContain(keyLine).doesNotContain("PRIVATE KEY");
      for (var e :
          client
              .v1()
              .events()
              .inNamespace(NS)
              .withField("involvedObject.name", b.getMetadata().getName())
              .list()
              .getItems())
        assertThat(e.getMessage()).doesNotContain(keyLine).doesNotContain("PRIVATE KEY");
    }
  }
}
