package io.coffer.engine.files;

import io.coffer.engine.CofferException;
import io.coffer.engine.EngineLog;
import io.coffer.engine.ExitCode;
import io.coffer.engine.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Restores file trees by writing aside first: everything lands in {@code <target>/.coffer-restore-<run>/}
 * and {@link #commit()} moves it into place (renames on one file system) only after the whole archive has
 * been read and checked. In replace mode the previous content is moved to {@code .coffer-old-<run>} and
 * removed once the new content is in place; merge mode overwrites and adds, and leaves other files alone.
 * The staging folder lives inside the target, so a target that is a volume's mount point works too.
 */
public final class FileRestorer {
  private static final String STAGING = ".coffer-restore-";
  private static final String OLD = ".coffer-old-";
  private final Map<String, Path> targets;
  private final boolean replace;
  private final String runId;
  private final EngineLog log;
  private final Progress progress;
  private final Map<String, Path> staging = new LinkedHashMap<>();
  private final List<Attr> attrs = new ArrayList<>();

  private record Attr(String tree, String rel, int mode, long mtime, boolean directory, boolean symlink) {}

  public FileRestorer(Map<String, Path> targets, boolean replace, String runId, EngineLog log, Progress progress) {
    this.targets = targets;
    this.replace = replace;
    this.runId = runId;
    this.log = log;
    this.progress = progress;
  }

  /** Staged trees an interrupted earlier restore left behind (never {@code .coffer-old-*}: that may be the only old copy). */
  private void removeLeftovers(Path target) throws IOException {
    try (var entries = Files.list(target)) {
      for (Path p : entries.filter(x -> x.getFileName().toString().startsWith(STAGING)).toList()) {
        try (var all = Files.walk(p)) {
          for (Path x : all.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
        log.info("removed " + p + ", left by an interrupted restore");
      }
    }
  }

  private Path stagingRoot(String tree) throws IOException {
    Path s = staging.get(tree);
    if (s == null) {
      Path target = targets.get(tree);
      if (target == null) throw new IllegalStateException("no target for tree " + tree);
      try {
        Files.createDirectories(target);
        removeLeftovers(target);
        s = target.resolve(STAGING + runId);
        Files.createDirectories(s);
      } catch (IOException e) {
        throw new CofferException(ExitCode.SOURCE, "cannot write to " + target + ": " + FileTreeDumper.reason(e), e);
      }
      staging.put(tree, s);
    }
    return s;
  }

  private Path resolve(String tree, String rel) throws IOException {
    Path root = stagingRoot(tree);
    if (rel.isEmpty()) return root;
    Path p = root.resolve(rel).normalize();
    if (!p.startsWith(root) || p.equals(root) || rel.startsWith("/")) {
      throw new CofferException(ExitCode.INTEGRITY, "the archive holds an unsafe path '" + rel + "' in tree " + tree + "; refusing it");
    }
    return p;
  }

  public void directory(String tree, String rel, int mode, long mtime) throws IOException {
    Files.createDirectories(resolve(tree, rel));
    attrs.add(new Attr(tree, rel, mode, mtime, true, false));
  }

  public long file(String tree, String rel, InputStream content, int mode, long mtime) throws IOException {
    Path p = resolve(tree, rel);
    Files.createDirectories(p.getParent());
    long n = 0;
    try (OutputStream out = Files.newOutputStream(p)) {
      byte[] buf = new byte[256 * 1024];
      int r;
      while ((r = content.read(buf)) > 0) {
        out.write(buf, 0, r);
        n += r;
        progress.addBytes(r);
      }
    }
    attrs.add(new Attr(tree, rel, mode, mtime, false, false));
    progress.addFiles(1);
    return n;
  }

  public void symlink(String tree, String rel, String target, long mtime) throws IOException {
    Path p = resolve(tree, rel);
    Files.createDirectories(p.getParent());
    Files.createSymbolicLink(p, Path.of(target));
    attrs.add(new Attr(tree, rel, 0777, mtime, false, true));
    progress.addFiles(1);
  }

  /** Moves every staged tree into place and applies modes and times. */
  public void commit() throws IOException {
    for (Map.Entry<String, Path> e : staging.entrySet()) {
      Path target = targets.get(e.getKey());
      Path staged = e.getValue();
      if (replace) {
        Path old = target.resolve(OLD + runId);
        Files.createDirectories(old);
        for (Path child : children(target)) {
          String n = child.getFileName().toString();
          if (n.startsWith(STAGING) || n.startsWith(OLD)) continue;
          Files.move(child, old.resolve(n), StandardCopyOption.ATOMIC_MOVE);
        }
        for (Path child : children(staged)) {
          Files.move(child, target.resolve(child.getFileName().toString()), StandardCopyOption.ATOMIC_MOVE);
        }
        deleteTree(old);
      } else {
        mergeInto(staged, target);
      }
      deleteTree(staged);
    }
    // files first, then directories deepest first, so a read-only directory is closed last
    List<Attr> ordered = new ArrayList<>(attrs);
    ordered.sort(Comparator.comparing((Attr a) -> a.directory()).thenComparing(a -> -a.rel().length()));
    for (Attr a : ordered) {
      Path p = a.rel().isEmpty() ? targets.get(a.tree()) : targets.get(a.tree()).resolve(a.rel());
      if (!a.symlink()) Files.setPosixFilePermissions(p, permissions(a.mode()));
      Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .setTimes(FileTime.fromMillis(a.mtime()), null, null);
    }
    for (String tree : staging.keySet()) log.info("restored file tree " + tree + " into " + targets.get(tree) + (replace ? " (replaced)" : " (merged)"));
    staging.clear();
  }

  private void mergeInto(Path from, Path to) throws IOException {
    for (Path child : children(from)) {
      Path dest = to.resolve(child.getFileName().toString());
      boolean isDir = Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS);
      if (isDir && Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) {
        mergeInto(child, dest);
      } else {
        if (Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) deleteTree(dest);
        Files.move(child, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
    }
  }

  /** Deletes the staging folders; the targets were never touched. Never throws. */
  public void rollback() {
    for (Path s : staging.values()) {
      try {
        deleteTree(s);
      } catch (IOException e) {
        log.warn("could not remove staging folder " + s + "; remove it by hand");
      }
    }
    staging.clear();
  }

  private static List<Path> children(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) return out;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) out.add(p);
    }
    return out;
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) return;
    try (Stream<Path> s = Files.walk(root)) {
      List<Path> all = s.sorted(Comparator.reverseOrder()).toList();
      for (Path p : all) {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) p.toFile().setWritable(true);
        Files.deleteIfExists(p);
      }
    }
  }

  static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    for (PosixFilePermission p : PosixFilePermission.values()) {
      if ((mode & (1 << (8 - p.ordinal()))) != 0) set.add(p);
    }
    return set;
  }
}
