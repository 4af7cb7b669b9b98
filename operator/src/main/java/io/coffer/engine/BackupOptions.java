package io.coffer.engine;

import io.coffer.engine.archive.Compression;
import io.coffer.engine.files.FileTreeDumper;
import io.coffer.engine.mongo.Selection;
import java.util.List;

/** Everything a backup needs, parsed and checked once at the edge (the CLI). Immutable. */
public record BackupOptions(
    String id,
    BackupType type,
    String mongoUri,
    Selection selection,
    List<FileTreeDumper.Tree> trees,
    List<String> filesInclude,
    List<String> filesExclude,
    Encryption encryption,
    Compression compression,
    int level,
    int timeoutSeconds) {

  public BackupOptions {
    trees = List.copyOf(trees);
    filesInclude = List.copyOf(filesInclude);
    filesExclude = List.copyOf(filesExclude);
    if (type.hasDatabase() && (mongoUri == null || mongoUri.isBlank())) {
      throw CofferException.usage("a " + type.label() + " backup needs MongoDB: give --mongodb-uri or set COFFER_MONGODB_URI (or use --type files)");
    }
    if (type.hasFiles() && trees.isEmpty()) {
      throw CofferException.usage("a " + type.label() + " backup needs at least one --files NAME=DIR (or use --type database)");
    }
    if (level < 0 || level > 9) throw CofferException.usage("--level must be between 0 and 9, not " + level);
  }

  @Override
  public String toString() {
    return "BackupOptions(" + id + ", " + type + ", " + encryption + ")";
  }
}
