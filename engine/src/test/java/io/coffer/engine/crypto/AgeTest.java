package io.coffer.engine.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coffer.testing.Tools;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AgeTest {
  @TempDir Path dir;

  static byte[] data(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  static byte[] encrypt(byte[] plain, List<AgeKeys.Recipient> rs) throws IOException {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (OutputStream out = Age.encrypt(bos, rs)) {
      // write in odd-sized pieces to exercise chunk boundaries
      int off = 0;
      while (off < plain.length) {
        int n = Math.min(7777, plain.length - off);
        out.write(plain, off, n);
        off += n;
      }
    }
    return bos.toByteArray();
  }

  static byte[] decrypt(byte[] enc, Age.DecryptionKeys keys) throws IOException {
    try (InputStream in = Age.decrypt(new ByteArrayInputStream(enc), keys)) {
      return in.readAllBytes();
    }
  }

  @ParameterizedTest
  @ValueSource(
      ints = {
        0, 1, 65535, 65536, 65537, 131072, 200_000, 1_048_576, 1_048_577, 2_162_688, 3_000_001
      })
  void givenAnySize_whenEncryptedToRecipients_thenDecryptsToTheSameBytes(int size)
      throws IOException {
    AgeKeys.Identity a = AgeKeys.generate();
    AgeKeys.Identity b = AgeKeys.generate();
    byte[] plain = data(size);
    byte[] enc = encrypt(plain, List.of(a.recipient(), b.recipient()));
    assertThat(decrypt(enc, Age.DecryptionKeys.of(List.of(b)))).isEqualTo(plain);
    assertThat(decrypt(enc, Age.DecryptionKeys.of(List.of(a)))).isEqualTo(plain);
  }

  @Test
  void givenAPassphrase_whenEncrypted_thenOnlyThatPassphraseOpensIt() throws IOException {
    byte[] plain = data(100_000);
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (OutputStream out = Age.encryptWithPassphrase(bos, "correct horse".toCharArray(), 10)) {
      out.write(plain);
    }
    assertThat(
            decrypt(
                bos.toByteArray(), Age.DecryptionKeys.passphrase("correct horse".toCharArray())))
        .isEqualTo(plain);
    assertThatThrownBy(
            () -> decrypt(bos.toByteArray(), Age.DecryptionKeys.passphrase("wrong".toCharArray())))
        .isInstanceOf(AgeException.class)
        .hasMessageContaining("wrong passphrase")
        .extracting(e -> ((AgeException) e).kind())
        .isEqualTo(AgeException.Kind.NO_MATCHING_KEY);
  }

  @Test
  void givenTheWrongIdentity_whenDecrypting_thenNoMatchingKey() throws IOException {
    byte[] enc = encrypt(data(10), List.of(AgeKeys.generate().recipient()));
    assertThatThrownBy(() -> decrypt(enc, Age.DecryptionKeys.of(List.of(AgeKeys.generate()))))
        .isInstanceOf(AgeException.class)
        .extracting(e -> ((AgeException) e).kind())
        .isEqualTo(AgeException.Kind.NO_MATCHING_KEY);
  }

  @Test
  void givenAnyFlippedByte_whenDecrypting_thenItFails() throws IOException {
    AgeKeys.Identity id = AgeKeys.generate();
    byte[] enc = encrypt(data(150_000), List.of(id.recipient()));
    Random r = new Random(42);
    for (int i = 0; i < 40; i++) {
      byte[] bad = enc.clone();
      int pos = r.nextInt(bad.length);
      bad[pos] ^= (byte) (1 << r.nextInt(8));
      assertThatThrownBy(() -> decrypt(bad, Age.DecryptionKeys.of(List.of(id))))
          .as("flip at %d", pos)
          .isInstanceOf(AgeException.class);
    }
  }

  @Test
  void givenATruncatedFile_evenAtAChunkBoundary_whenDecrypting_thenItFails() throws IOException {
    AgeKeys.Identity id = AgeKeys.generate();
    byte[] enc = encrypt(data(3 * 65536), List.of(id.recipient()));
    int header = enc.length - 3 * (65536 + 16);
    for (int cut :
        new int[] {
          enc.length - 1, header + 65536 + 16, header + 2 * (65536 + 16), header + 10, header
        }) {
      byte[] bad = Arrays.copyOf(enc, cut);
      assertThatThrownBy(() -> decrypt(bad, Age.DecryptionKeys.of(List.of(id))))
          .as("cut at %d", cut)
          .isInstanceOf(AgeException.class)
          .extracting(e -> ((AgeException) e).kind())
          .isEqualTo(AgeException.Kind.CORRUPT);
    }
  }

  @Test
  void givenNotAnAgeFile_whenDecrypting_thenBadInput() {
    assertThatThrownBy(
            () ->
                decrypt(
                    "PK\u0003\u0004hello".getBytes(StandardCharsets.ISO_8859_1),
                    Age.DecryptionKeys.of(List.of(AgeKeys.generate()))))
        .isInstanceOf(AgeException.class)
        .hasMessageContaining("not an age-encrypted file");
  }

  @Test
  void givenAKey_whenEncoded_thenItParsesBackAndTheSecretNeverShowsInToString() {
    AgeKeys.Identity id = AgeKeys.generate();
    assertThat(id.encoded()).startsWith("AGE-SECRET-KEY-1");
    assertThat(AgeKeys.parseIdentity(id.encoded()).recipient()).isEqualTo(id.recipient());
    assertThat(AgeKeys.parseRecipient(id.recipient().encoded())).isEqualTo(id.recipient());
    assertThat(id.toString()).doesNotContain(id.encoded()).contains(id.recipient().encoded());
    String corrupted =
        id.recipient().encoded().substring(0, 20)
            + (id.recipient().encoded().charAt(20) == 'q' ? 'p' : 'q')
            + id.recipient().encoded().substring(21);
    assertThatThrownBy(() -> AgeKeys.parseRecipient(corrupted)).hasMessageContaining("checksum");
  }

  @Test
  void givenOurEncryption_whenTheAgeCliDecrypts_thenTheBytesMatch() throws Exception {
    Tools.require("age");
    Tools.require("age-keygen");
    Tools.Run gen = Tools.run(dir, List.of("age-keygen", "-o", "key.txt"));
    assertThat(gen.exit()).isZero();
    List<AgeKeys.Identity> ids = AgeKeys.readIdentities(dir.resolve("key.txt"));
    assertThat(gen.out()).contains(ids.get(0).recipient().encoded());
    byte[] plain =
        data(3 * 1024 * 1024 + 65536); // several parallel runs, ending on a chunk boundary
    Files.write(dir.resolve("x.age"), encrypt(plain, List.of(ids.get(0).recipient())));
    Tools.Run dec = Tools.run(dir, List.of("age", "-d", "-i", "key.txt", "-o", "x.out", "x.age"));
    assertThat(dec.exit()).as(dec.out()).isZero();
    assertThat(Files.readAllBytes(dir.resolve("x.out"))).isEqualTo(plain);
  }

  @Test
  void givenTheAgeCliEncryption_whenWeDecrypt_thenTheBytesMatch() throws Exception {
    Tools.require("age");
    AgeKeys.Identity id = AgeKeys.generate();
    Files.writeString(dir.resolve("key.txt"), "# test\n" + id.encoded() + "\n");
    byte[] plain = data(200_001);
    Files.write(dir.resolve("x"), plain);
    Tools.Run enc =
        Tools.run(dir, List.of("age", "-r", id.recipient().encoded(), "-o", "x.age", "x"));
    assertThat(enc.exit()).as(enc.out()).isZero();
    byte[] out =
        decrypt(
            Files.readAllBytes(dir.resolve("x.age")),
            Age.DecryptionKeys.of(AgeKeys.readIdentities(dir.resolve("key.txt"))));
    assertThat(out).isEqualTo(plain);
  }

  @Test
  void givenOurPassphraseEncryption_whenTheAgeCliDecrypts_thenTheBytesMatch() throws Exception {
    Tools.require("age");
    Tools.require("script");
    byte[] plain = data(70_000);
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (OutputStream out = Age.encryptWithPassphrase(bos, "hunter2 hunter2".toCharArray(), 12)) {
      out.write(plain);
    }
    Files.write(dir.resolve("p.age"), bos.toByteArray());
    // age reads passphrases from a terminal only: script(1) gives it one, and printf answers the
    // prompt
    Tools.Run dec =
        Tools.run(
            dir,
            List.of(
                "bash",
                "-c",
                "printf 'hunter2 hunter2\\n' | script -qec 'age -d -o p.out p.age' /dev/null"));
    assertThat(Files.exists(dir.resolve("p.out"))).as(dec.out()).isTrue();
    assertThat(Files.readAllBytes(dir.resolve("p.out"))).isEqualTo(plain);
  }
}
