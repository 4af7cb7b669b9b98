package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/** The outcome of {@code coffer verify}: what was checked and whether it held. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VerifyResult(
    String status,
    String backupId,
    boolean deep,
    String sha256,
    long storedSize,
    Integer entries,
    Long documents,
    String message,
    double durationSeconds) {}
