package io.coffer.cli;

import io.coffer.engine.Confirmation;
import io.coffer.engine.Engine;
import io.coffer.engine.base.Json;
import io.coffer.engine.base.Progress;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Purpose;
import io.coffer.protocol.Request;
import io.coffer.protocol.VerifyRequest;
import io.coffer.protocol.VerifyResult;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Check a stored backup.",
      "",
      "Without --deep: the stored archive's size and SHA-256 against backup.json (no key needed).",
      "With --deep: also decrypt, check every entry against the manifest and every document's BSON.",
      "With --archive FILE: always deep (a file alone has no separate checksum to compare with)."
    })
final class VerifyCommand implements Callable<Integer>, Main.ResultWriting {
  @Mixin CommonOptions common;

  @Option(names = "--backup", paramLabel = "ID", description = "The backup to check.")
  String backup;

  @Mixin ArchiveOption archive;

  @Option(names = "--deep", description = "Decrypt and check every entry and document.")
  boolean deep;

  @Mixin KeyOptions key;

  /** The request these flags make: the same record a Job's request document holds. */
  VerifyRequest request() {
    return new VerifyRequest(
        backup,
        archive.file == null ? null : archive.file.toString(),
        common.storageRef(),
        deep,
        new Request.Decryption(
            key.identityFile == null ? null : key.identityFile.toString(),
            key.passphraseFile == null ? null : key.passphraseFile.toString()),
        common.report());
  }

  @Override
  public Integer call() throws Exception {
    boolean json = common.json();
    VerifyRequest request = request();
    Progress progress = new Progress();
    VerifyResult r;
    try (ProgressReporter rep = common.reporter(progress)) {
      r =
          Engine.verify(
              request, common.context(progress, null, Confirmation.GIVEN, Purpose.VERIFY, false));
    }
    common.writeResult(r);
    if (json) System.out.println(Json.pretty(r));
    else System.out.println("Backup " + r.backupId() + " verified: " + r.message());
    return ExitCode.OK.code();
  }

  @Override
  public void writeFailure(ExitCode code, String message) {
    common.writeFailure(code, words(message));
  }

  @Override
  public String words(String message) {
    return Flags.render(message, Purpose.VERIFY, false);
  }
}
