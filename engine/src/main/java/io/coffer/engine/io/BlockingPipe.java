package io.coffer.engine.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A bounded in-memory pipe between a writer thread and a reader thread (at most {@code capacity}
 * chunks of {@code chunkSize} bytes in flight). Either side can fail the pipe; the other side then
 * sees an exception instead of a clean end of stream, so a consumer such as an S3 upload never
 * completes on partial data.
 */
public final class BlockingPipe {
  private static final byte[] EOF = new byte[0];
  private final BlockingQueue<byte[]> queue;
  private final int chunkSize;
  private volatile Throwable writerFailure;
  private volatile Throwable readerFailure;
  private byte[] pending;
  private int pendingLen;

  public BlockingPipe(int capacity, int chunkSize) {
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.chunkSize = chunkSize;
  }

  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      if (pending == null) {
        pending = new byte[chunkSize];
        pendingLen = 0;
      }
      int take = Math.min(len, chunkSize - pendingLen);
      System.arraycopy(b, off, pending, pendingLen, take);
      pendingLen += take;
      off += take;
      len -= take;
      if (pendingLen == chunkSize) {
        put(pending);
        pending = null;
      }
    }
  }

  public void finish() throws IOException {
    if (pending != null && pendingLen > 0) {
      byte[] last = new byte[pendingLen];
      System.arraycopy(pending, 0, last, 0, pendingLen);
      put(last);
    }
    pending = null;
    put(EOF);
  }

  public void failWriter(Throwable t) {
    writerFailure = t;
    queue.clear();
    queue.offer(EOF);
  }

  public void failReader(Throwable t) {
    readerFailure = t;
    queue.clear();
  }

  private void put(byte[] chunk) throws IOException {
    try {
      while (!queue.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
        checkReader();
      }
      checkReader();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while writing");
    }
  }

  private void checkReader() throws IOException {
    Throwable t = readerFailure;
    if (t != null) throw new IOException("the upload failed: " + t.getMessage(), t);
  }

  public InputStream inputStream() {
    return new InputStream() {
      private byte[] current;
      private int pos;
      private boolean eof;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        while (current == null || pos == current.length) {
          if (eof) return -1;
          try {
            current = queue.take();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading");
          }
          pos = 0;
          if (writerFailure != null)
            throw new IOException("the archive stream was aborted", writerFailure);
          if (current == EOF) {
            eof = true;
            return -1;
          }
        }
        int take = Math.min(len, current.length - pos);
        System.arraycopy(current, pos, b, off, take);
        pos += take;
        return take;
      }
    };
  }
}
