package io.coffer.cli;

import io.coffer.engine.Confirmation;
import io.coffer.engine.Engine;
import io.coffer.engine.base.Json;
import io.coffer.engine.base.Progress;
import io.coffer.protocol.DeleteRequest;
import io.coffer.protocol.DeleteResult;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Purpose;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "delete",
    mixinStandardHelpOptions = true,
    description = {
      "Delete a backup's objects from storage, complete or not.",
      "The descriptor goes first, so a half-deleted backup reads as incomplete, never as complete.",
      "Deleting a backup that is not there succeeds."
    })
final class DeleteCommand implements Callable<Integer>, Main.ResultWriting {
  @Mixin CommonOptions common;

  @Option(
      names = "--backup",
      required = true,
      paramLabel = "ID",
      description = "The backup to delete.")
  String backup;

  @Option(
      names = "--lock-token",
      paramLabel = "TOKEN",
      description =
          "A backup run holding this id's lock under TOKEN has ended (killed): take its lock over (see `coffer backup --lock-token`). "
              + "Otherwise a backup still being written is not deleted (exit code 8).")
  String lockToken;

  @Override
  public Integer call() throws Exception {
    DeleteRequest request =
        new DeleteRequest(backup, common.storageRef(), lockToken, common.report());
    DeleteResult r =
        Engine.delete(
            request,
            common.context(new Progress(), null, Confirmation.GIVEN, Purpose.DELETE, false));
    common.writeResult(r);
    if (common.json()) System.out.println(Json.pretty(r));
    else System.out.println("Deleted backup " + r.backupId() + " (" + r.objects() + " objects)");
    return ExitCode.OK.code();
  }

  @Override
  public void writeFailure(ExitCode code, String message) {
    common.writeFailure(code, words(message));
  }

  @Override
  public String words(String message) {
    return Flags.render(message, Purpose.DELETE, false);
  }
}
