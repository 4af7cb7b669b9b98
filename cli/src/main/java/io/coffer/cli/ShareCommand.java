package io.coffer.cli;

import io.coffer.engine.BackupDescriptor;
import io.coffer.engine.BackupStore;
import io.coffer.engine.CofferException;
import io.coffer.engine.archive.Json;
import io.coffer.engine.storage.Storage;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.ShareResult;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "share", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Print a URL that downloads a backup's stored archive without credentials until it expires (an S3 presigned",
        "GET). The archive is as stored: age-encrypted when the backup is, so the URL alone opens nothing. The",
        "operator runs this for the console's Download button (annotation coffer.io/download-requested); S3 only."})
final class ShareCommand implements Callable<Integer>, Main.ResultWriting {
  @Mixin CommonOptions common;

  @Option(names = "--backup", required = true, paramLabel = "ID", description = "The backup to share.")
  String backup;

  @Option(names = "--expires", paramLabel = "MINUTES", defaultValue = "15", description = "How long the URL works, in minutes (1 to 1440; default 15).")
  int minutes;

  @Override
  public Integer call() throws Exception {
    if (minutes < 1 || minutes > 1440) throw CofferException.usage("--expires must be 1 to 1440 minutes, not " + minutes);
    ShareResult r;
    try (Storage storage = common.openStorage()) {
      BackupStore store = new BackupStore(storage);
      BackupDescriptor d = store.descriptor(backup);
      Instant expires = Instant.now().plus(Duration.ofMinutes(minutes)).truncatedTo(ChronoUnit.SECONDS);
      String url = store.presignArchive(d, Duration.ofMinutes(minutes)).orElseThrow(() -> new CofferException(ExitCode.USAGE,
          "backups in " + storage.describe() + " have no download URL (a volume): copy one with coffer download --backup " + d.id() + " --to FILE"));
      r = new ShareResult(ShareResult.STATUS, d.id(), url, expires.toString(), d.id() + "-" + d.archive(), d.sha256(), d.storedSize(), d.encrypted());
    }
    common.writeResult(r);
    if (common.json()) System.out.println(Json.pretty(r));
    else System.out.println(r.url() + "\n(valid until " + r.expiresAt() + "; " + (r.encrypted() ? "age-encrypted" : "not encrypted") + ", SHA-256 " + r.sha256() + ")");
    return ExitCode.OK.code();
  }

  @Override
  public void writeFailure(ExitCode code, String message) {
    common.writeFailure(code, message);
  }
}
