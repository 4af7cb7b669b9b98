package io.coffer.engine;

import io.coffer.engine.base.CofferException;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.mongo.MongoNames;
import io.coffer.engine.mongo.MongoRestorer;
import io.coffer.engine.mongo.MongoTls;
import io.coffer.engine.pitr.Windows;
import io.coffer.protocol.Field;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A restore request. {@code include}/{@code exclude} are collection patterns and {@code modules}
 * module names as recorded in the backup's manifest; {@code trees} limits the file trees (empty =
 * all the backup holds). Where things go is the caller's alone: every restored tree needs its
 * target in {@code filesTargets}, never one the backup names. {@code systemDatabases}: restore
 * {@code admin}, {@code local} and {@code config} too. {@code confirmation} is asked before a
 * replace deletes anything that the backup does not hold. {@code pointInTime}: a restore to a
 * moment, whose base is {@code backupId} (null: the backup's own moment).
 */
record RestoreOptions(
    String backupId,
    String mongoUri,
    Age.DecryptionKeys keys,
    List<String> include,
    List<String> exclude,
    List<String> modules,
    List<String> trees,
    BackupType what,
    Map<String, String> renameDb,
    MongoRestorer.Mode mode,
    Map<String, Path> filesTargets,
    boolean dryRun,
    int timeoutSeconds,
    boolean systemDatabases,
    Confirmation confirmation,
    Windows.Plan pointInTime,
    MongoTls mongoTls) {

  /**
   * A request whose destructive parts the caller has already confirmed, without system databases.
   */
  public RestoreOptions(
      String backupId,
      String mongoUri,
      Age.DecryptionKeys keys,
      List<String> include,
      List<String> exclude,
      List<String> modules,
      List<String> trees,
      BackupType what,
      Map<String, String> renameDb,
      MongoRestorer.Mode mode,
      Map<String, Path> filesTargets,
      boolean dryRun,
      int timeoutSeconds) {
    this(
        backupId,
        mongoUri,
        keys,
        include,
        exclude,
        modules,
        trees,
        what,
        renameDb,
        mode,
        filesTargets,
        dryRun,
        timeoutSeconds,
        false,
        Confirmation.GIVEN);
  }

  /** A restore of a backup's own moment. */
  public RestoreOptions(
      String backupId,
      String mongoUri,
      Age.DecryptionKeys keys,
      List<String> include,
      List<String> exclude,
      List<String> modules,
      List<String> trees,
      BackupType what,
      Map<String, String> renameDb,
      MongoRestorer.Mode mode,
      Map<String, Path> filesTargets,
      boolean dryRun,
      int timeoutSeconds,
      boolean systemDatabases,
      Confirmation confirmation) {
    this(
        backupId,
        mongoUri,
        keys,
        include,
        exclude,
        modules,
        trees,
        what,
        renameDb,
        mode,
        filesTargets,
        dryRun,
        timeoutSeconds,
        systemDatabases,
        confirmation,
        null,
        null);
  }

  public RestoreOptions {
    include = List.copyOf(include);
    exclude = List.copyOf(exclude);
    modules = List.copyOf(modules);
    trees = List.copyOf(trees);
    renameDb = Map.copyOf(renameDb);
    filesTargets = Map.copyOf(filesTargets);
    if (confirmation == null) confirmation = Confirmation.GIVEN;
  }

  /**
   * The database {@code db} of the backup or dump is restored into (its --rename-db, else itself).
   */
  public String targetDb(String db) {
    return renameDb.getOrDefault(db, db);
  }

  /** Refuses a --rename-db into a name MongoDB does not take. */
  public void checkRenames() {
    for (Map.Entry<String, String> r : renameDb.entrySet()) {
      String why = MongoNames.invalidDatabase(r.getValue());
      if (why != null)
        throw CofferException.usage(
            Field.RENAME_DB.mark() + " " + r.getKey() + "=" + r.getValue() + " names " + why);
    }
  }

  /** Refuses a restore of collections without a MongoDB to restore them into. */
  public void requireMongoUri() {
    if (mongoUri == null || mongoUri.isBlank()) {
      throw CofferException.usage(
          "restoring collections needs a target: give " + Field.MONGODB_URI.mark());
    }
  }

  @Override
  public String toString() {
    return "RestoreOptions(" + backupId + ", " + mode + (dryRun ? ", dry run" : "") + ")";
  }
}
