package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Deletes a backup's stored objects, and those of its copies ({@code copies}: their locations, or
 * null); {@code lockToken}: the lock a killed run of that request left is taken over.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DeleteRequest(
    String backupId, StorageRef storage, List<StorageRef> copies, String lockToken, Report report)
    implements Request {
  public DeleteRequest(String backupId, StorageRef storage, String lockToken, Report report) {
    this(backupId, storage, null, lockToken, report);
  }

  @Override
  public Purpose purpose() {
    return Purpose.DELETE;
  }
}
