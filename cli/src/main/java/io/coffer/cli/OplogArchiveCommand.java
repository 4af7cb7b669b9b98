package io.coffer.cli;

import io.coffer.engine.Confirmation;
import io.coffer.engine.Engine;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.Json;
import io.coffer.engine.base.Printable;
import io.coffer.engine.base.Progress;
import io.coffer.protocol.BackupRequest;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.OplogArchiveRequest;
import io.coffer.protocol.OplogWindow;
import io.coffer.protocol.Purpose;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "oplog-archive",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Archive a replica set's oplog next to the backups, slice after slice, until stopped: a restore"
          + " can then reach any second from the newest point-in-time backup on (coffer restore"
          + " --until TIME).",
      "",
      "It tails local.oplog.rs, writes each slice encrypted (age) and checksummed under .oplog/ in"
          + " the storage, resumes after a restart where the newest slice ends (nothing twice,"
          + " nothing passed over), reports a gap when the oplog no longer reaches back that far,"
          + " removes slices older than the oldest backup, and writes its open slice when it gets"
          + " SIGTERM or Ctrl-C. After each slice it prints the window a restore can reach.",
      "",
      "Examples:",
      "  coffer oplog-archive --storage s3://backups/rayerp --mongodb-uri mongodb://db-0,db-1/?replicaSet=rs0 \\",
      "      --recipients-file team.pub --slice-interval 10m",
      "  coffer list --storage s3://backups/rayerp     (the backups and the window)"
    })
final class OplogArchiveCommand implements Callable<Integer>, Main.ResultWriting {
  @Mixin CommonOptions common;

  @Option(
      names = "--mongodb-uri",
      paramLabel = "URI",
      description = "The replica set (env COFFER_MONGODB_URI also works).")
  String mongoUri;

  @Option(
      names = "--mongodb-uri-file",
      paramLabel = "FILE",
      description = "Read the MongoDB URI from FILE.")
  Path mongoUriFile;

  @Mixin MongoTlsOptions mongoTls;

  @Option(
      names = "--recipient",
      paramLabel = "AGE1...",
      description = "Encrypt to this age X25519 public key (repeatable).")
  List<String> recipients = new ArrayList<>();

  @Option(
      names = "--recipients-file",
      paramLabel = "FILE",
      description = "Encrypt to the age public keys in FILE, one per line.")
  Path recipientsFile;

  @Option(
      names = "--passphrase-file",
      paramLabel = "FILE",
      description = "Encrypt with the passphrase in FILE (scrypt), instead of recipients.")
  Path passphraseFile;

  @Option(
      names = "--slice-interval",
      paramLabel = "DURATION",
      defaultValue = "10m",
      description = "How long each slice is: 30s, 10m (default), 1h.")
  String sliceInterval;

  @Option(
      names = "--poll-interval",
      paramLabel = "DURATION",
      defaultValue = "1s",
      description = "How often to look for new entries when there were none (default 1s).")
  String pollInterval;

  @Option(
      names = "--lock-token",
      paramLabel = "TOKEN",
      description =
          "An archiver started again with the same token takes over its predecessor's hold on the storage at once.")
  String lockToken;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "15",
      description = "How long to wait for MongoDB to answer.")
  int timeout;

  private static final CountDownLatch DONE = new CountDownLatch(1);
  private static final Pattern DURATION = Pattern.compile("(\\d{1,6})(s|m|h)?");

  /** {@code 30s}, {@code 10m}, {@code 1h} or plain seconds. */
  static int seconds(String value, String option) {
    Matcher m = DURATION.matcher(value == null ? "" : value.strip().toLowerCase(Locale.ROOT));
    if (!m.matches())
      throw CofferException.usage(
          option
              + " takes a duration such as 30s, 10m or 1h, not '"
              + Printable.escape(value)
              + "'");
    long n = Long.parseLong(m.group(1));
    long s =
        m.group(2) == null || m.group(2).equals("s")
            ? n
            : m.group(2).equals("m") ? n * 60 : n * 3600;
    return (int) Math.min(Integer.MAX_VALUE, s);
  }

  OplogArchiveRequest request() {
    return new OplogArchiveRequest(
        common.storageRef(),
        new OplogArchiveRequest.Mongo(
            mongoUriFile == null ? null : mongoUriFile.toString(), timeout, mongoTls.tls()),
        new BackupRequest.Encryption(
            recipients,
            recipientsFile == null ? null : recipientsFile.toString(),
            passphraseFile == null ? null : passphraseFile.toString()),
        seconds(sliceInterval, "--slice-interval"),
        seconds(pollInterval, "--poll-interval"),
        lockToken,
        common.report());
  }

  @Override
  public Integer call() throws Exception {
    boolean json = common.json();
    OplogArchiveRequest r = request();
    OplogWindow w;
    try {
      w =
          Engine.oplogArchive(
              r,
              common.context(
                  new Progress(),
                  mongoUri,
                  Confirmation.GIVEN,
                  Purpose.OPLOG_ARCHIVE,
                  mongoUriFile != null),
              json || "json".equals(common.report().progress())
                  ? printer(System.err)
                  : human(System.err),
              OplogArchiveCommand::onSigterm);
      common.writeResult(w);
      if (json) System.out.println(Json.pretty(w));
      else {
        System.out.println("Oplog archiver stopped.");
        ListCommand.window(w);
      }
    } finally {
      finished();
    }
    return ExitCode.OK.code();
  }

  /** Each window as one JSON line, {@code {"oplogWindow":{...}}}, which the operator reads. */
  static Consumer<OplogWindow> printer(PrintStream out) {
    return w -> {
      synchronized (out) {
        out.println(Json.write(new OplogWindow.Line(w)));
      }
    };
  }

  private static Consumer<OplogWindow> human(PrintStream out) {
    return w -> {
      synchronized (out) {
        out.println(
            "window: "
                + (w.recoverableFrom() == null
                    ? "none yet (the next point-in-time backup opens one)"
                    : Printable.escape(w.recoverableFrom())
                        + " to "
                        + Printable.escape(w.recoverableUntil()))
                + ", "
                + w.slices()
                + " slices, "
                + w.entries()
                + " entries"
                + (w.gaps().isEmpty() ? "" : ", " + w.gaps().size() + " gaps"));
      }
    };
  }

  /**
   * On SIGTERM (or Ctrl-C) the archiver writes its open slice: the hook asks it to stop and waits,
   * at most 25 s (Kubernetes gives 30), for the run to end.
   */
  static void onSigterm(Runnable stop) {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stop.run();
                  try {
                    DONE.await(25, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "coffer-oplog-archive-stop"));
  }

  /** The run is over (its result written): a waiting SIGTERM hook may let the JVM end. */
  static void finished() {
    DONE.countDown();
  }

  @Override
  public void writeFailure(ExitCode code, String message) {
    common.writeFailure(code, words(message));
  }

  @Override
  public String words(String message) {
    return Flags.render(message, Purpose.OPLOG_ARCHIVE, mongoUriFile != null);
  }
}
