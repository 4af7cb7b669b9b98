package io.coffer.engine.archive;

import java.util.Locale;

/**
 * How entries are compressed. {@code store} writes deflate "stored" blocks (level 0): no
 * compression work, yet entries of unknown length still stream, which real STORE entries cannot.
 */
public enum Compression {
  DEFLATE,
  STORE;

  public static final int DEFAULT_LEVEL = 1;

  public static Compression parse(String s) {
    try {
      return valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown compression '" + s + "': use deflate or store");
    }
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
