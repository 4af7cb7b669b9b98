package io.coffer.cli;

import io.coffer.engine.Confirmation;
import io.coffer.engine.Engine;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.Json;
import io.coffer.engine.base.Printable;
import io.coffer.engine.base.Progress;
import io.coffer.protocol.BackupRequest;
import io.coffer.protocol.BackupResult;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Protocol;
import io.coffer.protocol.Purpose;
import io.coffer.protocol.Request;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "backup",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Back up MongoDB collections and/or file trees into one zip archive, optionally age-encrypted.",
      "",
      "Collection patterns match db.collection with * and ? (a bare name means a whole database); "
          + "a leading ! excludes. Without --include or --modules, every database but admin, local and config is taken.",
      "",
      "Examples:",
      "  coffer backup --storage s3://backups/rayerp --mongodb-uri mongodb://db:27017 --include 'erp.*' --exclude 'erp.audit_*'",
      "  coffer backup --storage file:///backups --type full --modules hr,finance --module-map samples/rayerp-modules.yaml \\",
      "      --files uploads=/data/uploads --recipients-file team.pub"
    })
final class BackupCommand implements Callable<Integer>, Main.ResultWriting {
  @Mixin CommonOptions common;

  @Option(
      names = "--id",
      paramLabel = "ID",
      description = "Backup id (default: UTC time and a random suffix, e.g. 20261126-143000-9f3a).")
  String id;

  @Option(
      names = "--type",
      paramLabel = "TYPE",
      defaultValue = "database",
      description =
          "database (default), files, full, or incremental (only what changed since --parent; covers what the parent covers).")
  String type;

  @Option(
      names = "--parent",
      paramLabel = "ID",
      description =
          "With --type incremental: the backup to build on (full or incremental; `coffer list` shows them).")
  String parent;

  @Option(
      names = "--index-key-file",
      paramLabel = "FILE",
      description =
          "Secret for the chain index (env COFFER_INDEX_KEY): with it a backup can be the parent "
              + "of incremental ones, which need the same key. Only backup Jobs need it; it opens no backup.")
  Path indexKeyFile;

  @Option(
      names = "--mongodb-uri",
      paramLabel = "URI",
      description =
          "MongoDB connection string (default: env COFFER_MONGODB_URI; prefer the env or --mongodb-uri-file, since arguments are visible in ps).")
  String mongoUri;

  @Option(
      names = "--mongodb-uri-file",
      paramLabel = "FILE",
      description = "Read the MongoDB connection string from FILE.")
  Path mongoUriFile;

  @Mixin MongoTlsOptions mongoTls;

  @Option(
      names = "--include",
      paramLabel = "PATTERN",
      description = "Collections to take (repeatable), e.g. 'erp.*', 'erp.invoices', 'erp'.")
  List<String> include = new ArrayList<>();

  @Option(
      names = "--exclude",
      paramLabel = "PATTERN",
      description = "Collections to leave out (repeatable), e.g. 'erp.audit_*'.")
  List<String> exclude = new ArrayList<>();

  @Option(
      names = "--modules",
      split = ",",
      paramLabel = "NAMES",
      description = "Modules of the module map to take, e.g. hr,finance.")
  List<String> modules = new ArrayList<>();

  @Option(
      names = "--module-map",
      paramLabel = "FILE",
      description =
          "YAML module map (modules: {hr: [erp.employees, ...]}); tags collections with their module.")
  Path moduleMap;

  @Option(
      names = "--files",
      paramLabel = "NAME=DIR",
      description =
          "A directory tree to back up under a name (repeatable), e.g. uploads=/data/uploads.")
  List<String> files = new ArrayList<>();

  @Option(
      names = "--files-include",
      paramLabel = "GLOB",
      description = "Only files whose relative path or name matches (repeatable), e.g. '**.pdf'.")
  List<String> filesInclude = new ArrayList<>();

  @Option(
      names = "--files-exclude",
      paramLabel = "GLOB",
      description =
          "Leave out files and directories that match (repeatable), e.g. 'tmp' or '*.log'.")
  List<String> filesExclude = new ArrayList<>();

  @Option(
      names = "--recipient",
      paramLabel = "AGE1...",
      description = "Encrypt to this age X25519 public key (repeatable).")
  List<String> recipients = new ArrayList<>();

  @Option(
      names = "--recipients-file",
      paramLabel = "FILE",
      description =
          "Encrypt to the age public keys in FILE, one per line (env COFFER_AGE_RECIPIENTS also works).")
  Path recipientsFile;

  @Option(
      names = "--passphrase-file",
      paramLabel = "FILE",
      description = "Encrypt with the passphrase in FILE (scrypt), instead of recipients.")
  Path passphraseFile;

  @Option(
      names = "--compression",
      paramLabel = "METHOD",
      defaultValue = "deflate",
      description = "deflate (default) or store (no compression, for data that does not compress).")
  String compression;

  @Option(
      names = "--level",
      paramLabel = "N",
      defaultValue = "1",
      description = "Deflate level 1 (fastest, default) to 9 (smallest).")
  int level;

  @Option(
      names = "--existing",
      paramLabel = "MODE",
      defaultValue = "fail",
      description =
          "When a complete backup with this --id exists: fail (default), or keep it and succeed (what the operator's retries use: "
              + "an earlier attempt may have finished just before it was killed).")
  String existing;

  @Option(
      names = "--limit-upload",
      paramLabel = "MIB_PER_S",
      description = "Write to storage at most this many MiB per second (default: no cap).")
  Integer limitUpload;

  @Option(
      names = "--object-lock",
      paramLabel = "MODE:DAYS",
      description =
          "S3 Object Lock: once the backup is complete, retain each of its objects DAYS days under MODE governance "
              + "or compliance, e.g. compliance:30 (the bucket must be made with Object Lock enabled; nobody can delete "
              + "or overwrite a compliance-locked object before then, not even Coffer).")
  String objectLock;

  @Option(
      names = "--wait-for-lock",
      paramLabel = "SECONDS",
      defaultValue = "0",
      description =
          "One run writes a backup id at a time: wait up to SECONDS for another run with this --id to finish (default 0: refuse at once, exit code 8). "
              + "An S3 lock left by a run that died frees itself after three minutes; a volume's lock when the run ends.")
  int waitForLock;

  @Option(
      names = "--lock-token",
      paramLabel = "TOKEN",
      hidden = false,
      description =
          "Names the request this run belongs to: a lock an earlier run left under the same TOKEN (killed, so never released) is taken over at once. "
              + "Give it only where no two runs with one TOKEN can be alive together (the operator passes each Backup's uid).")
  String lockToken;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "15",
      description = "How long to wait for MongoDB to answer (default 15).")
  int timeout;

  /** {@code --object-lock MODE:DAYS} on a storage reference. */
  static Request.StorageRef withObjectLock(Request.StorageRef ref, String lock) {
    if (lock == null) return ref;
    int colon = lock.indexOf(':');
    int days;
    try {
      days = Integer.parseInt(lock.substring(colon + 1).strip());
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      days = -1;
    }
    if (colon <= 0 || days < 1)
      throw CofferException.usage(
          "--object-lock takes MODE:DAYS, e.g. compliance:30 or governance:7, not '"
              + Printable.escape(lock)
              + "'");
    return new Request.StorageRef(
        ref.uri(),
        ref.s3(),
        ref.uploadLimitMiBps(),
        new Request.ObjectLock(lock.substring(0, colon).strip(), days));
  }

  /** The request these flags make: the same record a Job's request document holds. */
  BackupRequest request() {
    List<Request.Tree> trees = new ArrayList<>();
    for (String f : files) {
      int eq = f.indexOf('=');
      if (eq <= 0 || eq == f.length() - 1)
        throw CofferException.usage(
            "--files takes NAME=DIR, e.g. uploads=/data/uploads, not '" + f + "'");
      trees.add(new Request.Tree(f.substring(0, eq), f.substring(eq + 1)));
    }
    return new BackupRequest(
        id,
        type,
        withObjectLock(common.storageRef(limitUpload), objectLock),
        new BackupRequest.Mongo(
            mongoUriFile == null ? null : mongoUriFile.toString(),
            include,
            exclude,
            modules,
            moduleMap == null ? null : moduleMap.toString(),
            timeout,
            mongoTls.tls()),
        trees,
        filesInclude,
        filesExclude,
        new BackupRequest.Encryption(
            recipients,
            recipientsFile == null ? null : recipientsFile.toString(),
            passphraseFile == null ? null : passphraseFile.toString()),
        new BackupRequest.Compression(compression, level),
        new BackupRequest.Chain(parent, indexKeyFile == null ? null : indexKeyFile.toString()),
        new BackupRequest.Lock(waitForLock, lockToken),
        existing,
        common.report());
  }

  @Override
  public Integer call() throws Exception {
    boolean json = common.json();
    BackupRequest request = request();
    Progress progress = new Progress();
    BackupResult r;
    try (ProgressReporter rep = common.reporter(progress)) {
      r =
          Engine.backup(
              request,
              common.context(
                  progress, mongoUri, Confirmation.GIVEN, Purpose.BACKUP, mongoUriFile != null));
    }
    common.writeResult(r);
    if (json) System.out.println(Json.pretty(r));
    else print(r);
    return ExitCode.OK.code();
  }

  static void print(BackupResult r) {
    System.out.printf("Backup %s succeeded in %.1f s%n", r.id(), r.durationSeconds());
    System.out.printf("  location   %s%n", Protocol.locate(r.location(), r.id(), r.archive()));
    System.out.printf(
        "  size       %s stored, %s raw%n",
        ProgressReporter.human(r.storedSize()), ProgressReporter.human(r.rawSize()));
    System.out.printf(
        "  contents   %d collections, %d documents, %d files%n",
        r.collections(), r.documents(), r.files());
    if (r.modules() != null) System.out.printf("  modules    %s%n", r.modules());
    if (r.consistency() != null) {
      System.out.printf(
          "  moment     %s%n",
          r.consistency().isPointInTime()
              ? "one moment of the database, as it was at " + r.consistency().at()
              : "not one moment: " + Printable.escape(String.valueOf(r.consistency().reason())));
    }
    System.out.printf("  sha256     %s%n", r.sha256());
    if (r.lockedUntil() != null)
      System.out.printf(
          "  locked     Object Lock %s until %s: no object can be deleted or overwritten before%n",
          r.objectLock(), r.lockedUntil());
    System.out.printf(
        "  encrypted  %s%n",
        r.encrypted()
            ? (r.recipients() != null
                ? "yes, to " + String.join(", ", r.recipients())
                : "yes, with a passphrase")
            : "no");
    if (r.skipped() != null)
      System.out.printf(
          "  skipped    %d (see the log): %s%n",
          r.skipped().size(), Printable.escape(String.valueOf(r.skipped())));
  }

  @Override
  public String words(String message) {
    return Flags.render(message, Purpose.BACKUP, mongoUriFile != null);
  }

  @Override
  public void writeFailure(ExitCode code, String message) {
    common.writeFailure(code, words(message));
  }
}
