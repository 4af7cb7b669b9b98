package io.coffer.status;

import io.coffer.protocol.Consistency;

/**
 * A backup's or a restore's consistency in status words: the mode (PointInTime, PerCollection), the
 * moment, and the reason, bounded. Pure.
 */
public record Moment(String mode, String at, String reason) {
  /** The longest reason a status carries. */
  static final int MAX_REASON = 500;

  public static Moment of(Consistency k) {
    if (k == null) return new Moment(null, null, null);
    String reason = k.reason();
    if (reason != null && reason.length() > MAX_REASON) {
      int end =
          Character.isHighSurrogate(reason.charAt(MAX_REASON - 1)) ? MAX_REASON - 1 : MAX_REASON;
      reason = reason.substring(0, end) + "...";
    }
    return new Moment(k.mode(), k.at(), reason);
  }
}
