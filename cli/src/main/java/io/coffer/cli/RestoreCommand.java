package io.coffer.cli;

import io.coffer.engine.BackupType;
import io.coffer.engine.CofferException;
import io.coffer.engine.EngineLog;
import io.coffer.protocol.ExitCode;
import io.coffer.engine.Progress;
import io.coffer.engine.RestoreEngine;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.RestoreOptions;
import io.coffer.protocol.RestoreResult;
import io.coffer.engine.archive.Json;
import io.coffer.engine.mongo.MongoRestorer;
import io.coffer.engine.storage.Storage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "restore", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Restore all or part of a backup, into the same or another database and directory.", "",
        "Nothing is touched until the whole archive has been read and checked: collections are loaded into staging "
            + "collections and swapped in with renameCollection; files are written aside and moved into place.",
        "replace (default) drops and recreates each selected collection and makes each target folder exactly the backup's tree; merge upserts by _id, "
            + "overwrites and adds files, and leaves the rest alone. A replace that would delete anything the backup does not hold lists it and asks first (--yes answers).", "",
        "Examples:",
        "  coffer restore --storage s3://backups/rayerp --backup 20261126-020000-ab12 --identity-file key.txt --mongodb-uri mongodb://db:27017 \\",
        "      --files-target uploads=/data/uploads",
        "  coffer restore ... --modules hr --rename-db erp=erp_restored --mode merge",
        "  coffer restore ... --dry-run     (print the plan, change nothing)",
        "  coffer restore --archive rayerp.zip.age --identity-file key.txt --mongodb-uri mongodb://db:27017   (a downloaded archive)",
        "  coffer restore --from-mongodump dump/ --mongodb-uri mongodb://db:27017 --dry-run   (what `mongodump --out dump` wrote)",
        "  mongodump --archive --gzip | coffer restore --from-mongodump - --mongodb-uri mongodb://db:27017 --yes"})
final class RestoreCommand implements Callable<Integer>, Main.ResultWriting {
  @Mixin CommonOptions common;

  @Option(names = "--backup", paramLabel = "ID", description = "The backup to restore (see `coffer list`).")
  String backup;

  @Mixin ArchiveOption archive;

  @Option(names = "--from-mongodump", paramLabel = "PATH",
      description = {"Restore what mongodump wrote instead of a Coffer backup: the folder of `mongodump --out` (gzipped or not; one database's "
          + "folder of it; a Coffer archive's unzipped mongodb/ folder), or the file of `mongodump --archive` (gzipped or not), or - for such "
          + "an archive on standard input, or s3://bucket/path/dump.archive.gz for an archive in S3 (with --s3-endpoint and the AWS_* credentials as for --storage); with --storage, a path inside that storage (an archive; on a file:// storage also a folder). Every document is read and checked (an archive's CRCs too) before anything is put in place; "
          + "--dry-run reads it all and writes nothing. The oplog is not replayed; users, roles and system.* collections are left out."})
  String fromMongodump;

  @Option(names = "--mongodb-uri", paramLabel = "URI", description = "Target MongoDB (default: env COFFER_MONGODB_URI).")
  String mongoUri;

  @Option(names = "--mongodb-uri-file", paramLabel = "FILE", description = "Read the target MongoDB connection string from FILE.")
  Path mongoUriFile;

  @Mixin KeyOptions key;

  @Option(names = "--include", paramLabel = "PATTERN", description = "Only these collections (repeatable; db.collection with * and ?).")
  List<String> include = new ArrayList<>();

  @Option(names = "--exclude", paramLabel = "PATTERN", description = "Leave out these collections (repeatable).")
  List<String> exclude = new ArrayList<>();

  @Option(names = "--modules", split = ",", paramLabel = "NAMES", description = "Only the collections of these modules, as recorded in the backup.")
  List<String> modules = new ArrayList<>();

  @Option(names = "--tree", paramLabel = "NAME", description = "Only this file tree (repeatable).")
  List<String> trees = new ArrayList<>();

  @Option(names = "--type", paramLabel = "TYPE", description = "database, files or full: which part of the backup to restore (default: what the selection implies, else all).")
  String type;

  @Option(names = "--rename-db", paramLabel = "FROM=TO", description = "Restore database FROM into TO (repeatable).")
  List<String> renameDb = new ArrayList<>();

  @Option(names = "--mode", paramLabel = "MODE", defaultValue = "replace", description = "replace (default) or merge.")
  String mode;

  @Option(names = "--files-target", paramLabel = "NAME=DIR",
      description = "Restore file tree NAME into DIR (repeatable). Every tree restored needs one: the backup never chooses where files go (`coffer inspect` shows where each came from).")
  List<String> filesTarget = new ArrayList<>();

  @Option(names = "--system-databases", description = "Also restore the system databases admin, local and config when the backup holds them (left out otherwise).")
  boolean systemDatabases;

  @Option(names = {"-y", "--yes"}, description = "Confirm beforehand that a replace may delete what the backup does not hold (documents of replaced collections, files in the target folders). Without it, such a restore asks on a terminal and stops elsewhere.")
  boolean yes;

  @Option(names = "--dry-run", description = "Print what would be restored and what would be replaced or merged; change nothing.")
  boolean dryRun;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "15", description = "How long to wait for MongoDB to answer.")
  int timeout;

  @Override
  public Integer call() throws Exception {
    boolean json = common.json();
    MongoRestorer.Mode m;
    try {
      m = MongoRestorer.Mode.valueOf(mode.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw CofferException.usage("--mode must be replace or merge, not " + mode);
    }
    if (fromMongodump != null) return fromMongodump(m);
    Age.DecryptionKeys keys = key.keys();
    Progress progress = new Progress();
    EngineLog log = common.log();
    RestoreResult r;
    String uri = Secrets.mongoUri(mongoUri, mongoUriFile);
    BackupType only = type == null ? null : BackupType.parse(type);
    Map<String, String> renames = pairs(renameDb, "--rename-db", "FROM=TO");
    Map<String, Path> targets = paths(filesTarget);
    CommonOptions.Source source = common.openSource(archive.file, backup, keys);
    RestoreOptions o = new RestoreOptions(source.backupId(), uri, keys, include, exclude, modules, trees, only, renames, m, targets, dryRun, timeout,
        systemDatabases, yes ? RestoreOptions.Confirmation.GIVEN : RestoreCommand::ask);
    try (Storage storage = source.storage(); ProgressReporter rep = common.reporter(progress)) {
      r = new RestoreEngine(storage, log, progress).run(o);
    }
    print(r, json, false);
    return ExitCode.OK.code();
  }

  private int fromMongodump(MongoRestorer.Mode m) throws java.io.IOException {
    if (backup != null || archive.file != null) {
      throw CofferException.usage("--from-mongodump reads a mongodump, not a Coffer backup: leave out --backup and --archive");
    }
    if (key.identityFile != null || key.passphraseFile != null) {
      throw CofferException.usage("a mongodump is not encrypted: leave out --identity-file and --passphrase-file");
    }
    if (!modules.isEmpty() || !trees.isEmpty() || !filesTarget.isEmpty() || (type != null && BackupType.parse(type) != BackupType.DATABASE)) {
      throw CofferException.usage("a mongodump holds only collections: leave out --modules, --tree, --files-target and --type");
    }
    String uri = Secrets.mongoUri(mongoUri, mongoUriFile);
    String label = fromMongodump.equals("-") ? "mongodump on standard input" : "mongodump " + fromMongodump;
    RestoreOptions o = new RestoreOptions(label, uri, null, include, exclude, List.of(), List.of(), BackupType.DATABASE,
        pairs(renameDb, "--rename-db", "FROM=TO"), m, Map.of(), dryRun, timeout, systemDatabases, yes ? RestoreOptions.Confirmation.GIVEN : RestoreCommand::ask);
    Progress progress = new Progress();
    RestoreResult r;
    io.coffer.engine.mongodump.DumpRestoreEngine engine = new io.coffer.engine.mongodump.DumpRestoreEngine(common.log(), progress);
    if (common.storage != null) {
      // what a mongodump cron left in a storage location, by its path there (the operator's Restore spec.source.mongodump)
      if (fromMongodump.isBlank() || fromMongodump.equals("-") || fromMongodump.contains("://") || fromMongodump.startsWith("/")
          || List.of(fromMongodump.split("/")).contains("..")) {
        throw CofferException.usage("with --storage, --from-mongodump names a path inside that storage (e.g. cron/2026-11-30.archive.gz), not '"
            + io.coffer.engine.Printable.escape(fromMongodump) + "'");
      }
      try (io.coffer.engine.storage.Storage s = common.openStorage(); ProgressReporter rep = common.reporter(progress)) {
        if (s instanceof io.coffer.engine.storage.FileStorage fs) {
          r = engine.run(fs.path(fromMongodump).toString(), System.in, o); // a volume: a folder or an archive file
        } else {
          try (java.io.InputStream in = s.open(fromMongodump)) {
            r = engine.runArchive(fromMongodump + " in " + s.describe(), in, s.size(fromMongodump).orElse(-1), o);
          }
        }
      }
    } else if (fromMongodump.startsWith("s3://")) {
      // an archive a mongodump cron uploaded: s3://bucket/path/to/dump.archive.gz
      int slash = fromMongodump.lastIndexOf('/');
      String name = fromMongodump.substring(slash + 1);
      if (slash < "s3://".length() || name.isEmpty() || fromMongodump.indexOf('/', "s3://".length()) < 0) {
        throw CofferException.usage("--from-mongodump s3://... names one archive object: s3://bucket/path/dump.archive.gz (a folder dump must be on disk)");
      }
      try (io.coffer.engine.storage.Storage s = io.coffer.engine.storage.StorageLocations.open(fromMongodump.substring(0, slash), common.s3Endpoint,
          common.s3Region, common.s3CaFile, System.getenv()); ProgressReporter rep = common.reporter(progress);
          java.io.InputStream in = s.open(name)) {
        r = engine.runArchive(fromMongodump, in, s.size(name).orElse(-1), o);
      }
    } else {
      if (common.s3Endpoint != null || common.s3Region != null || common.s3CaFile != null) {
        throw CofferException.usage("--s3-endpoint, --s3-region and --s3-ca-file apply to --from-mongodump s3://bucket/path/dump.archive only");
      }
      try (ProgressReporter rep = common.reporter(progress)) {
        r = engine.run(fromMongodump, System.in, o);
      }
    }
    print(r, common.json(), true);
    return ExitCode.OK.code();
  }

  private void print(RestoreResult r, boolean json, boolean dump) throws java.io.IOException {
    common.writeResult(r);
    if (json) {
      System.out.println(Json.pretty(r));
      return;
    }
    String what = dump ? "the " + io.coffer.engine.Printable.escape(r.backupId()) : "backup " + r.backupId();
    System.out.println(r.dryRun() ? "Restore plan for " + what + " (dry run: nothing was changed)"
        : String.format("Restore of %s succeeded in %.1f s", what, r.durationSeconds()));
    for (RestoreResult.Item i : r.items()) {
      String count = i.documents() != null ? i.documents() + " documents" : i.files() + " files";
      System.out.printf("  %-8s %-10s %s -> %s (%s, %s%s)%n", i.action(), i.kind(), io.coffer.engine.Printable.escape(i.source()), io.coffer.engine.Printable.escape(i.target()), count, ProgressReporter.human(i.bytes()),
          i.loses() != null && i.loses() > 0 ? ", deletes " + i.loses() + (i.kind().equals("files") ? " entries" : " documents") + " not in the "
              + (dump ? "dump" : "backup") : "");
    }
    System.out.printf("  total: %d collections, %d documents, %d files%n", r.collections(), r.documents(), r.files());
  }

  /** On a terminal, the user answers; elsewhere (a script, a pod) nothing is deleted without --yes. */
  private static boolean ask(List<String> losses) {
    java.io.Console console = System.console();
    if (console == null) return false;
    console.printf("This replace deletes what the backup does not hold:%n");
    for (String l : losses) console.printf("  - %s%n", io.coffer.engine.Printable.escape(l));
    String answer = console.readLine("Type yes to go on: ");
    return answer != null && answer.strip().equalsIgnoreCase("yes");
  }

  static Map<String, String> pairs(List<String> values, String option, String form) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String v : values) {
      int eq = v.indexOf('=');
      if (eq <= 0 || eq == v.length() - 1) throw CofferException.usage(option + " takes " + form + ", not '" + v + "'");
      out.put(v.substring(0, eq), v.substring(eq + 1));
    }
    return out;
  }

  static Map<String, Path> paths(List<String> values) {
    Map<String, Path> out = new LinkedHashMap<>();
    pairs(values, "--files-target", "NAME=DIR").forEach((k, v) -> out.put(k, Path.of(v).toAbsolutePath().normalize()));
    return out;
  }

  @Override
  public void writeFailure(ExitCode code, String message) {
    common.writeFailure(code, message);
  }
}
