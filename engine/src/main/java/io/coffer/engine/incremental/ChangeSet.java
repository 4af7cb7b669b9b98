package io.coffer.engine.incremental;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The parent's documents of one collection (hashes only), consumed while the current collection is read: what is
 * left at the end was deleted since the parent.
 */
public final class ChangeSet {
  private final LongLongMap parent;

  private ChangeSet(LongLongMap parent) {
    this.parent = parent;
  }

  public static ChangeSet load(ChainIndex index, String parentId, String name) throws IOException {
    LongLongMap map = new LongLongMap(1024);
    try (ChainIndex.Reader r = index.reader(parentId, name)) {
      byte[][] id = new byte[1][];
      long[] rec;
      while ((rec = r.nextDocument(id)) != null) map.put(rec[0], rec[1]);
    }
    return new ChangeSet(map);
  }

  /** Whether a current document is new or changed since the parent; marks it as still there. */
  public boolean changed(long idHash, long docHash) {
    if (!parent.contains(idHash)) return true;
    long before = parent.get(idHash, 0);
    parent.remove(idHash);
    return before != docHash;
  }

  /** Parent documents not seen in the current collection. */
  public int remaining() {
    return parent.size();
  }

  /** Writes {@code {_id: ...}} for each document deleted since the parent (read again from its index); returns how many. */
  public long writeDeleted(ChainIndex index, String parentId, String name, OutputStream out) throws IOException {
    long n = 0;
    try (ChainIndex.Reader r = index.reader(parentId, name)) {
      byte[][] id = new byte[1][];
      long[] rec;
      while ((rec = r.nextDocument(id)) != null) {
        if (parent.contains(rec[0])) {
          out.write(DocHash.idDocument(id[0]));
          n++;
        }
      }
    }
    return n;
  }
}
