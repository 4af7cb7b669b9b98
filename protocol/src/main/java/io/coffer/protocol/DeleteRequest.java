package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Deletes a backup's stored objects; {@code lockToken}: the lock a killed run of that request left
 * is taken over.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DeleteRequest(String backupId, StorageRef storage, String lockToken, Report report)
    implements Request {
  @Override
  public Purpose purpose() {
    return Purpose.DELETE;
  }
}
