package io.coffer.cli;

import io.coffer.engine.base.Json;
import io.coffer.engine.base.Printable;
import io.coffer.engine.base.Progress;
import io.coffer.protocol.ProgressLine;
import java.io.PrintStream;

/** Prints progress while a command runs: a bar on a terminal, or JSON lines for the operator. */
final class ProgressReporter implements AutoCloseable {
  enum Mode {
    NONE,
    BAR,
    JSON
  }

  private final Progress progress;
  private final Mode mode;
  private final PrintStream out;
  private final Thread thread;

  ProgressReporter(Progress progress, Mode mode, PrintStream out) {
    this.progress = progress;
    this.mode = mode;
    this.out = out;
    if (mode == Mode.NONE) {
      thread = null;
      return;
    }
    thread =
        new Thread(
            () -> {
              try {
                while (!Thread.currentThread().isInterrupted()) {
                  Thread.sleep(mode == Mode.JSON ? 1000 : 250);
                  print();
                }
              } catch (InterruptedException e) {
                // done
              }
            },
            "coffer-progress");
    thread.setDaemon(true);
    thread.start();
  }

  private void print() {
    ProgressLine s = progress.snapshot();
    synchronized (out) {
      if (mode == Mode.JSON) {
        out.println(Json.write(s));
      } else {
        int width = 30;
        int filled = (int) Math.round(s.percent() / 100.0 * width);
        String shown = Printable.escape(s.item());
        String item = shown.length() > 40 ? "..." + shown.substring(shown.length() - 37) : shown;
        out.printf(
            "\r[%s%s] %5.1f%% %s %d docs %d files %s\u001b[K",
            "#".repeat(filled),
            " ".repeat(width - filled),
            s.percent(),
            human(s.bytes()),
            s.documents(),
            s.files(),
            item);
      }
      out.flush();
    }
  }

  static String human(long bytes) {
    if (bytes < 1024) return bytes + " B";
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int i = -1;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return String.format("%.1f %s", v, units[i]);
  }

  @Override
  public void close() {
    if (thread == null) return;
    thread.interrupt();
    try {
      thread.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    print();
    if (mode == Mode.BAR) {
      synchronized (out) {
        out.println();
      }
    }
  }
}
