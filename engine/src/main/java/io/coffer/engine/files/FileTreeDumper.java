package io.coffer.engine.files;

import io.coffer.engine.archive.ArchiveWriter;
import io.coffer.engine.archive.HashingInputStream;
import io.coffer.engine.archive.Manifest;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.engine.fs.Dir;
import io.coffer.engine.fs.FsException;
import io.coffer.engine.fs.Name;
import io.coffer.engine.fs.Stat;
import io.coffer.engine.incremental.ChainIndex;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.Deflater;

/**
 * Archives named directory trees under {@code files/<name>/}: regular files, directories (empty
 * ones too), symlinks as links, permission bits and modification times, names byte for byte. What
 * cannot be read, and special files (sockets, FIFOs, devices), are reported in the manifest's
 * {@code skipped} list and in the log.
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
  private final Deflater sampler = new Deflater(1, true);
  private final boolean storeAll;

  public FileTreeDumper(
      List<String> includeGlobs,
      List<String> excludeGlobs,
      boolean storeAll,
      EngineLog log,
      Progress progress) {
    this.storeAll = storeAll;
    for (String g : includeGlobs)
      includes.add(FileSystems.getDefault().getPathMatcher("glob:" + g));
    for (String g : excludeGlobs)
      excludes.add(FileSystems.getDefault().getPathMatcher("glob:" + g));
    this.log = log;
    this.progress = progress;
  }

  public List<Manifest.Skipped> skipped() {
    return skipped;
  }

  /**
   * Adds up the bytes of the regular files a tree holds (for progress); what cannot be read counts
   * nothing.
   */
  public long estimate(Tree tree) {
    try (Dir root = Dir.open(tree.root())) {
      return estimate(root, 0);
    } catch (IOException e) {
      return 0;
    }
  }

  private static long estimate(Dir dir, int depth) throws IOException {
    long total = 0;
    for (Name n : dir.list()) {
      Stat s = dir.stat(n);
      if (s == null) continue;
      if (s.isFile()) total += s.size();
      if (s.isDirectory() && depth + 1 < MAX_DEPTH) {
        try (Dir c = dir.dir(n)) {
          total += estimate(c, depth + 1);
        } catch (FsException e) {
          // unreadable: reported when the tree is archived
        }
      }
    }
    return total;
  }

  private ChainIndex index;
  private String backupId;
  private String parentId;
  private Map<String, ChainIndex.FileRec> parentFiles;
  private ChainIndex.Writer indexWriter;

  /**
   * Also writes each tree's chain index; with {@code parentId}, a file whose size, time and mode
   * (or, failing those, content) match the parent's is named in the manifest, not stored again.
   */
  public FileTreeDumper indexed(ChainIndex index, String backupId, String parentId) {
    this.index = index;
    this.backupId = backupId;
    this.parentId = parentId;
    return this;
  }

  public void dump(Tree tree, ArchiveWriter archive) throws IOException {
    progress.item(tree.name());
    if (index == null) {
      walk(tree, archive);
      return;
    }
    parentFiles = parentId == null ? null : index.files(parentId, tree.name());
    indexWriter = index.writer(backupId, ChainIndex.treeName(tree.name()));
    try {
      walk(tree, archive);
    } catch (IOException | RuntimeException e) {
      indexWriter.abort();
      throw e;
    }
    indexWriter.close();
    indexWriter = null;
    parentFiles = null;
  }

  /** An unchanged file of an incremental backup: named, with the backup that holds its content. */
  private void unchanged(
      Tree tree,
      String entryBase,
      String rel,
      ChainIndex.FileRec prev,
      int mode,
      long mtime,
      String raw,
      ArchiveWriter archive)
      throws IOException {
    archive.record(
        new Manifest.Entry(
            entryBase,
            Manifest.Kind.file,
            prev.size(),
            prev.sha256(),
            null,
            null,
            null,
            null,
            tree.name(),
            mode,
            mtime,
            null,
            prev.from(),
            null,
            raw));
    indexWriter.file(
        new ChainIndex.FileRec(rel, prev.size(), mtime, mode, prev.sha256(), prev.from()));
    progress.addFiles(1);
    progress.addBytes(prev.size());
  }

  /**
   * How deep a tree may go: deeper directories are reported as skipped (each level holds a
   * descriptor open).
   */
  public static final int MAX_DEPTH = 1000;

  /**
   * Walks the tree through directory descriptors: names as the file system stores them (a name that
   * is not valid UTF-8 keeps its bytes in the manifest), no link followed (a link is archived as a
   * link; an entry that turns into a link or a FIFO while being read is skipped), any depth up to
   * {@link #MAX_DEPTH}. The tree's root is opened as the user named it, so a root that is a link to
   * a directory is that directory.
   */
  private void walk(Tree tree, ArchiveWriter archive) throws IOException {
    try (Dir root = Dir.open(tree.root())) {
      visitDirectory(tree, root, root.stat(), "", new byte[0], false, 0, archive);
    } catch (FsException e) {
      throw new CofferException(
          ExitCode.SOURCE,
          "file tree "
              + tree.name()
              + ": cannot read "
              + tree.root()
              + " ("
              + e.getReason()
              + "); check "
              + Field.FILES.mark(),
          e);
    }
  }

  private void visitDirectory(
      Tree tree,
      Dir dir,
      Stat st,
      String rel,
      byte[] raw,
      boolean rawNeeded,
      int depth,
      ArchiveWriter archive)
      throws IOException {
    String dirName =
        rel.isEmpty() ? ROOT + tree.name() + "/" : ROOT + tree.name() + "/" + rel + "/";
    List<Name> children;
    try {
      children = dir.list();
    } catch (FsException e) {
      skip(dirName, "cannot list directory: " + e.getReason());
      return;
    }
    archive.directory(dirName, st.mtimeMillis(), st.mode());
    archive.record(
        new Manifest.Entry(
            dirName,
            Manifest.Kind.directory,
            0,
            null,
            null,
            null,
            null,
            null,
            tree.name(),
            st.mode(),
            st.mtimeMillis(),
            null,
            null,
            null,
            rawNeeded ? base64(raw) : null));
    Set<String> taken = new HashSet<>();
    for (Name c : children) if (c.utf8() != null) taken.add(c.utf8());
    for (Name c : children) {
      String text = c.utf8();
      boolean childRawNeeded = rawNeeded || text == null;
      if (text == null)
        text =
            unique(c.text(), taken); // shown as %XX in the zip name; the manifest keeps the bytes
      String childRel = rel.isEmpty() ? text : rel + "/" + text;
      String entryBase = ROOT + tree.name() + "/" + childRel;
      if (depth == 0 && FileRestorer.reserved(c)) {
        skip(
            entryBase,
            "a working folder or marker of an unfinished Coffer restore, not part of the tree");
        continue;
      }
      if (matches(excludes, childRel)) continue;
      byte[] childRaw = join(raw, c);
      Stat cs;
      try {
        cs = dir.stat(c);
      } catch (FsException e) {
        skip(entryBase, "cannot read attributes: " + e.getReason());
        continue;
      }
      if (cs == null) continue; // removed since the listing
      String rawField = childRawNeeded ? base64(childRaw) : null;
      switch (cs.type()) {
        case SYMLINK -> {
          byte[] target;
          try {
            target = dir.readlink(c);
          } catch (FsException e) {
            skip(entryBase, "cannot read link: " + e.getReason());
            continue;
          }
          ArchiveWriter.EntryStream s = archive.symlink(entryBase, target, cs.mtimeMillis());
          archive.record(
              new Manifest.Entry(
                  entryBase,
                  Manifest.Kind.symlink,
                  s.size(),
                  s.sha256(),
                  null,
                  null,
                  null,
                  null,
                  tree.name(),
                  cs.mode(),
                  cs.mtimeMillis(),
                  Name.display(target),
                  null,
                  null,
                  rawField));
          progress.addFiles(1);
        }
        case DIRECTORY -> {
          if (depth + 1 >= MAX_DEPTH) {
            skip(entryBase + "/", "more than " + MAX_DEPTH + " levels deep");
            continue;
          }
          Dir child;
          try {
            child = dir.dir(c);
          } catch (FsException e) {
            skip(entryBase + "/", "cannot open directory: " + e.getReason());
            continue;
          }
          try (child) {
            visitDirectory(tree, child, cs, childRel, childRaw, childRawNeeded, depth + 1, archive);
          }
        }
        case FILE -> file(tree, dir, c, cs, childRel, entryBase, rawField, archive);
        default -> skip(entryBase, "special file (socket, FIFO or device) is not backed up");
      }
    }
  }

  private void file(
      Tree tree,
      Dir dir,
      Name c,
      Stat cs,
      String rel,
      String entryBase,
      String raw,
      ArchiveWriter archive)
      throws IOException {
    if (!includes.isEmpty() && !matches(includes, rel)) return;
    progress.item(tree.name() + ":" + rel);
    int mode = cs.mode();
    long mtime = cs.mtimeMillis();
    var prev = parentFiles == null ? null : parentFiles.get(rel);
    if (prev != null && prev.size() == cs.size() && prev.mode() == mode) {
      if (prev.mtime() == mtime) {
        unchanged(tree, entryBase, rel, prev, mode, mtime, raw, archive);
        return;
      }
      try (var in = new HashingInputStream(dir.read(c))) {
        if (in.drainAndHash().equals(prev.sha256())) { // touched, not changed
          unchanged(tree, entryBase, rel, prev, mode, mtime, raw, archive);
          return;
        }
      } catch (FsException e) {
        skip(entryBase, "cannot read: " + e.getReason());
        return;
      }
    }
    InputStream in;
    try {
      in = dir.read(c);
    } catch (FsException e) {
      skip(
          entryBase,
          e.errno() == 22
              ? "changed into a special file while being read"
              : "cannot read: " + e.getReason());
      return;
    }
    try (in) {
      copyFile(tree, entryBase, in, cs.size(), mode, mtime, raw, archive);
    }
  }

  /**
   * A name not yet taken among its siblings: {@code text}, else {@code text~2}, {@code text~3}, ...
   */
  private static String unique(String text, Set<String> taken) {
    String t = text;
    for (int i = 2; !taken.add(t); i++) t = text + "~" + i;
    return t;
  }

  private static byte[] join(byte[] parent, Name child) {
    byte[] c = child.bytes();
    if (parent.length == 0) return c;
    byte[] out = Arrays.copyOf(parent, parent.length + 1 + c.length);
    out[parent.length] = '/';
    System.arraycopy(c, 0, out, parent.length + 1, c.length);
    return out;
  }

  private static String base64(byte[] raw) {
    return Base64.getEncoder().encodeToString(raw);
  }

  /**
   * Copies one file into the archive. Content that does not compress (judged on a sample of its
   * first block) is written without compression work. A file that changes size while being read is
   * kept as read, with a warning.
   */
  private void copyFile(
      Tree tree,
      String entryBase,
      InputStream in,
      long size,
      int mode,
      long mtime,
      String raw,
      ArchiveWriter archive)
      throws IOException {
    int first = in.readNBytes(buf, 0, buf.length);
    boolean store =
        !storeAll && size >= MIN_SAMPLE && first >= MIN_SAMPLE && !compresses(buf, first);
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
      log.warn(
          "file "
              + entryBase
              + " changed size while being read ("
              + size
              + " -> "
              + written
              + " bytes); the copy is what was read");
    }
    archive.record(
        new Manifest.Entry(
            entryBase,
            Manifest.Kind.file,
            out.size(),
            out.sha256(),
            null,
            null,
            null,
            null,
            tree.name(),
            mode,
            mtime,
            null,
            null,
            null,
            raw));
    if (indexWriter != null) {
      String rel = entryBase.substring(ROOT.length() + tree.name().length() + 1);
      indexWriter.file(
          new ChainIndex.FileRec(rel, out.size(), mtime, mode, out.sha256(), backupId));
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

  static String reason(IOException e) {
    if (e instanceof AccessDeniedException) return "permission denied";
    return e.getMessage() == null
        ? e.getClass().getSimpleName()
        : e.getClass().getSimpleName() + " " + e.getMessage();
  }
}
