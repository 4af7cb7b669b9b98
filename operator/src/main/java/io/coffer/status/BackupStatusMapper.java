package io.coffer.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.coffer.api.BackupStatus;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns the engine's result (the pod's termination message, JSON) into Backup status fields. Pure. */
public final class BackupStatusMapper {
  private static final ObjectMapper JSON = new ObjectMapper();

  private BackupStatusMapper() {}

  /** The engine's one-line error from a failure result, or the text itself when it is not JSON. */
  /**
   * Whether the engine's failure would only repeat on another attempt: bad input, a key that does not fit,
   * damaged or missing data. An unreachable or failing MongoDB or storage may recover, so those are retried.
   */
  public static boolean permanent(String message) {
    if (message == null) return false;
    try {
      JsonNode n = JSON.readTree(message);
      String reason = n == null ? null : n.path("reason").asText(null);
      return reason != null && java.util.Set.of("USAGE", "KEY", "INTEGRITY", "NOT_FOUND").contains(reason);
    } catch (Exception e) {
      return false;
    }
  }

  public static String errorOf(String message) {
    if (message == null) return "the attempt failed without a message";
    try {
      JsonNode n = JSON.readTree(message);
      if (n != null && n.hasNonNull("message")) return n.get("message").asText();
    } catch (Exception e) {
      // not JSON: a reason from Kubernetes
    }
    return message.length() > 1000 ? message.substring(0, 1000) + "..." : message;
  }

  /** The engine's result JSON when its status is one of {@code statuses}, else null (no result, not JSON, a failure). */
  public static JsonNode result(String message, String... statuses) {
    if (message == null) return null;
    try {
      JsonNode n = JSON.readTree(message);
      return n != null && java.util.List.of(statuses).contains(n.path("status").asText()) ? n : null;
    } catch (Exception e) {
      return null;
    }
  }

  /** Fills the result fields from a success result; false when the message is not a success result. */
  public static boolean applySuccess(BackupStatus s, String message) {
    JsonNode n = result(message, "Succeeded");
    if (n == null) return false;
    s.storedBytes = n.path("storedSize").asLong();
    s.rawBytes = n.path("rawSize").asLong();
    s.size = human(s.storedBytes);
    s.sha256 = n.path("sha256").asText(null);
    s.location = io.coffer.engine.BackupStore.locate(n.path("location").asText(""), n.path("id").asText(""), n.path("archive").asText(""));
    if (n.has("durationSeconds")) {
      s.durationSeconds = n.get("durationSeconds").asDouble();
      s.duration = duration(s.durationSeconds);
    }
    BackupStatus.Contents c = new BackupStatus.Contents();
    c.collections = n.path("collections").asInt();
    c.documents = n.path("documents").asLong();
    c.files = n.path("files").asLong();
    c.modules = longs(n.get("modules"));
    c.collectionCounts = longs(n.get("collectionCounts"));
    s.contents = c;
    if (n.has("recipients")) {
      s.recipients = new java.util.ArrayList<>();
      n.get("recipients").forEach(r -> s.recipients.add(r.asText()));
    }
    return true;
  }

  private static Map<String, Long> longs(JsonNode n) {
    if (n == null || !n.isObject()) return null;
    Map<String, Long> out = new LinkedHashMap<>();
    n.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asLong()));
    return out;
  }

  public static String duration(double seconds) {
    Duration d = Duration.ofMillis(Math.round(seconds * 1000));
    if (d.toHours() > 0) return d.toHours() + "h" + d.toMinutesPart() + "m" + d.toSecondsPart() + "s";
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
