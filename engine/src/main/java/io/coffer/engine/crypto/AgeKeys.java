package io.coffer.engine.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.math.ec.rfc7748.X25519;

/** age key material: X25519 recipients (public) and identities (private), and passphrases. */
public final class AgeKeys {
  static final String RECIPIENT_HRP = "age";
  static final String IDENTITY_HRP = "age-secret-key-";
  private static final SecureRandom RANDOM = new SecureRandom();

  private AgeKeys() {}

  /** An X25519 public key, printable as {@code age1...}. */
  public record Recipient(byte[] publicKey) {
    public Recipient {
      if (publicKey.length != 32)
        throw new IllegalArgumentException("X25519 public key must be 32 bytes");
      publicKey = publicKey.clone();
    }

    @Override
    public byte[] publicKey() {
      return publicKey.clone();
    }

    public String encoded() {
      return Bech32.encode(RECIPIENT_HRP, publicKey);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Recipient r && Arrays.equals(publicKey, r.publicKey);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(publicKey);
    }

    @Override
    public String toString() {
      return encoded();
    }
  }

  /** An X25519 private key. {@link #toString()} never shows it. */
  public static final class Identity {
    private final byte[] secret;
    private final Recipient recipient;

    Identity(byte[] secret) {
      if (secret.length != 32)
        throw new IllegalArgumentException("X25519 secret key must be 32 bytes");
      this.secret = secret.clone();
      byte[] pub = new byte[32];
      X25519.scalarMultBase(this.secret, 0, pub, 0);
      this.recipient = new Recipient(pub);
    }

    byte[] secret() {
      return secret;
    }

    public Recipient recipient() {
      return recipient;
    }

    /** The {@code AGE-SECRET-KEY-1...} form, for writing key files. */
    public String encoded() {
      return Bech32.encode(IDENTITY_HRP, secret).toUpperCase(Locale.ROOT);
    }

    @Override
    public String toString() {
      return "Identity(" + recipient.encoded() + ")";
    }
  }

  public static Identity generate() {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    return new Identity(secret);
  }

  /**
   * A recipient ({@code age1...}). The text is never repeated in an error: what was given in its
   * place may be a secret (a passphrase file, an identity), and errors reach logs.
   */
  public static Recipient parseRecipient(String text) {
    String s = text.strip();
    if (s.regionMatches(true, 0, IDENTITY_HRP + "1", 0, IDENTITY_HRP.length() + 1)) {
      throw new IllegalArgumentException(
          "a private key (AGE-SECRET-KEY-1...) was given where a recipient, a public key age1..., belongs;"
              + " `age-keygen -y KEYFILE` prints its public key (keep the private key out of backup Jobs)");
    }
    Bech32.Decoded d;
    try {
      d = Bech32.decode(s);
    } catch (IllegalArgumentException e) {
      // Bech32's reasons (bad checksum, bad character, ...) never quote the text
      throw new IllegalArgumentException(
          "not an age recipient (expected age1...: "
              + e.getMessage()
              + "; the value is not shown)");
    }
    if (!d.hrp().equals(RECIPIENT_HRP) || d.data().length != 32) {
      throw new IllegalArgumentException(
          "not an X25519 age recipient (expected age1...; the value is not shown)");
    }
    return new Recipient(d.data());
  }

  public static Identity parseIdentity(String text) {
    String s = text.strip();
    Bech32.Decoded d;
    try {
      d = Bech32.decode(s);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "not an age identity (expected AGE-SECRET-KEY-1...): " + e.getMessage());
    }
    if (!d.hrp().equals(IDENTITY_HRP) || d.data().length != 32) {
      throw new IllegalArgumentException(
          "not an X25519 age identity (expected AGE-SECRET-KEY-1...)");
    }
    return new Identity(d.data());
  }

  /**
   * Reads recipients, one per line; blank lines and {@code #} comments are skipped. Errors name the
   * line, never its text.
   */
  public static List<Recipient> readRecipients(String content) {
    List<Recipient> out = new ArrayList<>();
    int lineNo = 0;
    for (String line : content.split("\\R")) {
      lineNo++;
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) continue;
      try {
        out.add(parseRecipient(l));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("line " + lineNo + ": " + e.getMessage());
      }
    }
    return out;
  }

  /** Reads an identity file in the format {@code age-keygen} writes. */
  public static List<Identity> readIdentities(Path file) throws IOException {
    String content = Files.readString(file, StandardCharsets.UTF_8);
    List<Identity> out = new ArrayList<>();
    int lineNo = 0;
    for (String line : content.split("\\R")) {
      lineNo++;
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) continue;
      try {
        out.add(parseIdentity(l));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "identity file " + file + " line " + lineNo + ": " + e.getMessage());
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(
          "identity file "
              + file
              + " holds no AGE-SECRET-KEY-1... line; create one with age-keygen");
    }
    return out;
  }
}
