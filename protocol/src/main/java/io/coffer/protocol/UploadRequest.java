package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * An upload's place in a storage: a presigned URL that PUTs the object {@code key} (under {@link
 * #PREFIX}) without credentials for {@code expiresMinutes} (1 to 1440), or, with {@code remove},
 * the removal of that object once its restore ended or its time ran out.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UploadRequest(
    StorageRef storage, String key, int expiresMinutes, boolean remove, Report report)
    implements Request {
  /**
   * Where uploads are staged in a storage: a folder no backup id can name (ids start with a letter
   * or a digit), so listings and retention never take it for a backup.
   */
  public static final String PREFIX = ".coffer-uploads/";

  @Override
  public Purpose purpose() {
    return Purpose.UPLOAD;
  }
}
