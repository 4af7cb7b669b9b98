package io.coffer.engine.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Caps the rate at which objects are written (backups), so a backup shares a link instead of
 * saturating it. Reads (restores) are not capped. The cap is kept over the whole write: a writer
 * that falls behind may catch up in bursts of at most one second's worth of bytes.
 */
public final class ThrottledStorage implements Storage {
  private final Storage inner;
  private final long bytesPerSecond;

  public ThrottledStorage(Storage inner, long bytesPerSecond) {
    if (bytesPerSecond <= 0) throw new IllegalArgumentException("rate must be positive");
    this.inner = inner;
    this.bytesPerSecond = bytesPerSecond;
  }

  @Override
  public String describe() {
    return inner.describe();
  }

  @Override
  public AtomicOutput create(String key) throws IOException {
    AtomicOutput out = inner.create(key);
    return new AtomicOutput() {
      private final long start = System.nanoTime();
      private long written;

      @Override
      public void write(int b) throws IOException {
        pace(1);
        out.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
          int n = (int) Math.min(len, Math.max(1, bytesPerSecond / 10));
          pace(n);
          out.write(b, off, n);
          off += n;
          len -= n;
        }
      }

      /** Sleeps until writing n more bytes keeps the average at or under the cap. */
      private void pace(int n) throws IOException {
        written += n;
        long due = start + (long) (written * 1e9 / bytesPerSecond);
        long early = due - System.nanoTime();
        if (early > 1_000_000) {
          try {
            Thread.sleep(early / 1_000_000, (int) (early % 1_000_000));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while pacing the upload");
          }
        }
      }

      @Override
      public void flush() throws IOException {
        out.flush();
      }

      @Override
      public void close() throws IOException {
        out.close();
      }

      @Override
      public void abort() {
        out.abort();
      }
    };
  }

  @Override
  public InputStream open(String key) throws IOException {
    return inner.open(key);
  }

  @Override
  public OptionalLong size(String key) throws IOException {
    return inner.size(key);
  }

  @Override
  public List<String> listFolders() throws IOException {
    return inner.listFolders();
  }

  @Override
  public List<String> list(String folder) throws IOException {
    return inner.list(folder);
  }

  @Override
  public void delete(String key) throws IOException {
    inner.delete(key);
  }

  @Override
  public int removeLeftovers(String folder) throws IOException {
    return inner.removeLeftovers(folder);
  }

  @Override
  public Lock lock(String folder, String owner, String token, String[] holder) throws IOException {
    return inner.lock(folder, owner, token, holder);
  }

  @Override
  public boolean createIfAbsent(String key, byte[] content) throws IOException {
    return inner.createIfAbsent(key, content);
  }

  @Override
  public void close() {
    inner.close();
  }

  @Override
  public Optional<String> presign(String key, Duration validFor) throws IOException {
    return inner.presign(key, validFor);
  }

  @Override
  public Optional<String> presignUpload(String key, Duration validFor) throws IOException {
    return inner.presignUpload(key, validFor);
  }

  @Override
  public ObjectLock objectLock() {
    return inner.objectLock();
  }

  @Override
  public void retain(String key, String mode, Instant until) throws IOException {
    inner.retain(key, mode, until);
  }

  @Override
  public void checkObjectLock() throws IOException {
    inner.checkObjectLock();
  }

  @Override
  public Optional<Instant> retainedUntil(String key) throws IOException {
    return inner.retainedUntil(key);
  }
}
