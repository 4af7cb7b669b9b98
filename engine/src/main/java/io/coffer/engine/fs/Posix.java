package io.coffer.engine.fs;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * The few libc calls that let Coffer work inside one directory the way Go's {@code os.Root} does:
 * every call names one entry relative to an open directory descriptor, with the name as raw bytes.
 * Java's file API has no {@code mkdirat}, {@code symlinkat} or {@code renameat}, takes names as
 * strings (so names that are not valid UTF-8 collapse into one) and resolves whole paths (so a deep
 * tree under a longer prefix passes PATH_MAX). Linux only (x86-64 and arm64); direct-mapped through
 * JNA.
 */
final class Posix {
  private Posix() {}

  static final boolean ARM64 =
      Platform.isARM()
          || System.getProperty("os.arch", "").toLowerCase(Locale.ROOT).contains("aarch64");

  static final int O_RDONLY = 0;
  static final int O_WRONLY = 1;
  static final int O_RDWR = 2;
  static final int O_CREAT = 0100;
  static final int O_EXCL = 0200;
  static final int O_NONBLOCK = 04000;
  static final int O_DIRECTORY = ARM64 ? 040000 : 0200000;
  static final int O_NOFOLLOW = ARM64 ? 0100000 : 0400000;
  static final int O_CLOEXEC = 02000000;
  static final int O_PATH = 010000000;

  static final int AT_FDCWD = -100;
  static final int AT_SYMLINK_NOFOLLOW = 0x100;
  static final int AT_REMOVEDIR = 0x200;
  static final int AT_EMPTY_PATH = 0x1000;
  static final int RENAME_NOREPLACE = 1;

  static final int LOCK_EX = 2;
  static final int LOCK_NB = 4;

  static final int STATX_BASIC_STATS = 0x7ff;
  static final long UTIME_OMIT = (1L << 30) - 2L;

  static final int S_IFMT = 0170000;
  static final int S_IFDIR = 0040000;
  static final int S_IFREG = 0100000;
  static final int S_IFLNK = 0120000;

  static final int EINTR = 4;
  static final int ENOENT = 2;
  static final int EEXIST = 17;
  static final int EINVAL = 22;
  static final int ENOSYS = 38;
  static final int EWOULDBLOCK = 11;

  private static final Throwable UNAVAILABLE;

  static {
    Throwable failure = null;
    try {
      if (!Platform.isLinux())
        throw new UnsupportedOperationException(
            "file trees need Linux, this is " + System.getProperty("os.name"));
      Native.register(Posix.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    } catch (Throwable t) {
      failure = t;
    }
    UNAVAILABLE = failure;
  }

  /**
   * Throws a clear error where the native calls cannot be loaded (another OS, no writable temporary
   * folder for JNA).
   */
  static void check() {
    if (UNAVAILABLE != null) {
      throw new IllegalStateException(
          "native file access is not available ("
              + UNAVAILABLE.getMessage()
              + "); Coffer reads and restores file trees on Linux only, and JNA needs a writable java.io.tmpdir or jna.tmpdir");
    }
  }

  static native int openat(int dirfd, byte[] path, int flags, int mode);

  static native int mkdirat(int dirfd, byte[] path, int mode);

  static native int symlinkat(byte[] target, int newdirfd, byte[] linkpath);

  static native long readlinkat(int dirfd, byte[] path, byte[] buf, long size);

  static native int renameat(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath);

  static native int renameat2(
      int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath, int flags);

  static native int unlinkat(int dirfd, byte[] path, int flags);

  static native int fchmod(int fd, int mode);

  static native int fchmodat(int dirfd, byte[] path, int mode, int flags);

  static native int utimensat(int dirfd, byte[] path, long[] times, int flags);

  static native int futimens(int fd, long[] times);

  static native int statx(int dirfd, byte[] path, int flags, int mask, byte[] buf);

  static native int flock(int fd, int operation);

  static native int fsync(int fd);

  static native int ftruncate(int fd, long length);

  static native int dup(int fd);

  static native int close(int fd);

  static native long read(int fd, ByteBuffer buf, long count);

  static native long write(int fd, ByteBuffer buf, long count);

  static native Pointer fdopendir(int fd);

  static native Pointer readdir(Pointer dir);

  static native int closedir(Pointer dir);

  static native String strerror(int errnum);

  static int errno() {
    return Native.getLastError();
  }
}
