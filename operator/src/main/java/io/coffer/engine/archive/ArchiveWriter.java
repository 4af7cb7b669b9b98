package io.coffer.engine.archive;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.lingala.zip4j.io.outputstream.ZipOutputStream;
import net.lingala.zip4j.model.FileHeader;
import net.lingala.zip4j.model.ZipParameters;
import net.lingala.zip4j.model.enums.CompressionLevel;
import net.lingala.zip4j.model.enums.CompressionMethod;

/**
 * Writes a standard zip as a stream (data descriptors, ZIP64 when needed) and records each entry's size and
 * SHA-256 for the manifest. Unix modes and symlinks go into the central directory, so {@code unzip}
 * restores them too.
 */
public final class ArchiveWriter implements Closeable {
  private static final int S_IFREG = 0100000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFLNK = 0120000;
  private static final int MADE_BY_UNIX = (3 << 8) | 30;

  private final ZipOutputStream zip;
  private final CompressionLevel level;
  private final List<Manifest.Entry> entries = new ArrayList<>();
  private boolean entryOpen;

  public ArchiveWriter(OutputStream out, Compression compression, int level) throws IOException {
    this.zip = new ZipOutputStream(out, StandardCharsets.UTF_8);
    this.level = compression == Compression.STORE ? CompressionLevel.NO_COMPRESSION : toLevel(level);
  }

  private static CompressionLevel toLevel(int level) {
    for (CompressionLevel l : CompressionLevel.values()) {
      if (l.getLevel() == level) return l;
    }
    throw new IllegalArgumentException("compression level must be 0-9, not " + level);
  }

  /** The stream for one entry's content; closing it ends the entry. */
  public final class EntryStream extends OutputStream {
    private final HashingOutputStream hashing;
    private final String name;
    private final int mode;
    private String sha256;
    private boolean closed;

    private EntryStream(String name, int mode) {
      this.name = name;
      this.mode = mode;
      this.hashing = new HashingOutputStream(new OutputStream() {
        @Override
        public void write(int b) throws IOException {
          zip.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          zip.write(b, off, len);
        }
      });
    }

    @Override
    public void write(int b) throws IOException {
      hashing.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      hashing.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      if (closed) return;
      closed = true;
      FileHeader fh = zip.closeEntry();
      setUnixMode(fh, mode);
      entryOpen = false;
      sha256 = hashing.sha256Hex();
    }

    public long size() {
      return hashing.count();
    }

    public String sha256() {
      if (!closed) throw new IllegalStateException("entry " + name + " is still open");
      return sha256;
    }
  }

  /** Starts an entry; the caller writes the content, closes the stream, then {@link #record}s the entry. */
  public EntryStream begin(String name, long mtimeMillis, int unixMode) throws IOException {
    return begin(name, mtimeMillis, unixMode, -1);
  }

  /**
   * Starts an entry; with {@code storedSize >= 0} it is written uncompressed (STORE) and the caller must
   * write exactly that many bytes. Used for files whose content does not compress.
   */
  public EntryStream begin(String name, long mtimeMillis, int unixMode, long storedSize) throws IOException {
    if (entryOpen) throw new IllegalStateException("an entry is already open");
    ZipParameters p = params(name, mtimeMillis);
    if (storedSize >= 0) {
      p.setCompressionMethod(CompressionMethod.STORE);
      p.setEntrySize(storedSize);
    }
    zip.putNextEntry(p);
    entryOpen = true;
    return new EntryStream(name, S_IFREG | (unixMode & 07777));
  }

  public void record(Manifest.Entry entry) {
    entries.add(entry);
  }

  /** Writes a whole small entry and returns its SHA-256. */
  public EntryStream writeSmall(String name, long mtimeMillis, byte[] content) throws IOException {
    EntryStream s = begin(name, mtimeMillis, 0644);
    s.write(content);
    s.close();
    return s;
  }

  public void directory(String name, long mtimeMillis, int unixMode) throws IOException {
    String n = name.endsWith("/") ? name : name + "/";
    zip.putNextEntry(params(n, mtimeMillis));
    FileHeader fh = zip.closeEntry();
    setUnixMode(fh, S_IFDIR | (unixMode & 07777));
    fh.getExternalFileAttributes()[0] |= 0x10;
  }

  public EntryStream symlink(String name, String target, long mtimeMillis) throws IOException {
    ZipParameters p = params(name, mtimeMillis);
    zip.putNextEntry(p);
    entryOpen = true;
    EntryStream s = new EntryStream(name, S_IFLNK | 0777);
    s.write(target.getBytes(StandardCharsets.UTF_8));
    s.close();
    return s;
  }

  private ZipParameters params(String name, long mtimeMillis) {
    ZipParameters p = new ZipParameters();
    p.setFileNameInZip(name);
    p.setCompressionMethod(CompressionMethod.DEFLATE);
    p.setCompressionLevel(level);
    p.setLastModifiedFileTime(Math.max(mtimeMillis, 315532800000L + 86_400_000L));
    return p;
  }

  private static void setUnixMode(FileHeader fh, int mode) {
    fh.setVersionMadeBy(MADE_BY_UNIX);
    long attrs = ((long) mode & 0xffff) << 16;
    byte[] a = new byte[4];
    for (int i = 0; i < 4; i++) a[i] = (byte) (attrs >>> (8 * i));
    fh.setExternalFileAttributes(a);
  }

  public List<Manifest.Entry> entries() {
    return entries;
  }

  /** Writes the manifest as the last entry and closes the zip (and the stream under it). */
  public byte[] finish(Manifest manifest) throws IOException {
    byte[] json = Json.pretty(manifest).getBytes(StandardCharsets.UTF_8);
    writeSmall(Manifest.ENTRY_NAME, System.currentTimeMillis(), json);
    zip.close();
    return json;
  }

  @Override
  public void close() throws IOException {
    zip.close();
  }
}
