package io.coffer.engine.mongodump;

import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.Printable;
import io.coffer.protocol.ExitCode;
import java.nio.ByteBuffer;
import org.bson.AbstractBsonReader;
import org.bson.BsonBinaryReader;
import org.bson.BsonSerializationException;
import org.bson.BsonType;

/** The documents of a dump, checked one by one: a dump has no checksum beyond an archive's CRC. */
public final class DumpDocuments {
  private DumpDocuments() {}

  /**
   * Walks every element of a document (into every sub-document and array), to refuse a malformed
   * one before the server sees it: the checks of a full decode (types, lengths, terminators,
   * booleans, old binary's inner length), reading only what those need (strings, booleans, binary,
   * DBPointers) and skipping fixed-size values.
   */
  public static void validate(byte[] doc, String key, long index) {
    try (BsonBinaryReader r = new BsonBinaryReader(ByteBuffer.wrap(doc))) {
      r.readStartDocument();
      walk(r, 0);
      r.readEndDocument();
    } catch (RuntimeException e) {
      throw new CofferException(
          ExitCode.INTEGRITY,
          "document "
              + (index + 1)
              + " of "
              + Printable.escape(key)
              + " in the dump is malformed BSON"
              + " ("
              + e.getClass().getSimpleName()
              + "); the dump is damaged; nothing was restored");
    }
  }

  /** MongoDB itself nests documents at most 100 deep; twice that is no server's dump. */
  private static final int MAX_DEPTH = 200;

  private static void walk(BsonBinaryReader r, int depth) {
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
}
