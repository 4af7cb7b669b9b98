package io.coffer.engine;

import io.coffer.engine.archive.Compression;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.crypto.Encryption;
import io.coffer.engine.files.FileTreeDumper;
import io.coffer.engine.mongo.MongoTls;
import io.coffer.engine.mongo.Selection;
import io.coffer.protocol.Field;
import java.util.List;

/** Everything a backup needs, parsed and checked once at the edge (the CLI). Immutable. */
record BackupOptions(
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
    int timeoutSeconds,
    String parent,
    char[] indexKey,
    int lockWaitSeconds,
    String lockToken,
    MongoTls mongoTls) {

  /**
   * {@code lockWaitSeconds}: how long to wait for another run writing the same backup id (0: refuse
   * at once); {@code lockToken}: a lock left under this token by an earlier run is taken over at
   * once (see {@code --lock-token}).
   */
  public BackupOptions(
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
      int timeoutSeconds,
      String parent,
      char[] indexKey) {
    this(
        id,
        type,
        mongoUri,
        selection,
        trees,
        filesInclude,
        filesExclude,
        encryption,
        compression,
        level,
        timeoutSeconds,
        parent,
        indexKey,
        0,
        null,
        null);
  }

  /** A backup without a chain index (it cannot be the parent of an incremental backup). */
  public BackupOptions(
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
    this(
        id,
        type,
        mongoUri,
        selection,
        trees,
        filesInclude,
        filesExclude,
        encryption,
        compression,
        level,
        timeoutSeconds,
        null,
        null);
  }

  public BackupOptions {
    if (parent != null && indexKey == null) {
      throw CofferException.usage(
          "an incremental backup needs the index key its chain was made with: give "
              + Field.INDEX_KEY.mark()
              + "; the full backup that starts a chain needs it too");
    }
    trees = List.copyOf(trees);
    filesInclude = List.copyOf(filesInclude);
    filesExclude = List.copyOf(filesExclude);
    if (type.hasDatabase() && (mongoUri == null || mongoUri.isBlank())) {
      throw CofferException.usage(
          "a "
              + type.label()
              + " backup needs MongoDB: give "
              + Field.MONGODB_URI.mark()
              + " (or use "
              + Field.TYPE.mark()
              + " files)");
    }
    if (type.hasFiles() && trees.isEmpty()) {
      throw CofferException.usage(
          "a "
              + type.label()
              + " backup needs at least one "
              + Field.FILES.mark()
              + " (or use "
              + Field.TYPE.mark()
              + " database)");
    }
    if (level < 0 || level > 9)
      throw CofferException.usage(Field.LEVEL.mark() + " must be between 0 and 9, not " + level);
    if (lockWaitSeconds < 0)
      throw CofferException.usage(
          Field.LOCK_WAIT.mark() + " must be 0 or more seconds, not " + lockWaitSeconds);
  }

  @Override
  public String toString() {
    return "BackupOptions("
        + id
        + ", "
        + type
        + ", "
        + encryption
        + (parent == null ? "" : ", parent " + parent)
        + ")";
  }
}
