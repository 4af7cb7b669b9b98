package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Copies a stored backup, object by object as it is stored (no key: nothing is decrypted), from
 * {@code storage} to {@code to}, and checks each object's SHA-256 where it landed. {@code
 * lockToken}: the destination's lock a killed run of that request left is taken over.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CopyRequest(
    String backupId, StorageRef storage, StorageRef to, String lockToken, Report report)
    implements Request {
  @Override
  public Purpose purpose() {
    return Purpose.COPY;
  }
}
