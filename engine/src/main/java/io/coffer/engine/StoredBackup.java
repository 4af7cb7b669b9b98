package io.coffer.engine;

/**
 * A backup as a storage location lists it: its id, and its descriptor when it is complete (null: an
 * attempt that never finished, or one being written now).
 */
public record StoredBackup(String id, BackupDescriptor descriptor) {
  public boolean complete() {
    return descriptor != null;
  }
}
