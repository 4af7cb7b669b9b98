package io.coffer.engine.storage;

import io.coffer.engine.base.CofferException;
import java.util.regex.Pattern;

/** How backups are named in a storage location: an id, and each object of a backup under its id. */
public final class BackupIds {
  /**
   * A backup id: letters, digits, '.', '_' or '-', at most 128, starting with a letter or digit.
   */
  public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private BackupIds() {}

  /** {@code id}, or a usage error that says what a backup id may hold. */
  public static String checkId(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw CofferException.usage(
          "bad backup id '"
              + id
              + "': use letters, digits, '.', '_' or '-' (at most 128), starting with a letter or digit");
    }
    return id;
  }

  /** The key of object {@code name} of backup {@code id}. */
  public static String key(String id, String name) {
    return id + "/" + name;
  }
}
