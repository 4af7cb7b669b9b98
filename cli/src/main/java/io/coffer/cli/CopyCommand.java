package io.coffer.cli;

import io.coffer.engine.Confirmation;
import io.coffer.engine.Engine;
import io.coffer.engine.base.Json;
import io.coffer.engine.base.Printable;
import io.coffer.engine.base.Progress;
import io.coffer.protocol.CopyRequest;
import io.coffer.protocol.CopyResult;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Purpose;
import io.coffer.protocol.Request;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "copy",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Copy a stored backup to a second location (another bucket, region, endpoint or volume).",
      "",
      "The objects go as they are stored: nothing is decrypted and no key is needed. Each is read",
      "back where it landed and its SHA-256 compared; the source's archive and manifest must match",
      "its descriptor. The descriptor goes last, so `coffer list` shows the copy only once it is",
      "whole; a copy that is there already is checked and left. Restore or list from the copy's",
      "location as from the original.",
      "",
      "Example: coffer copy --storage s3://backups/erp --to s3://offsite/erp \\",
      "  --to-s3-endpoint https://s3.eu-west-1.amazonaws.com --backup nightly-20261207"
    })
final class CopyCommand implements Callable<Integer>, Main.ResultWriting {
  @Mixin CommonOptions common;

  @Option(names = "--backup", required = true, paramLabel = "ID", description = "The backup.")
  String backup;

  @Option(
      names = "--to",
      required = true,
      paramLabel = "URI",
      description = "Where the copy goes: s3://bucket/prefix or file:///path.")
  String to;

  @Option(
      names = "--to-s3-endpoint",
      paramLabel = "URL",
      description = "The destination's S3 endpoint (default: the same as --s3-endpoint).")
  String toEndpoint;

  @Option(
      names = "--to-s3-region",
      paramLabel = "REGION",
      description = "The destination's S3 region.")
  String toRegion;

  @Option(
      names = "--to-s3-ca-file",
      paramLabel = "FILE",
      description = "PEM CA certificates to trust for the destination's https endpoint.")
  Path toCaFile;

  @Option(
      names = "--to-access-key-file",
      paramLabel = "FILE",
      description =
          "A file holding the destination's S3 access key id (default: AWS_ACCESS_KEY_ID, as for the source).")
  Path toAccessKeyFile;

  @Option(
      names = "--to-secret-key-file",
      paramLabel = "FILE",
      description =
          "A file holding the destination's S3 secret access key (default: AWS_SECRET_ACCESS_KEY).")
  Path toSecretKeyFile;

  @Option(
      names = "--lock-token",
      paramLabel = "TOKEN",
      description =
          "A copy run holding the destination's lock of this id under TOKEN has ended (killed): take its lock over.")
  String lockToken;

  /** The request these flags make: the same record a copy Job's request document holds. */
  CopyRequest request() {
    Request.StorageRef source = common.storageRef();
    String endpoint =
        toEndpoint != null ? toEndpoint : source.s3() == null ? null : source.s3().endpoint();
    boolean s3 =
        endpoint != null
            || toRegion != null
            || toCaFile != null
            || toAccessKeyFile != null
            || toSecretKeyFile != null;
    Request.StorageRef destination =
        new Request.StorageRef(
            to,
            s3
                ? new Request.S3(
                    endpoint,
                    toRegion,
                    toCaFile == null ? null : toCaFile.toString(),
                    toAccessKeyFile == null ? null : toAccessKeyFile.toString(),
                    toSecretKeyFile == null ? null : toSecretKeyFile.toString())
                : null,
            null);
    return new CopyRequest(backup, source, destination, lockToken, common.report());
  }

  @Override
  public Integer call() throws Exception {
    Progress progress = new Progress();
    CopyResult r;
    try (ProgressReporter rep = common.reporter(progress)) {
      r =
          Engine.copy(
              request(), common.context(progress, null, Confirmation.GIVEN, Purpose.COPY, false));
    }
    common.writeResult(r);
    if (common.json()) System.out.println(Json.pretty(r));
    else {
      System.out.println(
          r.alreadyThere()
              ? "Backup " + r.backupId() + " is at " + r.location() + " already; it checks"
              : "Copied backup "
                  + r.backupId()
                  + " to "
                  + r.location()
                  + ": "
                  + r.objects()
                  + " objects, "
                  + r.bytes()
                  + " bytes, each SHA-256 checked where it landed");
      if (r.warnings() != null)
        for (String w : r.warnings()) System.out.println("  warning: " + Printable.escape(w));
    }
    return ExitCode.OK.code();
  }

  @Override
  public void writeFailure(ExitCode code, String message) {
    common.writeFailure(code, words(message));
  }

  @Override
  public String words(String message) {
    return Flags.render(message, Purpose.COPY, false);
  }
}
