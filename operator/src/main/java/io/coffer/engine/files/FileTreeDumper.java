package io.coffer.engine.files;

import io.coffer.engine.EngineLog;
import io.coffer.engine.Progress;
import io.coffer.engine.archive.ArchiveWriter;
import io.coffer.engine.archive.Manifest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;

/**
 * Archives named directory trees under {@code files/<name>/}: regular files, directories (empty ones too),
 * symlinks as links, permission bits and modification times. What cannot be read, and special files
 * (sockets, FIFOs, devices), are reported in the manifest's {@code skipped} list and in the log.
 */
public final class FileTreeDumper {
  public static final String ROOT = "files/";
  private static final int BUF = 256 * 1024;

  public record Tree(String name, Path root) {}

  private final List<PathMatcher> includes = new ArrayList<>();
  private final List<PathMatcher> excludes = new ArrayList<>();
  private final EngineLog log;
  private final Progress progress;
  private final List<Manifest.Skipped> skipped = new ArrayList<>();
  private static final int MIN_SAMPLE = 16 * 1024;
  private final byte[] buf = new byte[BUF];
  private final byte[] scratch = new byte[128 * 1024];
  private final java.util.zip.Deflater sampler = new java.util.zip.Deflater(1, true);
  private final boolean storeAll;

  public FileTreeDumper(List<String> includeGlobs, List<String> excludeGlobs, boolean storeAll, EngineLog log, Progress progress) {
    this.storeAll = storeAll;
    for (String g : includeGlobs) includes.add(FileSystems.getDefault().getPathMatcher("glob:" + g));
    for (String g : excludeGlobs) excludes.add(FileSystems.getDefault().getPathMatcher("glob:" + g));
    this.log = log;
    this.progress = progress;
  }

  public List<Manifest.Skipped> skipped() {
    return skipped;
  }

  /** Adds up the bytes of the regular files a tree holds (for progress). */
  public long estimate(Tree tree) {
    long[] total = {0};
    try {
      Files.walkFileTree(tree.root(), new java.nio.file.SimpleFileVisitor<>() {
        @Override
        public java.nio.file.FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          if (attrs.isRegularFile()) total[0] += attrs.size();
          return java.nio.file.FileVisitResult.CONTINUE;
        }

        @Override
        public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException exc) {
          return java.nio.file.FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      return total[0];
    }
    return total[0];
  }

  private io.coffer.engine.incremental.ChainIndex index;
  private String backupId;
  private String parentId;
  private java.util.Map<String, io.coffer.engine.incremental.ChainIndex.FileRec> parentFiles;
  private io.coffer.engine.incremental.ChainIndex.Writer indexWriter;

  /**
   * Also writes each tree's chain index; with {@code parentId}, a file whose size, time and mode (or, failing
   * those, content) match the parent's is named in the manifest, not stored again.
   */
  public FileTreeDumper indexed(io.coffer.engine.incremental.ChainIndex index, String backupId, String parentId) {
    this.index = index;
    this.backupId = backupId;
    this.parentId = parentId;
    return this;
  }

  public void dump(Tree tree, ArchiveWriter archive) throws IOException {
    progress.item(tree.name());
    if (index == null) {
      visit(tree, tree.root(), "", archive);
      return;
    }
    parentFiles = parentId == null ? null : index.files(parentId, tree.name());
    indexWriter = index.writer(backupId, io.coffer.engine.incremental.ChainIndex.treeName(tree.name()));
    try {
      visit(tree, tree.root(), "", archive);
    } catch (IOException | RuntimeException e) {
      indexWriter.abort();
      throw e;
    }
    indexWriter.close();
    indexWriter = null;
    parentFiles = null;
  }

  /** An unchanged file of an incremental backup: named, with the backup that holds its content. */
  private void unchanged(Tree tree, String entryBase, String rel, io.coffer.engine.incremental.ChainIndex.FileRec prev, int mode, long mtime,
      ArchiveWriter archive) throws IOException {
    archive.record(new Manifest.Entry(entryBase, Manifest.Kind.file, prev.size(), prev.sha256(), null, null, null, null,
        tree.name(), mode, mtime, null, prev.from(), null));
    indexWriter.file(new io.coffer.engine.incremental.ChainIndex.FileRec(rel, prev.size(), mtime, mode, prev.sha256(), prev.from()));
    progress.addFiles(1);
    progress.addBytes(prev.size());
  }

  private static String sha256(Path file) throws IOException {
    try (var in = new io.coffer.engine.archive.HashingInputStream(Files.newInputStream(file))) {
      return in.drainAndHash();
    }
  }

  private void visit(Tree tree, Path path, String rel, ArchiveWriter archive) throws IOException {
    String entryBase = ROOT + tree.name() + "/" + rel;
    PosixFileAttributes attrs;
    try {
      attrs = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      skip(entryBase, "cannot read attributes: " + reason(e));
      return;
    }
    int mode = mode(path, attrs);
    long mtime = attrs.lastModifiedTime().toMillis();
    if (attrs.isSymbolicLink()) {
      String target = Files.readSymbolicLink(path).toString();
      ArchiveWriter.EntryStream s = archive.symlink(entryBase, target, mtime);
      archive.record(new Manifest.Entry(entryBase, Manifest.Kind.symlink, s.size(), s.sha256(), null, null, null, null,
          tree.name(), mode, mtime, target));
      progress.addFiles(1);
    } else if (attrs.isDirectory()) {
      List<Path> children = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(path)) {
        for (Path c : ds) children.add(c);
      } catch (IOException e) {
        skip(entryBase, "cannot list directory: " + reason(e));
        return;
      }
      String dirName = rel.isEmpty() ? ROOT + tree.name() + "/" : entryBase + "/";
      archive.directory(dirName, mtime, mode);
      archive.record(new Manifest.Entry(dirName, Manifest.Kind.directory, 0, null, null, null, null, null, tree.name(),
          mode, mtime, null));
      children.sort(null);
      for (Path c : children) {
        String childRel = rel.isEmpty() ? c.getFileName().toString() : rel + "/" + c.getFileName();
        if (matches(excludes, childRel)) continue;
        visit(tree, c, childRel, archive);
      }
    } else if (attrs.isRegularFile()) {
      if (!includes.isEmpty() && !matches(includes, rel)) return;
      progress.item(tree.name() + ":" + rel);
      var prev = parentFiles == null ? null : parentFiles.get(rel);
      if (prev != null && prev.size() == attrs.size() && prev.mode() == mode) {
        if (prev.mtime() == mtime) {
          unchanged(tree, entryBase, rel, prev, mode, mtime, archive);
          return;
        }
        try {
          if (sha256(path).equals(prev.sha256())) { // touched, not changed
            unchanged(tree, entryBase, rel, prev, mode, mtime, archive);
            return;
          }
        } catch (IOException e) {
          skip(entryBase, "cannot read: " + reason(e));
          return;
        }
      }
      InputStream in;
      try {
        in = Files.newInputStream(path);
      } catch (IOException e) {
        skip(entryBase, "cannot read: " + reason(e));
        return;
      }
      try (in) {
        copyFile(tree, entryBase, in, attrs.size(), mode, mtime, archive);
      }
    } else {
      skip(entryBase, "special file (socket, FIFO or device) is not backed up");
    }
  }

  /**
   * Copies one file into the archive. Content that does not compress (judged on a sample of its first block)
   * is written without compression work. A file that changes size while being read is kept as read, with a
   * warning.
   */
  private void copyFile(Tree tree, String entryBase, InputStream in, long size, int mode, long mtime, ArchiveWriter archive)
      throws IOException {
    int first = in.readNBytes(buf, 0, buf.length);
    boolean store = !storeAll && size >= MIN_SAMPLE && first >= MIN_SAMPLE && !compresses(buf, first);
    ArchiveWriter.EntryStream out = archive.begin(entryBase, mtime, mode, store || storeAll);
    long written = 0;
    int n = first;
    while (n > 0) {
      out.write(buf, 0, n);
      written += n;
      progress.addBytes(n);
      n = in.read(buf);
    }
    out.close();
    if (written != size) {
      log.warn("file " + entryBase + " changed size while being read (" + size + " -> " + written + " bytes); the copy is what was read");
    }
    archive.record(new Manifest.Entry(entryBase, Manifest.Kind.file, out.size(), out.sha256(), null, null, null, null,
        tree.name(), mode, mtime, null));
    if (indexWriter != null) {
      String rel = entryBase.substring(ROOT.length() + tree.name().length() + 1);
      indexWriter.file(new io.coffer.engine.incremental.ChainIndex.FileRec(rel, out.size(), mtime, mode, out.sha256(), backupId));
    }
    progress.addFiles(1);
  }

  /** Whether a deflate pass over a sample of the data saves at least 5 %. */
  private boolean compresses(byte[] data, int len) {
    int sample = Math.min(len, 64 * 1024);
    sampler.reset();
    sampler.setInput(data, 0, sample);
    sampler.finish();
    long out = 0;
    while (!sampler.finished()) out += sampler.deflate(scratch);
    return out < sample * 0.95;
  }

  private static boolean matches(List<PathMatcher> matchers, String rel) {
    Path p = Path.of(rel);
    for (PathMatcher m : matchers) {
      if (m.matches(p) || m.matches(p.getFileName())) return true;
    }
    return false;
  }

  private void skip(String path, String reason) {
    skipped.add(new Manifest.Skipped(path, reason));
    log.warn("skipped " + path + ": " + reason);
  }

  static int mode(Path path, PosixFileAttributes attrs) {
    try {
      Object m = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      if (m instanceof Integer i) return i & 07777;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      // fall back to the POSIX permission bits
    }
    int mode = 0;
    for (PosixFilePermission p : attrs.permissions()) mode |= 1 << (8 - p.ordinal());
    return mode;
  }

  static String reason(IOException e) {
    if (e instanceof AccessDeniedException) return "permission denied";
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + " " + e.getMessage();
  }
}
