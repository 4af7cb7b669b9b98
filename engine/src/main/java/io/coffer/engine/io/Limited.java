package io.coffer.engine.io;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Supplier;

/**
 * Declared sizes are limits, not hints: a stream that gives at most {@code limit} bytes and fails
 * (with the caller's error) the moment its source holds more, so nothing past a lie is ever read,
 * let alone written.
 */
public final class Limited extends FilterInputStream {
  private final long limit;
  private final Supplier<? extends RuntimeException> tooLong;
  private long count;

  public Limited(InputStream in, long limit, Supplier<? extends RuntimeException> tooLong) {
    super(in);
    this.limit = limit;
    this.tooLong = tooLong;
  }

  /** Reads all of {@code in} into memory, failing once it passes {@code limit} bytes. */
  public static byte[] readAll(
      InputStream in, long limit, Supplier<? extends RuntimeException> tooLong) throws IOException {
    return new Limited(in, limit, tooLong).readAllBytes();
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) <= 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) return 0;
    if (count >= limit) {
      if (in.read() >= 0) throw tooLong.get();
      return -1;
    }
    int n = in.read(b, off, (int) Math.min(len, limit - count));
    if (n > 0) count += n;
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    return Streams.skipByReading(this, n);
  }

  @Override
  public int available() throws IOException {
    return (int) Math.min(in.available(), limit - count);
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  public long count() {
    return count;
  }
}
