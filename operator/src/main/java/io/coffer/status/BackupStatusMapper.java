package io.coffer.status;

import io.coffer.api.BackupStatus;
import io.coffer.protocol.BackupResult;
import io.coffer.protocol.Protocol;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Turns what an engine pod left (its termination message: the protocol's result or failure) into
 * Backup status fields. Pure; the protocol's records are the engine's own, so nothing is read by
 * string keys.
 */
public final class BackupStatusMapper {
  private BackupStatusMapper() {}

  /**
   * Whether the engine's failure would only repeat on another attempt: bad input, a key that does
   * not fit, damaged or missing data (the failure says so itself). An unreachable or failing
   * MongoDB or storage may recover.
   */
  public static boolean permanent(Protocol.Outcome result) {
    return result instanceof Protocol.Failed f && f.failure().permanent();
  }

  /**
   * The engine's one-line error from a failure, or the text itself (a reason from Kubernetes),
   * bounded.
   */
  public static String errorOf(Protocol.Outcome result) {
    String text =
        result instanceof Protocol.Failed f && f.failure().message() != null
            ? f.failure().message()
            : result instanceof Protocol.Unknown u ? u.text() : null;
    if (text == null) return "the attempt failed without a message";
    return text.length() > 1000 ? text.substring(0, 1000) + "..." : text;
  }

  /**
   * Fills the result fields from a success result; false when the outcome is not a backup's
   * success.
   */
  public static boolean applySuccess(BackupStatus s, Protocol.Outcome result) {
    if (!(result instanceof Protocol.Backup b)) return false;
    BackupResult r = b.result();
    s.storedBytes = r.storedSize();
    s.rawBytes = r.rawSize();
    s.size = human(s.storedBytes);
    s.sha256 = r.sha256();
    s.objectLock = r.objectLock();
    s.lockedUntil = r.lockedUntil();
    s.location =
        Protocol.locate(
            r.location() == null ? "" : r.location(),
            r.id() == null ? "" : r.id(),
            r.archive() == null ? "" : r.archive());
    s.durationSeconds = r.durationSeconds();
    s.duration = duration(s.durationSeconds);
    BackupStatus.Contents c = new BackupStatus.Contents();
    c.collections = r.collections();
    c.documents = r.documents();
    c.files = r.files();
    c.modules = r.modules() == null ? null : new LinkedHashMap<>(r.modules());
    c.collectionCounts =
        r.collectionCounts() == null ? null : new LinkedHashMap<>(r.collectionCounts());
    s.contents = c;
    if (r.recipients() != null) s.recipients = new ArrayList<>(r.recipients());
    Moment m = Moment.of(r.consistency());
    s.consistency = m.mode();
    s.consistentAt = m.at();
    s.consistencyReason = m.reason();
    return true;
  }

  public static String duration(double seconds) {
    Duration d = Duration.ofMillis(Math.round(seconds * 1000));
    if (d.toHours() > 0)
      return d.toHours() + "h" + d.toMinutesPart() + "m" + d.toSecondsPart() + "s";
    if (d.toMinutes() > 0) return d.toMinutes() + "m" + d.toSecondsPart() + "s";
    return String.format("%.1fs", seconds);
  }

  public static String human(long bytes) {
    if (bytes < 1024) return bytes + " B";
    List<String> units = List.of("KiB", "MiB", "GiB", "TiB");
    double v = bytes;
    int i = -1;
    while (v >= 1024 && i < units.size() - 1) {
      v /= 1024;
      i++;
    }
    return String.format("%.1f %s", v, units.get(i));
  }
}
