package io.coffer.engine;

import io.coffer.engine.crypto.Age;
import io.coffer.engine.mongo.MongoRestorer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A restore request. {@code include}/{@code exclude} are collection patterns and {@code modules} module names
 * as recorded in the backup's manifest; {@code trees} limits the file trees (empty = all the backup holds).
 */
public record RestoreOptions(
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

  public RestoreOptions {
    include = List.copyOf(include);
    exclude = List.copyOf(exclude);
    modules = List.copyOf(modules);
    trees = List.copyOf(trees);
    renameDb = Map.copyOf(renameDb);
    filesTargets = Map.copyOf(filesTargets);
  }

  @Override
  public String toString() {
    return "RestoreOptions(" + backupId + ", " + mode + (dryRun ? ", dry run" : "") + ")";
  }
}
