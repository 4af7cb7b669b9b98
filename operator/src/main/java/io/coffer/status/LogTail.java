package io.coffer.status;

import io.coffer.api.BackupStatus;
import io.coffer.protocol.ProgressLine;
import io.coffer.protocol.Protocol;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an engine pod's log: its JSON progress lines ({@code --progress json}) become
 * status.progress, the other lines the bounded log tail. Pure.
 */
public final class LogTail {
  public static final int LINES = 20;

  private LogTail() {}

  public record Parsed(BackupStatus.Progress progress, List<String> tail) {}

  public static Parsed parse(String log, String now) {
    BackupStatus.Progress progress = null;
    List<String> tail = new ArrayList<>();
    if (log == null) return new Parsed(null, tail);
    for (String line : log.split("\\R")) {
      ProgressLine n = Protocol.progress(line);
      if (n != null) {
        BackupStatus.Progress p = new BackupStatus.Progress();
        p.percent = n.percent();
        p.bytes = n.bytes();
        p.documents = n.documents();
        p.files = n.files();
        p.item = n.item();
        p.updatedAt = now;
        progress = p;
      } else if (line.startsWith("{\"phase\"")) {
        continue; // a torn progress line at the end of the tail: the next read has it whole
      } else if (!line.isBlank()) {
        tail.add(line.length() > 300 ? line.substring(0, 300) + "..." : line);
      }
    }
    if (tail.size() > LINES) tail = new ArrayList<>(tail.subList(tail.size() - LINES, tail.size()));
    return new Parsed(progress, tail);
  }
}
