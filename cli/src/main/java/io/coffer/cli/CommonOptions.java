package io.coffer.cli;

import io.coffer.engine.Confirmation;
import io.coffer.engine.Engine;
import io.coffer.engine.Secrets;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Json;
import io.coffer.engine.base.Progress;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Failure;
import io.coffer.protocol.Protocol;
import io.coffer.protocol.Purpose;
import io.coffer.protocol.Request;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Function;
import picocli.CommandLine.Option;

/** Options every storage command shares: where, how to print, where to put the result. */
public final class CommonOptions {
  @Option(
      names = "--storage",
      paramLabel = "URI",
      description = "Where backups live: s3://bucket/prefix or file:///path (a mounted volume).")
  String storage;

  @Option(
      names = "--s3-endpoint",
      paramLabel = "URL",
      description =
          "S3 endpoint, e.g. http://minio:9000 (default: env COFFER_S3_ENDPOINT, else AWS). Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.")
  String s3Endpoint;

  @Option(
      names = "--s3-region",
      paramLabel = "REGION",
      description = "S3 region (default: env AWS_REGION, else the store's default).")
  String s3Region;

  @Option(
      names = "--s3-ca-file",
      paramLabel = "FILE",
      description =
          "PEM CA certificates to trust for an https S3 endpoint with a private CA (default: env COFFER_S3_CA_FILE).")
  Path s3CaFile;

  @Option(
      names = "--output",
      paramLabel = "FORMAT",
      defaultValue = "human",
      description = "human (default) or json: the result on standard output.")
  String output;

  @Option(
      names = "--progress",
      paramLabel = "MODE",
      defaultValue = "auto",
      description =
          "auto (a bar on a terminal), json (JSON lines on standard error, at least every 2 s) or none.")
  String progress;

  @Option(
      names = "--result-file",
      paramLabel = "FILE",
      description =
          "Also write the final result as JSON (under 4 KiB) to FILE, e.g. /dev/termination-log; on failure it holds the error.")
  Path resultFile;

  @Option(
      names = {"-q", "--quiet"},
      description = "Print no log lines, only the result and errors.")
  boolean quiet;

  /**
   * Where backups live, as a request names it: the S3 credentials come from the environment, as a
   * person's shell sets them.
   */
  Request.StorageRef storageRef(Integer uploadLimitMiBps) {
    boolean s3 = s3Endpoint != null || s3Region != null || s3CaFile != null;
    return new Request.StorageRef(
        storage,
        s3
            ? new Request.S3(
                s3Endpoint, s3Region, s3CaFile == null ? null : s3CaFile.toString(), null, null)
            : null,
        uploadLimitMiBps);
  }

  Request.StorageRef storageRef() {
    return storageRef(null);
  }

  /** How the run reports: {@code --progress} and {@code --result-file}. */
  Request.Report report() {
    return new Request.Report(progress, resultFile == null ? null : resultFile.toString());
  }

  static Secrets secrets() {
    return new Secrets(System.getenv());
  }

  /** What the engine needs besides the request, for a person at a terminal. */
  Engine.Context context(
      Progress progress,
      String typedMongoUri,
      Confirmation confirmation,
      Purpose purpose,
      boolean uriFile) {
    return new Engine.Context(
        log(m -> Flags.render(m, purpose, uriFile)),
        progress,
        secrets(),
        typedMongoUri,
        confirmation,
        System.in);
  }

  boolean json() {
    String o = output.toLowerCase(Locale.ROOT);
    if (!o.equals("json") && !o.equals("human"))
      throw CofferException.usage("--output must be human or json, not " + output);
    return o.equals("json");
  }

  EngineLog log() {
    return log(m -> Flags.render(m, Purpose.BACKUP, false));
  }

  /** A log on standard error whose lines name request fields in {@code words}. */
  EngineLog log(Function<String, String> words) {
    PrintStream err = System.err;
    return new EngineLog(
        quiet
            ? null
            : line -> {
              synchronized (err) {
                err.println(words.apply(line));
              }
            });
  }

  ProgressReporter.Mode progressMode() {
    return progressMode(progress, quiet);
  }

  static ProgressReporter.Mode progressMode(String progress, boolean quiet) {
    return switch (progress.toLowerCase(Locale.ROOT)) {
      case "json" -> ProgressReporter.Mode.JSON;
      case "none" -> ProgressReporter.Mode.NONE;
      case "auto" ->
          System.console() != null && !quiet
              ? ProgressReporter.Mode.BAR
              : ProgressReporter.Mode.NONE;
      default ->
          throw CofferException.usage("--progress must be auto, json or none, not " + progress);
    };
  }

  ProgressReporter reporter(Progress p) {
    return new ProgressReporter(p, progressMode(), System.err);
  }

  void writeResult(Object result) {
    writeResult(resultFile, result);
  }

  static void writeResult(Path resultFile, Object result) {
    if (resultFile == null) return;
    try {
      Files.writeString(resultFile, Json.write(result), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new CofferException(
          ExitCode.USAGE, "cannot write the result file " + resultFile + ": " + e.getMessage());
    }
  }

  void writeFailure(ExitCode code, String message) {
    writeFailure(resultFile, code, message);
  }

  static void writeFailure(Path resultFile, ExitCode code, String message) {
    if (resultFile == null) return;
    String m = message.length() > 3000 ? message.substring(0, 3000) + "..." : message;
    try {
      Files.writeString(resultFile, Protocol.write(Failure.of(code, m)), StandardCharsets.UTF_8);
    } catch (IOException ignored) {
      // the error is on standard error already
    }
  }
}
