package io.coffer.engine;

import io.coffer.engine.crypto.AgeKeys;
import io.coffer.engine.crypto.Encryption;
import io.coffer.testing.Forger;
import io.coffer.testing.MongodumpFixtures;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.bson.BsonBinaryWriter;
import org.bson.BsonBoolean;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonTimestamp;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.EncoderContext;
import org.bson.io.BasicOutputBuffer;

/**
 * Writes the fuzz test's seeds: one well-formed input per reader (a manifest, a descriptor, age
 * files to a recipient and to a passphrase, archives plain and encrypted, mongodump archives plain
 * and gzipped), each behind the byte that picks its reader, so mutation starts from what Coffer
 * itself writes. Run: {@code java ... FuzzSeeds engine/src/test/resources}. The key is a throwaway
 * made for the fuzz test; it protects nothing.
 */
public final class FuzzSeeds {
  static final String IDENTITY =
      "AGE-SECRET-KEY-1X3HE6HVDS5CUEDPZTFN4X60HH7M6Q6AHA6WWZ9VE5JX5STH0P6NQM58GFF";
  static final String PASSPHRASE = "fuzzing passphrase";
  static final String DIR =
      "io/coffer/engine/UntrustedInputFuzzTestInputs/givenAnyBytes_whenReadAsStorageContent_thenReadOrRefusedWithAnEngineError";

  private FuzzSeeds() {}

  public static void main(String[] args) throws Exception {
    Path out = Files.createDirectories(Path.of(args[0]).resolve(DIR));
    Forger f =
        new Forger("seed")
            .directory("up", "")
            .directory("up", "docs")
            .file("up", "docs/a.txt", "RayERP invoice 2026-11")
            .file("up", "b.bin", new byte[300])
            .symlink("up", "latest", "docs/a.txt");
    Path tmp = Files.createTempDirectory("seeds");
    Path dir = f.writeTo(tmp);
    write(out, "manifest", 0, Files.readAllBytes(dir.resolve("manifest.json")));
    write(out, "descriptor", 1, Files.readAllBytes(dir.resolve("backup.json")));
    AgeKeys.Recipient r = AgeKeys.parseIdentity(IDENTITY).recipient();
    write(
        out,
        "age-x25519",
        2,
        seal(
            Encryption.toRecipients(List.of(r)),
            "a small secret payload".getBytes(StandardCharsets.UTF_8)));
    write(
        out,
        "age-scrypt",
        2,
        seal(
            Encryption.withPassphrase(PASSPHRASE.toCharArray(), 10),
            "another payload".getBytes(StandardCharsets.UTF_8)));
    write(out, "archive", 3, f.zip());
    write(out, "archive-age", 3, seal(Encryption.toRecipients(List.of(r)), f.zip()));
    var colls =
        List.of(
            new MongodumpFixtures.Coll(
                "erp",
                "staff",
                List.of(
                    new RawBsonDocument(
                        MongodumpFixtures.bson(new BsonDocument("_id", new BsonInt32(1))))),
                new BsonDocument("capped", BsonBoolean.FALSE),
                List.of(),
                ""),
            new MongodumpFixtures.Coll("crm", "empty", List.of()));
    write(out, "mongodump-archive", 4, MongodumpFixtures.archive(colls, List.of(), 1, 2, false));
    write(out, "mongodump-archive-gzip", 4, MongodumpFixtures.archive(colls, null, 1, 1, true));
    write(out, "oplog", 5, oplog());
    write(out, "oplog-slice", 6, slice());
  }

  /**
   * A slice of the oplog archive as the fuzz test reads it: its descriptor's length (two bytes),
   * the descriptor, then the data (gzipped BSON entries, here unencrypted).
   */
  public static byte[] slice() throws Exception {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    int inc = 0;
    for (String json :
        List.of(
            "{op: 'i', ns: 'erp.orders', o: {_id: 1, a: 1}}",
            "{op: 'u', ns: 'erp.orders', o: {$v: 2, diff: {u: {a: 2}}}, o2: {_id: 1}}",
            "{op: 'd', ns: 'erp.orders', o: {_id: 1}}")) {
      BsonDocument e = BsonDocument.parse(json);
      e.put("ts", new BsonTimestamp(1, ++inc));
      BasicOutputBuffer buf = new BasicOutputBuffer();
      new BsonDocumentCodec()
          .encode(new BsonBinaryWriter(buf), e, EncoderContext.builder().build());
      raw.writeBytes(buf.toByteArray());
    }
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (var z = new GZIPOutputStream(gz)) {
      z.write(raw.toByteArray());
    }
    byte[] data = gz.toByteArray();
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    long from = 1L << 32;
    long to = 2L << 32;
    byte[] d =
        ("{\"format\":\"coffer-oplog-slice/1\",\"from\":"
                + from
                + ",\"to\":"
                + to
                + ",\"entries\":3,\"data\":\".oplog/0000000100000000.bson.gz\",\"storedSize\":"
                + data.length
                + ",\"sha256\":\""
                + sha
                + "\",\"encryption\":\"none\"}")
            .getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(d.length >> 8);
    out.write(d.length & 0xff);
    out.writeBytes(d);
    out.writeBytes(data);
    return out.toByteArray();
  }

  static byte[] seal(Encryption e, byte[] plain) throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (OutputStream o = e.wrap(b)) {
      o.write(plain);
    }
    return b.toByteArray();
  }

  /** Oplog entries in MongoDB's forms: an insert, a $v: 2 diff, $set, a delete, a transaction. */
  public static byte[] oplog() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String json :
        List.of(
            "{op: 'i', ns: 'erp.orders', o: {_id: 1, a: 1, b: {c: 1}, arr: [1, 2, 3]}}",
            "{op: 'u', ns: 'erp.orders', o: {$v: 2, diff: {u: {a: 2}, i: {n: 1}, d: {x: false},"
                + " sb: {u: {c: 2}}, sarr: {a: true, l: 2, u1: 9, s0: {u: {k: 1}}}}}, o2: {_id: 1}}",
            "{op: 'u', ns: 'erp.orders', o: {$v: 1, $set: {'b.c': 3}, $unset: {n: 1}}, o2: {_id: 1}}",
            "{op: 'u', ns: 'erp.orders', o: {_id: 1, whole: true}, o2: {_id: 1}}",
            "{op: 'c', ns: 'admin.$cmd', o: {applyOps: [{op: 'i', ns: 'erp.orders', o: {_id: 2}},"
                + " {op: 'd', ns: 'erp.orders', o: {_id: 1}}]}}",
            "{op: 'n', ns: '', o: {msg: 'noop'}}")) {
      BasicOutputBuffer buf = new BasicOutputBuffer();
      new BsonDocumentCodec()
          .encode(
              new BsonBinaryWriter(buf),
              BsonDocument.parse(json),
              EncoderContext.builder().build());
      out.writeBytes(buf.toByteArray());
    }
    return out.toByteArray();
  }

  static void write(Path dir, String name, int reader, byte[] data) throws Exception {
    byte[] seed = new byte[data.length + 1];
    seed[0] = (byte) reader;
    System.arraycopy(data, 0, seed, 1, data.length);
    Files.write(dir.resolve(name), seed);
  }
}
