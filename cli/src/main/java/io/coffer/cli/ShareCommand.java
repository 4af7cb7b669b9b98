package io.coffer.cli;

import io.coffer.engine.Confirmation;
import io.coffer.engine.Engine;
import io.coffer.engine.base.Json;
import io.coffer.engine.base.Progress;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Purpose;
import io.coffer.protocol.ShareRequest;
import io.coffer.protocol.ShareResult;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "share",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Print a URL that downloads a backup's stored archive without credentials until it expires (an S3 presigned",
      "GET). The archive is as stored: age-encrypted when the backup is, so the URL alone opens nothing. The",
      "operator runs this for the console's Download button (annotation coffer.io/download-requested); S3 only."
    })
final class ShareCommand implements Callable<Integer>, Main.ResultWriting {
  @Mixin CommonOptions common;

  @Option(
      names = "--backup",
      required = true,
      paramLabel = "ID",
      description = "The backup to share.")
  String backup;

  @Option(
      names = "--expires",
      paramLabel = "MINUTES",
      defaultValue = "15",
      description = "How long the URL works, in minutes (1 to 1440; default 15).")
  int minutes;

  @Override
  public Integer call() throws Exception {
    ShareRequest request = new ShareRequest(backup, common.storageRef(), minutes, common.report());
    ShareResult r =
        Engine.share(
            request,
            common.context(new Progress(), null, Confirmation.GIVEN, Purpose.SHARE, false));
    common.writeResult(r);
    if (common.json()) System.out.println(Json.pretty(r));
    else
      System.out.println(
          r.url()
              + "\n(valid until "
              + r.expiresAt()
              + "; "
              + (r.encrypted() ? "age-encrypted" : "not encrypted")
              + ", SHA-256 "
              + r.sha256()
              + ")");
    return ExitCode.OK.code();
  }

  @Override
  public void writeFailure(ExitCode code, String message) {
    common.writeFailure(code, words(message));
  }

  @Override
  public String words(String message) {
    return Flags.render(message, Purpose.SHARE, false);
  }
}
