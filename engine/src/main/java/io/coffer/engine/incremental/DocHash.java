package io.coffer.engine.incremental;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.bson.BsonBinaryReader;
import org.bson.BsonDocument;
import org.bson.BsonType;
import org.bson.BsonValue;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;

/**
 * A document's identity for the chain index: its {@code _id} element (raw bytes), a hash of it, and
 * a hash of the whole document.
 */
public final class DocHash {
  private final MessageDigest sha;

  public DocHash() {
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public record Ids(byte[] idElement, long idHash, long docHash) {}

  public Ids of(byte[] buf, int off, int len) {
    byte[] id = idElement(buf, off, len);
    return new Ids(id, hash(id, 0, id.length), hash(buf, off, len));
  }

  long hash(byte[] b, int off, int len) {
    sha.reset();
    sha.update(b, off, len);
    byte[] d = sha.digest();
    return ByteBuffer.wrap(d).getLong();
  }

  /** The bytes of the {@code _id} element (type, name, value) of a BSON document. */
  static byte[] idElement(byte[] buf, int off, int len) {
    ByteBuffer bb = ByteBuffer.wrap(buf, off, len).slice();
    try (BsonBinaryReader r = new BsonBinaryReader(bb)) {
      r.readStartDocument();
      while (true) {
        int start = r.getBsonInput().getPosition();
        BsonType t = r.readBsonType();
        if (t == BsonType.END_OF_DOCUMENT) break;
        String name = r.readName();
        r.skipValue();
        if (name.equals("_id")) {
          int end = r.getBsonInput().getPosition();
          byte[] el = new byte[end - start];
          System.arraycopy(buf, off + start, el, 0, el.length);
          return el;
        }
      }
    }
    throw new IllegalArgumentException("a document without _id");
  }

  /** The document {@code {_id: id}}, encoded. */
  public static byte[] idDocument(BsonValue id) {
    var bb =
        new RawBsonDocument(new BsonDocument("_id", id), new BsonDocumentCodec()).getByteBuffer();
    byte[] doc = new byte[bb.remaining()];
    bb.get(doc);
    return doc;
  }

  /** A document holding only the given {@code _id} element: {@code {_id: ...}}. */
  public static byte[] idDocument(byte[] idElement) {
    int n = 4 + idElement.length + 1;
    ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(n).put(idElement).put((byte) 0);
    return b.array();
  }
}
