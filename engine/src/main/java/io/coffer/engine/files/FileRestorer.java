package io.coffer.engine.files;

import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.engine.fs.Dir;
import io.coffer.engine.fs.FsException;
import io.coffer.engine.fs.Name;
import io.coffer.engine.fs.Stat;
import io.coffer.protocol.ExitCode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Restores file trees by writing aside first: everything lands in {@code
 * <target>/.coffer-restore-<run>/} and {@link #commit()} moves it into place (renames on one file
 * system) only after the whole archive has been read and checked. In replace mode the previous
 * content is moved to {@code .coffer-old-<run>} and removed once the new content is in place; merge
 * mode overwrites and adds, and leaves other files alone. The staging folder lives inside the
 * target, so a target that is a volume's mount point works too.
 *
 * <p>An archive is a stranger's input. Every write goes through a {@link Dir}: relative to a
 * directory descriptor, one name at a time, never through a link, never over an existing entry;
 * links are created after all content, so no content is ever written through a link the archive
 * made. Names Coffer uses for its own state are refused in an archive. Only the target the caller
 * chose is written: it is opened once and locked ({@code flock}) for the whole restore, so a second
 * restore into it is refused while the first runs.
 *
 * <p>Moving into place takes many renames. A marker file {@code .coffer-commit-<run>} names the
 * step under way (moving the old content aside, moving the new in, or merging); a restore killed in
 * the middle of it leaves the marker, and the next restore into that target first finishes those
 * moves (the content was complete and checked before the first of them), so a tree ends up wholly
 * old or wholly new, never half of each. The marker is read only if it is a small regular file
 * naming a step Coffer writes, and its folders only if they are real directories.
 */
public final class FileRestorer {
  private static final String STAGING = ".coffer-restore-";
  private static final String OLD = ".coffer-old-";
  private static final String COMMIT = ".coffer-commit-";
  private static final Pattern RUN = Pattern.compile("[0-9a-f]{8}");
  private static final String ASIDE = "replace:aside";
  private static final String IN = "replace:in";
  private static final String MERGE = "merge";

  /**
   * Set-user-ID and set-group-ID bits are never restored on files: an archive must not plant a
   * privileged program.
   */
  private static final int FILE_MODE_MASK = 01777;

  private final Map<String, Path> targets;
  private final boolean replace;
  private final String runId;
  private final EngineLog log;
  private final Progress progress;
  private final Map<String, Tree> trees = new LinkedHashMap<>();
  private int privilegedBits;

  /** A directory's mode and time, set once everything is in place (deepest first). */
  private record DirAttr(int mode, long mtime) {}

  private record Link(List<Name> rel, byte[] target, long mtime, String entry) {}

  /**
   * One tree being restored: its target (open and locked), its staging folder, and the open
   * directories of the last path written.
   */
  private final class Tree {
    final String name;
    final Path target;
    final Dir targetDir;
    final Dir staging;
    final List<Name> openNames = new ArrayList<>();
    final List<Dir> openDirs = new ArrayList<>();
    final Node dirs = new Node();
    final List<Link> links = new ArrayList<>();
    final long targetMtime;
    boolean committing;

    Tree(String name, Path target, Dir targetDir, Dir staging, long targetMtime) {
      this.name = name;
      this.target = target;
      this.targetDir = targetDir;
      this.staging = staging;
      this.targetMtime = targetMtime;
    }

    void closeOpen() {
      for (Dir d : openDirs) d.close();
      openDirs.clear();
      openNames.clear();
    }

    void close() {
      closeOpen();
      staging.close();
      targetDir.close();
    }
  }

  /** The directories of a tree, for their modes and times. */
  private static final class Node {
    final Map<Name, Node> children = new TreeMap<>();
    DirAttr attr;

    Node child(Name n) {
      return children.computeIfAbsent(n, k -> new Node());
    }
  }

  public FileRestorer(
      Map<String, Path> targets, boolean replace, String runId, EngineLog log, Progress progress) {
    if (!RUN.matcher(runId).matches())
      throw new IllegalArgumentException("run id must be 8 hex digits: " + runId);
    this.targets = targets;
    this.replace = replace;
    this.runId = runId;
    this.log = log;
    this.progress = progress;
  }

  /**
   * Whether a name at a tree's top is one Coffer uses for its own state in a target (refused in
   * archives, skipped by backups).
   */
  public static boolean reserved(Name top) {
    return top.startsWith(STAGING) || top.startsWith(OLD) || top.startsWith(COMMIT);
  }

  /**
   * Whether a name in a target is one of Coffer's working folders or markers, which a replace
   * neither moves aside nor counts.
   */
  public static boolean ours(Name n) {
    String s = n.utf8();
    if (s == null) return false;
    for (String p : List.of(STAGING, OLD, COMMIT)) {
      if (!s.startsWith(p)) continue;
      String run = s.substring(p.length());
      if (p.equals(COMMIT) && run.endsWith(".tmp")) run = run.substring(0, run.length() - 4);
      if (RUN.matcher(run).matches()) return true;
    }
    return false;
  }

  private static CofferException cannotWrite(Path target, IOException e) {
    String reason = e instanceof FsException fe ? fe.getReason() : FileTreeDumper.reason(e);
    return new CofferException(ExitCode.SOURCE, "cannot write to " + target + ": " + reason, e);
  }

  /**
   * Opens and locks the tree's target, finishes or clears what an earlier restore left, and creates
   * the staging folder.
   */
  private Tree tree(String name) throws IOException {
    Tree t = trees.get(name);
    if (t != null) return t;
    Path target = targets.get(name);
    if (target == null) throw new IllegalStateException("no target for tree " + name);
    Dir targetDir = null;
    try {
      Files.createDirectories(target);
      targetDir = Dir.open(target);
      if (!targetDir.tryLock()) {
        throw new CofferException(
            ExitCode.BUSY,
            "another restore is writing into "
                + target
                + " right now; wait until it has finished, then try again");
      }
      finishInterrupted(targetDir, target);
      removeLeftovers(targetDir);
      long mtime =
          targetDir
              .stat()
              .mtimeMillis(); // given back on a rollback: a refused restore leaves even that as it
      // was
      Name staged = Name.of(STAGING + runId);
      targetDir.mkdir(staged, 0700);
      t = new Tree(name, target, targetDir, targetDir.dir(staged), mtime);
    } catch (IOException e) {
      if (targetDir != null) targetDir.close();
      throw cannotWrite(target, e);
    } catch (RuntimeException e) {
      if (targetDir != null) targetDir.close();
      throw e;
    }
    trees.put(name, t);
    return t;
  }

  /**
   * Staged trees an interrupted earlier restore left behind (never {@code .coffer-old-*}: that may
   * be the only old copy).
   */
  private void removeLeftovers(Dir target) throws IOException {
    for (Name n : target.list()) {
      if (!n.startsWith(STAGING) || !ours(n)) continue;
      target.deleteTree(n); // a link is removed, never followed
      log.info("removed " + target.where() + "/" + n + ", left by an interrupted restore");
    }
  }

  private static CofferException collision(String entry, String tree) {
    return new CofferException(
        ExitCode.INTEGRITY,
        "the archive's entry "
            + entry
            + " collides with another entry of tree "
            + tree
            + " (the same name twice, or a name under a file or a link); nothing was restored");
  }

  /**
   * The staged directory that holds {@code rel}'s last name, created where missing; the directories
   * of the last path stay open, so entries in archive order (a directory, then what it holds) cost
   * one open each.
   */
  private Dir parent(Tree t, List<Name> rel, String entry) throws IOException {
    int depth = rel.size() - 1;
    int common = 0;
    while (common < t.openNames.size()
        && common < depth
        && t.openNames.get(common).equals(rel.get(common))) common++;
    while (t.openNames.size() > common) {
      t.openNames.remove(t.openNames.size() - 1);
      t.openDirs.remove(t.openDirs.size() - 1).close();
    }
    Node node = t.dirs;
    for (int i = 0; i < common; i++) node = node.child(rel.get(i));
    for (int i = common; i < depth; i++) {
      Dir cur = t.openDirs.isEmpty() ? t.staging : t.openDirs.get(t.openDirs.size() - 1);
      Name n = rel.get(i);
      node = node.child(n);
      Dir next;
      try {
        next = cur.dir(n);
      } catch (FsException e) {
        if (!e.notFound()) {
          if (e.notADirectoryOrLink()) throw collision(entry, t.name);
          throw e;
        }
        cur.mkdir(n, 0700); // no directory entry before its content: it gets the usual mode
        if (node.attr == null) node.attr = new DirAttr(0755, System.currentTimeMillis());
        next = cur.dir(n);
      }
      t.openNames.add(n);
      t.openDirs.add(next);
    }
    return t.openDirs.isEmpty() ? t.staging : t.openDirs.get(t.openDirs.size() - 1);
  }

  private Node node(Tree t, List<Name> rel) {
    Node node = t.dirs;
    for (Name n : rel) node = node.child(n);
    return node;
  }

  /** A directory of the tree ({@code rel} empty: the tree's root, i.e. the target itself). */
  public void directory(String tree, List<Name> rel, int mode, long mtime, String entry)
      throws IOException {
    Tree t = tree(tree);
    try {
      if (!rel.isEmpty()) {
        Dir p = parent(t, rel, entry);
        Name n = rel.get(rel.size() - 1);
        try {
          p.mkdir(n, 0700);
        } catch (FsException e) {
          if (!e.exists()) throw e;
          Stat s = p.stat(n);
          if (s == null || !s.isDirectory()) throw collision(entry, t.name);
          // made earlier for an entry inside it: it takes this entry's mode and time
        }
      }
      node(t, rel).attr = new DirAttr(mode & 07777, mtime);
    } catch (IOException e) {
      throw cannotWrite(t.target, e);
    }
  }

  /**
   * A regular file; its content is read to the end of {@code content}, which the caller limits to
   * the declared size.
   */
  public long file(
      String tree, List<Name> rel, InputStream content, int mode, long mtime, String entry)
      throws IOException {
    Tree t = tree(tree);
    Dir.Out out;
    try {
      Dir p = parent(t, rel, entry);
      out = p.create(rel.get(rel.size() - 1));
    } catch (FsException e) {
      if (e.exists() || e.notADirectoryOrLink()) throw collision(entry, t.name);
      throw cannotWrite(t.target, e);
    }
    long n = 0;
    try {
      byte[] buf = new byte[256 * 1024];
      int r;
      while ((r = content.read(buf)) > 0) {
        out.write(buf, 0, r);
        n += r;
        progress.addBytes(r);
      }
      if ((mode & ~FILE_MODE_MASK & 07777) != 0) privilegedBits++;
      out.finish(mode & FILE_MODE_MASK, mtime);
    } catch (FsException e) {
      out.abandon();
      throw cannotWrite(t.target, e);
    } catch (IOException | RuntimeException e) {
      out.abandon();
      throw e;
    }
    progress.addFiles(1);
    return n;
  }

  /**
   * A symbolic link, created (as a link, its target never resolved) after all content, by {@link
   * #commit()}.
   */
  public void symlink(String tree, List<Name> rel, byte[] target, long mtime, String entry)
      throws IOException {
    tree(tree).links.add(new Link(rel, target, mtime, entry));
    progress.addFiles(1);
  }

  private void createLinks(Tree t) throws IOException {
    for (Link l : t.links) {
      try {
        Dir p = parent(t, l.rel(), l.entry());
        Name n = l.rel().get(l.rel().size() - 1);
        p.symlink(n, l.target());
        p.setTime(n, l.mtime());
      } catch (FsException e) {
        if (e.exists() || e.notADirectoryOrLink()) throw collision(l.entry(), t.name);
        throw cannotWrite(t.target, e);
      }
    }
    t.closeOpen();
  }

  /** Moves every staged tree into place and applies the directories' modes and times. */
  public void commit() throws IOException {
    for (Tree t : trees.values()) createLinks(t);
    for (Tree t : trees.values()) {
      try {
        Name marker = Name.of(COMMIT + runId);
        mark(t.targetDir, marker, replace ? ASIDE : MERGE);
        t.committing =
            true; // from here on the marker, not a rollback, decides: the next restore finishes the
        // moves
        t.staging.close();
        place(t.targetDir, runId, replace ? ASIDE : MERGE, marker);
        applyDirectories(t.targetDir, t.dirs, true);
      } catch (FsException e) {
        throw cannotWrite(t.target, e);
      }
      log.info(
          "restored file tree "
              + t.name
              + " into "
              + t.target
              + (replace ? " (replaced)" : " (merged)"));
    }
    if (privilegedBits > 0) {
      log.warn(
          privilegedBits
              + " files had set-user-ID or set-group-ID bits in the backup; they were restored without them");
    }
    for (Tree t : trees.values()) t.close();
    trees.clear();
  }

  /**
   * Modes and times of the restored directories, deepest first (so a read-only directory is closed
   * last). The target's own folder is often a volume's root that another user owns (a kubelet gives
   * the pod's fsGroup write access, not ownership): there a mode or time that cannot be set is kept
   * as it is, said once, not a failure.
   */
  private void applyDirectories(Dir dir, Node node, boolean root) throws IOException {
    for (Map.Entry<Name, Node> c : node.children.entrySet()) {
      try (Dir child = dir.dir(c.getKey())) {
        applyDirectories(child, c.getValue(), false);
      } catch (FsException e) {
        log.warn(
            "could not set the mode of " + dir.where() + "/" + c.getKey() + ": " + e.getReason());
      }
    }
    if (node.attr == null) return;
    try {
      dir.setModeAndTime(node.attr.mode(), node.attr.mtime());
    } catch (FsException e) {
      if (!root || (e.errno() != 1 && e.errno() != 13)) throw e; // EPERM, EACCES
      log.info(
          "kept the mode and time of "
              + dir.where()
              + " ("
              + e.getReason()
              + ": it belongs to another user, as a volume's root does)");
    }
  }

  /** The marker names the step under way; written aside and renamed, so it is always whole. */
  private static void mark(Dir target, Name marker, String step) throws IOException {
    Name tmp = Name.of(marker.text() + ".tmp");
    target.deleteTree(tmp);
    Dir.Out out = target.create(tmp);
    out.write(step.getBytes(StandardCharsets.US_ASCII));
    out.finish(0600, System.currentTimeMillis());
    target.rename(tmp, target, marker, true);
  }

  /**
   * The moves of run {@code run} into {@code target}, from step {@code step} on; then its folders
   * and marker go.
   */
  private static void place(Dir target, String run, String step, Name marker) throws IOException {
    Name staged = Name.of(STAGING + run);
    Name old = Name.of(OLD + run);
    if (step.equals(ASIDE)) {
      if (target.stat(old) == null) target.mkdir(old, 0700);
      try (Dir o = target.dir(old)) {
        for (Name child : target.list()) {
          if (!ours(child)) target.rename(child, o, child, false);
        }
      }
      mark(target, marker, IN);
      step = IN;
    }
    if (target.stat(staged) != null) {
      try (Dir s = target.dir(staged)) {
        if (step.equals(IN)) {
          for (Name child : s.list()) s.rename(child, target, child, false);
        } else {
          mergeInto(s, target);
        }
      }
    }
    if (step.equals(IN)) target.deleteTree(old);
    target.deleteTree(staged);
    target.deleteTree(marker);
  }

  private static void mergeInto(Dir from, Dir to) throws IOException {
    for (Name n : from.list()) {
      Stat src = from.stat(n);
      Stat dst = to.stat(n);
      if (src == null) continue;
      if (src.isDirectory() && dst != null && dst.isDirectory()) {
        try (Dir f = from.dir(n);
            Dir t = to.dir(n)) {
          mergeInto(f, t);
        }
      } else {
        if (dst != null && (dst.isDirectory() || src.isDirectory())) to.deleteTree(n);
        from.rename(n, to, n, true);
      }
    }
  }

  /**
   * Finishes the moves of a restore that was killed while moving its checked files into {@code
   * target}.
   */
  private void finishInterrupted(Dir target, Path path) throws IOException {
    for (Name marker : target.list()) {
      if (!marker.startsWith(COMMIT)) continue;
      String name = marker.utf8();
      if (!ours(marker)) throw strange(path, marker, "it is not a marker Coffer writes");
      Stat st = target.stat(marker);
      if (st == null) continue;
      if (!st.isFile()) throw strange(path, marker, "it is not a regular file");
      if (name.endsWith(".tmp")) {
        target.unlink(marker); // never renamed into place: its step had not begun
        continue;
      }
      if (st.size() > 64) throw strange(path, marker, "it is larger than any marker Coffer writes");
      String step;
      try (InputStream in = target.read(marker)) {
        step = new String(in.readNBytes(64), StandardCharsets.US_ASCII).strip();
      }
      if (!step.equals(ASIDE) && !step.equals(IN) && !step.equals(MERGE))
        throw strange(path, marker, "it names no step Coffer knows");
      String run = name.substring(COMMIT.length());
      for (Name folder : List.of(Name.of(STAGING + run), Name.of(OLD + run))) {
        Stat f = target.stat(folder);
        if (f != null && !f.isDirectory())
          throw strange(path, folder, "it should be a directory Coffer made, and is not");
      }
      log.warn(
          "an earlier restore (run "
              + run
              + ") was interrupted while moving its checked files into "
              + path
              + "; finishing its moves first (the modes and times of its directories may differ from the backup's)");
      place(target, run, step, marker);
    }
  }

  private static CofferException strange(Path target, Name n, String why) {
    return new CofferException(
        ExitCode.SOURCE,
        target
            + "/"
            + n
            + " looks like Coffer's restore state but "
            + why
            + "; Coffer leaves it alone and writes nothing: look at it and remove it by hand");
  }

  /**
   * Deletes the staging folders of trees not yet being moved into place (those targets were never
   * touched); a tree whose moves had begun keeps its marker and folders, and the next restore into
   * its target finishes them. Never throws.
   */
  public void rollback() {
    for (Tree t : trees.values()) {
      t.closeOpen();
      t.staging.close();
      if (t.committing) {
        log.warn(
            "the restore stopped while moving checked files into "
                + t.target
                + "; the next restore into it finishes those moves first");
        t.targetDir.close();
        continue;
      }
      try {
        t.targetDir.deleteTree(Name.of(STAGING + runId));
      } catch (IOException e) {
        log.warn(
            "could not remove staging folder "
                + t.target
                + "/"
                + STAGING
                + runId
                + "; remove it by hand");
      }
      try {
        t.targetDir.setTime(t.targetMtime);
      } catch (IOException e) {
        // a volume's root that another user owns keeps the time the staging folder gave it
      }
      t.targetDir.close();
    }
    trees.clear();
  }

  /**
   * Lets go of every descriptor and lock and leaves the disk as it is: what a killed restore leaves
   * (for tests).
   */
  void abandon() {
    for (Tree t : trees.values()) t.close();
    trees.clear();
  }

  /**
   * What a replace would delete from {@code target}: every entry (file, link, directory) it holds
   * that the restored tree does not, Coffer's own folders aside. {@code keep} holds the restored
   * paths. At most {@code max} samples.
   */
  public static Deletions wouldDelete(Path target, Set<List<Name>> keep, int max)
      throws IOException {
    Deletions d = new Deletions(new ArrayList<>(), new long[1]);
    if (!Files.isDirectory(target)) return d;
    try (Dir dir = Dir.open(target)) {
      collect(dir, new ArrayList<>(), keep, max, d, true);
    }
    return d;
  }

  /** How many entries a replace would delete, and the first of them (paths inside the target). */
  public record Deletions(List<String> samples, long[] count) {
    public long total() {
      return count[0];
    }
  }

  private static void collect(
      Dir dir, List<Name> rel, Set<List<Name>> keep, int max, Deletions d, boolean top)
      throws IOException {
    for (Name n : dir.list()) {
      if (top && ours(n)) continue;
      List<Name> p = new ArrayList<>(rel);
      p.add(n);
      Stat s = dir.stat(n);
      if (s == null) continue;
      if (keep.contains(p)) {
        if (s.isDirectory()) {
          try (Dir c = dir.dir(n)) {
            collect(c, p, keep, max, d, false);
          }
        }
        continue;
      }
      d.count()[0] += s.isDirectory() ? 1 + countAll(dir, n) : 1;
      if (d.samples().size() < max) {
        StringBuilder sb = new StringBuilder();
        for (Name x : p) sb.append(sb.length() == 0 ? "" : "/").append(x.text());
        d.samples().add(sb + (s.isDirectory() ? "/" : ""));
      }
    }
  }

  private static long countAll(Dir parent, Name n) throws IOException {
    long total = 0;
    try (Dir d = parent.dir(n)) {
      for (Name c : d.list()) {
        Stat s = d.stat(c);
        total += 1 + (s != null && s.isDirectory() ? countAll(d, c) : 0);
      }
    }
    return total;
  }
}
