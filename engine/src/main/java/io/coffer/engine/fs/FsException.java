package io.coffer.engine.fs;

import java.nio.file.FileSystemException;
import java.util.Locale;

/** A failed file-system call: what it was done to, and the system's reason ({@code errno}). */
public final class FsException extends FileSystemException {
  private static final int EPERM = 1;
  private static final int EACCES = 13;
  private static final int ENOTDIR = 20;
  private static final int ENOSPC = 28;
  private static final int ELOOP = 40;
  private static final int ENAMETOOLONG = 36;
  private final int errno;

  FsException(String what, int errno) {
    super(what, null, reason(errno));
    this.errno = errno;
  }

  private static String reason(int errno) {
    return switch (errno) {
      case EPERM, EACCES -> "permission denied";
      case Posix.ENOENT -> "no such file or directory";
      case Posix.EEXIST -> "already exists";
      case ENOTDIR -> "not a directory";
      case ELOOP -> "is a symbolic link";
      case ENOSPC -> "no space left on the device";
      case ENAMETOOLONG -> "name too long";
      default -> {
        String s;
        try {
          s = Posix.strerror(errno);
        } catch (Throwable t) {
          s = null;
        }
        yield s == null ? "error " + errno : s.toLowerCase(Locale.ROOT);
      }
    };
  }

  public int errno() {
    return errno;
  }

  public boolean notFound() {
    return errno == Posix.ENOENT;
  }

  public boolean exists() {
    return errno == Posix.EEXIST;
  }

  /**
   * The entry is a symbolic link (or, for a directory expected, not a directory): where Coffer
   * never follows.
   */
  public boolean notADirectoryOrLink() {
    return errno == ELOOP || errno == ENOTDIR;
  }

  public boolean denied() {
    return errno == EPERM || errno == EACCES;
  }

  @Override
  public String getMessage() {
    return getFile() + ": " + getReason();
  }
}
