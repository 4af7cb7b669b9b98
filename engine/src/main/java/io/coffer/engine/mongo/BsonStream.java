package io.coffer.engine.mongo;

import io.coffer.engine.base.CofferException;
import io.coffer.protocol.ExitCode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import org.bson.BsonBinaryReader;
import org.bson.BsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.DecoderContext;

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
    index++;
    return doc;
  }

  /** Decodes every field of a document, to prove it well-formed (deep verification). */
  public void validate(byte[] doc) {
    try (BsonBinaryReader r = new BsonBinaryReader(ByteBuffer.wrap(doc))) {
      BsonDocument d = new BsonDocumentCodec().decode(r, DecoderContext.builder().build());
      if (d == null) throw damaged("an empty decode");
    } catch (RuntimeException e) {
      if (e instanceof CofferException ce) throw ce;
      throw damaged("a malformed document (" + e.getClass().getSimpleName() + ")");
    } catch (StackOverflowError e) {
      throw damaged("a document nested deeper than any MongoDB stores");
    }
  }

  public long count() {
    return index;
  }

  private CofferException damaged(String what) {
    return new CofferException(
        ExitCode.INTEGRITY, name + " is damaged: " + what + " after document " + index);
  }
}
