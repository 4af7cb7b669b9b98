package io.coffer.engine.pitr;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.HexFormat;

/**
 * One stored slice of the oplog archive, as its descriptor ({@code .oplog/FROM-TO.json}) says: it
 * holds every entry of the archived databases with a position after {@code from} and up to {@code
 * to} (oplog timestamps: seconds in the high 32 bits, a counter in the low), {@code entries} of
 * them, in {@code data} (gzip, then age as {@code encryption} says; null when the stretch held no
 * entry of the archived databases), {@code storedSize} bytes with SHA-256 {@code sha256}. {@code
 * gap}: why this slice does not start where the one before it ended, when it does not. Read from
 * storage: untrusted until {@link Slices} has checked it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Slice(
    String format,
    long from,
    long to,
    String fromTime,
    String toTime,
    long entries,
    String data,
    long storedSize,
    String sha256,
    String encryption,
    String createdAt,
    String gap) {
  public static final String FORMAT = "coffer-oplog-slice/1";

  /** The common part of the descriptor's and the data's names: {@code FROM-TO}, hex, sortable. */
  public static String stem(long from, long to) {
    return HexFormat.of().toHexDigits(from) + "-" + HexFormat.of().toHexDigits(to);
  }

  public String stem() {
    return stem(from, to);
  }

  public boolean encrypted() {
    return encryption != null && !encryption.equals("none");
  }

  /** A position as a person reads it: {@code 2026-12-07T10:15:00Z#3}. */
  public static String time(long ts) {
    return Instant.ofEpochSecond(ts >>> 32) + "#" + (ts & 0xffffffffL);
  }

  /** The whole second a position lies in. */
  public static Instant second(long ts) {
    return Instant.ofEpochSecond(ts >>> 32);
  }

  /** The first position of a second (no entry has it: counters start at 1). */
  public static long at(Instant second) {
    return second.getEpochSecond() << 32;
  }
}
