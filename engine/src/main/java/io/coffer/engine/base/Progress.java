package io.coffer.engine.base;

import io.coffer.protocol.ProgressLine;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Live counters of a running command, read by a reporter thread (progress bar or JSON lines). Not
 * final: a test may watch {@link #item} to act at a known point of a backup.
 */
public class Progress {
  private final long startNanos = System.nanoTime();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong totalBytes = new AtomicLong();
  private final AtomicLong documents = new AtomicLong();
  private final AtomicLong files = new AtomicLong();
  private volatile String phase = "starting";
  private volatile String item = "";

  public void phase(String p) {
    this.phase = p;
  }

  public void item(String i) {
    this.item = i;
  }

  public void addTotal(long n) {
    totalBytes.addAndGet(n);
  }

  public void addBytes(long n) {
    bytes.addAndGet(n);
  }

  public void addDocuments(long n) {
    documents.addAndGet(n);
  }

  public void addFiles(long n) {
    files.addAndGet(n);
  }

  public double elapsedSeconds() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /**
   * What the progress line says now (the protocol's record: the operator reads it back from the
   * pod's log).
   */
  public ProgressLine snapshot() {
    long b = bytes.get();
    long t = totalBytes.get();
    String p = phase;
    double pct = "done".equals(p) ? 100.0 : t <= 0 ? 0.0 : Math.min(99.0, 100.0 * b / t);
    return new ProgressLine(
        p,
        Math.round(pct * 10) / 10.0,
        b,
        t,
        documents.get(),
        files.get(),
        item,
        Math.round(elapsedSeconds() * 10) / 10.0);
  }
}
