package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A restore: from a stored backup ({@code storage} and {@code source.backupId}), an archive file
 * ({@code source.archiveFile}) or what mongodump wrote ({@code source.mongodump}, inside {@code
 * storage} when it is given); into {@code mongodb} and the directories of {@code files}; {@code
 * mode} replace or merge. {@code until} (RFC 3339): the database as it was at the end of that
 * second, from the newest point-in-time backup before it and the oplog archived since ({@link
 * OplogArchiveRequest}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RestoreRequest(
    Source source,
    StorageRef storage,
    Decryption decryption,
    Mongo mongodb,
    List<String> trees,
    String type,
    List<Tree> files,
    String mode,
    boolean dryRun,
    boolean confirm,
    String until,
    Report report)
    implements Request {

  public RestoreRequest {
    trees = Request.list(trees);
    files = Request.list(files);
  }

  @Override
  public Purpose purpose() {
    return Purpose.RESTORE;
  }

  /**
   * Exactly one of the three. {@code sha256}: for an archive file or a mongodump in a storage (an
   * upload), the SHA-256 its uploader announced; the file is refused (exit 5, before anything is
   * put in place) unless it has it.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Source(String backupId, String archiveFile, String mongodump, String sha256) {
    public Source(String backupId, String archiveFile, String mongodump) {
      this(backupId, archiveFile, mongodump, null);
    }
  }

  /**
   * The target database (its URI in a file; null: COFFER_MONGODB_URI) and what of the backup's
   * collections goes there.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Mongo(
      String uriFile,
      List<String> include,
      List<String> exclude,
      List<String> modules,
      Map<String, String> renameDatabases,
      boolean systemDatabases,
      Integer timeoutSeconds,
      Request.MongoTls tls) {
    public Mongo(
        String uriFile,
        List<String> include,
        List<String> exclude,
        List<String> modules,
        Map<String, String> renameDatabases,
        boolean systemDatabases,
        Integer timeoutSeconds) {
      this(
          uriFile,
          include,
          exclude,
          modules,
          renameDatabases,
          systemDatabases,
          timeoutSeconds,
          null);
    }

    public Mongo {
      include = Request.list(include);
      exclude = Request.list(exclude);
      modules = Request.list(modules);
      // in the order given: the same spec makes the same document
      renameDatabases =
          renameDatabases == null
              ? Map.of()
              : Collections.unmodifiableMap(new LinkedHashMap<>(renameDatabases));
    }
  }
}
