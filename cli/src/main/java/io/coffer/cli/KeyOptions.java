package io.coffer.cli;

import io.coffer.engine.crypto.Age;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The decryption key options every reading command shares. */
public final class KeyOptions {
  @Option(
      names = "--identity-file",
      paramLabel = "FILE",
      description =
          "age identity file (as age-keygen or `coffer keygen` write) for encrypted backups (env COFFER_AGE_IDENTITY also works).")
  Path identityFile;

  @Option(
      names = "--passphrase-file",
      paramLabel = "FILE",
      description = "Passphrase for backups encrypted with one (env COFFER_PASSPHRASE also works).")
  Path passphraseFile;

  /** Identities and/or a passphrase, or null when none was given. */
  Age.DecryptionKeys keys() {
    return CommonOptions.secrets()
        .decryptionKeys(
            identityFile == null ? null : identityFile.toString(),
            passphraseFile == null ? null : passphraseFile.toString());
  }
}
