package io.coffer.status;

import com.fasterxml.jackson.databind.JsonNode;
import io.coffer.api.RestoreStatus;
import java.util.ArrayList;

/** Turns the engine's restore result (termination message) into Restore status. Pure. */
public final class RestoreStatusMapper {
  private RestoreStatusMapper() {}

  /** Applies a "Succeeded" or "Planned" result; false when the message is no such result. */
  public static boolean apply(RestoreStatus s, String message) {
    JsonNode n = BackupStatusMapper.result(message, "Succeeded", "Planned");
    if (n == null) return false;
    if (n.hasNonNull("backupId")) s.backupId = n.get("backupId").asText();
    s.collections = n.path("collections").asInt();
    s.documents = n.path("documents").asLong();
    s.files = n.path("files").asLong();
    if (n.has("durationSeconds")) s.duration = BackupStatusMapper.duration(n.get("durationSeconds").asDouble());
    s.plan = new ArrayList<>();
    for (JsonNode i : n.path("items")) {
      RestoreStatus.Item item = new RestoreStatus.Item();
      item.kind = i.path("kind").asText(null);
      item.source = i.path("source").asText(null);
      item.target = i.path("target").asText(null);
      item.documents = i.has("documents") ? i.get("documents").asLong() : null;
      item.files = i.has("files") ? i.get("files").asLong() : null;
      item.bytes = i.path("bytes").asLong();
      item.action = i.path("action").asText(null);
      s.plan.add(item);
    }
    return true;
  }
}
