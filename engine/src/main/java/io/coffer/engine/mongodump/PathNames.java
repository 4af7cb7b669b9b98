package io.coffer.engine.mongodump;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Collection names in a mongodump folder: {@code url.PathEscape}d by mongodump (Go), so read back
 * as Go's {@code url.PathUnescape} does: every {@code %} starts two hex digits, {@code +} is
 * itself.
 */
final class PathNames {
  /**
   * mongodump's longest file base name; longer ones are cut to 208 bytes, {@code %24} and a SHA-1
   * in base64.
   */
  static final int TRUNCATED_LENGTH = 238;

  private PathNames() {}

  /** The name, or null when {@code base} holds a {@code %} not followed by two hex digits. */
  static String unescape(String base) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] b = base.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < b.length; i++) {
      if (b[i] != '%') {
        out.write(b[i]);
        continue;
      }
      if (i + 2 >= b.length) return null;
      int hi = Character.digit(b[i + 1], 16);
      int lo = Character.digit(b[i + 2], 16);
      if (hi < 0 || lo < 0) return null;
      out.write(hi << 4 | lo);
      i += 2;
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /**
   * Whether mongodump cut this base name (its real name is then in the metadata's collectionName).
   */
  static boolean truncated(String base) {
    return base.length() == TRUNCATED_LENGTH && base.contains("%24");
  }
}
