package io.coffer.engine.mongodump;

import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.Printable;
import io.coffer.protocol.ExitCode;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;

/**
 * Reads the file {@code mongodump --archive} writes (plain, or one gzip stream around it all with
 * {@code --gzip}), as a stream, and trusts none of it: the magic number, then the prelude (a header
 * and one document per namespace: its database, collection, metadata as extended JSON and type),
 * then blocks, each a namespace header, its documents and the terminator {@code FF FF FF FF}.
 * Collections dumped at once interleave block by block; each namespace ends with an EOF header
 * carrying the CRC-64 of its documents, which is checked here. The stream must end at a block
 * boundary with every namespace of the prelude ended. Format as read from mongo-tools' {@code
 * common/archive} (no real mongodump could be run here).
 */
public final class DumpArchive {
  static final int MAGIC = 0x8199e26d;

  /**
   * The largest document mongo-tools' parser takes (MaxBSONSize), with the room the server allows
   * beyond it.
   */
  static final int MAX_DOCUMENT = 16 * 1024 * 1024 + 16 * 1024;

  /**
   * More than any mongodump writes (a few KiB per collection); bounds what is held before any data.
   */
  static final long MAX_PRELUDE_BYTES = 32L * 1024 * 1024;

  private static final int TERMINATOR = 0xffffffff;

  /**
   * One namespace the prelude lists: {@code metadata} is the JSON text of its .metadata.json (empty
   * for the oplog).
   */
  public record Namespace(String db, String collection, String metadata, String type) {
    public String key() {
      return db + "." + collection;
    }
  }

  /** What {@link #next()} reads: a document of a namespace, or the end of one (its CRC checked). */
  public sealed interface Event permits Document, End {
    Namespace namespace();
  }

  public record Document(Namespace namespace, byte[] bytes) implements Event {}

  public record End(Namespace namespace, long documents) implements Event {}

  private final InputStream in;
  private final String name;
  private final String serverVersion;
  private final String toolVersion;
  private final int concurrency;
  private final List<Namespace> prelude = new ArrayList<>();
  private final Map<String, Namespace> byKey = new HashMap<>();

  /**
   * Namespaces whose data header has been seen and whose EOF has not: their CRC and count so far.
   */
  private final Map<String, Crc64> open = new HashMap<>();

  private final Map<String, long[]> counts = new HashMap<>();
  private final Set<String> ended = new HashSet<>();

  /** The namespace of the block being read, or null between blocks. */
  private Namespace current;

  private boolean done;
  private final byte[] head = new byte[4];

  private final boolean gzipped;

  private DumpArchive(InputStream in, String name, boolean gzipped) throws IOException {
    this.in = in;
    this.name = name;
    this.gzipped = gzipped;
    if (in.readNBytes(head, 0, 4) != 4 || le(head) != MAGIC) {
      throw CofferException.usage(
          Printable.escape(name)
              + " is not a mongodump archive (it does not start with mongodump's magic number);"
              + " give the file `mongodump --archive` wrote (gzipped or not) or the folder `mongodump --out` wrote");
    }
    byte[] h = item();
    if (h == null) throw damaged("ends after its magic number");
    BsonDocument header = document(h, "its prelude header");
    if (!header.isString("version") || !header.getString("version").getValue().startsWith("0.")) {
      throw damaged(
          "has a prelude header of a format version this reader does not know ("
              + Printable.escape(String.valueOf(header.get("version")))
              + ")");
    }
    serverVersion =
        header.isString("server_version")
            ? header.getString("server_version").getValue()
            : "unknown";
    toolVersion =
        header.isString("tool_version") ? header.getString("tool_version").getValue() : "";
    concurrency =
        header.isNumber("concurrent_collections")
            ? header.getNumber("concurrent_collections").intValue()
            : 1;
    long bytes = h.length;
    byte[] d;
    while ((d = item()) != TERMINATOR_ITEM) {
      if (d == null) throw damaged("ends inside its prelude");
      bytes += d.length;
      if (bytes > MAX_PRELUDE_BYTES)
        throw damaged(
            "has a prelude larger than "
                + (MAX_PRELUDE_BYTES >> 20)
                + " MiB, far more than mongodump writes");
      BsonDocument m = document(d, "its prelude");
      Namespace ns =
          new Namespace(
              string(m, "db", true),
              string(m, "collection", false),
              string(m, "metadata", true),
              string(m, "type", true));
      if (byKey.putIfAbsent(ns.key(), ns) != null)
        throw damaged("lists namespace " + Printable.escape(ns.key()) + " twice in its prelude");
      prelude.add(ns);
    }
  }

  /**
   * Opens an archive from its first byte; a gzip stream (mongodump --archive --gzip) is recognised
   * by its own magic.
   */
  public static DumpArchive open(InputStream raw, String name) throws IOException {
    BufferedInputStream b = new BufferedInputStream(raw, 1 << 16);
    int b0;
    int b1;
    try {
      b.mark(2);
      b0 = b.read();
      b1 = b.read();
      b.reset();
    } catch (IOException e) {
      throw unreadable(name, e);
    }
    InputStream in = b;
    if (b0 == 0x1f && b1 == 0x8b) {
      try {
        in = new BufferedInputStream(new GZIPInputStream(b, 1 << 16), 1 << 16);
      } catch (IOException e) {
        throw new CofferException(
            ExitCode.INTEGRITY,
            Printable.escape(name)
                + " is a damaged gzip file ("
                + e.getMessage()
                + "); nothing was restored",
            e);
      }
    }
    try {
      return new DumpArchive(in, name, in != b);
    } catch (ZipException | EOFException e) {
      throw new CofferException(
          ExitCode.INTEGRITY,
          Printable.escape(name)
              + " is damaged or truncated ("
              + e.getMessage()
              + "); nothing was restored",
          e);
    } catch (IOException e) {
      throw unreadable(name, e);
    }
  }

  /** Whether the archive is one gzip stream (mongodump --archive --gzip). */
  public boolean gzipped() {
    return gzipped;
  }

  public List<Namespace> prelude() {
    return List.copyOf(prelude);
  }

  public String serverVersion() {
    return serverVersion;
  }

  public String toolVersion() {
    return toolVersion;
  }

  /** How many collections mongodump dumped at once (how many may interleave). */
  public int concurrency() {
    return concurrency;
  }

  /**
   * The next document or namespace end, or null at the end of the archive, once it is known that
   * every namespace of the prelude ended with its CRC right.
   */
  public Event next() throws IOException {
    try {
      return read();
    } catch (ZipException | EOFException e) {
      throw new CofferException(
          ExitCode.INTEGRITY,
          Printable.escape(name)
              + " is damaged or truncated ("
              + e.getMessage()
              + "); nothing was restored",
          e);
    } catch (IOException e) {
      throw unreadable(name, e); // a connection reset, a failing disk: not the data's fault
    }
  }

  private Event read() throws IOException {
    if (done) return null;
    while (true) {
      byte[] d = item();
      if (current != null) {
        if (d == null)
          throw damaged(
              "ends inside a block of " + Printable.escape(current.key()) + " (truncated)");
        if (d == TERMINATOR_ITEM) {
          current = null;
          continue;
        }
        open.get(current.key()).update(d);
        counts.get(current.key())[0]++;
        return new Document(current, d);
      }
      if (d == null) {
        finish();
        return null;
      }
      if (d == TERMINATOR_ITEM)
        throw damaged("has two terminators in a row (a block without its header)");
      BsonDocument h = document(d, "a namespace header");
      String db = string(h, "db", true);
      String coll = string(h, "collection", false);
      boolean eof = h.isBoolean("EOF") && h.getBoolean("EOF").getValue();
      Namespace ns = namespace(db, coll);
      String key = ns.key();
      if (ended.contains(key))
        throw damaged("has data for " + Printable.escape(key) + " after that namespace ended");
      if (!eof) {
        open.computeIfAbsent(key, k -> new Crc64());
        counts.computeIfAbsent(key, k -> new long[1]);
        current = ns;
        continue;
      }
      BsonValue crc = h.get("CRC");
      if (crc == null || !(crc.isInt64() || crc.isInt32()))
        throw damaged("has an EOF header of " + Printable.escape(key) + " without its CRC");
      Crc64 mine = open.remove(key);
      long have = mine == null ? 0 : mine.value();
      long want = crc.isInt64() ? crc.asInt64().getValue() : crc.asInt32().getValue();
      if (have != want) {
        throw new CofferException(
            ExitCode.INTEGRITY,
            Printable.escape(name)
                + ": the documents of "
                + Printable.escape(key)
                + " do not match their CRC (the archive is damaged or was altered); nothing was restored");
      }
      if (item() != TERMINATOR_ITEM)
        throw damaged(
            "has an EOF header of " + Printable.escape(key) + " not followed by a terminator");
      ended.add(key);
      long[] n = counts.remove(key);
      return new End(ns, n == null ? 0 : n[0]);
    }
  }

  /**
   * The prelude's namespace of a header; a time-series collection's buckets ({@code
   * system.buckets.X}) belong to X.
   */
  private Namespace namespace(String db, String coll) {
    Namespace ns = byKey.get(db + "." + coll);
    if (ns != null) return ns;
    if (coll.startsWith("system.buckets.")) {
      Namespace ts = byKey.get(db + "." + coll.substring("system.buckets.".length()));
      if (ts != null && "timeseries".equals(ts.type())) {
        Namespace buckets = new Namespace(db, coll, "", "buckets");
        byKey.put(buckets.key(), buckets);
        return buckets;
      }
    }
    throw damaged(
        "has data for " + Printable.escape(db + "." + coll) + ", which its prelude does not list");
  }

  private void finish() {
    done = true;
    if (!open.isEmpty()) {
      throw damaged(
          "ends before "
              + Printable.escape(open.keySet().iterator().next())
              + (open.size() > 1 ? " and " + (open.size() - 1) + " more" : "")
              + " ended (truncated)");
    }
    for (Namespace ns : prelude) {
      if ("timeseries".equals(ns.type())) continue; // its data is the buckets' namespace
      if (!ended.contains(ns.key()))
        throw damaged(
            "ends before "
                + Printable.escape(ns.key())
                + " of its prelude was written (truncated)");
    }
  }

  private static final byte[] TERMINATOR_ITEM = new byte[0];

  /** The next whole document, {@link #TERMINATOR_ITEM}, or null at a clean end of the stream. */
  private byte[] item() throws IOException {
    int n = in.readNBytes(head, 0, 4);
    if (n == 0) return null;
    if (n < 4) throw damaged("is truncated (it ends inside a length)");
    int len = le(head);
    if (len == TERMINATOR) return TERMINATOR_ITEM;
    if (len < 5 || len > MAX_DOCUMENT)
      throw damaged("holds an impossible document length " + Integer.toUnsignedString(len));
    byte[] doc = new byte[len];
    System.arraycopy(head, 0, doc, 0, 4);
    if (in.readNBytes(doc, 4, len - 4) != len - 4)
      throw damaged("is truncated (it ends inside a document)");
    if (doc[len - 1] != 0) throw damaged("holds a document without its terminating zero");
    return doc;
  }

  private BsonDocument document(byte[] d, String what) {
    try {
      BsonDocument doc = new RawBsonDocument(d).decode(new BsonDocumentCodec());
      return doc;
    } catch (RuntimeException | StackOverflowError e) {
      throw damaged("holds a malformed document in " + what);
    }
  }

  private String string(BsonDocument d, String field, boolean mayBeEmpty) {
    BsonValue v = d.get(field);
    if (v == null && mayBeEmpty) return "";
    if (v == null || !v.isString()) throw damaged("has a header without the text field " + field);
    String s = v.asString().getValue();
    if (s.isEmpty() && !mayBeEmpty) throw damaged("has a header with an empty " + field);
    return s;
  }

  private static int le(byte[] b) {
    return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
  }

  private CofferException damaged(String what) {
    return new CofferException(
        ExitCode.INTEGRITY,
        Printable.escape(name)
            + " "
            + what
            + ": the mongodump archive is damaged; nothing was restored");
  }

  /**
   * A dump that cannot be read (permissions, a failing disk, a connection reset): the source's
   * fault, not the data's.
   */
  public static CofferException unreadable(String source, IOException e) {
    return new CofferException(
        ExitCode.SOURCE,
        "cannot read "
            + Printable.escape(source)
            + " ("
            + e.getClass().getSimpleName()
            + (e.getMessage() == null ? "" : ": " + Printable.escape(e.getMessage()))
            + "); nothing was restored",
        e);
  }
}
