package io.coffer.engine.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Where backups live: a directory tree or an S3 bucket prefix. Keys are relative, '/'-separated.
 * Objects written through {@link #create} become visible only when the stream closes cleanly, so an
 * interrupted write never leaves a partial object under its final name.
 */
public interface Storage extends AutoCloseable {

  /**
   * An output whose content is published on {@link #close()} and thrown away on {@link #abort()}.
   */
  abstract class AtomicOutput extends OutputStream {
    /** Discards what was written; never throws. */
    public abstract void abort();
  }

  /** A printable location, without credentials. */
  String describe();

  AtomicOutput create(String key) throws IOException;

  /** Opens an object; throws {@link StorageException} with NOT_FOUND when it does not exist. */
  InputStream open(String key) throws IOException;

  OptionalLong size(String key) throws IOException;

  default boolean exists(String key) throws IOException {
    return size(key).isPresent();
  }

  /** The names of the immediate "folders" under the storage root (backup ids). */
  List<String> listFolders() throws IOException;

  /** Every key under a folder, relative to the storage root. */
  List<String> list(String folder) throws IOException;

  void delete(String key) throws IOException;

  /**
   * A URL that reads the object without credentials until it expires (an S3 presigned GET), or
   * empty where the storage has none (a volume).
   */
  default Optional<String> presign(String key, Duration validFor) throws IOException {
    return Optional.empty();
  }

  /**
   * A URL that writes the object without credentials until it expires (an S3 presigned PUT), or
   * empty where the storage has none (a volume).
   */
  default Optional<String> presignUpload(String key, Duration validFor) throws IOException {
    return Optional.empty();
  }

  /**
   * Removes what interrupted writes left under a folder (partial files, abandoned multipart
   * uploads). Returns how many leftovers were removed.
   */
  int removeLeftovers(String folder) throws IOException;

  /** The object that marks a folder as being written (excluded from {@link #list}). */
  String LOCK = ".coffer-lock";

  /**
   * One run's hold on a backup folder: while it lasts, no other run writes or deletes that backup.
   */
  interface Lock extends AutoCloseable {
    /**
     * Fails when this run no longer holds the lock (another run took it over as stale): publish
     * nothing then.
     */
    void check() throws IOException;

    /** Releases the lock; never throws. */
    @Override
    void close();
  }

  /**
   * Takes the lock of {@code folder} for a run named {@code owner}, or returns null while another
   * run holds it (its description in {@code holder[0]}). A lock held under the same non-null {@code
   * token} is taken over at once: the caller vouches that no other run with that token is alive
   * (the operator's next attempt of one Backup).
   */
  Lock lock(String folder, String owner, String token, String[] holder) throws IOException;

  /**
   * Object Lock for what a backup writes here: mode ({@code GOVERNANCE} or {@code COMPLIANCE}) and
   * days after completion; null where none is asked for.
   */
  record ObjectLock(String mode, int days) {}

  /** The Object Lock asked for on this location, or null. */
  default ObjectLock objectLock() {
    return null;
  }

  /**
   * Retains an object until {@code until} under Object Lock {@code mode}: it cannot be deleted or
   * overwritten before (COMPLIANCE: by nobody; GOVERNANCE: only with the right to bypass it).
   */
  default void retain(String key, String mode, Instant until) throws IOException {
    throw new StorageException(describe() + " has no Object Lock (a volume)", null);
  }

  /**
   * Fails, before anything is written, when this location cannot keep an Object Lock (a bucket made
   * without Object Lock enabled).
   */
  default void checkObjectLock() throws IOException {
    throw new StorageException(describe() + " has no Object Lock (a volume)", null);
  }

  /** Until when an object is retained under Object Lock, or empty when it is not. */
  default Optional<Instant> retainedUntil(String key) throws IOException {
    return Optional.empty();
  }

  /** Writes a small object only if no object of that name exists; false when one does. */
  boolean createIfAbsent(String key, byte[] content) throws IOException;

  @Override
  default void close() {}
}
