package io.coffer.engine.mongo;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * File names in mongodump's layout: {@code mongodb/<db>/<collection>.bson} and {@code
 * .metadata.json}. In a collection's name, characters a file name cannot hold ({@code /}, {@code
 * \}, NUL), {@code %} itself, {@code +} (which mongorestore reads as a space) and those Windows
 * refuses are percent-encoded, so names round-trip through mongorestore; a database's name is
 * written as it is, as mongodump does (it holds none of those but {@code %}, which mongorestore
 * takes as it is). C0 control characters and DEL are percent-encoded too, as mongodump does: unzip
 * drops them from a name. An incremental backup's collections and oplog lie under {@link #CHANGES},
 * not {@code mongodb/}: they hold only what changed, and a stock mongorestore must not take them
 * for a whole dump. Archives written before 2026-12 escaped database names too and kept {@code +}
 * ({@link #legacy}); those of early 2026-12 kept control characters and put increments under {@code
 * mongodb/} ({@link #accepted}).
 */
public final class DumpNames {
  public static final String ROOT = "mongodb/";
  public static final String DELETIONS = "coffer-deletions/";

  /** Where an incremental backup keeps its collections' changes and its oplog. */
  public static final String CHANGES = "coffer-changes/";

  private DumpNames() {}

  private static final String SPECIAL = "/\\%\u0000*\":<>?|+";
  private static final String LEGACY_SPECIAL = "/\\%\u0000*\":<>?|";

  public static String escape(String name) {
    return escape(name, SPECIAL);
  }

  private static String escape(String name, String special) {
    return escape(name, special, true);
  }

  private static String escape(String name, String special, boolean controls) {
    StringBuilder sb = new StringBuilder();
    name.codePoints()
        .forEach(
            cp -> {
              if (cp < 128 && special.indexOf(cp) >= 0 || controls && (cp < 0x20 || cp == 0x7f)) {
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
    return bson(ROOT, db, collection);
  }

  /** Under {@code root}: {@link #ROOT} in a full backup, {@link #CHANGES} in an increment. */
  public static String bson(String root, String db, String collection) {
    return root + db + "/" + escape(collection) + ".bson";
  }

  /** The root of a backup's collections: {@link #CHANGES} for an increment. */
  public static String root(boolean increment) {
    return increment ? CHANGES : ROOT;
  }

  /** The oplog of a point-in-time backup, under {@code root}. */
  public static String oplog(String root) {
    return root + "oplog.bson";
  }

  /**
   * Every path a collection's entry ({@code suffix}) may have in an archive Coffer wrote: today's
   * under {@code root}, early 2026-12's (control characters raw; increments under {@code mongodb/})
   * and the legacy one.
   */
  public static List<String> accepted(String root, String db, String collection, String suffix) {
    List<String> out = new ArrayList<>();
    boolean deletions = root.equals(DELETIONS);
    out.add(root + (deletions ? escape(db) : db) + "/" + escape(collection) + suffix);
    String early =
        (deletions ? escape(db, SPECIAL, false) : db)
            + "/"
            + escape(collection, SPECIAL, false)
            + suffix;
    out.add(root + early);
    if (root.equals(CHANGES)) {
      out.add(ROOT + db + "/" + escape(collection) + suffix);
      out.add(ROOT + early);
    }
    out.add(legacy(deletions ? DELETIONS : ROOT, db, collection, suffix));
    return out;
  }

  /**
   * The path an archive written before 2026-12 gives a collection's entry ({@code suffix}), under
   * {@code root} ({@link #ROOT}, or {@link #DELETIONS}).
   */
  public static String legacy(String root, String db, String collection, String suffix) {
    return root
        + escape(db, LEGACY_SPECIAL, false)
        + "/"
        + escape(collection, LEGACY_SPECIAL, false)
        + suffix;
  }

  /**
   * In an incremental backup, the {@code _id}s of a collection's documents deleted since the
   * parent. Outside {@code mongodb/}, so mongodump's layout stays as mongorestore knows it.
   */
  public static String deletions(String db, String collection) {
    return DELETIONS + escape(db) + "/" + escape(collection) + ".bson";
  }

  public static String metadata(String db, String collection) {
    return metadata(ROOT, db, collection);
  }

  public static String metadata(String root, String db, String collection) {
    return root + db + "/" + escape(collection) + ".metadata.json";
  }
}
