package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * The outcome of a backup, as printed with {@code --output json} and written by {@code
 * --result-file} (kept under 4 KiB: the operator reads it from a pod's termination message). With
 * Object Lock, {@code objectLock} (GOVERNANCE or COMPLIANCE) and {@code lockedUntil} (RFC 3339) say
 * how long every object of the backup is retained.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackupResult(
    String status,
    String id,
    String type,
    String location,
    String archive,
    long storedSize,
    long rawSize,
    String sha256,
    boolean encrypted,
    List<String> recipients,
    double durationSeconds,
    int collections,
    long documents,
    long files,
    Map<String, Long> modules,
    Map<String, Long> collectionCounts,
    Boolean collectionCountsTruncated,
    int warnings,
    List<String> skipped,
    Consistency consistency,
    String objectLock,
    String lockedUntil) {}
