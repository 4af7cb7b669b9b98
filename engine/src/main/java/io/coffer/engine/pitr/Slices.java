package io.coffer.engine.pitr;

import io.coffer.engine.archive.HashingInputStream;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.Json;
import io.coffer.engine.base.Printable;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.crypto.AgeException;
import io.coffer.engine.io.Limited;
import io.coffer.engine.mongo.BsonStream;
import io.coffer.engine.storage.Storage;
import io.coffer.engine.storage.StorageException;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.bson.RawBsonDocument;

/**
 * The oplog archive of a storage location: slices under {@link #FOLDER} (a name no backup id can
 * have, so listing backups passes it over), each a descriptor and, when it holds entries, its data.
 * Descriptors are read as untrusted input: one that does not hold is left out of the window and
 * named ({@link Listing#problems}), never trusted.
 */
public final class Slices {
  public static final String FOLDER = ".oplog";
  private static final Pattern DESCRIPTOR =
      Pattern.compile(Pattern.quote(FOLDER) + "/([0-9a-f]{16})-([0-9a-f]{16})\\.json");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final int MAX_DESCRIPTOR_BYTES = 16 * 1024;

  /**
   * No slice ends later than a day from now (an untrusted end far ahead would stop the archive).
   */
  static final long MAX_POSITION_SKEW_SECONDS = 86400;

  /** The latest end a slice may give now. */
  static long maxPosition() {
    return (System.currentTimeMillis() / 1000 + MAX_POSITION_SKEW_SECONDS) << 32;
  }

  private Slices() {}

  public static String descriptorKey(long from, long to) {
    return FOLDER + "/" + Slice.stem(from, to) + ".json";
  }

  /**
   * The data's name: the slice's start (it is written as entries arrive, before its end is known)
   * and its run's own suffix, so no run ever writes over data another published.
   */
  public static String dataKey(long from, String run, boolean encrypted) {
    return FOLDER
        + "/"
        + HexFormat.of().toHexDigits(from)
        + "-"
        + run
        + ".bson.gz"
        + (encrypted ? ".age" : "");
  }

  private static final Pattern DATA =
      Pattern.compile(Pattern.quote(FOLDER) + "/([0-9a-f]{16})-[0-9a-f]{8}\\.bson\\.gz(\\.age)?");

  /** The start a data object's name gives, or null when it is no slice data. */
  static Long dataFrom(String key) {
    Matcher m = DATA.matcher(key);
    return m.matches() ? Long.parseUnsignedLong(m.group(1), 16) : null;
  }

  /** The slices that hold, ordered by where they start; and what was wrong with the others. */
  public record Listing(List<Slice> slices, List<String> problems, Long namedEnd) {
    /**
     * The newest end any descriptor's name gives, damaged ones too: where a new run resumes (a
     * damaged slice's stretch is a gap, never written over).
     */
    @Override
    public Long namedEnd() {
      Long e = end();
      if (namedEnd != null && (e == null || Long.compareUnsigned(namedEnd, e) > 0)) return namedEnd;
      return e;
    }

    /** The newest position archived, or null when there is no slice. */
    public Long end() {
      Long end = null;
      for (Slice s : slices) if (end == null || Long.compareUnsigned(s.to(), end) > 0) end = s.to();
      return end;
    }
  }

  public static Listing list(Storage storage) throws IOException {
    List<Slice> out = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    List<String> keys;
    try {
      keys = storage.list(FOLDER);
    } catch (StorageException e) {
      if (e.code() == ExitCode.NOT_FOUND) return new Listing(List.of(), List.of(), null);
      throw e;
    }
    Long named = null;
    for (String key : keys) {
      Matcher m = DESCRIPTOR.matcher(key);
      if (!m.matches()) continue;
      long nameTo = Long.parseUnsignedLong(m.group(2), 16);
      if (Long.compareUnsigned(nameTo, maxPosition()) <= 0
          && (named == null || Long.compareUnsigned(nameTo, named) > 0)) named = nameTo;
      try {
        byte[] bytes;
        try (InputStream in = storage.open(key)) {
          bytes =
              Limited.readAll(
                  in,
                  MAX_DESCRIPTOR_BYTES,
                  () -> new IllegalStateException("larger than any Coffer writes"));
        }
        Slice s = Json.readUntrusted(bytes, Slice.class);
        if (s == null) {
          problems.add(key + " is not a Coffer oplog slice");
          continue;
        }
        String why =
            problem(
                s, Long.parseUnsignedLong(m.group(1), 16), Long.parseUnsignedLong(m.group(2), 16));
        if (why != null) problems.add(key + " " + why);
        else out.add(s);
      } catch (StorageException e) {
        if (e.code() != ExitCode.NOT_FOUND) throw e; // removed by retention just now
      } catch (IOException | IllegalStateException e) {
        problems.add(
            key + " cannot be read (" + Printable.escape(String.valueOf(e.getMessage())) + ")");
      }
    }
    out.sort(
        Comparator.comparing(Slice::from, Long::compareUnsigned)
            .thenComparing(Slice::to, Long::compareUnsigned));
    return new Listing(List.copyOf(out), List.copyOf(problems), named);
  }

  /** Why a descriptor read from storage cannot be trusted, or null. */
  static String problem(Slice s, long nameFrom, long nameTo) {
    if (!Slice.FORMAT.equals(s.format())) return "is not a Coffer oplog slice";
    if (s.from() != nameFrom || s.to() != nameTo) return "does not match its name";
    if (Long.compareUnsigned(s.from(), s.to()) >= 0) return "ends before it starts";
    if (Long.compareUnsigned(s.to(), maxPosition()) > 0) return "ends in the future";
    if (s.entries() < 0 || s.storedSize() < 0) return "gives a negative size";
    if (s.gap() != null && s.gap().length() > 1000)
      return "gives a gap reason longer than Coffer writes";
    if (s.createdAt() != null && s.createdAt().length() > 40) return "gives an impossible time";
    if (s.entries() == 0) {
      if (s.data() != null) return "names data for no entries";
      return null;
    }
    if (s.encryption() == null
        || !(s.encryption().equals("none")
            || s.encryption().equals("age-x25519")
            || s.encryption().equals("age-scrypt")))
      return "gives an encryption Coffer does not write";
    Long dataFrom = s.data() == null ? null : dataFrom(s.data());
    if (dataFrom == null || dataFrom != s.from() || s.data().endsWith(".age") != s.encrypted())
      return "names data that is not its own";
    if (s.sha256() == null || !SHA256.matcher(s.sha256()).matches()) return "has no valid SHA-256";
    return null;
  }

  /**
   * Reads one slice's entries, in order, checking as it goes that each lies in the slice's stretch
   * and comes after the one before, and at the end that the count, size and SHA-256 hold; an entry
   * handed over before a check fails is the caller's to throw away (a restore stages before it
   * swaps).
   */
  public static long read(Storage storage, Slice s, Age.DecryptionKeys keys, EntrySink sink)
      throws IOException {
    if (s.entries() == 0) return 0;
    String label = s.data();
    HashingInputStream stored = new HashingInputStream(storage.open(s.data()));
    long n = 0;
    try (stored) {
      InputStream plain = stored;
      if (s.encrypted()) {
        if (keys == null)
          throw new CofferException(
              ExitCode.KEY,
              "the oplog archive is encrypted ("
                  + s.encryption()
                  + "); give "
                  + Field.IDENTITY.mark()
                  + " (or "
                  + Field.DECRYPTION_PASSPHRASE.mark()
                  + ")");
        plain = Age.decrypt(stored, keys);
      }
      BsonStream in = new BsonStream(new GZIPInputStream(plain, 64 * 1024), label);
      long last = s.from();
      byte[] raw;
      while ((raw = in.next()) != null) {
        n++;
        long ts = ts(raw);
        if (ts == 0 || Long.compareUnsigned(ts, last) <= 0 || Long.compareUnsigned(ts, s.to()) > 0)
          throw damaged(s, "entry " + n + " lies outside the slice or out of order");
        last = ts;
        if (n > s.entries()) throw damaged(s, "holds more entries than its descriptor says");
        sink.entry(raw, ts);
      }
      String sha = stored.drainAndHash();
      if (n != s.entries() || stored.count() != s.storedSize() || !sha.equals(s.sha256()))
        throw damaged(s, "does not match its descriptor (count, size or SHA-256)");
    } catch (AgeException e) {
      if (e.kind() == AgeException.Kind.NO_MATCHING_KEY)
        throw new CofferException(ExitCode.KEY, "oplog slice " + label + ": " + e.getMessage(), e);
      throw damaged(s, e.getMessage());
    } catch (CofferException e) {
      throw e;
    } catch (IOException e) {
      if (e.getCause() instanceof AgeException ae && ae.kind() == AgeException.Kind.NO_MATCHING_KEY)
        throw new CofferException(ExitCode.KEY, "oplog slice " + label + ": " + ae.getMessage(), e);
      throw damaged(
          s,
          "cannot be read to the end (" + Printable.escape(String.valueOf(e.getMessage())) + ")");
    }
    return n;
  }

  /** The position of an entry (0 when it has none, or is no document). */
  static long ts(byte[] raw) {
    try {
      RawBsonDocument d = new RawBsonDocument(raw);
      return d.isTimestamp("ts") ? d.getTimestamp("ts").getValue() : 0;
    } catch (RuntimeException e) {
      return 0;
    }
  }

  /** What receives a slice's entries. */
  public interface EntrySink {
    void entry(byte[] raw, long ts) throws IOException;
  }

  private static CofferException damaged(Slice s, String what) {
    return new CofferException(
        ExitCode.INTEGRITY,
        "oplog slice "
            + s.stem()
            + " "
            + Printable.escape(String.valueOf(what))
            + "; nothing was restored");
  }
}
