package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A verification of a stored backup (or of an archive file, always deep); {@code deep} needs a key
 * for encrypted ones.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VerifyRequest(
    String backupId,
    String archiveFile,
    StorageRef storage,
    boolean deep,
    Decryption decryption,
    Report report)
    implements Request {
  @Override
  public Purpose purpose() {
    return Purpose.VERIFY;
  }
}
