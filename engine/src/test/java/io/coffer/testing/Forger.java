package io.coffer.testing;

import io.coffer.engine.BackupDescriptor;
import io.coffer.engine.archive.HashingOutputStream;
import io.coffer.engine.archive.Manifest;
import io.coffer.engine.archive.ZipStreamWriter;
import io.coffer.engine.base.Json;
import io.coffer.engine.crypto.Encryption;
import io.coffer.engine.mongo.DumpNames;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.bson.BsonBinaryWriter;
import org.bson.BsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.EncoderContext;
import org.bson.io.BasicOutputBuffer;

/**
 * Writes backups the way an attacker with write access to the bucket would: a zip, a manifest and a
 * {@code backup.json} whose sizes and SHA-256 sums all match, so every integrity check passes and
 * only the content is hostile. Each entry's zip name, zip content and manifest record are set
 * independently (by default the record describes the content truthfully); the manifest and the
 * descriptor can be rewritten as values or replaced by raw bytes, and the whole can be
 * age-encrypted to a recipient, as Coffer's own backups are.
 */
public final class Forger {
  private final String id;
  private final List<Item> items = new ArrayList<>();
  private final Map<String, String> sources = new LinkedHashMap<>();
  private Encryption encryption = Encryption.NONE;
  private UnaryOperator<Manifest> manifestEdit = m -> m;
  private UnaryOperator<BackupDescriptor> descriptorEdit = d -> d;
  private byte[] rawManifest;
  private byte[] rawDescriptor;
  private byte[] rawArchive;

  /**
   * One zip entry ({@code zipName} null: none) and its manifest record ({@code entry} null: none).
   */
  private record Item(String zipName, byte[] content, int unixMode, Manifest.Entry entry) {}

  public Forger(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  /** Whether any entry belongs to a file tree (a restore of it then needs --files-target). */
  public boolean hasTrees() {
    return items.stream().anyMatch(i -> i.entry() != null && i.entry().tree() != null);
  }

  public static String sha256(byte[] b) {
    return HexFormat.of().formatHex(HashingOutputStream.sha256().digest(b));
  }

  /** The manifest record Coffer would write for this content; {@code kind} and names as given. */
  public static Manifest.Entry record(
      String path, Manifest.Kind kind, byte[] content, String tree, Integer mode, String target) {
    return new Manifest.Entry(
        path,
        kind,
        content.length,
        kind == Manifest.Kind.directory ? null : sha256(content),
        null,
        null,
        null,
        null,
        tree,
        mode,
        1_700_000_000_000L,
        target);
  }

  /** Records where a tree "came from" (what an attacker would like a restore to write to). */
  public Forger source(String tree, String path) {
    sources.put(tree, path);
    return this;
  }

  public Forger directory(String tree, String rel) {
    String path = "files/" + tree + "/" + (rel.isEmpty() ? "" : rel + "/");
    return add(
        path,
        new byte[0],
        0040755,
        record(path, Manifest.Kind.directory, new byte[0], tree, 0755, null));
  }

  public Forger file(String tree, String rel, String content) {
    return file(tree, rel, content.getBytes(StandardCharsets.UTF_8));
  }

  public Forger file(String tree, String rel, byte[] content) {
    String path = "files/" + tree + "/" + rel;
    return add(path, content, 0100644, record(path, Manifest.Kind.file, content, tree, 0644, null));
  }

  public Forger symlink(String tree, String rel, String target) {
    String path = "files/" + tree + "/" + rel;
    byte[] t = target.getBytes(StandardCharsets.UTF_8);
    return add(path, t, 0120777, record(path, Manifest.Kind.symlink, t, tree, 0777, target));
  }

  /** A collection: its metadata (options and indexes as JSON) and its documents. */
  public Forger collection(String db, String coll, String metadataJson, BsonDocument... docs) {
    return collection(db, coll, metadataJson, bson(docs), docs.length);
  }

  /** A collection whose .bson is the given bytes, declared to hold {@code documents}. */
  public Forger collection(
      String db, String coll, String metadataJson, byte[] bson, long documents) {
    byte[] meta = metadataJson.getBytes(StandardCharsets.UTF_8);
    String mp = DumpNames.metadata(db, coll);
    add(
        mp,
        meta,
        0100644,
        new Manifest.Entry(
            mp,
            Manifest.Kind.metadata,
            meta.length,
            sha256(meta),
            null,
            db,
            coll,
            null,
            null,
            null,
            null,
            null));
    String bp = DumpNames.bson(db, coll);
    return add(
        bp,
        bson,
        0100644,
        new Manifest.Entry(
            bp,
            Manifest.Kind.bson,
            bson.length,
            sha256(bson),
            documents,
            db,
            coll,
            null,
            null,
            null,
            null,
            null));
  }

  public static byte[] bson(BsonDocument... docs) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (BsonDocument d : docs) {
      BasicOutputBuffer buf = new BasicOutputBuffer();
      new BsonDocumentCodec()
          .encode(new BsonBinaryWriter(buf), d, EncoderContext.builder().build());
      out.writeBytes(buf.toByteArray());
    }
    return out.toByteArray();
  }

  /**
   * An entry whose zip name, content and manifest record are all given (the record may lie; null:
   * not listed).
   */
  public Forger add(String zipName, byte[] content, int unixMode, Manifest.Entry entry) {
    items.add(new Item(zipName, content, unixMode, entry));
    return this;
  }

  /** A manifest record without a zip entry. */
  public Forger listOnly(Manifest.Entry entry) {
    items.add(new Item(null, null, 0, entry));
    return this;
  }

  /** Rewrites the last entry's manifest record. */
  public Forger lie(UnaryOperator<Manifest.Entry> edit) {
    Item last = items.remove(items.size() - 1);
    items.add(new Item(last.zipName(), last.content(), last.unixMode(), edit.apply(last.entry())));
    return this;
  }

  public Forger manifest(UnaryOperator<Manifest> edit) {
    this.manifestEdit = edit;
    return this;
  }

  public Forger descriptor(UnaryOperator<BackupDescriptor> edit) {
    this.descriptorEdit = edit;
    return this;
  }

  /**
   * The manifest's bytes, as stored and as the archive's last entry, with checksums made to match.
   */
  public Forger rawManifest(String json) {
    this.rawManifest = json.getBytes(StandardCharsets.UTF_8);
    return this;
  }

  public Forger rawDescriptor(String json) {
    this.rawDescriptor = json.getBytes(StandardCharsets.UTF_8);
    return this;
  }

  /**
   * The stored archive's bytes (before encryption) instead of a zip; the descriptor's checksum
   * matches them.
   */
  public Forger rawArchive(byte[] bytes) {
    this.rawArchive = bytes;
    return this;
  }

  public Forger encrypt(Encryption e) {
    this.encryption = e;
    return this;
  }

  private Manifest manifest() {
    List<Manifest.Entry> entries = new ArrayList<>();
    for (Item i : items) if (i.entry() != null) entries.add(i.entry());
    boolean files = !sources.isEmpty() || entries.stream().anyMatch(e -> e.tree() != null);
    Manifest m =
        new Manifest(
            Manifest.FORMAT,
            Manifest.FORMAT_VERSION,
            id,
            "2026-11-30T02:00:00Z",
            files ? "full" : "database",
            new Manifest.Source(null, sources.isEmpty() ? null : Map.copyOf(sources)),
            null,
            "deflate",
            6,
            entries,
            List.of(),
            null);
    return manifestEdit.apply(m);
  }

  private byte[] manifestBytes() {
    return rawManifest != null
        ? rawManifest
        : Json.pretty(manifest()).getBytes(StandardCharsets.UTF_8);
  }

  /** The plain zip: every entry in order, the manifest last. */
  public byte[] zip() throws IOException {
    if (rawArchive != null) return rawArchive;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ZipStreamWriter zip = new ZipStreamWriter(out, 1);
    for (Item i : items) {
      if (i.zipName() == null) continue;
      if ((i.unixMode() & 0170000) == 0040000) {
        zip.directory(i.zipName(), 1_700_000_000_000L, i.unixMode());
      } else {
        zip.startEntry(i.zipName(), 1_700_000_000_000L, i.unixMode(), 6);
        zip.write(i.content(), 0, i.content().length);
        zip.closeEntry();
      }
    }
    byte[] m = manifestBytes();
    zip.startEntry(Manifest.ENTRY_NAME, 1_700_000_000_000L, 0100644, 6);
    zip.write(m, 0, m.length);
    zip.closeEntry();
    zip.close();
    return out.toByteArray();
  }

  private byte[] sealed(byte[] plain) throws IOException {
    if (!encryption.enabled()) return plain;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream o = encryption.wrap(out)) {
      o.write(plain);
    }
    return out.toByteArray();
  }

  /** Writes {@code <root>/<id>/}: archive, manifest copy and a descriptor that vouches for both. */
  public Path writeTo(Path root) throws IOException {
    Path dir = Files.createDirectories(root.resolve(id));
    boolean enc = encryption.enabled();
    byte[] archive = sealed(zip());
    byte[] manifest = sealed(manifestBytes());
    String archiveName = enc ? "archive.zip.age" : "archive.zip";
    String manifestName = enc ? "manifest.json.age" : "manifest.json";
    Files.write(dir.resolve(archiveName), archive);
    Files.write(dir.resolve(manifestName), manifest);
    BackupDescriptor d =
        new BackupDescriptor(
            BackupDescriptor.FORMAT,
            1,
            id,
            "2026-11-30T02:00:00Z",
            "2026-11-30T02:00:05Z",
            "full",
            archiveName,
            archive.length,
            sha256(archive),
            archive.length,
            enc,
            enc ? encryption.scheme() : null,
            null,
            manifestName,
            sha256(manifest),
            0,
            0,
            0,
            0,
            "forger",
            null,
            null);
    d = descriptorEdit.apply(d);
    Files.write(
        dir.resolve(BackupDescriptor.FILE),
        rawDescriptor != null ? rawDescriptor : Json.pretty(d).getBytes(StandardCharsets.UTF_8));
    return dir;
  }

  /** Writes the archive alone, as `coffer download` would, for {@code --archive}. */
  public Path writeArchive(Path file) throws IOException {
    Files.write(file, sealed(zip()));
    return file;
  }
}
