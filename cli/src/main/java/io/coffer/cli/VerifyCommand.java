package io.coffer.cli;

import io.coffer.protocol.ExitCode;
import io.coffer.engine.Progress;
import io.coffer.engine.VerifyEngine;
import io.coffer.protocol.VerifyResult;
import io.coffer.engine.archive.Json;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.storage.Storage;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "verify", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Check a stored backup.", "",
        "Without --deep: the stored archive's size and SHA-256 against backup.json (no key needed).",
        "With --deep: also decrypt, check every entry against the manifest and every document's BSON.",
        "With --archive FILE: always deep (a file alone has no separate checksum to compare with)."})
final class VerifyCommand implements Callable<Integer>, Main.ResultWriting {
  @Mixin CommonOptions common;

  @Option(names = "--backup", paramLabel = "ID", description = "The backup to check.")
  String backup;

  @Mixin ArchiveOption archive;

  @Option(names = "--deep", description = "Decrypt and check every entry and document.")
  boolean deep;

  @Mixin KeyOptions key;

  @Override
  public Integer call() throws Exception {
    boolean json = common.json();
    boolean thorough = deep || archive.file != null; // a file's checksum can only be compared with itself: check every entry
    Age.DecryptionKeys keys = thorough ? key.keys() : null;
    Progress progress = new Progress();
    VerifyResult r;
    CommonOptions.Source source = common.openSource(archive.file, backup, keys);
    try (Storage storage = source.storage(); ProgressReporter rep = common.reporter(progress)) {
      r = new VerifyEngine(storage, common.log(), progress).run(source.backupId(), thorough, keys);
    }
    common.writeResult(r);
    if (json) System.out.println(Json.pretty(r));
    else System.out.println("Backup " + r.backupId() + " verified: " + r.message());
    return ExitCode.OK.code();
  }

  @Override
  public void writeFailure(ExitCode code, String message) {
    common.writeFailure(code, message);
  }
}
