package io.coffer.cli;

import io.coffer.engine.Engine;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.Json;
import io.coffer.engine.base.Printable;
import io.coffer.engine.base.Progress;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Purpose;
import io.coffer.protocol.Request;
import io.coffer.protocol.RestoreRequest;
import io.coffer.protocol.RestoreResult;
import java.io.Console;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "restore",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Restore all or part of a backup, into the same or another database and directory.",
      "",
      "Nothing is touched until the whole archive has been read and checked: collections are loaded into staging "
          + "collections and swapped in with renameCollection; files are written aside and moved into place.",
      "replace (default) drops and recreates each selected collection and makes each target folder exactly the backup's tree; merge upserts by _id, "
          + "overwrites and adds files, and leaves the rest alone. A replace that would delete anything the backup does not hold lists it and asks first (--yes answers).",
      "",
      "Examples:",
      "  coffer restore --storage s3://backups/rayerp --backup 20261126-020000-ab12 --identity-file key.txt --mongodb-uri mongodb://db:27017 \\",
      "      --files-target uploads=/data/uploads",
      "  coffer restore ... --modules hr --rename-db erp=erp_restored --mode merge",
      "  coffer restore ... --dry-run     (print the plan, change nothing)",
      "  coffer restore --storage s3://backups/rayerp --until 2026-12-07T10:15:00Z --identity-file key.txt \\",
      "      --mongodb-uri mongodb://db:27017 --rename-db erp=erp_1015   (a moment: a backup and the oplog archive)",
      "  coffer restore --archive rayerp.zip.age --identity-file key.txt --mongodb-uri mongodb://db:27017   (a downloaded archive)",
      "  coffer restore --from-mongodump dump/ --mongodb-uri mongodb://db:27017 --dry-run   (what `mongodump --out dump` wrote)",
      "  mongodump --archive --gzip | coffer restore --from-mongodump - --mongodb-uri mongodb://db:27017 --yes"
    })
final class RestoreCommand implements Callable<Integer>, Main.ResultWriting {
  @Mixin CommonOptions common;

  @Option(
      names = "--backup",
      paramLabel = "ID",
      description = "The backup to restore (see `coffer list`).")
  String backup;

  @Option(
      names = "--until",
      paramLabel = "TIME",
      description = {
        "Restore the database as it was at the end of this second (RFC 3339: 2026-12-07T10:15:00Z):"
            + " the newest point-in-time backup before it (or --backup), then the oplog archived"
            + " since (`coffer oplog-archive`) up to TIME. `coffer list` shows the window."
      })
  String until;

  @Mixin ArchiveOption archive;

  @Option(
      names = "--from-mongodump",
      paramLabel = "PATH",
      description = {
        "Restore what mongodump wrote instead of a Coffer backup: the folder of `mongodump --out` (gzipped or not; one database's "
            + "folder of it; a Coffer archive's unzipped mongodb/ folder), or the file of `mongodump --archive` (gzipped or not), or - for such "
            + "an archive on standard input, or s3://bucket/path/dump.archive.gz for an archive in S3 (with --s3-endpoint and the AWS_* credentials as for --storage); with --storage, a path inside that storage (an archive; on a file:// storage also a folder). Every document is read and checked (an archive's CRCs too) before anything is put in place; "
            + "--dry-run reads it all and writes nothing. The oplog is not replayed; users, roles and system.* collections are left out."
      })
  String fromMongodump;

  @Option(
      names = "--mongodb-uri",
      paramLabel = "URI",
      description = "Target MongoDB (default: env COFFER_MONGODB_URI).")
  String mongoUri;

  @Option(
      names = "--mongodb-uri-file",
      paramLabel = "FILE",
      description = "Read the target MongoDB connection string from FILE.")
  Path mongoUriFile;

  @Mixin MongoTlsOptions mongoTls;

  @Mixin KeyOptions key;

  @Option(
      names = "--include",
      paramLabel = "PATTERN",
      description = "Only these collections (repeatable; db.collection with * and ?).")
  List<String> include = new ArrayList<>();

  @Option(
      names = "--exclude",
      paramLabel = "PATTERN",
      description = "Leave out these collections (repeatable).")
  List<String> exclude = new ArrayList<>();

  @Option(
      names = "--modules",
      split = ",",
      paramLabel = "NAMES",
      description = "Only the collections of these modules, as recorded in the backup.")
  List<String> modules = new ArrayList<>();

  @Option(names = "--tree", paramLabel = "NAME", description = "Only this file tree (repeatable).")
  List<String> trees = new ArrayList<>();

  @Option(
      names = "--type",
      paramLabel = "TYPE",
      description =
          "database, files or full: which part of the backup to restore (default: what the selection implies, else all).")
  String type;

  @Option(
      names = "--rename-db",
      paramLabel = "FROM=TO",
      description = "Restore database FROM into TO (repeatable).")
  List<String> renameDb = new ArrayList<>();

  @Option(
      names = "--mode",
      paramLabel = "MODE",
      defaultValue = "replace",
      description = "replace (default) or merge.")
  String mode;

  @Option(
      names = "--files-target",
      paramLabel = "NAME=DIR",
      description =
          "Restore file tree NAME into DIR (repeatable). Every tree restored needs one: the backup never chooses where files go (`coffer inspect` shows where each came from).")
  List<String> filesTarget = new ArrayList<>();

  @Option(
      names = "--system-databases",
      description =
          "Also restore the system databases admin, local and config when the backup holds them (left out otherwise).")
  boolean systemDatabases;

  @Option(
      names = {"-y", "--yes"},
      description =
          "Confirm beforehand that a replace may delete what the backup does not hold (documents of replaced collections, files in the target folders). Without it, such a restore asks on a terminal and stops elsewhere.")
  boolean yes;

  @Option(
      names = "--dry-run",
      description =
          "Print what would be restored and what would be replaced or merged; change nothing.")
  boolean dryRun;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "15",
      description = "How long to wait for MongoDB to answer.")
  int timeout;

  /** The request these flags make: the same record a Job's request document holds. */
  RestoreRequest request() {
    List<Request.Tree> targets = new ArrayList<>();
    pairs(filesTarget, "--files-target", "NAME=DIR")
        .forEach((k, v) -> targets.add(new Request.Tree(k, v)));
    return new RestoreRequest(
        new RestoreRequest.Source(
            backup, archive.file == null ? null : archive.file.toString(), fromMongodump),
        common.storageRef(),
        new Request.Decryption(str(key.identityFile), str(key.passphraseFile)),
        new RestoreRequest.Mongo(
            str(mongoUriFile),
            include,
            exclude,
            modules,
            pairs(renameDb, "--rename-db", "FROM=TO"),
            systemDatabases,
            timeout,
            mongoTls.tls()),
        trees,
        type,
        targets,
        mode,
        dryRun,
        yes,
        until,
        common.report());
  }

  private static String str(Path p) {
    return p == null ? null : p.toString();
  }

  @Override
  public Integer call() throws Exception {
    boolean json = common.json();
    RestoreRequest request = request();
    Progress progress = new Progress();
    RestoreResult r;
    try (ProgressReporter rep = common.reporter(progress)) {
      r =
          Engine.restore(
              request,
              common.context(
                  progress, mongoUri, RestoreCommand::ask, Purpose.RESTORE, mongoUriFile != null));
    }
    print(r, json, fromMongodump != null);
    return ExitCode.OK.code();
  }

  private void print(RestoreResult r, boolean json, boolean dump) throws IOException {
    common.writeResult(r);
    if (json) {
      System.out.println(Json.pretty(r));
      return;
    }
    String what = dump ? "the " + Printable.escape(r.backupId()) : "backup " + r.backupId();
    System.out.println(
        r.dryRun()
            ? "Restore plan for " + what + " (dry run: nothing was changed)"
            : String.format("Restore of %s succeeded in %.1f s", what, r.durationSeconds()));
    for (RestoreResult.Item i : r.items()) {
      String count = i.documents() != null ? i.documents() + " documents" : i.files() + " files";
      System.out.printf(
          "  %-8s %-10s %s -> %s (%s, %s%s)%n",
          i.action(),
          i.kind(),
          Printable.escape(i.source()),
          Printable.escape(i.target()),
          count,
          ProgressReporter.human(i.bytes()),
          i.loses() != null && i.loses() > 0
              ? ", deletes "
                  + i.loses()
                  + (i.kind().equals("files") ? " entries" : " documents")
                  + " not in the "
                  + (dump ? "dump" : "backup")
              : "");
    }
    System.out.printf(
        "  total: %d collections, %d documents, %d files%n",
        r.collections(), r.documents(), r.files());
    if (r.pointInTime() != null) {
      System.out.printf(
          "  oplog: %s %d entries of %d archived slices after backup %s%n",
          r.dryRun() ? "would replay" : "replayed",
          r.pointInTime().entries(),
          r.pointInTime().slices(),
          r.pointInTime().base());
      if (r.pointInTime().changes() != null)
        for (String c : r.pointInTime().changes())
          System.out.printf(
              "    %s %s%n", r.dryRun() ? "would replay:" : "replayed:", Printable.escape(c));
    }
    if (r.consistency() != null) {
      System.out.printf(
          "  moment: %s%n",
          r.consistency().isPointInTime()
              ? "one moment of the source database"
                  + (r.consistency().at() == null
                      ? ""
                      : ", as it was at " + Printable.escape(r.consistency().at()))
              : "not one moment ("
                  + Printable.escape(String.valueOf(r.consistency().reason()))
                  + ")");
    }
  }

  /**
   * On a terminal, the user answers; elsewhere (a script, a pod) nothing is deleted without --yes.
   */
  private static boolean ask(List<String> losses) {
    Console console = System.console();
    if (console == null) return false;
    console.printf("This replace deletes what the backup does not hold:%n");
    for (String l : losses) console.printf("  - %s%n", Printable.escape(l));
    String answer = console.readLine("Type yes to go on: ");
    return answer != null && answer.strip().equalsIgnoreCase("yes");
  }

  static Map<String, String> pairs(List<String> values, String option, String form) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String v : values) {
      int eq = v.indexOf('=');
      if (eq <= 0 || eq == v.length() - 1)
        throw CofferException.usage(option + " takes " + form + ", not '" + v + "'");
      out.put(v.substring(0, eq), v.substring(eq + 1));
    }
    return out;
  }

  @Override
  public void writeFailure(ExitCode code, String message) {
    common.writeFailure(code, words(message));
  }

  @Override
  public String words(String message) {
    return Flags.render(message, Purpose.RESTORE, mongoUriFile != null);
  }
}
