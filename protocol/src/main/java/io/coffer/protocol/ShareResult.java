package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The outcome of {@code coffer share}: a URL that downloads the stored archive (as stored:
 * encrypted when the backup is) without credentials until {@code expiresAt}; {@code fileName} is
 * the name to save it under. A served download ({@link ShareRequest#serve()}) has no URL here (the
 * operator knows the pod's address) and says how many downloads went through ({@code served}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ShareResult(
    String status,
    String backupId,
    String url,
    String expiresAt,
    String fileName,
    String sha256,
    long storedSize,
    boolean encrypted,
    Integer served) {
  public static final String STATUS = "Shared";
}
