package io.coffer.protocol;

/**
 * The outcome of {@code coffer delete}: how many objects the backup had in storage (0 when it was
 * already gone).
 */
public record DeleteResult(String status, String backupId, int objects) {
  public static final String STATUS = "Deleted";
}
