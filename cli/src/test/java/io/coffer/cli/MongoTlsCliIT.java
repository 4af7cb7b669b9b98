package io.coffer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.coffer.testing.Coffer;
import io.coffer.testing.FerretDb;
import io.coffer.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code coffer backup} and {@code coffer restore} with --mongodb-ca-file and
 * --mongodb-client-cert-file against FerretDB v1.24.2 serving TLS with client certificates
 * required, certificates made by the real openssl. Real: the CLI, TLS, the wire protocol; the CLI
 * runs in this JVM ({@link Coffer}).
 */
class MongoTlsCliIT {
  static FerretDb ferret;
  static TestPki pki;
  @TempDir static Path tmp;

  @BeforeAll
  static void start() throws Exception {
    pki = TestPki.create(tmp.resolve("pki"));
    ferret = FerretDb.startTls(pki);
    try (MongoClient c = MongoClients.create(ferret.uri())) {
      List<Document> docs = new ArrayList<>();
      for (int i = 0; i < 40; i++) docs.add(new Document("_id", i).append("amount", i * 10));
      c.getDatabase("finance").getCollection("ledger").insertMany(docs);
    }
  }

  @AfterAll
  static void stop() {
    if (ferret != null) ferret.close();
  }

  String store() {
    return tmp.resolve("store").toUri().toString();
  }

  /** {@code coffer backup} of database finance over TLS, with {@code tls} flags. */
  Coffer.Run backup(String id, String... tls) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "backup",
                "--storage",
                store(),
                "--id",
                id,
                "--type",
                "database",
                "--mongodb-uri",
                ferret.tlsUri(),
                "--include",
                "finance",
                "--timeout",
                "3",
                "--progress",
                "none"));
    args.addAll(List.of(tls));
    return Coffer.run(args.toArray(String[]::new));
  }

  @Test
  void givenTheCaAndACombinedClientCertificate_thenBackupAndRestoreRoundTripOverTls()
      throws Exception {
    Coffer.Run b =
        backup(
            "tls-1",
            "--mongodb-ca-file",
            pki.ca.toString(),
            "--mongodb-client-cert-file",
            pki.clientCombined().toString());
    assertThat(b.exit()).as(b.all()).isZero();
    Coffer.Run r =
        Coffer.run(
            "restore",
            "--storage",
            store(),
            "--backup",
            "tls-1",
            "--mongodb-uri",
            ferret.tlsUri(),
            "--rename-db",
            "finance=finance_back",
            "--mongodb-ca-file",
            pki.ca.toString(),
            "--mongodb-client-cert-file",
            pki.clientCert.toString(),
            "--mongodb-client-key-file",
            pki.clientKey.toString(),
            "--yes",
            "--progress",
            "none");
    assertThat(r.exit()).as(r.all()).isZero();
    try (MongoClient c = MongoClients.create(ferret.uri())) {
      assertThat(c.getDatabase("finance_back").getCollection("ledger").countDocuments())
          .isEqualTo(40);
    }
  }

  @Test
  void givenAWrongCaOrNoClientCertificate_thenOneLineNamesTheFlag_exit3_andNoKeyIsPrinted()
      throws Exception {
    Coffer.Run wrongCa =
        backup(
            "tls-wrong-ca",
            "--mongodb-ca-file",
            pki.otherCa.toString(),
            "--mongodb-client-cert-file",
            pki.clientCombined().toString());
    assertThat(wrongCa.exit()).as(wrongCa.all()).isEqualTo(3);
    assertThat(wrongCa.err()).contains("not signed by the CA in --mongodb-ca-file");
    Coffer.Run noCert = backup("tls-no-cert", "--mongodb-ca-file", pki.ca.toString());
    assertThat(noCert.exit()).as(noCert.all()).isEqualTo(3);
    assertThat(noCert.err())
        .contains("requires a client certificate: give --mongodb-client-cert-file");
    String keyLine = Files.readString(pki.clientKey).lines().skip(2).findFirst().orElseThrow();
    for (Coffer.Run run : List.of(wrongCa, noCert))
      assertThat(run.all()).doesNotContain(keyLine).doesNotContain("PRIVATE KEY");
    Coffer.Run help = Coffer.run("backup", "--help");
    assertThat(help.out()).contains("--mongodb-ca-file").contains("--mongodb-client-cert-file");
  }
}
