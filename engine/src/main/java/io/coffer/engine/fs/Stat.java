package io.coffer.engine.fs;

/** What {@code statx} says of one entry, its links not followed. */
public record Stat(
    Type type, int mode, long size, long mtimeMillis, int uid, int gid, long inode, long device) {
  public enum Type {
    DIRECTORY,
    FILE,
    SYMLINK,
    OTHER
  }

  public boolean isDirectory() {
    return type == Type.DIRECTORY;
  }

  public boolean isFile() {
    return type == Type.FILE;
  }

  public boolean isSymlink() {
    return type == Type.SYMLINK;
  }

  static Stat parse(byte[] b) {
    int uid = i32(b, 20);
    int gid = i32(b, 24);
    int rawMode = (b[28] & 0xff) | (b[29] & 0xff) << 8;
    long ino = i64(b, 32);
    long size = i64(b, 40);
    long mtime = i64(b, 112) * 1000 + (i32(b, 120) & 0xffffffffL) / 1_000_000;
    long dev = ((long) i32(b, 136) << 32) | (i32(b, 140) & 0xffffffffL);
    Type t =
        switch (rawMode & Posix.S_IFMT) {
          case Posix.S_IFDIR -> Type.DIRECTORY;
          case Posix.S_IFREG -> Type.FILE;
          case Posix.S_IFLNK -> Type.SYMLINK;
          default -> Type.OTHER;
        };
    return new Stat(t, rawMode & 07777, size, mtime, uid, gid, ino, dev);
  }

  private static int i32(byte[] b, int at) {
    return (b[at] & 0xff)
        | (b[at + 1] & 0xff) << 8
        | (b[at + 2] & 0xff) << 16
        | (b[at + 3] & 0xff) << 24;
  }

  private static long i64(byte[] b, int at) {
    return (i32(b, at) & 0xffffffffL) | ((long) i32(b, at + 4)) << 32;
  }
}
