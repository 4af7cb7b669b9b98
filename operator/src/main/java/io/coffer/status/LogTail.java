package io.coffer.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.coffer.api.BackupStatus;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an engine pod's log: its JSON progress lines ({@code --progress json}) become status.progress, the
 * other lines the bounded log tail. Pure.
 */
public final class LogTail {
  public static final int LINES = 20;
  private static final ObjectMapper JSON = new ObjectMapper();

  private LogTail() {}

  public record Parsed(BackupStatus.Progress progress, List<String> tail) {}

  public static Parsed parse(String log, String now) {
    BackupStatus.Progress progress = null;
    List<String> tail = new ArrayList<>();
    if (log == null) return new Parsed(null, tail);
    for (String line : log.split("\\R")) {
      if (line.startsWith("{\"phase\"")) {
        try {
          JsonNode n = JSON.readTree(line);
          BackupStatus.Progress p = new BackupStatus.Progress();
          p.percent = n.path("percent").asDouble();
          p.bytes = n.path("bytes").asLong();
          p.documents = n.path("documents").asLong();
          p.files = n.path("files").asLong();
          p.item = n.path("item").asText(null);
          p.updatedAt = now;
          progress = p;
        } catch (Exception e) {
          // a torn line at the end of the tail: the next read has it whole
        }
      } else if (!line.isBlank()) {
        tail.add(line.length() > 300 ? line.substring(0, 300) + "..." : line);
      }
    }
    if (tail.size() > LINES) tail = new ArrayList<>(tail.subList(tail.size() - LINES, tail.size()));
    return new Parsed(progress, tail);
  }
}
