package io.coffer.engine.io;

import java.io.IOException;
import java.io.InputStream;

/** Helpers for the engine's stream filters. */
public final class Streams {
  private Streams() {}

  /**
   * Skips by reading through {@code in} itself, so a filter that hashes, counts or limits what
   * passes also sees what is skipped ({@code FilterInputStream.skip} would go around it to the
   * stream below).
   */
  public static long skipByReading(InputStream in, long n) throws IOException {
    byte[] buf = new byte[8192];
    long done = 0;
    while (done < n) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, n - done));
      if (r < 0) break;
      done += r;
    }
    return done;
  }
}
