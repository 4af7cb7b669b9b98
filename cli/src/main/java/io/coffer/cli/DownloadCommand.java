package io.coffer.cli;

import io.coffer.engine.BackupDescriptor;
import io.coffer.engine.Engine;
import io.coffer.protocol.ExitCode;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "download",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Copy a backup's archive to a local file, checked against its SHA-256; with --decrypt, as a plain zip.",
      "The file appears only when the copy is complete and correct."
    })
final class DownloadCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(
      names = "--backup",
      required = true,
      paramLabel = "ID",
      description = "The backup to download.")
  String backup;

  @Option(
      names = "--to",
      required = true,
      paramLabel = "FILE",
      description = "Where to write the archive.")
  Path to;

  @Option(
      names = "--decrypt",
      description = "Write the decrypted zip instead of the stored (encrypted) archive.")
  boolean decrypt;

  @Mixin KeyOptions key;

  @Override
  public Integer call() throws Exception {
    Path target = to.toAbsolutePath().normalize();
    {
      BackupDescriptor d =
          Engine.download(
              common.storageRef(),
              backup,
              target,
              decrypt,
              key.decryption(),
              CommonOptions.secrets());
      System.out.println(
          "Wrote "
              + target
              + (decrypt && d.encrypted()
                  ? " (decrypted zip)"
                  : d.encrypted()
                      ? " (age-encrypted zip; open with: age -d -i KEY " + target + " > backup.zip)"
                      : ""));
    }
    return ExitCode.OK.code();
  }
}
