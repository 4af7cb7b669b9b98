package io.coffer.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.protocol.BackupRequest;
import io.coffer.protocol.BackupResult;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Request;
import io.coffer.protocol.RestoreRequest;
import io.coffer.protocol.RestoreResult;
import io.coffer.testing.FerretDb;
import io.coffer.testing.TestPki;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MongoDB over TLS with a private CA and required client certificates: FerretDB v1.24.2 listening
 * with --listen-tls and --listen-tls-ca-file, a CA, server and client certificates the real openssl
 * makes. Real: TLS handshakes (JDK client, Go server), the wire protocol, the engine end to end.
 * Not covered here: MONGODB-X509 authentication, which FerretDB 1.24 does not offer (docs say so).
 */
class MongoTlsIT {
  static FerretDb ferret;
  static TestPki pki;
  static MongoClient plain;
  @TempDir static Path tmp;

  @BeforeAll
  static void start() throws Exception {
    pki = TestPki.create(tmp.resolve("pki"));
    ferret = FerretDb.startTls(pki);
    plain = MongoClients.create(ferret.uri());
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < 50; i++) docs.add(new Document("_id", i).append("name", "employee " + i));
    plain.getDatabase("erp").getCollection("employees").insertMany(docs);
  }

  @AfterAll
  static void stop() {
    if (plain != null) plain.close();
    if (ferret != null) ferret.close();
  }

  static Engine.Context context() {
    return context(null);
  }

  static Engine.Context context(String mechanism) {
    return new Engine.Context(
        new EngineLog(null),
        new Progress(),
        new Secrets(Map.of()),
        ferret.tlsUri() + (mechanism == null ? "" : "?authMechanism=" + mechanism),
        Confirmation.GIVEN,
        InputStream.nullInputStream());
  }

  static BackupResult backup(String id, Request.MongoTls tls) throws Exception {
    return backup(id, tls, null);
  }

  static BackupResult backup(String id, Request.MongoTls tls, String mechanism) throws Exception {
    return Engine.backup(
        TestRequests.backup(
            id,
            "database",
            new Request.StorageRef(tmp.resolve("store").toUri().toString()),
            new BackupRequest.Mongo(null, List.of("erp"), List.of(), List.of(), null, 5, tls),
            List.of()),
        context(mechanism));
  }

  static Request.MongoTls tls(Path ca, Path cert, Path key) {
    return new Request.MongoTls(
        ca == null ? null : ca.toString(),
        cert == null ? null : cert.toString(),
        key == null ? null : key.toString());
  }

  @Test
  void givenThePrivateCaAndAClientCertificate_thenABackupAndARestoreGoThroughTls()
      throws Exception {
    // tls.crt and tls.key apart, the key in PKCS#1 as cert-manager writes it
    BackupResult b = backup("over-tls", tls(pki.ca, pki.clientCert, pki.clientKey));
    assertThat(b.documents()).isEqualTo(50);
    // the key inside the certificate file, as mongod's --tlsCertificateKeyFile takes it
    RestoreResult r =
        Engine.restore(
            new RestoreRequest(
                new RestoreRequest.Source("over-tls", null, null),
                new Request.StorageRef(tmp.resolve("store").toUri().toString()),
                null,
                new RestoreRequest.Mongo(
                    null,
                    List.of(),
                    List.of(),
                    List.of(),
                    Map.of("erp", "erp_tls"),
                    false,
                    5,
                    tls(pki.ca, pki.clientCombined(), null)),
                List.of(),
                null,
                List.of(),
                "replace",
                false,
                true,
                null,
                null),
            context());
    assertThat(r.documents()).isEqualTo(50);
    assertThat(plain.getDatabase("erp_tls").getCollection("employees").countDocuments())
        .as("read back over the plain listener of the same server")
        .isEqualTo(50);
  }

  @Test
  void givenMongodbX509_thenTheCertificateIsOfferedAsTheUser_andWithoutOneAUsageError() {
    // FerretDB 1.24 has no MONGODB-X509: what is real here is that the driver, over our TLS,
    // offers the certificate and the server's refusal comes back in words that name X.509
    assertThatThrownBy(
            () -> backup("x509", tls(pki.ca, pki.clientCert, pki.clientKey), "MONGODB-X509"))
        .isInstanceOfSatisfying(
            CofferException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ExitCode.SOURCE);
              assertThat(e.getMessage()).contains("MONGODB-X509").contains("$external");
            });
    assertThatThrownBy(() -> backup("x509-no-cert", tls(pki.ca, null, null), "MONGODB-X509"))
        .isInstanceOfSatisfying(
            CofferException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ExitCode.USAGE);
              assertThat(e.getMessage()).contains("⟦mongodb.tls.certificateFile⟧");
            });
  }

  @Test
  void givenAnotherCa_thenOneLineSaysTheServerIsNotSignedByIt_exit3() {
    assertThatThrownBy(() -> backup("wrong-ca", tls(pki.otherCa, pki.clientCert, pki.clientKey)))
        .isInstanceOfSatisfying(
            CofferException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ExitCode.SOURCE);
              assertThat(e.getMessage())
                  .contains("not signed by the CA")
                  .contains("⟦mongodb.tls.caFile⟧")
                  .doesNotContain("\n");
            });
  }

  @Test
  void givenNoClientCertificate_thenOneLineSaysTheServerRequiresOne_exit3() {
    assertThatThrownBy(() -> backup("no-cert", tls(pki.ca, null, null)))
        .isInstanceOfSatisfying(
            CofferException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ExitCode.SOURCE);
              assertThat(e.getMessage())
                  .contains("requires a client certificate")
                  .contains("⟦mongodb.tls.certificateFile⟧")
                  .doesNotContain("\n");
            });
  }

  /**
   * Under TLS 1.3 the server's refusal comes after the client's handshake ends, and the client
   * often sees only a broken pipe: the context notes that the server asked for a certificate, so
   * the reason does not hang on which of the two the driver saw first.
   */
  @Test
  void givenNoClientCertificate_thenTheContextNotesThatTheServerAskedForOne() throws Exception {
    var tls = io.coffer.engine.mongo.MongoTls.of(Files.readString(pki.ca), null, null);
    assertThat(tls.askedForMissingCertificate()).isFalse();
    try (MongoClient client =
        io.coffer.engine.mongo.MongoConnection.open(ferret.tlsUri(), tls, 2)) {
      assertThatThrownBy(() -> client.getDatabase("admin").runCommand(new Document("ping", 1)))
          .isInstanceOf(com.mongodb.MongoException.class);
    }
    assertThat(tls.askedForMissingCertificate()).isTrue();
  }

  @Test
  void givenNoTlsAtAll_thenOneLineSaysTheServerMayWantTls_exit3() {
    assertThatThrownBy(() -> backup("plain-to-tls", null))
        .isInstanceOfSatisfying(
            CofferException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ExitCode.SOURCE);
              assertThat(e.getMessage()).contains("TLS").doesNotContain("\n");
            });
  }

  @Test
  void givenAKeyThatIsNotAKey_thenARefusalThatNamesTheFieldAndNeverTheContent() throws Exception {
    Path bad = tmp.resolve("bad.key");
    String secretish = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
    Files.writeString(
        bad, "-----BEGIN PRIVATE KEY-----\n" + secretish + "\n-----END PRIVATE KEY-----\n");
    assertThatThrownBy(() -> backup("bad-key", tls(pki.ca, pki.clientCert, bad)))
        .isInstanceOfSatisfying(
            CofferException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ExitCode.USAGE);
              assertThat(e.getMessage())
                  .contains("⟦mongodb.tls.keyFile⟧")
                  .doesNotContain(secretish.substring(20));
            });
    Path encrypted = tmp.resolve("enc.key");
    Files.writeString(
        encrypted,
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
            + secretish
            + "\n-----END ENCRYPTED PRIVATE KEY-----\n");
    assertThatThrownBy(() -> backup("enc-key", tls(pki.ca, pki.clientCert, encrypted)))
        .hasMessageContaining("encrypted private key");
  }
}
