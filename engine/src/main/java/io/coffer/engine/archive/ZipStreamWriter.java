package io.coffer.engine.archive;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A standard zip written as a stream, with deflate spread over the cores the way pigz does it: each
 * entry's data is cut into blocks that worker threads compress in parallel (every block primed with
 * the 32 KiB before it and ended with a sync flush, so the blocks join into one ordinary deflate
 * stream), and one writer thread puts headers, blocks and data descriptors downstream in order.
 * Entries carry ZIP64 data descriptors, Unix modes and UTF-8 names; the central directory (ZIP64
 * when needed) ends the stream. Memory is bounded by the queue: a few blocks in flight, whatever
 * the data size; and by the number of entries only up to a limit: each entry's central directory
 * record is made as soon as its sizes are known, kept in memory up to {@link #CENTRAL_IN_MEMORY}
 * bytes and past that in a temporary file of the records alone (names, CRCs, sizes, offsets: never
 * data), owner-only, removed when the zip ends, so a tree of a million files costs the heap nothing
 * per file here.
 */
public final class ZipStreamWriter implements Closeable {
  static final int BLOCK = 512 * 1024;
  private static final int DICT = 32 * 1024;
  private static final long MAGIC32 = 0xFFFFFFFFL;
  private static final int MADE_BY_UNIX = (3 << 8) | 45;

  private final OutputStream out;
  private final ExecutorService pool;
  private final BlockingQueue<Item> queue;
  private final Thread writer;

  /** Central directory records in memory before they go to a temporary file (~60,000 entries). */
  static final int CENTRAL_IN_MEMORY = 8 * 1024 * 1024;

  private final Records central;
  private volatile Throwable failure;
  private Entry current;
  private byte[] block = new byte[BLOCK];
  private int blockLen;
  private byte[] dictionary;
  private boolean closed;

  /**
   * Everything about one entry; producer fields are set before the item that reads them is queued.
   */
  private static final class Entry {
    final byte[] name;
    final int method;
    final int level;
    final long dosTime;
    final int unixMode;
    final CRC32 crc = new CRC32();
    long size;
    long compressedSize; // written by the writer thread
    long offset; // written by the writer thread

    Entry(String name, int method, int level, long mtime, int unixMode) {
      this.name = name.getBytes(StandardCharsets.UTF_8);
      this.method = method;
      this.level = level;
      this.dosTime = dosTime(mtime);
      this.unixMode = unixMode;
    }

    boolean directory() {
      return method == 0;
    }
  }

  private record Item(
      Future<byte[]> data,
      Supplier<byte[]> lazy,
      LongConsumer before,
      LongConsumer after,
      boolean end,
      Records stream) {
    Item(
        Future<byte[]> data,
        Supplier<byte[]> lazy,
        LongConsumer before,
        LongConsumer after,
        boolean end) {
      this(data, lazy, before, after, end, null);
    }
  }

  /**
   * The central directory's records in entry order (made by the writer thread, as entries end): in
   * memory up to a limit, then in an owner-only temporary file.
   */
  static final class Records implements Closeable {
    private final int memoryLimit;
    private ByteArrayOutputStream memory = new ByteArrayOutputStream();
    private Path file;
    private OutputStream fileOut;
    long count;
    long size;

    Records(int memoryLimit) {
      this.memoryLimit = memoryLimit;
    }

    void add(byte[] record) {
      try {
        count++;
        size += record.length;
        if (file == null && memory.size() + record.length <= memoryLimit) {
          memory.writeBytes(record);
          return;
        }
        if (file == null) {
          file =
              Files.createTempFile(
                  "coffer-zip-central-",
                  ".bin",
                  PosixFilePermissions.asFileAttribute(
                      PosixFilePermissions.fromString("rw-------")));
          fileOut = new BufferedOutputStream(Files.newOutputStream(file), 64 * 1024);
          memory.writeTo(fileOut);
          memory = null;
        }
        fileOut.write(record);
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot keep the zip's central directory in a temporary file (java.io.tmpdir)", e);
      }
    }

    /** Whether the records went to a temporary file. */
    boolean spilled() {
      return file != null;
    }

    long writeTo(OutputStream out) throws IOException {
      if (file == null) {
        memory.writeTo(out);
      } else {
        fileOut.close();
        Files.copy(file, out);
      }
      return size;
    }

    @Override
    public void close() {
      try {
        if (fileOut != null) fileOut.close();
      } catch (IOException e) {
        // removed below
      }
      try {
        if (file != null) Files.deleteIfExists(file);
      } catch (IOException e) {
        // a temporary file
      }
    }
  }

  public ZipStreamWriter(OutputStream out, int threads) {
    this(out, threads, CENTRAL_IN_MEMORY);
  }

  /** {@code centralInMemory}: bytes of central directory records kept in memory. */
  ZipStreamWriter(OutputStream out, int threads, int centralInMemory) {
    this.central = new Records(centralInMemory);
    this.out = out;
    this.pool =
        Executors.newFixedThreadPool(
            Math.max(1, threads),
            r -> {
              Thread t = new Thread(r, "coffer-deflate");
              t.setDaemon(true);
              return t;
            });
    this.queue = new ArrayBlockingQueue<>(2 * Math.max(1, threads) + 4);
    this.writer = new Thread(this::drain, "coffer-zip-writer");
    this.writer.setDaemon(true);
    this.writer.start();
  }

  private volatile boolean aborted;

  /** Whether the central directory's records went to a temporary file (tests). */
  boolean centralSpilled() {
    return central.spilled();
  }

  private void drain() {
    long offset = 0;
    try {
      while (true) {
        Item item = queue.take();
        if (item.end()) {
          if (aborted)
            return; // the end an abort sends: never close (and so publish) a partial archive
          break;
        }
        if (item.before() != null) item.before().accept(offset);
        if (item.stream() != null) {
          offset += item.stream().writeTo(out);
          continue;
        }
        byte[] b = item.data() != null ? item.data().get() : item.lazy().get();
        out.write(b);
        offset += b.length;
        if (item.after() != null) item.after().accept(b.length);
      }
      out.close(); // only after a clean end: closing may publish
    } catch (Throwable t) {
      failure = t instanceof ExecutionException ee && ee.getCause() != null ? ee.getCause() : t;
      queue.clear();
    } finally {
      central.close();
    }
  }

  private void enqueue(Item item) throws IOException {
    try {
      while (!queue.offer(item, 100, TimeUnit.MILLISECONDS)) checkFailure();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    }
    checkFailure();
  }

  private void checkFailure() throws IOException {
    Throwable t = failure;
    if (t == null) return;
    if (t instanceof IOException io) throw io;
    if (t instanceof RuntimeException re) throw re;
    throw new IOException(t);
  }

  /**
   * Starts a file entry compressed at {@code level} (0 = deflate's stored blocks, for
   * incompressible data).
   */
  public void startEntry(String name, long mtimeMillis, int unixMode, int level)
      throws IOException {
    if (current != null) throw new IllegalStateException("an entry is already open");
    current = new Entry(name, Deflater.DEFLATED, level, mtimeMillis, unixMode);
    Entry e = current;
    enqueue(
        new Item(
            CompletableFuture.completedFuture(localHeader(e)),
            null,
            off -> e.offset = off,
            null,
            false));
    blockLen = 0;
    dictionary = null;
  }

  public void write(byte[] b, int off, int len) throws IOException {
    Entry e = current;
    if (e == null) throw new IllegalStateException("no entry is open");
    e.crc.update(b, off, len);
    e.size += len;
    while (len > 0) {
      if (blockLen == BLOCK) submitBlock(false);
      int take = Math.min(len, BLOCK - blockLen);
      System.arraycopy(b, off, block, blockLen, take);
      blockLen += take;
      off += take;
      len -= take;
    }
  }

  private void submitBlock(boolean last) throws IOException {
    Entry e = current;
    byte[] data = block;
    int len = blockLen;
    byte[] dict = dictionary;
    if (len >= DICT) {
      dictionary = Arrays.copyOfRange(data, len - DICT, len);
    } else if (len > 0) {
      byte[] prev = dict == null ? new byte[0] : dict;
      byte[] joined = new byte[Math.min(DICT, prev.length + len)];
      int fromPrev = joined.length - len;
      System.arraycopy(prev, prev.length - fromPrev, joined, 0, fromPrev);
      System.arraycopy(data, 0, joined, fromPrev, len);
      dictionary = joined;
    }
    block = new byte[BLOCK];
    blockLen = 0;
    Future<byte[]> f = pool.submit(() -> deflate(data, len, dict, e.level, last));
    enqueue(new Item(f, null, null, n -> e.compressedSize += n, false));
  }

  private static byte[] deflate(byte[] data, int len, byte[] dict, int level, boolean last) {
    Deflater d = new Deflater(level, true);
    try {
      if (dict != null && level > 0) d.setDictionary(dict);
      d.setInput(data, 0, len);
      ByteArrayOutputStream bos = new ByteArrayOutputStream(level == 0 ? len + 64 : len / 2 + 64);
      byte[] buf = new byte[64 * 1024];
      if (last) {
        d.finish();
        while (!d.finished()) bos.write(buf, 0, d.deflate(buf));
      } else {
        int n;
        do {
          n = d.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
          bos.write(buf, 0, n);
        } while (n == buf.length);
      }
      return bos.toByteArray();
    } finally {
      d.end();
    }
  }

  /** Ends the file entry: its last block, then the data descriptor with CRC and sizes. */
  public void closeEntry() throws IOException {
    Entry e = current;
    if (e == null) throw new IllegalStateException("no entry is open");
    submitBlock(true);
    current = null;
    // its sizes are final once the descriptor is out: its central record is made then
    enqueue(
        new Item(null, () -> dataDescriptor(e), null, n -> central.add(centralRecord(e)), false));
  }

  /** A directory entry: stored, empty, no data descriptor. */
  public void directory(String name, long mtimeMillis, int unixMode) throws IOException {
    if (current != null) throw new IllegalStateException("an entry is open");
    Entry e = new Entry(name.endsWith("/") ? name : name + "/", 0, 0, mtimeMillis, unixMode);
    enqueue(
        new Item(
            CompletableFuture.completedFuture(localHeader(e)),
            null,
            off -> e.offset = off,
            n -> central.add(centralRecord(e)),
            false));
  }

  @Override
  public void close() throws IOException {
    if (closed) return;
    if (current != null) throw new IllegalStateException("an entry is still open");
    closed = true;
    long[] start = new long[1];
    enqueue(new Item(null, null, off -> start[0] = off, null, false, central));
    enqueue(
        new Item(null, () -> endRecords(central.count, central.size, start[0]), null, null, false));
    enqueue(new Item(null, null, null, null, true));
    try {
      writer.join();
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    } finally {
      pool.shutdownNow();
    }
    checkFailure();
  }

  /**
   * Stops without finishing; the downstream is left unclosed for its owner to abort. Never throws.
   */
  public void abort() {
    aborted = true; // before the end item: the writer thread sees it when it takes that item
    closed = true;
    failure = failure != null ? failure : new IOException("aborted");
    queue.clear();
    queue.offer(new Item(null, null, null, null, true));
    pool.shutdownNow();
    try {
      writer.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ------------------------------------------------------------------ records

  private static byte[] localHeader(Entry e) {
    boolean file = !e.directory();
    byte[] extra = file ? zip64Extra(0, 0, -1) : new byte[0];
    Buf b = new Buf(30 + e.name.length + extra.length);
    b.u32(0x04034b50)
        .u16(file ? 45 : 20)
        .u16(file ? 0x0808 : 0x0800)
        .u16(e.method)
        .u32(e.dosTime)
        .u32(0)
        .u32(file ? MAGIC32 : 0)
        .u32(file ? MAGIC32 : 0)
        .u16(e.name.length)
        .u16(extra.length)
        .bytes(e.name)
        .bytes(extra);
    return b.array();
  }

  private static byte[] dataDescriptor(Entry e) {
    return new Buf(24)
        .u32(0x08074b50)
        .u32(e.crc.getValue())
        .u64(e.compressedSize)
        .u64(e.size)
        .array();
  }

  private static byte[] zip64Extra(long size, long compressed, long offset) {
    Buf b = new Buf(4 + 24);
    b.u16(0x0001).u16(offset >= 0 ? 24 : 16).u64(size).u64(compressed);
    if (offset >= 0) b.u64(offset);
    return Arrays.copyOf(b.array(), offset >= 0 ? 28 : 20);
  }

  /** One entry's central directory record, its sizes and offset final. */
  private static byte[] centralRecord(Entry e) {
    boolean file = !e.directory();
    boolean bigOffset = e.offset >= MAGIC32;
    byte[] extra;
    if (file) {
      extra = zip64Extra(e.size, e.compressedSize, e.offset);
    } else if (bigOffset) {
      extra = new Buf(12).u16(0x0001).u16(8).u64(e.offset).array();
    } else {
      extra = new byte[0];
    }
    long attrs = ((long) e.unixMode & 0xffff) << 16 | (e.directory() ? 0x10 : 0);
    Buf b = new Buf(46 + e.name.length + extra.length);
    b.u32(0x02014b50)
        .u16(MADE_BY_UNIX)
        .u16(file || bigOffset ? 45 : 20)
        .u16(file ? 0x0808 : 0x0800)
        .u16(e.method)
        .u32(e.dosTime)
        .u32(file ? e.crc.getValue() : 0)
        .u32(file ? MAGIC32 : 0)
        .u32(file ? MAGIC32 : 0)
        .u16(e.name.length)
        .u16(extra.length)
        .u16(0)
        .u16(0)
        .u16(0)
        .u32(attrs)
        .u32(file || bigOffset ? MAGIC32 : e.offset)
        .bytes(e.name)
        .bytes(extra);
    return b.array();
  }

  /**
   * After the central directory of {@code count} records ({@code size} bytes, from {@code start}):
   * the ZIP64 end record, its locator and the classic end record.
   */
  private static byte[] endRecords(long count, long size, long start) {
    ByteArrayOutputStream cd = new ByteArrayOutputStream();
    long end64 = start + size;
    cd.writeBytes(
        new Buf(56)
            .u32(0x06064b50)
            .u64(44)
            .u16(MADE_BY_UNIX)
            .u16(45)
            .u32(0)
            .u32(0)
            .u64(count)
            .u64(count)
            .u64(size)
            .u64(start)
            .array());
    cd.writeBytes(new Buf(20).u32(0x07064b50).u32(0).u64(end64).u32(1).array());
    int n = (int) Math.min(count, 0xFFFF);
    cd.writeBytes(
        new Buf(22)
            .u32(0x06054b50)
            .u16(0)
            .u16(0)
            .u16(n)
            .u16(n)
            .u32(Math.min(size, MAGIC32))
            .u32(Math.min(start, MAGIC32))
            .u16(0)
            .array());
    return cd.toByteArray();
  }

  static long dosTime(long millis) {
    LocalDateTime t =
        LocalDateTime.ofInstant(Instant.ofEpochMilli(millis), ZoneOffset.systemDefault());
    if (t.getYear() < 1980) return (1 << 21) | (1 << 16);
    if (t.getYear() > 2107) t = LocalDateTime.of(2107, 12, 31, 23, 59, 58);
    return ((long) (t.getYear() - 1980) << 25)
        | ((long) t.getMonthValue() << 21)
        | ((long) t.getDayOfMonth() << 16)
        | ((long) t.getHour() << 11)
        | ((long) t.getMinute() << 5)
        | (t.getSecond() >> 1);
  }

  /** Little-endian record builder. */
  private static final class Buf {
    private final byte[] a;
    private int p;

    Buf(int size) {
      a = new byte[size];
    }

    Buf u16(int v) {
      a[p++] = (byte) v;
      a[p++] = (byte) (v >>> 8);
      return this;
    }

    Buf u32(long v) {
      for (int i = 0; i < 4; i++) a[p++] = (byte) (v >>> (8 * i));
      return this;
    }

    Buf u64(long v) {
      for (int i = 0; i < 8; i++) a[p++] = (byte) (v >>> (8 * i));
      return this;
    }

    Buf bytes(byte[] b) {
      System.arraycopy(b, 0, a, p, b.length);
      p += b.length;
      return this;
    }

    byte[] array() {
      return a;
    }
  }
}
