package io.coffer.status;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Deciders work on a copy of the status; the reconciler writes it only when it differs from what is
 * stored.
 */
public final class Statuses {
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private Statuses() {}

  /** A deep copy, or {@code empty} when there is no status yet. */
  public static <T> T copyOr(T status, T empty) {
    return status == null ? empty : JSON.clone(status);
  }

  /** Whether two statuses serialise the same: a write of {@code next} would change nothing. */
  public static boolean same(Object next, Object stored) {
    return JSON.asJson(next).equals(JSON.asJson(stored));
  }

  /** Whether {@code time} is a time as a status or a Job's answer gives it (RFC 3339). */
  public static boolean parses(String time) {
    try {
      Instant.parse(time);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The sooner of two times to look again; null: none. */
  public static Duration min(Duration a, Duration b) {
    if (a == null) return b;
    if (b == null) return a;
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** A time as the status shows it: UTC, to the second. */
  public static String time(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
