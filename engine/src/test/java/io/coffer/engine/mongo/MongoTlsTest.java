package io.coffer.engine.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coffer.engine.base.CofferException;
import io.coffer.protocol.ExitCode;
import io.coffer.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PEM files of MongoDB TLS as cert-manager, the MongoDB operators and openssl write them (keys
 * made by the real openssl): key formats, a key that belongs to no certificate, encrypted keys, a
 * bundle listing the CA before the leaf, and hostile files. No server: the handshakes are in
 * MongoTlsIT.
 */
class MongoTlsTest {
  @TempDir static Path dir;
  static TestPki pki;

  @BeforeAll
  static void make() throws Exception {
    pki = TestPki.create(dir.resolve("pki"));
    Path d = pki.dir;
    // an EC client key in SEC1 ("EC PRIVATE KEY") and the same in PKCS#8, with its certificate
    TestPki.openssl(d, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.key");
    TestPki.openssl(d, "pkcs8", "-topk8", "-nocrypt", "-in", "ec.key", "-out", "ec-pkcs8.key");
    TestPki.openssl(d, "req", "-new", "-key", "ec.key", "-out", "ec.csr", "-subj", "/CN=ec");
    TestPki.openssl(
        d,
        "x509",
        "-req",
        "-in",
        "ec.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "ec.pem",
        "-days",
        "2");
    // the client's RSA key encrypted in the traditional form (Proc-Type: 4,ENCRYPTED)
    TestPki.openssl(
        d,
        "rsa",
        "-in",
        "client.key",
        "-aes256",
        "-traditional",
        "-passout",
        "pass:x",
        "-out",
        "client-enc.key");
  }

  static String read(String name) throws Exception {
    return Files.readString(pki.dir.resolve(name));
  }

  @Test
  void givenEcKeysInSec1AndPkcs8AndRsaInPkcs1_thenEachMakesAClientCertificate() throws Exception {
    for (String key : new String[] {"ec.key", "ec-pkcs8.key"}) {
      MongoTls t = MongoTls.of(read("ca.pem"), read("ec.pem"), read(key));
      assertThat(t.hasClientCertificate()).isTrue();
      assertThat(t.hasPrivateCa()).isTrue();
    }
    assertThat(MongoTls.of(null, read("client.pem"), read("client.key")).hasPrivateCa()).isFalse();
    // a bundle that lists the CA before the leaf: the leaf is found by its key
    MongoTls bundle =
        MongoTls.of(read("ca.pem"), read("ca.pem") + read("client.pem"), read("client.key"));
    assertThat(bundle.hasClientCertificate()).isTrue();
  }

  @Test
  void givenAKeyOfAnotherCertificate_thenRefusedSayingTheyDoNotBelongTogether() {
    assertThatThrownBy(() -> MongoTls.of(read("ca.pem"), read("client.pem"), read("ec.key")))
        .isInstanceOfSatisfying(
            CofferException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ExitCode.USAGE);
              assertThat(e.getMessage())
                  .contains("does not belong to any certificate in ⟦mongodb.tls.certificateFile⟧");
            });
  }

  @Test
  void givenAnEncryptedTraditionalKey_thenRefusedAsEncrypted() {
    assertThatThrownBy(
            () -> MongoTls.of(read("ca.pem"), read("client.pem"), read("client-enc.key")))
        .hasMessageContaining("holds an encrypted private key");
  }

  @Test
  void givenHostileFiles_thenRefusedQuickly_neverParsedForMinutes() throws Exception {
    // 200 KiB of BEGIN lines without an END: a backtracking pattern took half a minute over it;
    // read line by line it is refused at once
    String begins = "-----BEGIN CERTIFICATE-----\n".repeat(7500);
    assertThatThrownBy(() -> MongoTls.of(begins, null, null))
        .hasMessageContaining("holds no PEM certificate");
    assertThatThrownBy(() -> MongoTls.of("x".repeat(MongoTls.MAX_PEM_BYTES + 1), null, null))
        .hasMessageContaining("larger than 1 MiB");
    assertThatThrownBy(() -> MongoTls.of(read("ca.pem"), null, read("client.key")))
        .hasMessageContaining("is given without its certificate");
  }
}
