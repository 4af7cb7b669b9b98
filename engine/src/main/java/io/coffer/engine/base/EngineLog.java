package io.coffer.engine.base;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The log of one backup or restore: echoed as it happens and stored beside the archive. Bounded:
 * after {@link #MAX_LINES} lines only warnings and errors are kept, up to twice that many lines (a
 * tree of a million unreadable files must not fill the heap with warnings), and a count of what was
 * left out.
 */
public final class EngineLog {
  static final int MAX_LINES = 5000;
  private final List<String> lines = new ArrayList<>();
  private final Consumer<String> echo;
  private int dropped;
  private int droppedWarnings;
  private int warnings;

  public EngineLog(Consumer<String> echo) {
    this.echo = echo == null ? s -> {} : echo;
  }

  public synchronized void info(String message) {
    add("INFO", message);
  }

  public synchronized void warn(String message) {
    warnings++;
    add("WARN", message);
  }

  public synchronized void error(String message) {
    add("ERROR", message);
  }

  private void add(String level, String message) {
    // names from archives and file systems can hold escape sequences and line breaks: one event,
    // one printable line
    String line =
        Instant.now().truncatedTo(ChronoUnit.MILLIS)
            + " "
            + level
            + " "
            + Printable.escape(message);
    echo.accept(line);
    if (lines.size() < MAX_LINES || (!"INFO".equals(level) && lines.size() < 2 * MAX_LINES))
      lines.add(line);
    else if ("INFO".equals(level)) dropped++;
    else droppedWarnings++;
  }

  public synchronized int warnings() {
    return warnings;
  }

  public synchronized List<String> lines() {
    return List.copyOf(lines);
  }

  public synchronized byte[] bytes() {
    StringBuilder sb = new StringBuilder();
    for (String l : lines) sb.append(l).append('\n');
    if (dropped > 0) sb.append("(").append(dropped).append(" informational lines left out)\n");
    if (droppedWarnings > 0)
      sb.append("(")
          .append(droppedWarnings)
          .append(" more warnings and errors left out; each was printed as it happened)\n");
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }
}
