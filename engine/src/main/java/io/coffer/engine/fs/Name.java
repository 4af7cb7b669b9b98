package io.coffer.engine.fs;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One entry name inside a directory, as the file system stores it: raw bytes, not necessarily
 * UTF-8. Never empty, never {@code .} or {@code ..}, never holding {@code /} or NUL, at most 255
 * bytes; so a name can only ever name an entry of the directory it is used with.
 */
public final class Name implements Comparable<Name> {
  public static final int MAX_BYTES = 255;
  private final byte[] bytes;

  private Name(byte[] bytes) {
    this.bytes = bytes;
  }

  /**
   * The name's bytes, or an {@link IllegalArgumentException} saying why they cannot be one entry's
   * name.
   */
  public static Name of(byte[] bytes) {
    String why = invalid(bytes);
    if (why != null) throw new IllegalArgumentException(why);
    return new Name(bytes.clone());
  }

  public static Name of(String name) {
    return of(name.getBytes(StandardCharsets.UTF_8));
  }

  /** Why {@code bytes} cannot be one entry's name, or null when they can. */
  public static String invalid(byte[] bytes) {
    if (bytes.length == 0) return "an empty name";
    if (bytes.length > MAX_BYTES) return "a name longer than " + MAX_BYTES + " bytes";
    if (bytes.length == 1 && bytes[0] == '.') return "the name '.'";
    if (bytes.length == 2 && bytes[0] == '.' && bytes[1] == '.') return "the name '..'";
    for (byte b : bytes) {
      if (b == '/') return "a name with '/'";
      if (b == 0) return "a name with a NUL byte";
    }
    return null;
  }

  public byte[] bytes() {
    return bytes.clone();
  }

  byte[] cString() {
    return Arrays.copyOf(bytes, bytes.length + 1);
  }

  public int length() {
    return bytes.length;
  }

  public boolean startsWith(String prefix) {
    byte[] p = prefix.getBytes(StandardCharsets.UTF_8);
    return bytes.length >= p.length && Arrays.equals(bytes, 0, p.length, p, 0, p.length);
  }

  /** The name as text when it is valid UTF-8, else null. */
  public String utf8() {
    return utf8(bytes);
  }

  public static String utf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /**
   * The name as text: itself when it is valid UTF-8, else each byte that is not part of a valid
   * sequence as {@code %XX}. Lossless only together with the raw bytes, which the manifest keeps
   * for such names.
   */
  public String text() {
    return display(bytes);
  }

  /** Any bytes (a link's target, a path) as text the way {@link #text()} shows a name. */
  public static String display(byte[] bytes) {
    String s = utf8(bytes);
    return s != null ? s : escapeInvalid(bytes);
  }

  static String escapeInvalid(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    while (i < bytes.length) {
      int n = sequence(bytes, i);
      if (n > 0) {
        sb.append(new String(bytes, i, n, StandardCharsets.UTF_8));
        i += n;
      } else {
        sb.append('%').append(String.format("%02X", bytes[i] & 0xff));
        i++;
      }
    }
    return sb.toString();
  }

  /** The length of the valid UTF-8 sequence at {@code i}, or 0. */
  private static int sequence(byte[] b, int i) {
    int c = b[i] & 0xff;
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > b.length) return 0;
    for (int k = 1; k < n; k++) if ((b[i + k] & 0xc0) != 0x80) return 0;
    return utf8(Arrays.copyOfRange(b, i, i + n)) == null ? 0 : n;
  }

  /**
   * For messages: {@link #text()}; the log and the error line escape what a terminal must not see.
   */
  @Override
  public String toString() {
    return text();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Name n && Arrays.equals(bytes, n.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  /** Byte order, as {@code ls} in the C locale and Java's own Unix paths sort. */
  @Override
  public int compareTo(Name o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }
}
