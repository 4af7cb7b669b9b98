package io.coffer.engine.mongodump;

import io.coffer.engine.archive.Manifest;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Json;
import io.coffer.engine.base.Printable;
import io.coffer.engine.io.Limited;
import io.coffer.engine.mongo.MongoMetadata;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.bson.BsonDocument;

/**
 * The folder {@code mongodump --out DIR} writes (or one database's folder of it): {@code
 * DIR/<db>/<name>.bson} (the documents, concatenated) and {@code <name>.metadata.json} (options and
 * indexes, canonical extended JSON), each {@code .gz} with {@code --gzip}; names escaped as Go's
 * {@code url.PathEscape}, cut to 238 bytes with a hash when longer (the real name is then the
 * metadata's {@code collectionName}); {@code oplog.bson} and {@code prelude.json} at the top. A
 * Coffer archive's unzipped {@code mongodb/} folder has the same layout. Only regular files are
 * read, none above 16 MiB of metadata.
 */
public final class DumpFolder {
  static final long MAX_METADATA_BYTES = 16L * 1024 * 1024;

  /**
   * One collection of the folder: its data file (null: none, as for a view) and metadata file
   * (null: none).
   */
  public record Entry(String db, String collection, Path data, Path metadata, long size) {}

  private final List<Entry> entries = new ArrayList<>();
  private Path oplog;
  private String serverVersion;

  private DumpFolder() {}

  public static DumpFolder scan(Path dir, EngineLog log) throws IOException {
    DumpFolder f = new DumpFolder();
    List<Path> top;
    try (var s = Files.list(dir)) {
      top = s.sorted().toList();
    }
    if (Files.exists(dir.resolve("coffer-manifest.json"))) {
      throw CofferException.usage(
          Printable.escape(dir.toString())
              + " is an unzipped Coffer archive: restore the archive itself ("
              + Field.ARCHIVE.mark()
              + " FILE),"
              + " or give its mongodb/ folder to "
              + Field.MONGODUMP.mark());
    }
    refuseIncrement(dir);
    boolean collectionFiles =
        top.stream()
            .anyMatch(
                p ->
                    Files.isRegularFile(p)
                        && kind(p.getFileName().toString()) != null
                        && !p.getFileName().toString().startsWith("oplog.bson"));
    boolean databaseFolders =
        top.stream().anyMatch(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS));
    if (collectionFiles && databaseFolders) {
      throw CofferException.usage(
          Printable.escape(dir.toString())
              + " holds both collection files and folders: give the folder mongodump --out wrote"
              + " (one folder per database) or one database's folder of it");
    }
    if (collectionFiles) {
      Path name = dir.toAbsolutePath().normalize().getFileName();
      if (name == null)
        throw CofferException.usage(
            "a database's folder needs a name, the database's: give the folder mongodump --out wrote");
      f.database(dir, name.toString(), log);
    } else {
      for (Path p : top) {
        String n = p.getFileName().toString();
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          f.database(p, n, log);
        } else if ((n.equals("oplog.bson") || n.equals("oplog.bson.gz"))
            && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          f.oplog = p;
        } else if ((n.equals("prelude.json") || n.equals("prelude.json.gz"))
            && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          f.serverVersion = prelude(p);
        } else if (!n.startsWith(".")) {
          log.warn(
              "ignored "
                  + Printable.escape(n)
                  + " at the top of the dump: not a database folder, oplog.bson or prelude.json");
        }
      }
    }
    if (f.entries.isEmpty()) {
      throw CofferException.usage(
          Printable.escape(dir.toString())
              + " holds no mongodump collections (no <db>/<collection>.bson or .metadata.json);"
              + " give the folder `mongodump --out` wrote, or the file of `mongodump --archive`");
    }
    return f;
  }

  private void database(Path dir, String db, EngineLog log) throws IOException {
    Map<String, Path[]> byBase = new TreeMap<>();
    try (var s = Files.list(dir)) {
      for (Path p : s.sorted().toList()) {
        String n = p.getFileName().toString();
        String kind = kind(n);
        if ((n.equals("prelude.json") || n.equals("prelude.json.gz"))
            && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          // `mongodump --db X --out D` writes its prelude into D/X/
          if (serverVersion == null) serverVersion = prelude(p);
          continue;
        }
        if (kind == null || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          if (!n.startsWith("."))
            log.warn(
                "ignored "
                    + Printable.escape(db + "/" + n)
                    + ": not a regular .bson or .metadata.json file of mongodump's");
          continue;
        }
        String base = n.substring(0, n.length() - kind.length());
        Path[] pair = byBase.computeIfAbsent(base, k -> new Path[2]);
        int slot = kind.startsWith(".metadata") ? 1 : 0;
        if (pair[slot] != null) {
          throw CofferException.usage(
              "the dump holds both "
                  + Printable.escape(db + "/" + pair[slot].getFileName())
                  + " and "
                  + Printable.escape(db + "/" + n)
                  + ": keep one of them");
        }
        pair[slot] = p;
      }
    }
    for (Map.Entry<String, Path[]> e : byBase.entrySet()) {
      String base = e.getKey();
      Path data = e.getValue()[0];
      Path meta = e.getValue()[1];
      if (data != null
          && meta == null
          && base.startsWith("system.buckets.")
          && byBase.containsKey(base.substring("system.buckets.".length()))) {
        continue; // a time-series collection's buckets: listed with its metadata below
      }
      String name;
      if (PathNames.truncated(base)) {
        if (meta == null) {
          throw new CofferException(
              ExitCode.INTEGRITY,
              Printable.escape(db + "/" + base)
                  + " has a name mongodump cut short, and no .metadata.json to"
                  + " give the real one (collectionName); nothing was restored");
        }
        BsonDocument m = metadataOf(meta);
        if (!m.isString("collectionName")) {
          throw new CofferException(
              ExitCode.INTEGRITY,
              Printable.escape(db + "/" + meta.getFileName())
                  + " names no collectionName for a name mongodump cut"
                  + " short; nothing was restored");
        }
        name = m.getString("collectionName").getValue();
      } else {
        name = PathNames.unescape(base);
        if (name == null) {
          throw CofferException.usage(
              Printable.escape(db + "/" + base)
                  + " is not a name mongodump writes (a % not followed by two hex digits):"
                  + " rename the file to the collection's name, escaped as in a URL path");
        }
      }
      if (meta != null && data == null) {
        Path buckets =
            byBase.containsKey("system.buckets." + base)
                ? byBase.get("system.buckets." + base)[0]
                : null;
        if (buckets != null) data = buckets;
      }
      for (Entry other : entries) {
        if (other.db().equals(db) && other.collection().equals(name)) {
          throw CofferException.usage(
              "the dump holds collection "
                  + Printable.escape(db + "." + name)
                  + " twice ("
                  + Printable.escape(base)
                  + " and another"
                  + " name that unescapes the same): keep one of the files");
        }
      }
      long size = (data == null ? 0 : Files.size(data)) + (meta == null ? 0 : Files.size(meta));
      entries.add(new Entry(db, name, data, meta, size));
    }
  }

  /**
   * The coffer-changes/ folder of an unzipped incremental Coffer backup (mongodb/ in archives of
   * early 2026-12) holds only the changes since its parent: restored as a dump it would replace
   * whole collections with them. Refused; the archive itself restores the whole chain.
   */
  private static void refuseIncrement(Path dir) throws IOException {
    Path parent = dir.toAbsolutePath().normalize().getParent();
    if (parent == null) return;
    Path manifest = parent.resolve("coffer-manifest.json");
    String folder = dir.toAbsolutePath().normalize().getFileName().toString();
    if (!(folder.equals("mongodb") || folder.equals("coffer-changes"))
        || !Files.isRegularFile(manifest)) return;
    Manifest m;
    try {
      byte[] json = metadataBytes(manifest);
      Manifest.checkSize(json, "unzipped");
      m = Json.readUntrusted(json, Manifest.class);
    } catch (CofferException | IOException e) {
      return; // not a manifest Coffer can read: the folder is taken as a dump
    }
    if (m == null) return;
    if (m.parent() != null || "incremental".equalsIgnoreCase(String.valueOf(m.type()))) {
      throw CofferException.usage(
          Printable.escape(dir.toString())
              + " is the "
              + folder
              + "/ folder of an incremental Coffer backup ("
              + Printable.escape(String.valueOf(m.id()))
              + "): it holds only the changes since backup "
              + Printable.escape(String.valueOf(m.parent()))
              + "; restore the backup itself"
              + " ("
              + Field.BACKUP_ID.mark()
              + "), which reads its whole chain");
    }
  }

  /** The suffix of a file mongodump writes in a database folder, or null. */
  static String kind(String n) {
    for (String k : List.of(".metadata.json.gz", ".metadata.json", ".bson.gz", ".bson", ".bin")) {
      if (n.endsWith(k) && n.length() > k.length()) return k;
    }
    return null;
  }

  public List<Entry> entries() {
    return List.copyOf(entries);
  }

  /** The oplog mongodump --oplog wrote (oplog.bson, or .gz), or null. */
  public Path oplog() {
    return oplog;
  }

  /** The server version prelude.json names (mongodump 100.12 and later), or null. */
  public String serverVersion() {
    return serverVersion;
  }

  /**
   * The oplog's entries: inflated when it is gzipped, whatever its name ({@code mongodump --gzip}
   * may write a gzipped oplog.bson).
   */
  public static InputStream openOplog(Path p) throws IOException {
    if (p.getFileName().toString().endsWith(".gz")) return open(p);
    BufferedInputStream in = new BufferedInputStream(Files.newInputStream(p), 1 << 16);
    in.mark(3);
    byte[] head = in.readNBytes(3);
    in.reset();
    if (head.length == 3 && head[0] == (byte) 0x1f && head[1] == (byte) 0x8b && head[2] == 8) {
      return new GZIPInputStream(in, 1 << 16);
    }
    return in;
  }

  /** A file's content, inflated when its name ends in {@code .gz}. */
  public static InputStream open(Path p) throws IOException {
    InputStream in = new BufferedInputStream(Files.newInputStream(p), 1 << 16);
    if (!p.getFileName().toString().endsWith(".gz")) return in;
    try {
      return new GZIPInputStream(in, 1 << 16);
    } catch (IOException e) {
      in.close();
      throw new CofferException(
          ExitCode.INTEGRITY,
          Printable.escape(p.getFileName().toString())
              + " is not a gzip file, as its name says ("
              + e.getMessage()
              + "); nothing was restored",
          e);
    }
  }

  /** A metadata file's JSON text, at most 16 MiB. */
  public static byte[] metadataBytes(Path p) throws IOException {
    try (InputStream in =
        new Limited(
            open(p),
            MAX_METADATA_BYTES,
            () ->
                new CofferException(
                    ExitCode.INTEGRITY,
                    Printable.escape(p.getFileName().toString())
                        + " is larger than any metadata mongodump writes (16 MiB); nothing was restored"))) {
      return in.readAllBytes();
    }
  }

  private static BsonDocument metadataOf(Path p) throws IOException {
    return MongoMetadata.parseJson(metadataBytes(p), Printable.escape(p.getFileName().toString()));
  }

  private static String prelude(Path p) {
    try {
      byte[] b = metadataBytes(p);
      if (b.length > 65536) return null;
      BsonDocument d = BsonDocument.parse(new String(b, StandardCharsets.UTF_8));
      return d.isString("ServerVersion") ? d.getString("ServerVersion").getValue() : null;
    } catch (IOException | RuntimeException e) {
      return null; // only ever logged
    }
  }
}
