package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A presigned URL of a stored archive, valid {@code expiresMinutes} (1 to 1440); or, with {@code
 * serve} (a storage on a volume, which has no URL to sign), the archive served over HTTP by the
 * engine itself for that long.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ShareRequest(
    String backupId, StorageRef storage, int expiresMinutes, Report report, Serve serve)
    implements Request {
  public ShareRequest(String backupId, StorageRef storage, int expiresMinutes, Report report) {
    this(backupId, storage, expiresMinutes, report, null);
  }

  /**
   * Serve the archive at {@code http://<this pod>:port/<token>/<file name>} (any other path: 404)
   * until the time runs out. {@code token}: 64 hex digits the operator chose; whoever may read the
   * Backup's status may use it, as a presigned URL.
   */
  public record Serve(int port, String token) {}

  @Override
  public Purpose purpose() {
    return Purpose.SHARE;
  }
}
