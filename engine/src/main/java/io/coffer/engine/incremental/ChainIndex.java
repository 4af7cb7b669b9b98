package io.coffer.engine.incremental;

import io.coffer.engine.base.CofferException;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.crypto.AgeException;
import io.coffer.engine.crypto.Encryption;
import io.coffer.engine.storage.BackupIds;
import io.coffer.engine.storage.Storage;
import io.coffer.engine.storage.StorageException;
import io.coffer.protocol.ExitCode;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;

/**
 * What an incremental backup needs to know of its parent, and nothing more: per collection, a hash
 * of each document's {@code _id} and of its bytes (and the {@code _id} itself, to record
 * deletions); per file tree, each file's size, time, mode, SHA-256 and which backup of the chain
 * holds its content. One object per collection or tree under {@code <id>/index/}, encrypted with
 * the index key, a secret only backup Jobs hold: they cannot decrypt earlier backups (those are
 * encrypted to public keys) yet can compute the increment.
 *
 * <p>A collection's object is a <em>checkpoint</em> (every document) or a <em>delta</em> (the
 * documents inserted or changed and the {@code _id}s deleted since its parent, which it names): an
 * increment of 1 % changed documents stores 1 % of an index, not a whole one. The current state is
 * the newest checkpoint with the deltas after it applied ({@link #documents}); a checkpoint is
 * written again when the deltas since the last one reach {@link #MAX_DELTAS} or a quarter of its
 * documents, so reading a long chain stays cheap. Everything read is untrusted: a delta that names
 * an unknown, looping or too long chain is refused.
 */
public final class ChainIndex {
  /** Objects written before deltas: a checkpoint with no header. Still read. */
  private static final int MAGIC_V1 = 0x43494458; // "CIDX"

  private static final int MAGIC =
      0x43494432; // "CID2": a header (kind, then parent and depth for a delta) follows
  private static final byte CHECKPOINT = 'C';
  private static final byte DELTA = 'I';

  /** Deltas after a checkpoint before the next increment writes a checkpoint again. */
  public static final int MAX_DELTAS = 16;

  /**
   * The longest chain of index objects a reader follows (a checkpoint plus its deltas), against
   * loops in bad input.
   */
  private static final int MAX_CHAIN = MAX_DELTAS + 1;

  /**
   * scrypt cost for the index: the index key is a random secret, not a password, so a low cost is
   * enough.
   */
  private static final int SCRYPT_LOG_N = 10;

  public static final String SCHEME_KEYED = "age-scrypt";
  public static final String SCHEME_PLAIN = "plain";

  private final Storage storage;
  private final char[] key;

  /** {@code key}: the index key, or null for a plain index (unencrypted backups only). */
  public ChainIndex(Storage storage, char[] key) {
    this.storage = storage;
    this.key = key == null ? null : key.clone();
  }

  public String scheme() {
    return key == null ? SCHEME_PLAIN : SCHEME_KEYED;
  }

  public static String collectionName(String db, String coll) {
    return "mongodb." + db + "." + coll;
  }

  public static String treeName(String tree) {
    return "files." + tree;
  }

  static String objectKey(String backupId, String name) {
    return BackupIds.key(backupId, "index/" + name + ".idx");
  }

  /**
   * One file as the index remembers it. {@code from}: the backup whose archive holds the content.
   */
  public record FileRec(String path, long size, long mtime, int mode, String sha256, String from) {}

  /** Writes one index object; published by {@link #close()}, thrown away by {@link #abort()}. */
  public final class Writer implements Closeable {
    private final Storage.AtomicOutput target;
    private final DataOutputStream out;
    private boolean done;

    /**
     * {@code parentId} null: a checkpoint; else a delta on the parent's index, the {@code depth}-th
     * since a checkpoint.
     */
    Writer(String backupId, String name, String parentId, int depth) throws IOException {
      target = storage.create(objectKey(backupId, name));
      Encryption enc = key == null ? Encryption.NONE : Encryption.withPassphrase(key, SCRYPT_LOG_N);
      OutputStream wrapped = enc.wrap(target);
      out =
          new DataOutputStream(
              new BufferedOutputStream(
                  new DeflaterOutputStream(wrapped, new Deflater(1), 64 * 1024), 64 * 1024));
      out.writeInt(MAGIC);
      if (parentId == null) {
        out.writeByte(CHECKPOINT);
      } else {
        out.writeByte(DELTA);
        out.writeUTF(parentId);
        out.writeInt(depth);
      }
    }

    /** A current document (a checkpoint), or one inserted or changed since the parent (a delta). */
    public void document(long idHash, long docHash, byte[] idElement) throws IOException {
      out.writeByte('D');
      out.writeLong(idHash);
      out.writeLong(docHash);
      out.writeInt(idElement.length);
      out.write(idElement);
    }

    /** A document deleted since the parent (a delta only). */
    public void deleted(long idHash) throws IOException {
      out.writeByte('X');
      out.writeLong(idHash);
    }

    public void position(long oplogTs) throws IOException {
      out.writeByte('P');
      out.writeLong(oplogTs);
    }

    public void file(FileRec f) throws IOException {
      out.writeByte('F');
      out.writeUTF(f.path());
      out.writeLong(f.size());
      out.writeLong(f.mtime());
      out.writeInt(f.mode());
      out.writeUTF(f.sha256());
      out.writeUTF(f.from());
    }

    @Override
    public void close() throws IOException {
      if (done) return;
      done = true;
      out.writeByte('E');
      out.close(); // finishes deflate and encryption, publishes the object
    }

    public void abort() {
      if (done) return;
      done = true;
      target.abort();
    }
  }

  /** A checkpoint: every record. */
  public Writer writer(String backupId, String name) throws IOException {
    return new Writer(backupId, name, null, 0);
  }

  /** A delta on {@code parent}'s index, whose chain a {@link Cursor} described. */
  public Writer deltaWriter(String backupId, String name, String parentId, Chain parent)
      throws IOException {
    return new Writer(backupId, name, parentId, parent.deltas() + 1);
  }

  /**
   * Fails (with the reason) unless this key opens the index of {@code backupId}; called before
   * anything is written.
   */
  public void checkKey(String backupId) throws IOException {
    String prefix = BackupIds.key(backupId, "index/");
    for (String k : storage.list(backupId)) {
      if (k.startsWith(prefix) && k.endsWith(".idx")) {
        String name = k.substring(prefix.length(), k.length() - ".idx".length());
        reader(backupId, name).close();
        return;
      }
    }
    throw new CofferException(
        ExitCode.NOT_FOUND,
        "backup "
            + backupId
            + " has no chain index objects; take a full backup to start a new chain");
  }

  /** Whether a backup has an index object of that name. */
  public boolean has(String backupId, String name) throws IOException {
    return storage.exists(objectKey(backupId, name));
  }

  /** Reads one index object, record by record. */
  public final class Reader implements Closeable {
    private final DataInputStream in;
    private final String what;

    /**
     * For a delta: the backup whose index it applies to, and how many deltas since the checkpoint
     * it is.
     */
    private String parent;

    private int depth;

    Reader(String backupId, String name) throws IOException {
      what = "the index " + name + " of backup " + backupId;
      InputStream raw;
      try {
        raw = storage.open(objectKey(backupId, name));
      } catch (StorageException e) {
        if (e.isNotFound())
          throw new CofferException(
              ExitCode.NOT_FOUND, what + " is missing; take a full backup to start a new chain");
        throw e;
      }
      InputStream plain = raw;
      if (key != null) {
        try {
          plain = Age.decrypt(raw, Age.DecryptionKeys.passphrase(key));
        } catch (AgeException e) {
          raw.close();
          throw new CofferException(
              ExitCode.KEY,
              what
                  + " does not open with this index key ("
                  + e.getMessage()
                  + "); give the index key the chain was made with, or take a full backup");
        }
      }
      in = new DataInputStream(new BufferedInputStream(new InflaterInputStream(plain), 64 * 1024));
      try {
        int magic = in.readInt();
        if (magic == MAGIC) {
          int kind = in.readUnsignedByte();
          if (kind == DELTA) {
            parent = in.readUTF();
            depth = in.readInt();
            if (depth < 1 || depth > MAX_DELTAS || !BackupIds.ID.matcher(parent).matches()) {
              throw new CofferException(
                  ExitCode.INTEGRITY, what + " is damaged (a delta with a bad header)");
            }
          } else if (kind != CHECKPOINT) {
            throw new CofferException(ExitCode.INTEGRITY, what + " is damaged (unknown kind)");
          }
        } else if (magic != MAGIC_V1) {
          throw new CofferException(ExitCode.INTEGRITY, what + " is not a Coffer index");
        }
      } catch (CofferException e) {
        in.close();
        throw e;
      } catch (IOException e) {
        in.close();
        throw new CofferException(
            ExitCode.INTEGRITY, what + " is truncated or damaged: " + e.getMessage(), e);
      }
    }

    /** The backup whose index this delta applies to, or null for a checkpoint. */
    public String parent() {
      return parent;
    }

    /**
     * The next document record as {idHash, docHash} with its _id element in {@code id[0]}; null at
     * the end.
     */
    public long[] nextDocument(byte[][] id) throws IOException {
      if (parent != null)
        throw new IllegalStateException(what + " is a delta: read it through documents()");
      int tag = tag();
      if (tag == 'E') return null;
      if (tag != 'D') throw new CofferException(ExitCode.INTEGRITY, what + " is damaged");
      return document(id);
    }

    /**
     * The next record of a delta: {idHash, docHash} for a document inserted or changed (its _id
     * element in {@code id[0]}), {idHash} for one deleted; null at the end.
     */
    long[] nextChange(byte[][] id) throws IOException {
      int tag = tag();
      if (tag == 'E') return null;
      try {
        if (tag == 'X') return new long[] {in.readLong()};
      } catch (EOFException e) {
        throw new CofferException(ExitCode.INTEGRITY, what + " is truncated");
      }
      if (tag != 'D') throw new CofferException(ExitCode.INTEGRITY, what + " is damaged");
      return document(id);
    }

    /** A document record after its tag: {idHash, docHash}, its _id element in {@code id[0]}. */
    private long[] document(byte[][] id) throws IOException {
      try {
        long idHash = in.readLong();
        long docHash = in.readLong();
        int n = in.readInt();
        if (n < 0 || n > 16 * 1024 * 1024)
          throw new CofferException(ExitCode.INTEGRITY, what + " is damaged");
        id[0] = in.readNBytes(n);
        if (id[0].length != n) throw new EOFException();
        return new long[] {idHash, docHash};
      } catch (EOFException e) {
        throw new CofferException(ExitCode.INTEGRITY, what + " is truncated");
      }
    }

    public Long nextPosition() throws IOException {
      int tag = tag();
      if (tag == 'E') return null;
      if (tag != 'P') throw new CofferException(ExitCode.INTEGRITY, what + " is damaged");
      return in.readLong();
    }

    public FileRec nextFile() throws IOException {
      int tag = tag();
      if (tag == 'E') return null;
      if (tag != 'F') throw new CofferException(ExitCode.INTEGRITY, what + " is damaged");
      return new FileRec(
          in.readUTF(), in.readLong(), in.readLong(), in.readInt(), in.readUTF(), in.readUTF());
    }

    private int tag() throws IOException {
      try {
        return in.readUnsignedByte();
      } catch (EOFException e) {
        throw new CofferException(ExitCode.INTEGRITY, what + " is truncated");
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  public Reader reader(String backupId, String name) throws IOException {
    return new Reader(backupId, name);
  }

  /** Receives the documents of a collection's index, one record at a time. */
  public interface DocumentVisitor {
    void accept(long idHash, long docHash, byte[] idElement) throws IOException;
  }

  /**
   * The most delta records a chain holds before the next increment writes a checkpoint: what a
   * cursor keeps in memory.
   */
  static final long MAX_DELTA_RECORDS = 1_000_000;

  /**
   * What a cursor holds at most, whatever the index objects say (they are untrusted): records, and
   * bytes of their {@code _id}s. A legitimate chain passes it only when one increment changed
   * several million documents.
   */
  static final long MAX_HELD_RECORDS = 4 * MAX_DELTA_RECORDS;

  static final long MAX_HELD_BYTES = 256L << 20;

  /**
   * What a {@link Cursor} found between the backup asked for and its checkpoint: the deltas and
   * their records.
   */
  public record Chain(int deltas, long deltaRecords) {
    /**
     * Whether the next increment of a collection of about {@code documents} should write a
     * checkpoint rather than a delta: after {@link #MAX_DELTAS} deltas, or once they hold a quarter
     * of the documents (or a million records).
     */
    public boolean checkpointDue(long documents) {
      return deltas + 1 > MAX_DELTAS || deltaRecords > Math.min(documents / 4, MAX_DELTA_RECORDS);
    }
  }

  /**
   * Every document of a collection as its index at {@code backupId} has it, in {@code _id} order
   * ({@link IdOrder}): the checkpoint's records (written in the server's {@code _id} order) with
   * the deltas after it merged in (the newest record of an {@code _id} wins; deleted ones are left
   * out). Memory holds the deltas' records only, which {@link Chain#checkpointDue} bounds.
   */
  public final class Cursor implements Closeable {
    private final Overrides newer = new Overrides();
    private final Chain chain;
    private final Reader checkpoint;
    private final int[] order; // the deltas' documents, sorted by _id
    private int nextNewer;
    private final byte[][] id = new byte[1][];
    private long[] base; // the checkpoint's next record not yet returned, or null
    private byte[] baseId;
    private boolean baseDone;

    /** The record {@link #next} returned. */
    public long idHash;

    public long docHash;
    public byte[] idElement;

    Cursor(String backupId, String name) throws IOException {
      Set<String> seen = new HashSet<>();
      String at = backupId;
      int deltas = 0;
      int expect = 0;
      long records = 0;
      while (true) {
        if (!seen.add(at) || seen.size() > MAX_CHAIN) {
          throw new CofferException(
              ExitCode.INTEGRITY,
              "the index "
                  + name
                  + " of backup "
                  + backupId
                  + " is damaged: its chain of deltas loops or is longer than "
                  + MAX_DELTAS
                  + "; take a full backup to start a new chain");
        }
        Reader r = reader(at, name);
        if (r.parent() == null) {
          if (deltas > 0 && expect != 0) {
            r.close();
            throw new CofferException(
                ExitCode.INTEGRITY,
                "the index " + name + " of backup " + at + " is damaged (a delta out of place)");
          }
          checkpoint = r;
          break;
        }
        try (r) {
          if (deltas > 0 && r.depth != expect) {
            throw new CofferException(
                ExitCode.INTEGRITY,
                "the index " + name + " of backup " + at + " is damaged (a delta out of place)");
          }
          expect = r.depth - 1;
          deltas++;
          long[] rec;
          while ((rec = r.nextChange(id)) != null) {
            if (++records > MAX_HELD_RECORDS || newer.bytes > MAX_HELD_BYTES) {
              throw new CofferException(
                  ExitCode.USAGE,
                  "the index "
                      + name
                      + " of backup "
                      + backupId
                      + " holds more changes since its"
                      + " last checkpoint ("
                      + records
                      + " records) than an increment keeps in memory (an increment that changed millions of"
                      + " documents, or a damaged index); take a full backup to start a new chain");
            }
            if (rec.length == 1) newer.deleted(rec[0]);
            else newer.put(rec[0], rec[1], id[0]);
          }
          at = r.parent();
        }
      }
      chain = new Chain(deltas, records);
      order = newer.sorted();
    }

    public Chain chain() {
      return chain;
    }

    /**
     * Moves to the next document (its fields in {@link #idHash}, {@link #docHash}, {@link
     * #idElement}); false at the end.
     */
    public boolean next() throws IOException {
      while (base == null && !baseDone) {
        long[] rec = checkpoint.nextDocument(id);
        if (rec == null) {
          baseDone = true;
        } else if (!newer.has(rec[0])) {
          base = rec;
          baseId = id[0];
        }
      }
      boolean haveNewer = nextNewer < order.length;
      if (base == null && !haveNewer) return false;
      if (base != null
          && (!haveNewer || IdOrder.compare(baseId, newer.id(order[nextNewer])) <= 0)) {
        idHash = base[0];
        docHash = base[1];
        idElement = baseId;
        base = null;
        return true;
      }
      int i = order[nextNewer++];
      idHash = newer.idHash(i);
      docHash = newer.docHash(i);
      idElement = newer.id(i);
      return true;
    }

    @Override
    public void close() throws IOException {
      checkpoint.close();
    }
  }

  public Cursor cursor(String backupId, String name) throws IOException {
    return new Cursor(backupId, name);
  }

  /**
   * Every document of a collection's index at {@code backupId}, in {@code _id} order (see {@link
   * Cursor}).
   */
  public Chain documents(String backupId, String name, DocumentVisitor visitor) throws IOException {
    try (Cursor c = cursor(backupId, name)) {
      while (c.next()) visitor.accept(c.idHash, c.docHash, c.idElement);
      return c.chain();
    }
  }

  /** The deltas' records, newest first: the first record of an {@code _id} wins. */
  private static final class Overrides {
    private final LongLongMap at =
        new LongLongMap(1024); // idHash -> position in the lists, or -1 when deleted
    private final ArrayList<byte[]> ids = new ArrayList<>();
    private long[] idHashes = new long[1024];
    private long[] docHashes = new long[1024];

    /** About what the records take in memory. */
    long bytes;

    boolean has(long idHash) {
      return at.contains(idHash);
    }

    void deleted(long idHash) {
      if (!at.contains(idHash)) at.put(idHash, -1);
    }

    void put(long idHash, long docHash, byte[] idElement) {
      if (at.contains(idHash)) return;
      int n = ids.size();
      if (n == idHashes.length) {
        idHashes = Arrays.copyOf(idHashes, n * 2);
        docHashes = Arrays.copyOf(docHashes, n * 2);
      }
      idHashes[n] = idHash;
      docHashes[n] = docHash;
      ids.add(idElement);
      bytes += idElement.length + 48L;
      at.put(idHash, n);
    }

    byte[] id(int i) {
      return ids.get(i);
    }

    long idHash(int i) {
      return idHashes[i];
    }

    long docHash(int i) {
      return docHashes[i];
    }

    /** Positions of the documents (not the deletions) in {@code _id} order. */
    int[] sorted() {
      Integer[] idx = new Integer[ids.size()];
      for (int i = 0; i < idx.length; i++) idx[i] = i;
      try {
        Arrays.sort(idx, (x, y) -> IdOrder.compare(ids.get(x), ids.get(y)));
      } catch (IllegalArgumentException inconsistent) {
        // an order broken by malformed _ids: sort by the raw bytes (always consistent); the merge
        // stays correct, only
        // less tight (see ChainDiff)
        Arrays.sort(idx, (x, y) -> Arrays.compare(ids.get(x), ids.get(y)));
      }
      int[] out = new int[idx.length];
      for (int i = 0; i < idx.length; i++) out[i] = idx[i];
      return out;
    }
  }

  /** The oplog position recorded with a backup (its time before it read any data), or null. */
  public Long oplogPosition(String backupId) throws IOException {
    if (!has(backupId, "oplog")) return null;
    try (Reader r = reader(backupId, "oplog")) {
      return r.nextPosition();
    }
  }

  public void recordOplogPosition(String backupId, long ts) throws IOException {
    Writer w = writer(backupId, "oplog");
    w.position(ts);
    w.close();
  }

  /**
   * A tree's files by relative path (trees are small enough to hold; collections are not, see
   * {@link LongLongMap}).
   */
  public Map<String, FileRec> files(String backupId, String tree) throws IOException {
    Map<String, FileRec> out = new HashMap<>();
    if (!has(backupId, treeName(tree))) return out;
    try (Reader r = reader(backupId, treeName(tree))) {
      FileRec f;
      while ((f = r.nextFile()) != null) out.put(f.path(), f);
    }
    return out;
  }
}
