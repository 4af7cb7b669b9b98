package io.coffer.engine.mongo;

import io.coffer.engine.base.CofferException;
import io.coffer.protocol.ExitCode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import org.bson.AbstractBsonReader;
import org.bson.BsonBinaryReader;
import org.bson.BsonSerializationException;
import org.bson.BsonType;

/**
 * Reads a {@code .bson} file (concatenated documents) one raw document at a time, checking each
 * frame.
 */
public final class BsonStream {
  /** 16 MiB, the server's document limit, plus room for the overhead mongodump allows. */
  static final int MAX_DOCUMENT = 16 * 1024 * 1024 + 16 * 1024;

  private final InputStream in;
  private final String name;
  private final long limit;
  private long index;

  public BsonStream(InputStream in, String name) {
    this(in, name, Long.MAX_VALUE);
  }

  /**
   * A stream that fails at the first document past {@code limit} (the count its manifest declares).
   */
  public BsonStream(InputStream in, String name, long limit) {
    this.in = in;
    this.name = name;
    this.limit = limit;
  }

  /**
   * The length a BSON document states in its first four bytes (little-endian), the document at
   * {@code at}.
   */
  public static int length(byte[] buf, int at) {
    return (buf[at] & 0xff)
        | (buf[at + 1] & 0xff) << 8
        | (buf[at + 2] & 0xff) << 16
        | (buf[at + 3] & 0xff) << 24;
  }

  /** The next document's bytes, or null at a clean end. */
  public byte[] next() throws IOException {
    byte[] head = new byte[4];
    int n = in.readNBytes(head, 0, 4);
    if (n == 0) return null;
    if (n < 4) throw damaged("a truncated document length");
    int len = length(head, 0);
    if (len < 5 || len > MAX_DOCUMENT) throw damaged("an impossible document length " + len);
    byte[] doc = new byte[len];
    System.arraycopy(head, 0, doc, 0, 4);
    if (in.readNBytes(doc, 4, len - 4) != len - 4) throw damaged("a truncated document");
    if (doc[len - 1] != 0) throw damaged("a document without its terminating zero");
    if (index >= limit) {
      throw new CofferException(
          ExitCode.INTEGRITY,
          name
              + " holds more than the "
              + limit
              + " documents its manifest declares; nothing was restored");
    }
    try {
      check(doc);
    } catch (RuntimeException e) {
      throw new CofferException(
          ExitCode.INTEGRITY,
          name
              + " is damaged: document "
              + (index + 1)
              + " is malformed BSON ("
              + reason(e)
              + "); nothing was restored");
    }
    index++;
    return doc;
  }

  /**
   * Walks every element of a document (into every sub-document and array), to refuse a malformed
   * one before a server sees it: the checks of a full decode (types, lengths, terminators,
   * booleans, old binary's inner length), reading only what those need (strings, booleans, binary,
   * DBPointers) and skipping fixed-size values. Throws the BSON library's exception.
   */
  public static void check(byte[] doc) {
    try (BsonBinaryReader r = new BsonBinaryReader(ByteBuffer.wrap(doc))) {
      r.readStartDocument();
      walk(r, 0);
      r.readEndDocument();
    }
  }

  /** MongoDB itself nests documents at most 100 deep; twice that is no server's dump. */
  private static final int MAX_DEPTH = 200;

  static void walk(BsonBinaryReader r, int depth) {
    if (depth > MAX_DEPTH) throw new BsonSerializationException("nested deeper than " + MAX_DEPTH);
    BsonType t;
    while ((t = r.readBsonType()) != BsonType.END_OF_DOCUMENT) {
      if (r.getState() == AbstractBsonReader.State.NAME) r.skipName();
      if (t == BsonType.DOCUMENT) {
        r.readStartDocument();
        walk(r, depth + 1);
        r.readEndDocument();
      } else if (t == BsonType.ARRAY) {
        r.readStartArray();
        walk(r, depth + 1);
        r.readEndArray();
      } else if (t == BsonType.JAVASCRIPT_WITH_SCOPE) {
        r.readJavaScriptWithScope();
        r.readStartDocument();
        walk(r, depth + 1);
        r.readEndDocument();
      } else if (t == BsonType.STRING) {
        r.readString(); // checks its terminating NUL, which skipping would not
      } else if (t == BsonType.SYMBOL) {
        r.readSymbol();
      } else if (t == BsonType.JAVASCRIPT) {
        r.readJavaScript();
      } else if (t == BsonType.BOOLEAN) {
        r.readBoolean(); // 0 or 1, which skipping would not check
      } else if (t == BsonType.DB_POINTER) {
        r.readDBPointer(); // its namespace's length and NUL
      } else if (t == BsonType.BINARY) {
        r.readBinaryData(); // subtype 2's inner length
      } else {
        r.skipValue();
      }
    }
  }

  /** What is wrong with a document {@link #check} refused, in words, without its content. */
  public static String reason(RuntimeException e) {
    String m = e.getMessage() == null ? "" : e.getMessage();
    if (m.startsWith("nested deeper")) return m + ", deeper than any MongoDB stores";
    if (m.contains("unknown BSON type")) return "an unknown element type";
    if (m.contains("null terminator") || m.contains("not null terminated"))
      return "a name or string without its terminator";
    if (m.contains("ength")) return "a length that does not fit";
    return "elements that do not parse";
  }

  public long count() {
    return index;
  }

  private CofferException damaged(String what) {
    return new CofferException(
        ExitCode.INTEGRITY, name + " is damaged: " + what + " after document " + index);
  }
}
