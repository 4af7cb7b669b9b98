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
 *
 * <p>Moving into place takes many renames. A marker file {@code .coffer-commit-<run>} names the step under way
 * (moving the old content aside, moving the new in, or merging); a restore killed in the middle of it leaves the
 * marker, and the next restore into that target first finishes those moves (the content was complete and checked
 * before the first of them), so a tree ends up wholly old or wholly new, never half of each.
 */
public final class FileRestorer {
  private static final String STAGING = ".coffer-restore-";
  private static final String OLD = ".coffer-old-";
  private static final String COMMIT = ".coffer-commit-";
  private static final String ASIDE = "replace:aside";
  private static final String IN = "replace:in";
  private static final String MERGE = "merge";
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
        finishInterrupted(target);
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
    // files and links carry their mode and time through the renames; directories get theirs once in place
    for (Attr a : attrs) {
      if (!a.directory() && !a.rel().isEmpty()) apply(a, staging.get(a.tree()).resolve(a.rel()));
    }
    for (Map.Entry<String, Path> e : staging.entrySet()) {
      Path target = targets.get(e.getKey());
      Path marker = target.resolve(COMMIT + runId);
      mark(marker, replace ? ASIDE : MERGE);
      place(target, runId, replace ? ASIDE : MERGE, marker);
    }
    // directories deepest first, so a read-only directory is closed last
    List<Attr> dirs = new ArrayList<>(attrs.stream().filter(a -> a.directory() || a.rel().isEmpty()).toList());
    dirs.sort(Comparator.comparing((Attr a) -> -a.rel().length()));
    for (Attr a : dirs) apply(a, a.rel().isEmpty() ? targets.get(a.tree()) : targets.get(a.tree()).resolve(a.rel()));
    for (String tree : staging.keySet()) log.info("restored file tree " + tree + " into " + targets.get(tree) + (replace ? " (replaced)" : " (merged)"));
    staging.clear();
  }

  private static void apply(Attr a, Path p) throws IOException {
    if (!a.symlink()) Files.setPosixFilePermissions(p, permissions(a.mode()));
    Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setTimes(FileTime.fromMillis(a.mtime()), null, null);
  }

  /** The marker names the step under way; written aside and renamed, so it is always whole. */
  private static void mark(Path marker, String step) throws IOException {
    Path tmp = marker.resolveSibling(marker.getFileName() + ".tmp");
    Files.writeString(tmp, step);
    Files.move(tmp, marker, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The moves of run {@code run} into {@code target}, from step {@code step} on; then its folders and marker go. */
  private static void place(Path target, String run, String step, Path marker) throws IOException {
    Path staged = target.resolve(STAGING + run);
    Path old = target.resolve(OLD + run);
    if (step.equals(ASIDE)) {
      Files.createDirectories(old);
      for (Path child : children(target)) {
        if (!ours(child.getFileName().toString())) Files.move(child, old.resolve(child.getFileName().toString()), StandardCopyOption.ATOMIC_MOVE);
      }
      mark(marker, IN);
      step = IN;
    }
    if (step.equals(IN)) {
      for (Path child : children(staged)) {
        Files.move(child, target.resolve(child.getFileName().toString()), StandardCopyOption.ATOMIC_MOVE);
      }
      deleteTree(old);
    } else {
      mergeInto(staged, target);
    }
    deleteTree(staged);
    Files.deleteIfExists(marker);
  }

  /** Coffer's own folders and markers in a target, which a replace neither moves aside nor counts as content. */
  private static boolean ours(String name) {
    return name.startsWith(STAGING) || name.startsWith(OLD) || name.startsWith(COMMIT);
  }

  /** Finishes the moves of a restore that was killed while moving its checked content into {@code target}. */
  private void finishInterrupted(Path target) throws IOException {
    for (Path marker : children(target)) {
      String name = marker.getFileName().toString();
      if (!name.startsWith(COMMIT)) continue;
      if (name.endsWith(".tmp")) {
        Files.deleteIfExists(marker);
        continue;
      }
      String run = name.substring(COMMIT.length());
      String step = Files.readString(marker).strip();
      if (!step.equals(ASIDE) && !step.equals(IN) && !step.equals(MERGE)) {
        throw new CofferException(ExitCode.INTEGRITY, marker + " names no step Coffer knows ('" + step + "'); look at " + target
            + " and remove it by hand");
      }
      log.warn("an earlier restore (run " + run + ") was interrupted while moving its checked files into " + target
          + "; finishing its moves first (the modes and times of its directories may differ from the backup's)");
      place(target, run, step, marker);
    }
  }

  private static void mergeInto(Path from, Path to) throws IOException {
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
