package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A backup: what ({@code type}, {@code mongodb}, {@code files}), where ({@code storage}) and how
 * ({@code encryption}, {@code compression}, {@code chain}). {@code id} null: the engine makes one
 * from the time.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackupRequest(
    String id,
    String type,
    StorageRef storage,
    Mongo mongodb,
    List<Tree> files,
    List<String> filesInclude,
    List<String> filesExclude,
    Encryption encryption,
    Compression compression,
    Chain chain,
    Lock lock,
    String existing,
    Report report)
    implements Request {

  public BackupRequest {
    files = Request.list(files);
    filesInclude = Request.list(filesInclude);
    filesExclude = Request.list(filesExclude);
  }

  @Override
  public Purpose purpose() {
    return Purpose.BACKUP;
  }

  /**
   * The database to read: its URI in a file (null: the environment's COFFER_MONGODB_URI), what to
   * take.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Mongo(
      String uriFile,
      List<String> include,
      List<String> exclude,
      List<String> modules,
      String moduleMapFile,
      Integer timeoutSeconds,
      Request.MongoTls tls) {
    public Mongo(
        String uriFile,
        List<String> include,
        List<String> exclude,
        List<String> modules,
        String moduleMapFile,
        Integer timeoutSeconds) {
      this(uriFile, include, exclude, modules, moduleMapFile, timeoutSeconds, null);
    }

    public Mongo {
      include = Request.list(include);
      exclude = Request.list(exclude);
      modules = Request.list(modules);
    }
  }

  /** Public keys (given, and/or in a file), or a passphrase file. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Encryption(List<String> recipients, String recipientsFile, String passphraseFile) {
    public Encryption {
      recipients = Request.list(recipients);
    }
  }

  /** {@code method}: deflate or store; {@code level} 1 to 9 for deflate. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Compression(String method, Integer level) {}

  /**
   * {@code parent}: the backup an incremental one builds on; {@code indexKeyFile}: the chain
   * index's key.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Chain(String parent, String indexKeyFile) {}

  /**
   * How long to wait for another run writing this id, and the token under which an earlier
   * attempt's lock is taken over.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Lock(Integer waitSeconds, String token) {}
}
