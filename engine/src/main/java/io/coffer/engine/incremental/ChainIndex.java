package io.coffer.engine.incremental;

import io.coffer.engine.BackupStore;
import io.coffer.engine.CofferException;
import io.coffer.engine.Encryption;
import io.coffer.protocol.ExitCode;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.crypto.AgeException;
import io.coffer.engine.storage.Storage;
import io.coffer.engine.storage.StorageException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;

/**
 * What an incremental backup needs to know of its parent, and nothing more: per collection, a hash of each
 * document's {@code _id} and of its bytes (and the {@code _id} itself, to record deletions); per file tree, each
 * file's size, time, mode, SHA-256 and which backup of the chain holds its content. One object per collection or
 * tree under {@code <id>/index/}, encrypted with the index key, a secret only backup Jobs hold: they cannot
 * decrypt earlier backups (those are encrypted to public keys) yet can compute the increment.
 */
public final class ChainIndex {
  private static final int MAGIC = 0x43494458; // "CIDX"
  /** scrypt cost for the index: the index key is a random secret, not a password, so a low cost is enough. */
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
    return BackupStore.key(backupId, "index/" + name + ".idx");
  }

  /** One file as the index remembers it. {@code from}: the backup whose archive holds the content. */
  public record FileRec(String path, long size, long mtime, int mode, String sha256, String from) {}

  /** Writes one index object; published by {@link #close()}, thrown away by {@link #abort()}. */
  public final class Writer implements Closeable {
    private final Storage.AtomicOutput target;
    private final DataOutputStream out;
    private boolean done;

    Writer(String backupId, String name) throws IOException {
      target = storage.create(objectKey(backupId, name));
      Encryption enc = key == null ? Encryption.NONE : Encryption.withPassphrase(key, SCRYPT_LOG_N);
      OutputStream wrapped = enc.wrap(target);
      out = new DataOutputStream(new BufferedOutputStream(new DeflaterOutputStream(wrapped, new java.util.zip.Deflater(1), 64 * 1024), 64 * 1024));
      out.writeInt(MAGIC);
    }

    public void document(long idHash, long docHash, byte[] idElement) throws IOException {
      out.writeByte('D');
      out.writeLong(idHash);
      out.writeLong(docHash);
      out.writeInt(idElement.length);
      out.write(idElement);
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

  public Writer writer(String backupId, String name) throws IOException {
    return new Writer(backupId, name);
  }

  /** Fails (with the reason) unless this key opens the index of {@code backupId}; called before anything is written. */
  public void checkKey(String backupId) throws IOException {
    String prefix = BackupStore.key(backupId, "index/");
    for (String k : storage.list(backupId)) {
      if (k.startsWith(prefix) && k.endsWith(".idx")) {
        String name = k.substring(prefix.length(), k.length() - ".idx".length());
        reader(backupId, name).close();
        return;
      }
    }
    throw new CofferException(ExitCode.NOT_FOUND, "backup " + backupId + " has no chain index objects; take a full backup to start a new chain");
  }

  /** Whether a backup has an index object of that name. */
  public boolean has(String backupId, String name) throws IOException {
    return storage.exists(objectKey(backupId, name));
  }

  /** Reads one index object, record by record. */
  public final class Reader implements Closeable {
    private final DataInputStream in;
    private final String what;

    Reader(String backupId, String name) throws IOException {
      what = "the index " + name + " of backup " + backupId;
      InputStream raw;
      try {
        raw = storage.open(objectKey(backupId, name));
      } catch (StorageException e) {
        if (e.isNotFound()) throw new CofferException(ExitCode.NOT_FOUND, what + " is missing; take a full backup to start a new chain");
        throw e;
      }
      InputStream plain = raw;
      if (key != null) {
        try {
          plain = Age.decrypt(raw, Age.DecryptionKeys.passphrase(key));
        } catch (AgeException e) {
          raw.close();
          throw new CofferException(ExitCode.KEY, what + " does not open with this index key (" + e.getMessage()
              + "); give the index key the chain was made with, or take a full backup");
        }
      }
      in = new DataInputStream(new BufferedInputStream(new InflaterInputStream(plain), 64 * 1024));
      if (in.readInt() != MAGIC) throw new CofferException(ExitCode.INTEGRITY, what + " is not a Coffer index");
    }

    /** The next document record as {idHash, docHash} with its _id element in {@code id[0]}; null at the end. */
    public long[] nextDocument(byte[][] id) throws IOException {
      int tag = tag();
      if (tag == 'E') return null;
      if (tag != 'D') throw new CofferException(ExitCode.INTEGRITY, what + " is damaged");
      long idHash = in.readLong();
      long docHash = in.readLong();
      int n = in.readInt();
      if (n < 0 || n > 16 * 1024 * 1024) throw new CofferException(ExitCode.INTEGRITY, what + " is damaged");
      id[0] = in.readNBytes(n);
      return new long[] {idHash, docHash};
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
      return new FileRec(in.readUTF(), in.readLong(), in.readLong(), in.readInt(), in.readUTF(), in.readUTF());
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

  /** A tree's files by relative path (trees are small enough to hold; collections are not, see {@link LongLongMap}). */
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
