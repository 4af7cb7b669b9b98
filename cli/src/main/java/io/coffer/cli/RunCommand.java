package io.coffer.cli;

import io.coffer.engine.Engine;
import io.coffer.engine.Secrets;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Json;
import io.coffer.engine.base.Progress;
import io.coffer.protocol.BackupRequest;
import io.coffer.protocol.CopyRequest;
import io.coffer.protocol.DeleteRequest;
import io.coffer.protocol.DrillRequest;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Marks;
import io.coffer.protocol.OplogArchiveRequest;
import io.coffer.protocol.Protocol;
import io.coffer.protocol.Purpose;
import io.coffer.protocol.Request;
import io.coffer.protocol.RestoreRequest;
import io.coffer.protocol.ShareRequest;
import io.coffer.protocol.UploadRequest;
import io.coffer.protocol.VerifyRequest;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Run one request document: what the operator's Job pods do. The document (JSON, with a"
          + " \"kind\" of backup, restore, verify, share or delete) holds the whole input: the same"
          + " records the other commands make from their flags, with paths of mounted secret files,"
          + " never secret values. Its \"report\" says where progress lines and the result go.",
      "",
      "A failure names the document's fields (mongodb.include, files[1]) between \u27e6 and \u27e7 in"
          + " the result file, for the operator to put in its resource's words; the log names them by"
          + " their paths. A field the engine does not know is refused (exit code 2).",
      "",
      "Example (docs/requests.md shows a document of each kind):",
      "  coffer run --request /etc/coffer/request/request.json"
    })
final class RunCommand implements Callable<Integer>, Main.ResultWriting {
  @Option(
      names = "--request",
      required = true,
      paramLabel = "FILE",
      description = "The request document (JSON).")
  Path file;

  /** The result file the request names, once it is read: a failure goes there too. */
  private Path resultFile;

  static Request read(Path file) {
    String json;
    try {
      json = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw CofferException.usage(
          "cannot read the request "
              + file
              + ": "
              + (e instanceof NoSuchFileException ? "no such file" : e.getClass().getSimpleName()));
    }
    try {
      return Protocol.request(json);
    } catch (IllegalArgumentException e) {
      throw CofferException.usage(
          "the request "
              + file
              + " is "
              + e.getMessage()
              + " (`coffer run --help` says what it holds)");
    }
  }

  @Override
  public Integer call() throws Exception {
    Request request = read(file);
    Request.Report report = request.report() == null ? Request.Report.NONE : request.report();
    resultFile = report.resultFile() == null ? null : Path.of(report.resultFile());
    Progress progress = new Progress();
    PrintStream err = System.err;
    EngineLog log =
        new EngineLog(
            line -> {
              synchronized (err) {
                err.println(Marks.paths(line));
              }
            });
    // nobody can answer a question in a pod: a restore that would delete goes on only with confirm
    // in its request
    Engine.Context context =
        new Engine.Context(
            log, progress, new Secrets(System.getenv(), true), null, losses -> false, System.in);
    Object result;
    try (ProgressReporter rep =
        new ProgressReporter(progress, progressMode(report.progress()), System.err)) {
      try {
        result =
            switch (request.purpose()) {
              case BACKUP -> Engine.backup((BackupRequest) request, context);
              case RESTORE -> Engine.restore((RestoreRequest) request, context);
              case VERIFY -> Engine.verify((VerifyRequest) request, context);
              case SHARE -> Engine.share((ShareRequest) request, context);
              case UPLOAD -> Engine.upload((UploadRequest) request, context);
              case DELETE -> Engine.delete((DeleteRequest) request, context);
              case COPY -> Engine.copy((CopyRequest) request, context);
              case DRILL -> Engine.drill((DrillRequest) request, context);
              case OPLOG_ARCHIVE ->
                  Engine.oplogArchive(
                      (OplogArchiveRequest) request,
                      context,
                      OplogArchiveCommand.printer(System.err),
                      OplogArchiveCommand::onSigterm);
            };
      } catch (IOException | RuntimeException e) {
        // a failed archiver lets a waiting SIGTERM hook end at once
        if (request.purpose() == Purpose.OPLOG_ARCHIVE) OplogArchiveCommand.finished();
        throw e;
      }
    }
    try {
      CommonOptions.writeResult(resultFile, result);
    } catch (CofferException e) {
      // the work is done (a document replayed by hand still names a pod's /dev/termination-log)
      err.println("coffer: warning: " + e.getMessage() + "; the result follows");
      resultFile = null;
    }
    // with a result file (a Job) the log ends with the engine's own lines, which a status's log
    // tail shows
    // the result is written: a waiting SIGTERM hook may let the JVM end
    if (request.purpose() == Purpose.OPLOG_ARCHIVE) OplogArchiveCommand.finished();
    if (resultFile == null) System.out.println(Json.pretty(result));
    return ExitCode.OK.code();
  }

  /**
   * The failure keeps its marks: the operator puts them in its resource's words. A request that
   * could not be read names no result file: in a pod the failure goes to the termination message
   * all the same, so the operator sees a permanent usage error instead of a log tail.
   */
  @Override
  public void writeFailure(ExitCode code, String message) {
    Path target = resultFile;
    if (target == null && Files.isWritable(POD_RESULT)) target = POD_RESULT;
    CommonOptions.writeFailure(target, code, message);
  }

  /** Where a Job's container leaves its result: the termination message path the operator sets. */
  static final Path POD_RESULT = Path.of("/dev/termination-log");

  @Override
  public String words(String message) {
    return Marks.paths(message);
  }

  private static ProgressReporter.Mode progressMode(String progress) {
    if (progress == null) return ProgressReporter.Mode.NONE;
    try {
      return CommonOptions.progressMode(progress, false);
    } catch (CofferException e) {
      throw CofferException.usage("report.progress must be json, none or auto, not " + progress);
    }
  }
}
