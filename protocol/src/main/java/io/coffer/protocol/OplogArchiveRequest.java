package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A long-lived archiver of a replica set's oplog: it tails {@code local.oplog.rs} of {@code
 * mongodb} and writes what it reads, in slices of {@code sliceSeconds} (default 600), encrypted as
 * {@code encryption} says, next to the backups in {@code storage}; a restore replays them up to any
 * second of the window ({@code RestoreRequest.until}). {@code lockToken}: the archiver of the same
 * schedule, restarted, takes over its predecessor's hold on the storage at once.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OplogArchiveRequest(
    StorageRef storage,
    Mongo mongodb,
    BackupRequest.Encryption encryption,
    Integer sliceSeconds,
    Integer pollSeconds,
    String lockToken,
    Report report)
    implements Request {

  @Override
  public Purpose purpose() {
    return Purpose.OPLOG_ARCHIVE;
  }

  /** The replica set to tail: its URI in a file (null: COFFER_MONGODB_URI). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Mongo(String uriFile, Integer timeoutSeconds, Request.MongoTls tls) {
    public Mongo(String uriFile, Integer timeoutSeconds) {
      this(uriFile, timeoutSeconds, null);
    }
  }
}
