package io.coffer.cli;

import io.coffer.engine.BackupDescriptor;
import io.coffer.engine.BackupStore;
import io.coffer.engine.storage.Storage;
import io.coffer.protocol.ExitCode;
import java.io.InputStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    description = "Print the log a backup recorded.")
final class LogsCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(
      names = "--backup",
      required = true,
      paramLabel = "ID",
      description = "The backup whose log to print.")
  String backup;

  @Override
  public Integer call() throws Exception {
    try (Storage storage = common.openStorage()) {
      BackupStore store = new BackupStore(storage);
      store.descriptor(backup);
      try (InputStream in =
          storage.open(BackupStore.key(BackupStore.checkId(backup), BackupDescriptor.LOG))) {
        in.transferTo(System.out);
      }
    }
    return ExitCode.OK.code();
  }
}
