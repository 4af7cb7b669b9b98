package io.coffer.cli;

import io.coffer.engine.Confirmation;
import io.coffer.engine.Engine;
import io.coffer.engine.base.Json;
import io.coffer.engine.base.Printable;
import io.coffer.engine.base.Progress;
import io.coffer.protocol.DrillRequest;
import io.coffer.protocol.DrillResult;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Purpose;
import io.coffer.protocol.Request;
import io.coffer.protocol.RestoreRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "drill",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Prove a backup restores: restore it into scratch databases (and files into a scratch",
      "directory), time it (the RTO), check every collection's documents, hash and indexes and",
      "every file's SHA-256 against what the backup says it holds, then remove the scratch copies.",
      "",
      "Only databases named with --database-prefix are written (refused when one would be a source",
      "database). Exit 0: passed; exit 5: restored but different from the backup (the first",
      "differences are named).",
      "",
      "Example: coffer drill --storage s3://backups/erp --identity-file key.txt \\",
      "  --mongodb-uri mongodb://scratch-db:27017 --database-prefix coffer_drill_"
    })
final class DrillCommand implements Callable<Integer>, Main.ResultWriting {
  @Mixin CommonOptions common;

  @Option(
      names = "--backup",
      paramLabel = "ID",
      description = "The backup to drill (default: the newest complete one).")
  String backup;

  @Option(
      names = "--mongodb-uri",
      paramLabel = "URI",
      description = "The MongoDB the scratch databases go to (default: env COFFER_MONGODB_URI).")
  String mongoUri;

  @Option(
      names = "--mongodb-uri-file",
      paramLabel = "FILE",
      description = "A file holding that URI.")
  Path mongoUriFile;

  @Mixin MongoTlsOptions mongoTls;

  @Option(
      names = "--database-prefix",
      paramLabel = "PREFIX",
      defaultValue = "coffer_drill_",
      description =
          "Put before each source database's name for its scratch copy (default coffer_drill_).")
  String prefix;

  @Option(
      names = "--modules",
      split = ",",
      paramLabel = "NAME",
      description = "Only these modules of the backup.")
  List<String> modules = new ArrayList<>();

  @Option(
      names = "--files-dir",
      paramLabel = "DIR",
      description = "Restore the file trees into DIR/<tree> and check them (emptied after).")
  Path filesDir;

  @Mixin KeyOptions key;

  DrillRequest request() {
    return new DrillRequest(
        backup,
        common.storageRef(),
        new Request.Decryption(
            key.identityFile == null ? null : key.identityFile.toString(),
            key.passphraseFile == null ? null : key.passphraseFile.toString()),
        new RestoreRequest.Mongo(
            mongoUriFile == null ? null : mongoUriFile.toString(),
            List.of(),
            List.of(),
            modules,
            java.util.Map.of(),
            false,
            null,
            mongoTls.tls()),
        prefix,
        filesDir == null ? null : filesDir.toAbsolutePath().toString(),
        common.report());
  }

  @Override
  public Integer call() throws Exception {
    Progress progress = new Progress();
    DrillResult r;
    try (ProgressReporter rep = common.reporter(progress)) {
      r =
          Engine.drill(
              request(),
              common.context(
                  progress, mongoUri, Confirmation.GIVEN, Purpose.DRILL, mongoUriFile != null));
    }
    common.writeResult(r);
    if (common.json()) System.out.println(Json.pretty(r));
    else {
      System.out.println("Drill passed: " + Printable.escape(r.message()));
      System.out.printf(
          "  rto: %.2f s; %d collection hashes and %d index lists compared%n",
          r.rtoSeconds(), r.hashesCompared(), r.indexesCompared());
      if (r.notes() != null)
        for (String n : r.notes()) System.out.println("  note: " + Printable.escape(n));
    }
    return ExitCode.OK.code();
  }

  @Override
  public void writeFailure(ExitCode code, String message) {
    common.writeFailure(code, words(message));
  }

  @Override
  public String words(String message) {
    return Flags.render(message, Purpose.DRILL, mongoUriFile != null);
  }
}
