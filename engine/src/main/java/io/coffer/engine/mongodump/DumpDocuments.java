package io.coffer.engine.mongodump;

import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.Printable;
import io.coffer.engine.mongo.BsonStream;
import io.coffer.protocol.ExitCode;

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
    try {
      BsonStream.check(doc);
    } catch (RuntimeException e) {
      throw new CofferException(
          ExitCode.INTEGRITY,
          "document "
              + (index + 1)
              + " of "
              + Printable.escape(key)
              + " in the dump is malformed BSON ("
              + BsonStream.reason(e)
              + "); the dump is damaged; nothing was restored");
    }
  }
}
