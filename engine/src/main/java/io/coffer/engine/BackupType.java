package io.coffer.engine;

import io.coffer.engine.base.CofferException;
import java.util.Locale;

/** What a backup holds. */
enum BackupType {
  DATABASE,
  FILES,
  FULL;

  public boolean hasDatabase() {
    return this != FILES;
  }

  public boolean hasFiles() {
    return this != DATABASE;
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static BackupType parse(String s) {
    try {
      return valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw CofferException.usage("unknown backup type '" + s + "': use database, files or full");
    }
  }
}
