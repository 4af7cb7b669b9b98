package io.coffer.engine.base;

/**
 * Text from outside (archive entry names, database names, link targets, file names) made safe for a
 * terminal and a log: control characters (C0, DEL, C1), line and paragraph separators and the
 * bidirectional overrides are shown as a backslash, x and two hex digits (or u and the code point
 * in braces), and a backslash as two; so a name cannot move the cursor, recolour the terminal, hide
 * itself or start a second log line. Applied where text leaves the process (the log, error lines,
 * the human output), once, never earlier.
 */
public final class Printable {
  private Printable() {}

  public static String escape(String s) {
    if (s == null) return null;
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      String rep = replacement(c);
      if (rep == null && sb == null) continue;
      if (sb == null) sb = new StringBuilder(s.length() + 16).append(s, 0, i);
      sb.append(rep != null ? rep : String.valueOf(c));
    }
    return sb == null ? s : sb.toString();
  }

  private static String replacement(char c) {
    if (c == '\\') return "\\\\";
    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f)) return String.format("\\x%02x", (int) c);
    if (c == 0x2028
        || c == 0x2029
        || (c >= 0x200b && c <= 0x200f)
        || c == 0x061c
        || (c >= 0x202a && c <= 0x202e)
        || (c >= 0x2066 && c <= 0x2069)
        || c == 0xfeff) {
      return String.format("\\u{%04x}", (int) c);
    }
    return null;
  }
}
