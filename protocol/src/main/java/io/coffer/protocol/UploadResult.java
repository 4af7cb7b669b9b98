package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The outcome of an {@link UploadRequest}: the URL that PUTs {@code key} until {@code expiresAt},
 * or, for a removal, whether the object was there ({@code removed}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UploadResult(
    String status, String key, String url, String expiresAt, Boolean removed) {
  public static final String STATUS = "Staged";
}
