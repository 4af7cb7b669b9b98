package io.coffer.engine.archive;

import io.coffer.engine.base.Json;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Writes the backup archive: a standard zip (see {@link ZipStreamWriter}) whose entries are
 * recorded, with their size and SHA-256, for the manifest. Unix modes and symlinks go into the
 * central directory, so {@code unzip} restores them too.
 */
public final class ArchiveWriter implements Closeable {
  private static final int S_IFREG = 0100000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFLNK = 0120000;

  private final ZipStreamWriter zip;
  private final int level;
  private final List<Manifest.Entry> entries = new ArrayList<>();
  private boolean entryOpen;

  public ArchiveWriter(OutputStream out, Compression compression, int level) {
    if (level < 0 || level > 9)
      throw new IllegalArgumentException("compression level must be 0-9, not " + level);
    this.zip = new ZipStreamWriter(out, Runtime.getRuntime().availableProcessors());
    this.level = compression == Compression.STORE ? 0 : level;
  }

  /** The stream for one entry's content; closing it ends the entry. */
  public final class EntryStream extends OutputStream {
    private final MessageDigest digest = HashingOutputStream.sha256();
    private final String name;
    private long size;
    private String sha256;
    private boolean closed;

    private EntryStream(String name) {
      this.name = name;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      zip.write(b, off, len);
      digest.update(b, off, len);
      size += len;
    }

    @Override
    public void close() throws IOException {
      if (closed) return;
      closed = true;
      zip.closeEntry();
      entryOpen = false;
      sha256 = HexFormat.of().formatHex(digest.digest());
    }

    public long size() {
      return size;
    }

    public String sha256() {
      if (!closed) throw new IllegalStateException("entry " + name + " is still open");
      return sha256;
    }
  }

  /**
   * Starts an entry; the caller writes the content, closes the stream, then {@link #record}s the
   * entry.
   */
  public EntryStream begin(String name, long mtimeMillis, int unixMode) throws IOException {
    return begin(name, mtimeMillis, unixMode, false);
  }

  /**
   * Starts an entry; {@code incompressible} content is written as deflate's stored blocks, without
   * compression work.
   */
  public EntryStream begin(String name, long mtimeMillis, int unixMode, boolean incompressible)
      throws IOException {
    if (entryOpen) throw new IllegalStateException("an entry is already open");
    zip.startEntry(name, mtimeMillis, S_IFREG | (unixMode & 07777), incompressible ? 0 : level);
    entryOpen = true;
    return new EntryStream(name);
  }

  public void record(Manifest.Entry entry) {
    entries.add(entry);
  }

  /** Writes a whole small entry. */
  public EntryStream writeSmall(String name, long mtimeMillis, byte[] content) throws IOException {
    EntryStream s = begin(name, mtimeMillis, 0644);
    s.write(content);
    s.close();
    return s;
  }

  public void directory(String name, long mtimeMillis, int unixMode) throws IOException {
    zip.directory(name, mtimeMillis, S_IFDIR | (unixMode & 07777));
  }

  /**
   * A symbolic link: its target, as the file system holds it (raw bytes), is the entry's content,
   * as unzip expects.
   */
  public EntryStream symlink(String name, byte[] target, long mtimeMillis) throws IOException {
    if (entryOpen) throw new IllegalStateException("an entry is already open");
    zip.startEntry(name, mtimeMillis, S_IFLNK | 0777, 0);
    entryOpen = true;
    EntryStream s = new EntryStream(name);
    s.write(target);
    s.close();
    return s;
  }

  public List<Manifest.Entry> entries() {
    return entries;
  }

  /**
   * Writes the manifest as the last entry, as it is serialised (no copy of its text in memory), and
   * closes the zip (and the stream under it).
   */
  public void finish(Manifest manifest) throws IOException {
    EntryStream s = begin(Manifest.ENTRY_NAME, System.currentTimeMillis(), 0644);
    Json.writePretty(manifest, s);
    s.close();
    zip.close();
  }

  /** Gives up: nothing more is written and the stream under it is left for its owner to abort. */
  public void abort() {
    zip.abort();
  }

  @Override
  public void close() throws IOException {
    zip.close();
  }
}
