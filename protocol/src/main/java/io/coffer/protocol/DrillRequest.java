package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A restore drill: the backup {@code backupId} (null: the newest complete one in {@code storage})
 * restored into scratch databases ({@code databasePrefix} before each source database's name) on
 * the MongoDB of {@code mongodb.uriFile} and, with {@code filesDir}, its file trees into that
 * directory; then checked against what the backup says it holds, timed, and removed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DrillRequest(
    String backupId,
    StorageRef storage,
    Decryption decryption,
    RestoreRequest.Mongo mongodb,
    String databasePrefix,
    String filesDir,
    Report report)
    implements Request {
  @Override
  public Purpose purpose() {
    return Purpose.DRILL;
  }
}
