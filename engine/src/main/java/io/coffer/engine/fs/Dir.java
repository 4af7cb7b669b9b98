package io.coffer.engine.fs;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An open directory, and the only way Coffer touches the entries of a file tree: every operation
 * names one {@link Name} of this directory, relative to its descriptor ({@code openat}, {@code
 * mkdirat}, {@code renameat}, ...), and never follows a symbolic link: opening a link as a
 * directory or a file fails, creating over an existing entry fails. So whatever names an archive
 * holds and whatever links it creates, nothing outside the directory that was opened can be
 * reached; names keep their bytes; depth has no limit but the file system's. Like Go's {@code
 * os.Root}. Not thread-safe; close it.
 */
public final class Dir implements AutoCloseable {
  private static final int BUF = 256 * 1024;
  private final int fd;
  private final String where;
  private boolean closed;

  private Dir(int fd, String where) {
    this.fd = fd;
    this.where = where;
  }

  /** Opens a directory a person named (links in that path are followed: it is their choice). */
  public static Dir open(Path path) throws IOException {
    Posix.check();
    String p = path.toAbsolutePath().toString();
    int fd =
        Posix.openat(
            Posix.AT_FDCWD,
            cString(p.getBytes(StandardCharsets.UTF_8)),
            Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_CLOEXEC,
            0);
    if (fd < 0) throw new FsException(p, Posix.errno());
    return new Dir(fd, p);
  }

  /** Where this directory is, for messages (the path it was reached by). */
  public String where() {
    return where;
  }

  private String at(Name name) {
    return where + "/" + name.text();
  }

  private static byte[] cString(byte[] b) {
    return Arrays.copyOf(b, b.length + 1);
  }

  private static final byte[] EMPTY = {0};

  /** Opens the subdirectory {@code name}; fails when it is a link or not a directory. */
  public Dir dir(Name name) throws IOException {
    int child =
        Posix.openat(
            fd,
            name.cString(),
            Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC,
            0);
    if (child < 0) throw new FsException(at(name), Posix.errno());
    return new Dir(child, at(name));
  }

  /** The entries, without {@code .} and {@code ..}, in byte order. */
  public List<Name> list() throws IOException {
    int dup =
        Posix.openat(
            fd, cString(new byte[] {'.'}), Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_CLOEXEC, 0);
    if (dup < 0) throw new FsException(where, Posix.errno());
    Pointer dir = Posix.fdopendir(dup);
    if (dir == null) {
      int e = Posix.errno();
      Posix.close(dup);
      throw new FsException(where, e);
    }
    List<Name> out = new ArrayList<>();
    try {
      while (true) {
        Native.setLastError(0);
        Pointer ent = Posix.readdir(dir);
        if (ent == null) {
          int e = Posix.errno();
          if (e != 0) throw new FsException(where, e);
          break;
        }
        long len = ent.indexOf(19, (byte) 0);
        byte[] raw = ent.getByteArray(19, (int) len);
        if ((raw.length == 1 && raw[0] == '.')
            || (raw.length == 2 && raw[0] == '.' && raw[1] == '.')) continue;
        out.add(Name.of(raw));
      }
    } finally {
      Posix.closedir(dir);
    }
    out.sort(null);
    return out;
  }

  /** The entry's attributes (a link's own), or null when there is no such entry. */
  public Stat stat(Name name) throws IOException {
    return stat(name.cString(), Posix.AT_SYMLINK_NOFOLLOW, name);
  }

  /** This directory's own attributes. */
  public Stat stat() throws IOException {
    Stat s = stat(EMPTY, Posix.AT_EMPTY_PATH | Posix.AT_SYMLINK_NOFOLLOW, null);
    if (s == null) throw new FsException(where, Posix.ENOENT);
    return s;
  }

  private Stat stat(byte[] path, int flags, Name name) throws IOException {
    byte[] buf = new byte[256];
    if (Posix.statx(fd, path, flags, Posix.STATX_BASIC_STATS, buf) != 0) {
      int e = Posix.errno();
      if (e == Posix.ENOENT) return null;
      throw new FsException(name == null ? where : at(name), e);
    }
    return Stat.parse(buf);
  }

  /**
   * Opens a regular file for reading; fails when it is a link, and when it is no longer a regular
   * file (a FIFO put in its place would otherwise block the read).
   */
  public InputStream read(Name name) throws IOException {
    int f =
        Posix.openat(
            fd,
            name.cString(),
            Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_NONBLOCK | Posix.O_CLOEXEC,
            0);
    if (f < 0) throw new FsException(at(name), Posix.errno());
    byte[] buf = new byte[256];
    if (Posix.statx(f, EMPTY, Posix.AT_EMPTY_PATH, Posix.STATX_BASIC_STATS, buf) != 0
        || !Stat.parse(buf).isFile()) {
      Posix.close(f);
      throw new FsException(at(name), Posix.EINVAL);
    }
    return new In(f, at(name));
  }

  /**
   * Creates a new regular file (never over an existing entry, never through a link), private until
   * {@link Out#finish}.
   */
  public Out create(Name name) throws IOException {
    int f =
        Posix.openat(
            fd,
            name.cString(),
            Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW | Posix.O_CLOEXEC,
            0600);
    if (f < 0) throw new FsException(at(name), Posix.errno());
    return new Out(f, at(name));
  }

  /** Creates a directory; fails when any entry of that name exists. */
  public void mkdir(Name name, int mode) throws IOException {
    if (Posix.mkdirat(fd, name.cString(), mode) != 0)
      throw new FsException(at(name), Posix.errno());
  }

  /**
   * Creates a symbolic link holding {@code target} (raw bytes, never resolved here); fails when the
   * name exists.
   */
  public void symlink(Name name, byte[] target) throws IOException {
    if (Posix.symlinkat(cString(target), fd, name.cString()) != 0)
      throw new FsException(at(name), Posix.errno());
  }

  /** A link's target, as raw bytes. */
  public byte[] readlink(Name name) throws IOException {
    byte[] buf = new byte[4097];
    long n = Posix.readlinkat(fd, name.cString(), buf, buf.length);
    if (n < 0) throw new FsException(at(name), Posix.errno());
    if (n >= buf.length) throw new FsException(at(name), 36);
    return Arrays.copyOf(buf, (int) n);
  }

  /**
   * Sets an entry's modification time, a link's own (not its target's); the access time is left
   * alone.
   */
  public void setTime(Name name, long mtimeMillis) throws IOException {
    if (Posix.utimensat(fd, name.cString(), times(mtimeMillis), Posix.AT_SYMLINK_NOFOLLOW) != 0)
      throw new FsException(at(name), Posix.errno());
  }

  /** Sets this directory's own mode and modification time. */
  public void setModeAndTime(int mode, long mtimeMillis) throws IOException {
    if (Posix.fchmod(fd, mode) != 0) throw new FsException(where, Posix.errno());
    if (Posix.futimens(fd, times(mtimeMillis)) != 0) throw new FsException(where, Posix.errno());
  }

  /** Sets this directory's own modification time. */
  public void setTime(long mtimeMillis) throws IOException {
    if (Posix.futimens(fd, times(mtimeMillis)) != 0) throw new FsException(where, Posix.errno());
  }

  /** Sets this directory's own mode. */
  public void setMode(int mode) throws IOException {
    if (Posix.fchmod(fd, mode) != 0) throw new FsException(where, Posix.errno());
  }

  private static long[] times(long mtimeMillis) {
    return new long[] {
      0,
      Posix.UTIME_OMIT,
      Math.floorDiv(mtimeMillis, 1000),
      Math.floorMod(mtimeMillis, 1000) * 1_000_000L
    };
  }

  /**
   * Moves entry {@code name} to {@code to}/{@code toName} (one rename). With {@code replace} false
   * it fails when the destination exists (where the file system cannot say so atomically, it is
   * checked just before).
   */
  public void rename(Name name, Dir to, Name toName, boolean replace) throws IOException {
    if (!replace) {
      if (Posix.renameat2(fd, name.cString(), to.fd, toName.cString(), Posix.RENAME_NOREPLACE) == 0)
        return;
      int e = Posix.errno();
      if (e != Posix.EINVAL && e != Posix.ENOSYS)
        throw new FsException(at(name) + " -> " + to.at(toName), e);
      if (to.stat(toName) != null) throw new FsException(to.at(toName), Posix.EEXIST);
    }
    if (Posix.renameat(fd, name.cString(), to.fd, toName.cString()) != 0)
      throw new FsException(at(name) + " -> " + to.at(toName), Posix.errno());
  }

  /** Removes a file or link (never a directory). */
  public void unlink(Name name) throws IOException {
    if (Posix.unlinkat(fd, name.cString(), 0) != 0) throw new FsException(at(name), Posix.errno());
  }

  /**
   * Removes an entry and, if it is a directory, everything in it; links are removed, never
   * followed. No-op when absent.
   */
  public void deleteTree(Name name) throws IOException {
    Stat s = stat(name);
    if (s == null) return;
    if (s.isDirectory()) {
      try (Dir d = dir(name)) {
        if ((s.mode() & 0700) != 0700)
          d.setMode(s.mode() | 0700); // a read-only directory of the tree still empties
        for (Name n : d.list()) d.deleteTree(n);
      }
      if (Posix.unlinkat(fd, name.cString(), Posix.AT_REMOVEDIR) != 0)
        throw new FsException(at(name), Posix.errno());
    } else {
      unlink(name);
    }
  }

  /**
   * Takes this directory's exclusive advisory lock ({@code flock}), held until closed; false when
   * another holds it.
   */
  public boolean tryLock() throws IOException {
    if (Posix.flock(fd, Posix.LOCK_EX | Posix.LOCK_NB) == 0) return true;
    int e = Posix.errno();
    if (e == Posix.EWOULDBLOCK) return false;
    throw new FsException(where, e);
  }

  /**
   * Takes the exclusive lock file {@code name} of this directory (created if absent, {@code
   * flock}ed, and checked to be still the file of that name, as a releasing holder unlinks it),
   * writing {@code owner} into it; null while another process holds it. Closing the returned lock
   * (or the process ending) releases it. The directory is the lock's from here on, and closed with
   * it.
   */
  public LockFile lockFile(Name name, byte[] owner) throws IOException {
    for (int attempt = 0; attempt < 20; attempt++) {
      int f =
          Posix.openat(
              fd,
              name.cString(),
              Posix.O_RDWR | Posix.O_CREAT | Posix.O_NOFOLLOW | Posix.O_CLOEXEC,
              0600);
      if (f < 0) throw new FsException(at(name), Posix.errno());
      if (Posix.flock(f, Posix.LOCK_EX | Posix.LOCK_NB) != 0) {
        int e = Posix.errno();
        Posix.close(f);
        if (e == Posix.EWOULDBLOCK) return null;
        throw new FsException(at(name), e);
      }
      byte[] buf = new byte[256];
      Stat now = stat(name);
      if (Posix.statx(f, EMPTY, Posix.AT_EMPTY_PATH, Posix.STATX_BASIC_STATS, buf) == 0
          && now != null
          && Stat.parse(buf).inode() == now.inode()) {
        Posix.ftruncate(f, 0);
        ByteBuffer b = ByteBuffer.allocateDirect(owner.length).put(owner).flip();
        Posix.write(f, b, owner.length);
        return new LockFile(this, name, f);
      }
      Posix.close(
          f); // the holder released (and unlinked) it between our open and our lock: take the new
      // one
    }
    throw new FsException(at(name), Posix.EINVAL);
  }

  /** A held lock file; closing unlinks it, then lets go. */
  public static final class LockFile implements AutoCloseable {
    private final Dir dir;
    private final Name name;
    private final int fd;
    private boolean closed;

    private LockFile(Dir dir, Name name, int fd) {
      this.dir = dir;
      this.name = name;
      this.fd = fd;
    }

    @Override
    public void close() {
      if (closed) return;
      closed = true;
      Posix.unlinkat(dir.fd, name.cString(), 0);
      Posix.close(fd);
      dir.close();
    }

    /**
     * Closes, then removes the directory too if nothing else is in it (a lock taker that finds it
     * gone retries).
     */
    public void closeAndRemoveEmpty(Path path) {
      close();
      byte[] p = path.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8);
      Posix.unlinkat(
          Posix.AT_FDCWD, cString(p), Posix.AT_REMOVEDIR); // fails, harmlessly, when not empty
    }
  }

  /** Free bytes for an unprivileged writer on this directory's file system. */
  public long usableSpace() throws IOException {
    return Files.getFileStore(Path.of("/proc/self/fd/" + fd)).getUsableSpace();
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    Posix.close(fd);
  }

  /** A new file being written. */
  public static final class Out extends OutputStream {
    private final int fd;
    private final String where;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(BUF);
    private boolean closed;

    private Out(int fd, String where) {
      this.fd = fd;
      this.where = where;
    }

    @Override
    public void write(int b) throws IOException {
      if (!buf.hasRemaining()) flush();
      buf.put((byte) b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        if (!buf.hasRemaining()) flush();
        int n = Math.min(len, buf.remaining());
        buf.put(b, off, n);
        off += n;
        len -= n;
      }
    }

    @Override
    public void flush() throws IOException {
      buf.flip();
      while (buf.hasRemaining()) {
        long n = Posix.write(fd, buf.slice(), buf.remaining());
        if (n < 0) {
          int e = Posix.errno();
          if (e == Posix.EINTR) continue;
          throw new FsException(where, e);
        }
        buf.position(buf.position() + (int) n);
      }
      buf.clear();
    }

    /**
     * Writes what is buffered, sets the file's mode and modification time through its descriptor,
     * and closes it.
     */
    public void finish(int mode, long mtimeMillis) throws IOException {
      flush();
      if (Posix.fchmod(fd, mode) != 0) throw new FsException(where, Posix.errno());
      if (Posix.futimens(fd, times(mtimeMillis)) != 0) throw new FsException(where, Posix.errno());
      close();
    }

    @Override
    public void close() throws IOException {
      if (closed) return;
      closed = true;
      try {
        flush();
      } finally {
        Posix.close(fd);
      }
    }

    /** Closes without writing what is buffered. */
    public void abandon() {
      if (closed) return;
      closed = true;
      Posix.close(fd);
    }
  }

  private static final class In extends InputStream {
    private final int fd;
    private final String where;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(BUF);
    private boolean closed;

    In(int fd, String where) {
      this.fd = fd;
      this.where = where;
      buf.limit(0);
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) <= 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) return 0;
      if (!buf.hasRemaining()) {
        buf.clear();
        long n;
        do {
          n = Posix.read(fd, buf, buf.capacity());
        } while (n < 0 && Posix.errno() == Posix.EINTR);
        if (n < 0) throw new FsException(where, Posix.errno());
        buf.limit((int) n);
        if (n == 0) return -1;
      }
      int n = Math.min(len, buf.remaining());
      buf.get(b, off, n);
      return n;
    }

    @Override
    public void close() {
      if (closed) return;
      closed = true;
      Posix.close(fd);
    }
  }
}
