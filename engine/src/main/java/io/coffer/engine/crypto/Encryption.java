package io.coffer.engine.crypto;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * How a backup is encrypted: not at all, to age X25519 recipients, or with an scrypt passphrase.
 */
public record Encryption(List<AgeKeys.Recipient> recipients, char[] passphrase, int scryptLogN) {

  public static final Encryption NONE = new Encryption(List.of(), null, 0);

  public static Encryption toRecipients(List<AgeKeys.Recipient> recipients) {
    return new Encryption(List.copyOf(recipients), null, 0);
  }

  public static Encryption withPassphrase(char[] passphrase, int logN) {
    return new Encryption(List.of(), passphrase.clone(), logN);
  }

  public boolean enabled() {
    return !recipients.isEmpty() || passphrase != null;
  }

  public String scheme() {
    return !recipients.isEmpty() ? "age-x25519" : passphrase != null ? "age-scrypt" : null;
  }

  public OutputStream wrap(OutputStream out) throws IOException {
    if (!recipients.isEmpty()) return Age.encrypt(out, recipients);
    if (passphrase != null) return Age.encryptWithPassphrase(out, passphrase, scryptLogN);
    return out;
  }

  @Override
  public String toString() {
    return "Encryption(" + (scheme() == null ? "none" : scheme()) + ")";
  }
}
