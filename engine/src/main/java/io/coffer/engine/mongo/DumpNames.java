package io.coffer.engine.mongo;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * File names in mongodump's layout: {@code mongodb/<db>/<collection>.bson} and {@code
 * .metadata.json}. In a collection's name, characters a file name cannot hold ({@code /}, {@code
 * \}, NUL), {@code %} itself, {@code +} (which mongorestore reads as a space) and those Windows
 * refuses are percent-encoded, so names round-trip through mongorestore; a database's name is
 * written as it is, as mongodump does (it holds none of those but {@code %}, which mongorestore
 * takes as it is). Archives written before 2026-12 escaped database names too and kept {@code +}:
 * {@link #legacy}.
 */
public final class DumpNames {
  public static final String ROOT = "mongodb/";
  public static final String DELETIONS = "coffer-deletions/";

  private DumpNames() {}

  private static final String SPECIAL = "/\\%\u0000*\":<>?|+";
  private static final String LEGACY_SPECIAL = "/\\%\u0000*\":<>?|";

  public static String escape(String name) {
    return escape(name, SPECIAL);
  }

  private static String escape(String name, String special) {
    StringBuilder sb = new StringBuilder();
    name.codePoints()
        .forEach(
            cp -> {
              if (cp < 128 && special.indexOf(cp) >= 0) {
                sb.append('%').append(String.format("%02X", cp));
              } else {
                sb.appendCodePoint(cp);
              }
            });
    return sb.toString();
  }

  public static String unescape(String name) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '%' && i + 2 < bytes.length) {
        try {
          out.write(Integer.parseInt(new String(bytes, i + 1, 2, StandardCharsets.US_ASCII), 16));
          i += 2;
          continue;
        } catch (NumberFormatException e) {
          // a literal '%'
        }
      }
      out.write(bytes[i]);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  public static String bson(String db, String collection) {
    return ROOT + db + "/" + escape(collection) + ".bson";
  }

  /**
   * The path an archive written before 2026-12 gives a collection's entry ({@code suffix}), under
   * {@code root} ({@link #ROOT}, or {@link #DELETIONS}).
   */
  public static String legacy(String root, String db, String collection, String suffix) {
    return root + escape(db, LEGACY_SPECIAL) + "/" + escape(collection, LEGACY_SPECIAL) + suffix;
  }

  /**
   * In an incremental backup, the {@code _id}s of a collection's documents deleted since the
   * parent. Outside {@code mongodb/}, so mongodump's layout stays as mongorestore knows it.
   */
  public static String deletions(String db, String collection) {
    return DELETIONS + escape(db) + "/" + escape(collection) + ".bson";
  }

  public static String metadata(String db, String collection) {
    return ROOT + db + "/" + escape(collection) + ".metadata.json";
  }
}
