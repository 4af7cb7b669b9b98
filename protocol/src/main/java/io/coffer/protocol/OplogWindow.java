package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What the oplog archive in a storage location lets a restore reach: any second from {@code
 * recoverableFrom} to {@code recoverableUntil} (RFC 3339, whole seconds; null while no
 * point-in-time backup lies in the archived stretch), the newest slice's time, what the archive
 * holds, and the stretches it lacks ({@code gaps}). The archiver prints it as one line of its log
 * after each slice (the operator reads it into a schedule's {@code status.pointInTime}) and leaves
 * it as its result when it stops ({@code status} {@link #STATUS}; null in a log line).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record OplogWindow(
    String status,
    String recoverableFrom,
    String recoverableUntil,
    String lastSliceAt,
    String checkedAt,
    String position,
    int slices,
    long entries,
    long bytes,
    List<Gap> gaps) {
  public static final String STATUS = "Stopped";

  public OplogWindow {
    gaps = gaps == null ? List.of() : List.copyOf(gaps);
  }

  /** The prefix of the log line that carries a window: {@code {"oplogWindow":...}}. */
  public static final String LOG_KEY = "oplogWindow";

  /** The same window as a stopped archiver's result. */
  public OplogWindow stopped() {
    return new OplogWindow(
        STATUS,
        recoverableFrom,
        recoverableUntil,
        lastSliceAt,
        checkedAt,
        position,
        slices,
        entries,
        bytes,
        gaps);
  }

  /** A stretch of time no slice covers, and why: nothing in it can be restored. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Gap(String from, String to, String reason) {}

  /** The one log line that carries a window. */
  public record Line(OplogWindow oplogWindow) {}
}
