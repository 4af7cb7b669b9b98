package io.coffer.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.bson.BsonArray;
import org.bson.BsonBoolean;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonString;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.EncoderContext;
import org.bson.io.BasicOutputBuffer;

/**
 * Writes what mongodump writes, from the format as read in mongo-tools' source (common/archive,
 * mongodump/prepare.go, metadata_dump.go): no real mongodump can be built here (the Go module proxy
 * refuses github.com/mongodb/mongo-tools), so these fixtures are the spec, not the tool. Archives:
 * magic 0x8199e26d little-endian, a prelude (header and one document per namespace), then blocks of
 * a namespace header, documents and FF FF FF FF, interleaved in chunks as mongodump's multiplexer
 * does with several collections at once, each namespace closed by an EOF header with the
 * CRC-64/ECMA of its documents. Folders: {@code <db>/<url.PathEscape(name)>.bson} and {@code
 * .metadata.json} (names over 238 bytes cut with a SHA-1), {@code .gz} each with --gzip, {@code
 * prelude.json}, {@code oplog.bson}. Its CRC-64 is its own (bitwise, not the engine's table), so a
 * fault in one is not mirrored in the other.
 */
public final class MongodumpFixtures {
  private MongodumpFixtures() {}

  /**
   * One namespace: its documents and metadata (options and indexes); {@code type} "", "view" or
   * "timeseries".
   */
  public record Coll(
      String db,
      String name,
      List<RawBsonDocument> docs,
      BsonDocument options,
      List<BsonDocument> indexes,
      String type) {
    public Coll(String db, String name, List<RawBsonDocument> docs) {
      this(db, name, docs, new BsonDocument(), List.of(), "");
    }

    /**
     * The .metadata.json text mongodump writes: compact canonical extended JSON, indexes as
     * listIndexes gives them.
     */
    public String metadataJson() {
      BsonArray ix = new BsonArray();
      if (!"view".equals(type)) {
        ix.add(
            new BsonDocument("v", new BsonInt32(2))
                .append("key", new BsonDocument("_id", new BsonInt32(1)))
                .append("name", new BsonString("_id_")));
      }
      indexes.forEach(ix::add);
      BsonDocument m =
          new BsonDocument("options", options)
              .append("indexes", ix)
              .append("uuid", new BsonString("47d0f1f9ed46407fbada3cab9bb84644"))
              .append("collectionName", new BsonString(name));
      if (!type.isEmpty()) m.append("type", new BsonString(type));
      return m.toJson(
              org.bson.json.JsonWriterSettings.builder()
                  .outputMode(org.bson.json.JsonMode.EXTENDED)
                  .build())
          .replace("\": ", "\":")
          .replace(", \"", ",\"");
    }
  }

  public static byte[] bson(BsonDocument d) {
    BasicOutputBuffer out = new BasicOutputBuffer();
    new BsonDocumentCodec()
        .encode(new org.bson.BsonBinaryWriter(out), d, EncoderContext.builder().build());
    return out.toByteArray();
  }

  public static byte[] raw(RawBsonDocument d) {
    var bb = d.getByteBuffer();
    byte[] b = new byte[bb.remaining()];
    bb.get(b);
    return b;
  }

  private static void le(OutputStream out, int v) throws IOException {
    out.write(new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)});
  }

  public static final byte[] TERMINATOR = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};

  public static BsonDocument header(String db, String coll, boolean eof, long crc) {
    return new BsonDocument("db", new BsonString(db))
        .append("collection", new BsonString(coll))
        .append("EOF", BsonBoolean.valueOf(eof))
        .append("CRC", new BsonInt64(crc));
  }

  /**
   * An archive of {@code colls} (plus an oplog namespace when {@code oplog} is non-null), {@code
   * chunk} documents per block, the blocks of up to {@code parallel} collections interleaved round
   * robin; gzipped when {@code gzip}.
   */
  public static byte[] archive(
      List<Coll> colls, List<RawBsonDocument> oplog, int chunk, int parallel, boolean gzip)
      throws IOException {
    ByteArrayOutputStream plain = new ByteArrayOutputStream();
    le(plain, 0x8199e26d);
    plain.write(
        bson(
            new BsonDocument("concurrent_collections", new BsonInt32(parallel))
                .append("version", new BsonString("0.1"))
                .append("server_version", new BsonString("7.0.16"))
                .append("tool_version", new BsonString("100.10.0"))));
    for (Coll c : colls) {
      plain.write(
          bson(
              new BsonDocument("db", new BsonString(c.db()))
                  .append("collection", new BsonString(c.name()))
                  .append("metadata", new BsonString(c.metadataJson()))
                  .append("size", new BsonInt32(0))
                  .append("type", new BsonString(c.type()))));
    }
    if (oplog != null) {
      plain.write(
          bson(
              new BsonDocument("db", new BsonString(""))
                  .append("collection", new BsonString("oplog"))
                  .append("metadata", new BsonString(""))
                  .append("size", new BsonInt32(0))
                  .append("type", new BsonString(""))));
    }
    plain.write(TERMINATOR);
    // the multiplexer: up to `parallel` collections at once, a block per chunk, a new header
    // whenever the namespace changes
    List<Coll> queue = new ArrayList<>(colls);
    List<Coll> running = new ArrayList<>();
    List<int[]> at = new ArrayList<>();
    List<long[]> crcs = new ArrayList<>();
    String current = null;
    while (!queue.isEmpty() || !running.isEmpty()) {
      while (running.size() < parallel && !queue.isEmpty()) {
        running.add(queue.remove(0));
        at.add(new int[1]);
        crcs.add(new long[] {0});
      }
      for (int r = 0; r < running.size(); r++) {
        Coll c = running.get(r);
        String ns = c.db() + "." + c.name();
        String dataNs = "timeseries".equals(c.type()) ? "system.buckets." + c.name() : c.name();
        int from = at.get(r)[0];
        int to = Math.min(c.docs().size(), from + chunk);
        if (!ns.equals(current) || from == to) {
          if (current != null) plain.write(TERMINATOR);
          plain.write(bson(header(c.db(), dataNs, false, 0)));
          current = ns;
        }
        for (int i = from; i < to; i++) {
          byte[] d = raw(c.docs().get(i));
          crcs.get(r)[0] = crc64(crcs.get(r)[0], d);
          plain.write(d);
        }
        at.get(r)[0] = to;
        if (to == c.docs().size()) {
          plain.write(TERMINATOR);
          plain.write(bson(header(c.db(), dataNs, true, crcs.get(r)[0])));
          plain.write(TERMINATOR);
          current = null;
          running.remove(r);
          at.remove(r);
          crcs.remove(r);
          r--;
        }
      }
    }
    if (oplog != null) {
      long[] crc = {0};
      plain.write(bson(header("", "oplog", false, 0)));
      for (RawBsonDocument d : oplog) {
        crc[0] = crc64(crc[0], raw(d));
        plain.write(raw(d));
      }
      plain.write(TERMINATOR);
      plain.write(bson(header("", "oplog", true, crc[0])));
      plain.write(TERMINATOR);
    }
    return gzip ? gzip(plain.toByteArray()) : plain.toByteArray();
  }

  /**
   * Go's crc64.Update with the ECMA table, bit by bit: the reflected polynomial, inverted before
   * and after.
   */
  public static long crc64(long crc, byte[] b) {
    long c = ~crc;
    for (byte x : b) {
      c ^= x & 0xff;
      for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >>> 1) ^ 0xC96C5795D7870F42L : c >>> 1;
    }
    return ~c;
  }

  public static byte[] gzip(byte[] b) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(out)) {
      g.write(b);
    }
    return out.toByteArray();
  }

  /**
   * Go's url.PathEscape: unreserved characters and $&+:=@ stay, every other byte is %XX (upper-case
   * hex).
   */
  public static String pathEscape(String name) {
    StringBuilder sb = new StringBuilder();
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || "-_.~$&+:=@".indexOf(c) >= 0) sb.append((char) c);
      else sb.append('%').append(String.format("%02X", c));
    }
    return sb.toString();
  }

  /**
   * mongodump's file base name: escaped, and cut to 208 bytes + %24 + base64url(sha1(name)) when
   * longer than 238.
   */
  public static String baseName(String name) throws Exception {
    String esc = pathEscape(name);
    if (esc.length() <= 238) return esc;
    byte[] sha = MessageDigest.getInstance("SHA-1").digest(name.getBytes(StandardCharsets.UTF_8));
    return esc.substring(0, 208)
        + "%24"
        + Base64.getUrlEncoder().withoutPadding().encodeToString(sha);
  }

  /** A folder as {@code mongodump --out dir [--gzip] [--oplog]} writes it. */
  public static void folder(Path dir, List<Coll> colls, List<RawBsonDocument> oplog, boolean gzip)
      throws Exception {
    Files.createDirectories(dir);
    String gz = gzip ? ".gz" : "";
    for (Coll c : colls) {
      Path db = Files.createDirectories(dir.resolve(c.db()));
      String base = baseName(c.name());
      byte[] meta = c.metadataJson().getBytes(StandardCharsets.UTF_8);
      Files.write(db.resolve(base + ".metadata.json" + gz), gzip ? gzip(meta) : meta);
      if ("view".equals(c.type())) continue;
      String data = "timeseries".equals(c.type()) ? baseName("system.buckets." + c.name()) : base;
      ByteArrayOutputStream docs = new ByteArrayOutputStream();
      for (RawBsonDocument d : c.docs()) docs.write(raw(d));
      Files.write(
          db.resolve(data + ".bson" + gz), gzip ? gzip(docs.toByteArray()) : docs.toByteArray());
    }
    if (oplog != null) {
      ByteArrayOutputStream docs = new ByteArrayOutputStream();
      for (RawBsonDocument d : oplog) docs.write(raw(d));
      Files.write(
          dir.resolve("oplog.bson"),
          gzip ? gzip(docs.toByteArray()) : docs.toByteArray()); // gzipped, but named .bson
    }
    byte[] prelude =
        "{\"ServerVersion\":\"7.0.16\",\"ToolVersion\":\"100.12.0\"}\n"
            .getBytes(StandardCharsets.UTF_8);
    Files.write(dir.resolve("prelude.json" + gz), gzip ? gzip(prelude) : prelude);
  }
}
