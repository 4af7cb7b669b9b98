package io.coffer.engine.incremental;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An increment's comparison of a collection, read in {@code _id} order, with its parent's index
 * ({@link ChainIndex.Cursor}, in the same order): a merge of two sorted streams, so memory holds
 * the changes only (a collection of ten million documents with 1 % changed keeps about a hundred
 * thousand records, not ten million).
 *
 * <p>Correct whatever the order: a parent record passed over is kept as "deleted unless seen
 * later", a current document not found is kept as "new"; at the end a deletion is only one never
 * seen as a current document. So if the server's order and {@link IdOrder} disagree (types it does
 * not rank, another server's order), nothing is lost: those records only stay in memory until the
 * end, and a document judged new is stored whole, which restores the same.
 */
public final class ChainDiff implements AutoCloseable {
  private final ChainIndex.Cursor parent;
  private boolean more;

  /** Parent records passed over: idHash to their position in the lists below. */
  private final LongLongMap passed = new LongLongMap(1024);

  private final List<byte[]> passedIds = new ArrayList<>();
  private long[] passedHashes = new long[1024];
  private final LongLongMap fresh =
      new LongLongMap(1024); // current documents not found in the parent: idHash -> 0
  private long matched;

  /** Takes over the cursor: closed by {@link #close()}, or here when its first read fails. */
  public ChainDiff(ChainIndex.Cursor parent) throws IOException {
    this.parent = parent;
    try {
      this.more = parent.next();
    } catch (IOException | RuntimeException e) {
      parent.close();
      throw e;
    }
  }

  public ChainIndex.Chain chain() {
    return parent.chain();
  }

  /**
   * Whether a current document (the next in {@code _id} order) is new or changed since the parent.
   */
  public boolean changed(long idHash, long docHash, byte[] idElement) throws IOException {
    while (more) {
      if (parent.idHash == idHash && Arrays.equals(parent.idElement, idElement)) {
        boolean changed = parent.docHash != docHash;
        matched++;
        lastMatched = idHash;
        anyMatched = true;
        more = parent.next();
        return changed;
      }
      if (IdOrder.compare(parent.idElement, idElement) >= 0) break;
      pass();
      more = parent.next();
    }
    int at = (int) passed.get(idHash, -1);
    if (at >= 0) { // the parent had it earlier than this order says: out of order, still found
      passed.remove(idHash);
      passedIds.set(at, null);
      matched++;
      return passedHashes[at * 2 + 1] != docHash;
    }
    fresh.put(idHash, 0);
    return true;
  }

  private long lastMatched;
  private boolean anyMatched;

  private void pass() {
    // a record repeated in the parent's index (damaged or hostile input) is never taken for a
    // deletion of the document
    // matched just before, nor kept twice
    if ((anyMatched && parent.idHash == lastMatched) || passed.contains(parent.idHash)) return;
    int n = passedIds.size();
    if (n * 2 + 1 >= passedHashes.length)
      passedHashes = Arrays.copyOf(passedHashes, passedHashes.length * 2);
    passedHashes[n * 2] = parent.idHash;
    passedHashes[n * 2 + 1] = parent.docHash;
    passedIds.add(parent.idElement);
    passed.put(parent.idHash, n);
  }

  /** Receives the documents deleted since the parent. */
  public interface Deleted {
    void accept(long idHash, byte[] idElement) throws IOException;
  }

  /**
   * After the last current document: every parent document not seen (passed over, or after the last
   * one); how many. The caller checks them against the server before it records them (a document
   * there now is never recorded deleted).
   */
  public long deletions(Deleted out) throws IOException {
    while (more) {
      pass();
      more = parent.next();
    }
    long n = 0;
    for (int i = 0; i < passedIds.size(); i++) {
      byte[] id = passedIds.get(i);
      long idHash = passedHashes[i * 2];
      if (id == null || fresh.contains(idHash))
        continue; // seen after all (out of order): not deleted
      out.accept(idHash, id);
      n++;
    }
    return n;
  }

  /**
   * Records held in memory for the comparison (passed over plus new): about the changes, whatever
   * the collection's size.
   */
  public long held() {
    return passed.size() + fresh.size();
  }

  @Override
  public void close() throws IOException {
    parent.close();
  }
}
