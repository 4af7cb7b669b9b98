package io.coffer.protocol;

/**
 * One line of {@code --progress json}, printed by the engine every second or two and read by the
 * operator from the pod's log into {@code status.progress}. The same record on both sides.
 */
public record ProgressLine(
    String phase,
    double percent,
    long bytes,
    long totalBytes,
    long documents,
    long files,
    String item,
    double elapsedSeconds) {}
