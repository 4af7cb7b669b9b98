package io.coffer.engine.storage;

import io.coffer.engine.base.CofferException;
import io.coffer.engine.fs.Dir;
import io.coffer.engine.fs.FsException;
import io.coffer.engine.fs.Name;
import io.coffer.engine.io.Limited;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Backups in a directory, typically a mounted volume. Writes go to a hidden temporary name, then
 * rename.
 */
public final class FileStorage implements Storage {
  static final String PARTIAL_PREFIX = ".partial-";
  private final Path root;

  public FileStorage(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  @Override
  public String describe() {
    return "file://" + root;
  }

  /**
   * Where a key lies on disk (a file or a folder; it need not exist), never outside the root: not
   * by {@code ..}, and not through a link planted inside the storage that points out of it.
   */
  public Path path(String key) {
    Path p = root.resolve(key).normalize();
    if (!p.startsWith(root))
      throw CofferException.usage("'" + key + "' is outside the storage " + describe());
    try {
      if (Files.exists(p) && !p.toRealPath().startsWith(root.toRealPath())) {
        throw CofferException.usage(
            "'" + key + "' leads out of the storage " + describe() + " through a symbolic link");
      }
    } catch (IOException e) {
      throw new CofferException(
          ExitCode.STORAGE,
          "cannot read '"
              + key
              + "' in the storage "
              + describe()
              + " ("
              + e.getClass().getSimpleName()
              + ")",
          e);
    }
    return p;
  }

  private Path resolve(String key) {
    Path p = root.resolve(key).normalize();
    if (!p.startsWith(root))
      throw new IllegalArgumentException("storage key escapes the storage root: " + key);
    return p;
  }

  @Override
  public AtomicOutput create(String key) throws IOException {
    Path target = resolve(key);
    try {
      Files.createDirectories(target.getParent());
    } catch (IOException e) {
      throw fail("cannot create directory " + target.getParent(), e);
    }
    Path tmp =
        target.resolveSibling(PARTIAL_PREFIX + target.getFileName() + "-" + UUID.randomUUID());
    FileChannel channel;
    try {
      channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw fail("cannot write to " + target.getParent(), e);
    }
    OutputStream out = Channels.newOutputStream(channel);
    return new AtomicOutput() {
      private boolean done;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        try {
          out.write(b, off, len);
        } catch (IOException e) {
          throw fail("cannot write " + target, e);
        }
      }

      @Override
      public void close() throws IOException {
        if (done) return;
        done = true;
        try {
          channel.force(true);
          out.close();
          Files.move(
              tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
          Files.deleteIfExists(tmp);
          throw fail("cannot finish writing " + target, e);
        }
      }

      @Override
      public void abort() {
        if (done) return;
        done = true;
        try {
          out.close();
        } catch (IOException ignored) {
          // the file is deleted below
        }
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // a leftover .partial- file is ignored by every command and removed by the next write
        }
      }
    };
  }

  @Override
  public InputStream open(String key) throws IOException {
    Path p = resolve(key);
    try {
      return Files.newInputStream(p);
    } catch (NoSuchFileException e) {
      throw StorageException.notFound("no such object: " + p);
    } catch (IOException e) {
      throw fail("cannot read " + p, e);
    }
  }

  @Override
  public OptionalLong size(String key) throws IOException {
    Path p = resolve(key);
    return Files.isRegularFile(p) ? OptionalLong.of(Files.size(p)) : OptionalLong.empty();
  }

  @Override
  public List<String> listFolders() throws IOException {
    List<String> out = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      throw StorageException.notFound(
          "the storage directory " + root + " does not exist; check " + Field.STORAGE.mark());
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
      for (Path p : ds) {
        if (Files.isDirectory(p) && !p.getFileName().toString().startsWith("."))
          out.add(p.getFileName().toString());
      }
    }
    return out;
  }

  @Override
  public List<String> list(String folder) throws IOException {
    Path dir = resolve(folder);
    if (!Files.isDirectory(dir)) return List.of();
    // another run may publish or remove a file while this one walks: walk again
    for (int attempt = 0; ; attempt++) {
      List<String> out = new ArrayList<>();
      try (Stream<Path> s = Files.walk(dir)) {
        s.filter(Files::isRegularFile)
            .filter(
                p ->
                    !p.getFileName().toString().startsWith(PARTIAL_PREFIX)
                        && !p.getFileName().toString().equals(LOCK))
            .forEach(p -> out.add(root.relativize(p).toString().replace('\\', '/')));
        return out;
      } catch (UncheckedIOException e) {
        if (!(e.getCause() instanceof NoSuchFileException) || attempt >= 10) throw e.getCause();
      } catch (NoSuchFileException e) {
        if (attempt >= 10) throw e;
      }
    }
  }

  @Override
  public int removeLeftovers(String folder) throws IOException {
    Path dir = resolve(folder);
    if (!Files.isDirectory(dir)) return 0;
    int n = 0;
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (p.getFileName().toString().startsWith(PARTIAL_PREFIX) && Files.deleteIfExists(p)) n++;
      }
    }
    return n;
  }

  /**
   * The lock is {@code <folder>/.coffer-lock}, held with {@code flock} (which the kernel releases
   * when the process ends, however it ends, so a killed run never blocks the next; NFS clients map
   * it to a whole-file lock).
   */
  @Override
  public Lock lock(String folder, String owner, String token, String[] holder) throws IOException {
    Path dir = resolve(folder);
    Dir d = null;
    for (int attempt = 0; d == null; attempt++) {
      try {
        Files.createDirectories(dir);
        d = Dir.open(dir);
      } catch (FsException e) {
        if (!e.notFound() || attempt >= 5)
          throw fail("cannot lock " + dir, e); // removed by a releasing holder just now: again
      } catch (IOException e) {
        throw fail("cannot lock " + dir, e);
      }
    }
    Dir.LockFile lf;
    try {
      lf = d.lockFile(Name.of(LOCK), owner.getBytes(StandardCharsets.UTF_8));
    } catch (FsException e) {
      d.close();
      if (e.notFound())
        return lock(
            folder, owner, token, holder); // the folder went with a releasing holder: make it again
      throw fail("cannot lock " + dir, e);
    } catch (IOException e) {
      d.close();
      throw fail("cannot lock " + dir, e);
    }
    if (lf == null) {
      d.close();
      try {
        holder[0] =
            new String(
                    Limited.readAll(
                        Files.newInputStream(dir.resolve(LOCK)),
                        1024,
                        () -> new IllegalStateException("lock too long")),
                    StandardCharsets.UTF_8)
                .strip();
      } catch (IOException | RuntimeException e) {
        holder[0] = "another run";
      }
      return null;
    }
    return new Lock() {
      @Override
      public void check() {}

      @Override
      public void close() {
        lf.closeAndRemoveEmpty(dir); // a failed first run leaves no folder
      }
    };
  }

  /**
   * Written aside and hard-linked into place: link(2) fails when the name exists, so at most one
   * writer publishes it.
   */
  @Override
  public boolean createIfAbsent(String key, byte[] content) throws IOException {
    Path target = resolve(key);
    Files.createDirectories(target.getParent());
    Path tmp =
        target.resolveSibling(PARTIAL_PREFIX + target.getFileName() + "-" + UUID.randomUUID());
    try (FileChannel ch =
        FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(content));
      ch.force(true);
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw fail("cannot write " + target, e);
    }
    try {
      Files.createLink(target, tmp);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    } catch (UnsupportedOperationException | IOException e) {
      // a file system without hard links: an exclusive create, then the content
      try (FileChannel ch =
          FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(content));
        ch.force(true);
        return true;
      } catch (FileAlreadyExistsException x) {
        return false;
      } catch (IOException x) {
        throw fail("cannot write " + target, x);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  @Override
  public void delete(String key) throws IOException {
    Path p = resolve(key);
    try {
      Files.deleteIfExists(p);
      Path parent = p.getParent();
      while (parent != null && !parent.equals(root) && isEmptyDir(parent)) {
        Files.delete(parent);
        parent = parent.getParent();
      }
    } catch (IOException e) {
      throw fail("cannot delete " + p, e);
    }
  }

  private static boolean isEmptyDir(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  private static StorageException fail(String what, IOException e) {
    String reason;
    if (e instanceof AccessDeniedException) {
      reason = "permission denied";
    } else if (e instanceof FileSystemException fse && fse.getReason() != null) {
      reason = fse.getReason();
    } else {
      reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
    if (reason != null && reason.contains("No space left")) reason = "no space left on the device";
    return new StorageException(what + ": " + reason, e);
  }
}
