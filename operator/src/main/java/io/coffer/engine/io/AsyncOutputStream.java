package io.coffer.engine.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;

/**
 * Hands what is written to a thread of its own, which writes it downstream: the stages before and after
 * (compression; encryption, hashing and upload) then run on two cores. Bounded by the pipe (2 MiB).
 * {@link #close()} closes the downstream from that thread and reports its failure, if any; after a failure or
 * {@link #abort()} the downstream is left unclosed, for its owner to abort.
 */
public final class AsyncOutputStream extends OutputStream {
  private final BlockingPipe pipe = new BlockingPipe(8, 256 * 1024);
  private final Thread thread;
  private volatile Throwable failure;
  private boolean closed;

  public AsyncOutputStream(OutputStream downstream, String name) {
    thread = new Thread(() -> {
      try {
        InputStream in = pipe.inputStream();
        byte[] buf = new byte[256 * 1024];
        int n;
        while ((n = in.read(buf)) > 0) downstream.write(buf, 0, n);
        downstream.close(); // only after a clean end: closing may publish
      } catch (Throwable t) {
        failure = t;
        pipe.failReader(t);
      }
    }, name);
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    try {
      pipe.write(b, off, len);
    } catch (IOException e) {
      rethrow();
      throw e;
    }
  }

  @Override
  public void close() throws IOException {
    if (closed) return;
    closed = true;
    try {
      pipe.finish();
    } catch (IOException e) {
      // the writer thread failed: reported below
    }
    join();
    rethrow();
  }

  /** Stops without finishing: the downstream sees a failed stream, not a clean end. */
  public void abort() {
    if (closed) return;
    closed = true;
    pipe.failWriter(new IOException("aborted"));
    try {
      join();
    } catch (IOException ignored) {
      // aborting anyway
    }
  }

  private void join() throws IOException {
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    }
  }

  private void rethrow() throws IOException {
    Throwable t = failure;
    if (t == null) return;
    if (t instanceof IOException io) throw io;
    if (t instanceof RuntimeException re) throw re;
    throw new IOException(t);
  }
}
