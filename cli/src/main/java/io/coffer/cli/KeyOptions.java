package io.coffer.cli;

import io.coffer.protocol.Request;
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

  /** The key files as a request names them (null where not given: the environment is asked). */
  Request.Decryption decryption() {
    return new Request.Decryption(
        identityFile == null ? null : identityFile.toString(),
        passphraseFile == null ? null : passphraseFile.toString());
  }
}
