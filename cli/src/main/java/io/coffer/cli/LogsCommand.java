package io.coffer.cli;

import io.coffer.engine.Engine;
import io.coffer.protocol.ExitCode;
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
    Engine.logs(common.storageRef(), backup, System.out, CommonOptions.secrets());
    return ExitCode.OK.code();
  }
}
