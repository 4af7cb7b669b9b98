package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The outcome of {@code coffer copy}: where the copy lies, what was copied ({@code objects}, {@code
 * bytes}; 0 when the destination held the same backup already), the archive's SHA-256 as read back
 * at the destination, and what a person should know ({@code warnings}: an incremental backup whose
 * parent is not at the destination, say).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CopyResult(
    String status,
    String backupId,
    String location,
    int objects,
    long bytes,
    String sha256,
    boolean alreadyThere,
    List<String> warnings,
    double durationSeconds) {
  public static final String STATUS = "Copied";
}
