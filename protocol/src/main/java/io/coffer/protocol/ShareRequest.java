package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/** A presigned URL of a stored archive, valid {@code expiresMinutes} (1 to 1440). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ShareRequest(String backupId, StorageRef storage, int expiresMinutes, Report report)
    implements Request {
  @Override
  public Purpose purpose() {
    return Purpose.SHARE;
  }
}
