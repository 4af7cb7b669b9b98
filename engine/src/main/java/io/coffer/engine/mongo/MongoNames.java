package io.coffer.engine.mongo;

import io.coffer.protocol.Field;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;

/**
 * The database and collection names a restore will write, checked before anything is written: what
 * MongoDB accepts on Linux (databases: no {@code /\. "$*<>:|?} or NUL, under 64 bytes; collections:
 * no NUL or {@code $}, not empty), minus the names Coffer keeps for itself or never restores
 * ({@code system.*}, its staging collections).
 */
public final class MongoNames {
  /**
   * Restored only when the user asks for them by name: they hold users, roles, the oplog and
   * sharding state.
   */
  public static final List<String> SYSTEM_DATABASES = List.of("admin", "local", "config");

  /** The collection that holds a restore's lock in its target database. */
  public static final String LOCK_COLLECTION = "coffer_restore_lock";

  private MongoNames() {}

  /** What a restore says of the system databases its selection left out (none: null). */
  public static String leftOutSystem(Collection<String> dbs) {
    if (dbs.isEmpty()) return null;
    return "left out system database"
        + (dbs.size() > 1 ? "s " : " ")
        + String.join(", ", dbs)
        + ": Coffer restores admin, local and config only with "
        + Field.SYSTEM_DATABASES.mark();
  }

  /** Why {@code db} cannot be a database name, or null. */
  public static String invalidDatabase(String db) {
    if (db.isEmpty()) return "an empty database name";
    if (db.getBytes(StandardCharsets.UTF_8).length >= 64)
      return "a database name of 64 bytes or more";
    for (char c : db.toCharArray()) {
      if ("/\\. \"$".indexOf(c) >= 0 || c == 0)
        return "a database name holding '" + (c == 0 ? "NUL" : String.valueOf(c)) + "'";
    }
    return null;
  }

  /** Why {@code coll} cannot be the name of a collection Coffer restores, or null. */
  public static String invalidCollection(String coll) {
    if (coll.isEmpty()) return "an empty collection name";
    if (coll.getBytes(StandardCharsets.UTF_8).length > 200)
      return "a collection name longer than 200 bytes";
    if (coll.indexOf('\0') >= 0) return "a collection name holding NUL";
    if (coll.indexOf('$') >= 0) return "a collection name holding '$'";
    if (coll.startsWith("system."))
      return "a system collection (" + coll + "), which Coffer never backs up or restores";
    if (coll.startsWith(MongoRestorer.STAGING_PREFIX) || coll.equals(LOCK_COLLECTION))
      return "a name Coffer reserves for its restores (" + coll + ")";
    return null;
  }
}
