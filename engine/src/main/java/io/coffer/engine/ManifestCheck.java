package io.coffer.engine;

import io.coffer.engine.archive.Manifest;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.files.FileRestorer;
import io.coffer.engine.files.FileTreeDumper;
import io.coffer.engine.fs.Name;
import io.coffer.engine.mongo.DumpNames;
import io.coffer.engine.mongo.MongoNames;
import io.coffer.engine.mongo.OplogCapture;
import io.coffer.engine.storage.BackupIds;
import io.coffer.protocol.Consistency;
import io.coffer.protocol.ExitCode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A manifest read from storage is a stranger's input, even when its checksum matches (whoever wrote
 * the checksum may have written the manifest). Before anything is planned from it, every entry must
 * be one that Coffer itself could have written: a known kind, a canonical path that matches its
 * kind and names, database and collection names MongoDB accepts, tree paths without {@code .},
 * {@code ..}, empty or absolute components, NUL or Coffer's own working names, no two entries on
 * one name, nothing under a file or a link, sizes and counts in range. The first entry that is not
 * is named in one line (exit code 5).
 */
final class ManifestCheck {
  /** The largest manifest Coffer reads (about a million files). */
  public static final int MAX_MANIFEST_BYTES = 256 * 1024 * 1024;

  /**
   * The largest manifest this engine reads: {@link #MAX_MANIFEST_BYTES}, or a fifth of its heap
   * where that is less (38 MiB, about 160,000 files, in the default Job pod). A manifest is held
   * and parsed whole, and its objects take several times its bytes: a forged one that inflates past
   * this is refused (exit 5), not read until the heap runs out. Reading manifests as streams (issue
   * 25, item 9) lifts the limit for genuine backups.
   */
  public static int limit() {
    return (int) Math.min(MAX_MANIFEST_BYTES, Runtime.getRuntime().maxMemory() / 5);
  }

  /** What a refusal at {@link #limit()} says after "larger than". */
  public static String limitWords() {
    return "the "
        + limit() / (1024 * 1024)
        + " MiB this engine reads (a fifth of its heap, 256 MiB at most): not a manifest Coffer"
        + " wrote here; if it is one, give the engine more memory";
  }

  /** The largest collection metadata or view definition (mongodump's are a few KiB). */
  public static final long MAX_METADATA_BYTES = 16L * 1024 * 1024;

  /** The longest link target Linux stores. */
  public static final long MAX_LINK_BYTES = 4095;

  private static final Pattern TREE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private ManifestCheck() {}

  /**
   * Refuses {@code m} unless every part of it is well-formed and it is the manifest of backup
   * {@code id}.
   */
  public static Manifest check(Manifest m, String id) {
    if (m == null) throw bad(id, "is empty");
    if (!Manifest.FORMAT.equals(m.format()))
      throw bad(id, "is not a Coffer manifest (format " + quoted(m.format()) + ")");
    if (m.formatVersion() != Manifest.FORMAT_VERSION) {
      throw bad(
          id,
          "has format version "
              + m.formatVersion()
              + ", which this Coffer does not read (it reads "
              + Manifest.FORMAT_VERSION
              + ")");
    }
    if (m.id() == null || !m.id().equals(id)) {
      throw bad(
          id,
          "names backup "
              + quoted(m.id())
              + ": it belongs to another backup (copied or replaced); do not restore from it");
    }
    if (m.parent() != null
        && (!BackupIds.ID.matcher(m.parent()).matches() || m.parent().equals(id)))
      throw bad(id, "names an impossible parent " + quoted(m.parent()));
    if (m.entries() == null) throw bad(id, "lists no entries");
    if (m.entries().size() > Manifest.MAX_ENTRIES)
      throw bad(id, "lists more than " + Manifest.MAX_ENTRIES + " entries");
    Set<String> paths = new HashSet<>();
    Map<String, Manifest.Kind> onDisk = new HashMap<>();
    List<String> nonDirectories = new ArrayList<>();
    for (Manifest.Entry e : m.entries()) {
      if (e == null) throw bad(id, "holds an empty entry");
      entry(id, m, e);
      if (!paths.add(e.path())) throw bad(id, "lists entry " + e.path() + " twice");
      if (e.tree() != null) {
        String key = diskKey(e);
        Manifest.Kind before = onDisk.put(key, e.kind());
        if (before != null)
          throw bad(id, "lists two entries for one name in tree " + e.tree() + ": " + e.path());
        if (e.kind() != Manifest.Kind.directory) nonDirectories.add(key);
      }
    }
    // nothing may lie under a file or a link: file "a" and file "a/b" cannot both be restored
    Set<String> leaves = new HashSet<>(nonDirectories);
    for (String key : onDisk.keySet()) {
      for (int at = key.lastIndexOf('/');
          at > key.indexOf('\0');
          at = key.lastIndexOf('/', at - 1)) {
        if (leaves.contains(key.substring(0, at))) {
          throw bad(
              id,
              "lists an entry under a file or a link of tree "
                  + key.substring(0, key.indexOf('\0'))
                  + ": "
                  + printable(key.substring(key.indexOf('\0') + 1)));
        }
      }
    }
    if (m.oplog() != null
        && (!paths.contains(DumpNames.oplog(DumpNames.root(m.parent() != null)))
                && !paths.contains(OplogCapture.ENTRY)
            || m.consistency() == null
            || !m.consistency().isPointInTime()))
      throw bad(id, "describes an oplog window but holds no oplog to replay");
    Consistency c = m.consistency();
    if (c != null
        && ((!c.isPointInTime() && !Consistency.PER_COLLECTION.equals(c.mode()))
            || (c.at() != null && c.at().length() > 40)
            || (c.reason() != null && c.reason().length() > 1000)))
      throw bad(id, "gives a consistency Coffer does not write " + quoted(c.mode()));
    if (m.skipped() != null) {
      for (Manifest.Skipped s : m.skipped()) {
        if (s == null || s.path() == null) throw bad(id, "holds an empty skipped entry");
      }
    }
    return m;
  }

  private static void entry(String id, Manifest m, Manifest.Entry e) {
    String p = e.path();
    if (p == null || p.isEmpty()) throw bad(id, "holds an entry without a path");
    if (p.getBytes(StandardCharsets.UTF_8).length > 65_535)
      throw bad(id, "holds an entry path longer than a zip name can be");
    if (p.indexOf('\0') >= 0) throw bad(id, "holds an entry path with a NUL byte: " + printable(p));
    if (e.kind() == null) throw bad(id, "holds entry " + printable(p) + " without a kind");
    if (e.size() < 0) throw bad(id, "gives entry " + printable(p) + " a negative size");
    if (e.documents() != null && e.documents() < 0)
      throw bad(id, "gives entry " + printable(p) + " a negative document count");
    if (e.mode() != null && (e.mode() < 0 || e.mode() > 07777))
      throw bad(id, "gives entry " + printable(p) + " an impossible mode");
    if (e.from() != null
        && (!BackupIds.ID.matcher(e.from()).matches()
            || e.from().equals(id)
            || m.parent() == null)) {
      throw bad(
          id,
          "says entry "
              + printable(p)
              + " lies in backup "
              + quoted(e.from())
              + ", which is not an earlier backup of its chain");
    }
    if (e.from() != null && e.kind() != Manifest.Kind.file)
      throw bad(id, "says entry " + printable(p) + " lies in another backup, which only files can");
    boolean needsSha = e.kind() != Manifest.Kind.directory;
    if (needsSha && (e.sha256() == null || !SHA256.matcher(e.sha256()).matches())) {
      throw bad(id, "gives entry " + printable(p) + " no valid SHA-256");
    }
    if (Boolean.TRUE.equals(e.delta()) && (e.kind() != Manifest.Kind.bson || m.parent() == null)) {
      throw bad(
          id,
          "marks entry "
              + printable(p)
              + " as changes only, which only a collection of an incremental backup can be");
    }
    switch (e.kind()) {
      case bson, metadata, view, deletions -> collectionEntry(id, e, m.parent() != null);
      case file, directory, symlink -> treeEntry(id, e);
      case oplog -> oplogEntry(id, m, e);
      default -> throw bad(id, "holds entry " + printable(p) + " of unknown kind");
    }
  }

  /**
   * The oplog of a point-in-time backup: at its one place, counted, and announced by the manifest's
   * window and consistency.
   */
  private static void oplogEntry(String id, Manifest m, Manifest.Entry e) {
    String p = e.path();
    if (!p.equals(DumpNames.oplog(DumpNames.root(m.parent() != null)))
        && !p.equals(OplogCapture.ENTRY))
      throw bad(id, "holds an oplog at " + printable(p) + ", where Coffer never writes one");
    if (e.database() != null || e.collection() != null || e.tree() != null || e.module() != null)
      throw bad(id, "gives its oplog a database, collection or file tree");
    if (e.documents() == null) throw bad(id, "does not count the entries of its oplog");
    if (m.consistency() == null) throw bad(id, "holds an oplog but says nothing of consistency");
    // PerCollection: an oplog that changed while it was read, kept for the record, never replayed
    if (m.consistency().isPointInTime()
        && (m.oplog() == null
            || m.oplog().entries() != e.documents()
            || Long.compareUnsigned(m.oplog().start(), m.oplog().end()) > 0))
      throw bad(id, "holds an oplog that its window (oplog, consistency) does not describe");
  }

  /** {@code increment}: the backup has a parent, so its collections lie under coffer-changes/. */
  private static void collectionEntry(String id, Manifest.Entry e, boolean increment) {
    String p = e.path();
    if (e.tree() != null) throw bad(id, "gives collection entry " + printable(p) + " a file tree");
    String why = e.database() == null ? "no database" : MongoNames.invalidDatabase(e.database());
    if (why == null)
      why = e.collection() == null ? "no collection" : MongoNames.invalidCollection(e.collection());
    if (why != null) throw bad(id, "holds entry " + printable(p) + " with " + why);
    String root =
        e.kind() == Manifest.Kind.deletions ? DumpNames.DELETIONS : DumpNames.root(increment);
    List<String> accepted =
        DumpNames.accepted(
            root,
            e.database(),
            e.collection(),
            e.kind() == Manifest.Kind.bson || e.kind() == Manifest.Kind.deletions
                ? ".bson"
                : ".metadata.json");
    String expected = accepted.get(0);
    if (!accepted.contains(p))
      throw bad(
          id,
          "holds entry "
              + printable(p)
              + ", whose path does not match its names ("
              + printable(expected)
              + ")");
    if ((e.kind() == Manifest.Kind.metadata || e.kind() == Manifest.Kind.view)
        && e.size() > MAX_METADATA_BYTES) {
      throw bad(
          id,
          "declares "
              + e.size()
              + " bytes for metadata entry "
              + printable(p)
              + " (at most "
              + MAX_METADATA_BYTES
              + ")");
    }
    if ((e.kind() == Manifest.Kind.bson || e.kind() == Manifest.Kind.deletions)
        && e.documents() == null) {
      throw bad(id, "gives entry " + printable(p) + " no document count");
    }
  }

  private static void treeEntry(String id, Manifest.Entry e) {
    String p = e.path();
    if (e.database() != null || e.collection() != null)
      throw bad(id, "gives file entry " + printable(p) + " a database");
    if (e.tree() == null || !TREE.matcher(e.tree()).matches())
      throw bad(id, "holds entry " + printable(p) + " with no valid tree name");
    String prefix = FileTreeDumper.ROOT + e.tree() + "/";
    if (!p.startsWith(prefix))
      throw bad(id, "holds entry " + printable(p) + " outside its tree's folder " + prefix);
    boolean dir = e.kind() == Manifest.Kind.directory;
    if (dir != p.endsWith("/"))
      throw bad(
          id,
          "holds entry "
              + printable(p)
              + (dir ? ", a directory whose name does not end in /" : " whose name ends in /"));
    if (e.kind() == Manifest.Kind.symlink && e.size() > MAX_LINK_BYTES)
      throw bad(id, "declares a link target of " + e.size() + " bytes for " + printable(p));
    List<Name> parts;
    try {
      parts = components(e);
    } catch (IllegalArgumentException x) {
      throw bad(id, "holds entry " + printable(p) + " with " + x.getMessage());
    }
    if (parts.isEmpty() && !dir)
      throw bad(id, "holds entry " + printable(p) + ", a file without a name");
    if (parts.size() > FileTreeDumper.MAX_DEPTH)
      throw bad(
          id,
          "holds entry "
              + printable(p)
              + " more than "
              + FileTreeDumper.MAX_DEPTH
              + " levels deep");
    if (!parts.isEmpty() && FileRestorer.reserved(parts.get(0))) {
      throw bad(
          id, "holds entry " + printable(p) + ", a name Coffer reserves for its own restore state");
    }
    if (e.raw() != null) {
      // the zip name shows the raw name: same depth, each UTF-8 component the same, and raw only
      // where one is not UTF-8
      String[] shown = p.substring(prefix.length(), p.length() - (dir ? 1 : 0)).split("/", -1);
      if (shown.length != parts.size())
        throw bad(
            id, "holds entry " + printable(p) + " whose raw name has another depth than its path");
      boolean anyInvalid = false;
      for (int i = 0; i < shown.length; i++) {
        String text = parts.get(i).utf8();
        if (text == null) anyInvalid = true;
        else if (!text.equals(shown[i]))
          throw bad(
              id, "holds entry " + printable(p) + " whose raw name is another name than its path");
      }
      if (!anyInvalid)
        throw bad(
            id, "holds entry " + printable(p) + " with a raw name although its name is UTF-8");
    }
  }

  /**
   * The names of a tree entry's path inside its tree, as the file system will hold them (from
   * {@code raw} where the name is not UTF-8). Empty for the tree's root. Throws {@link
   * IllegalArgumentException} for a malformed path.
   */
  public static List<Name> components(Manifest.Entry e) {
    String prefix = FileTreeDumper.ROOT + e.tree() + "/";
    String rel = e.path().substring(prefix.length());
    if (rel.endsWith("/")) rel = rel.substring(0, rel.length() - 1);
    List<byte[]> raw = new ArrayList<>();
    if (e.raw() != null) {
      byte[] bytes;
      try {
        bytes = Base64.getDecoder().decode(e.raw());
      } catch (IllegalArgumentException x) {
        throw new IllegalArgumentException("a raw name that is not base64");
      }
      int start = 0;
      for (int i = 0; i <= bytes.length; i++) {
        if (i == bytes.length || bytes[i] == '/') {
          raw.add(Arrays.copyOfRange(bytes, start, i));
          start = i + 1;
        }
      }
    } else if (!rel.isEmpty()) {
      for (String s : rel.split("/", -1)) raw.add(s.getBytes(StandardCharsets.UTF_8));
    }
    List<Name> out = new ArrayList<>(raw.size());
    for (byte[] b : raw) {
      String why = Name.invalid(b);
      if (why != null) throw new IllegalArgumentException(why);
      out.add(Name.of(b));
    }
    return out;
  }

  /**
   * A link entry's content, its target: refused when empty or holding NUL, which no file system
   * stores.
   */
  public static byte[] linkTarget(byte[] target, String entry) {
    boolean nul = false;
    for (byte b : target) nul |= b == 0;
    if (target.length == 0 || nul) {
      throw new CofferException(
          ExitCode.INTEGRITY,
          "the archive's link "
              + printable(entry)
              + " has "
              + (nul ? "a NUL byte in its" : "an empty")
              + " target, which no file system stores: the archive is damaged or forged");
    }
    return target;
  }

  /**
   * One key per name on disk: the tree, a NUL, and the raw path (names cannot hold NUL, so keys
   * cannot collide).
   */
  private static String diskKey(Manifest.Entry e) {
    StringBuilder sb = new StringBuilder(e.tree()).append('\0');
    List<Name> parts = components(e);
    for (int i = 0; i < parts.size(); i++) {
      if (i > 0) sb.append('/');
      sb.append(new String(parts.get(i).bytes(), StandardCharsets.ISO_8859_1));
    }
    return sb.toString();
  }

  static String printable(String s) {
    return s.replace("\0", "\\x00");
  }

  private static String quoted(String s) {
    return s == null ? "(none)" : "'" + printable(s) + "'";
  }

  private static CofferException bad(String id, String what) {
    return Manifest.damaged(id, what);
  }
}
