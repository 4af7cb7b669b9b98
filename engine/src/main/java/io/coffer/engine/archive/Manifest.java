package io.coffer.engine.archive;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.coffer.engine.base.CofferException;
import io.coffer.protocol.Consistency;
import io.coffer.protocol.ExitCode;
import java.util.List;
import java.util.Map;

/**
 * {@code coffer-manifest.json}: the last entry of every archive, and a copy beside it in storage.
 * It lists every entry with its size and SHA-256 (collections with their document count), so
 * restore and deep verification can check each byte, and inspect can preview a backup without
 * reading the archive.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Manifest(
    String format,
    int formatVersion,
    String id,
    String createdAt,
    String type,
    Source source,
    Selection selection,
    String compression,
    Integer compressionLevel,
    List<Entry> entries,
    List<Skipped> skipped,
    String parent,
    Consistency consistency,
    Oplog oplog) {

  /**
   * A manifest without an oplog window (files only, or written before consistency was recorded).
   */
  public Manifest(
      String format,
      int formatVersion,
      String id,
      String createdAt,
      String type,
      Source source,
      Selection selection,
      String compression,
      Integer compressionLevel,
      List<Entry> entries,
      List<Skipped> skipped,
      String parent) {
    this(
        format,
        formatVersion,
        id,
        createdAt,
        type,
        source,
        selection,
        compression,
        compressionLevel,
        entries,
        skipped,
        parent,
        null,
        null);
  }

  /**
   * The oplog window a point-in-time backup holds in its {@link Kind#oplog} entry: the entries
   * after {@code start} (the position before the first read) up to {@code end} (after the last
   * read), as MongoDB timestamps ({@code seconds << 32 | increment}, unsigned), and how many it
   * kept.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Oplog(long start, long end, long entries) {}

  /** A full backup's manifest (no parent). */
  public Manifest(
      String format,
      int formatVersion,
      String id,
      String createdAt,
      String type,
      Source source,
      Selection selection,
      String compression,
      Integer compressionLevel,
      List<Entry> entries,
      List<Skipped> skipped) {
    this(
        format,
        formatVersion,
        id,
        createdAt,
        type,
        source,
        selection,
        compression,
        compressionLevel,
        entries,
        skipped,
        null);
  }

  public static final String FORMAT = "coffer-archive";
  public static final int FORMAT_VERSION = 1;
  public static final String ENTRY_NAME = "coffer-manifest.json";

  /**
   * {@code deletions}: in an incremental backup, the {@code _id}s of documents deleted since its
   * parent. {@code oplog}: {@code mongodb/oplog.bson}, where mongodump writes its oplog.
   */
  public enum Kind {
    bson,
    metadata,
    view,
    file,
    directory,
    symlink,
    deletions,
    /** The oplog entries written while the backup read, replayed after the collections. */
    oplog
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Source(String mongodb, Map<String, String> files) {}

  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Selection(
      List<String> include,
      List<String> exclude,
      List<String> modules,
      List<String> filesInclude,
      List<String> filesExclude) {}

  /**
   * One archive entry. Collection entries name their database, collection and module; files their
   * tree. In an incremental backup, a file whose content did not change names in {@code from} the
   * backup whose archive holds it (and is not in this archive), and a collection's {@code bson}
   * entry with {@code delta} holds only the documents inserted or changed since the parent ({@code
   * documents} is then the collection's count after it). A file, directory or link whose name is
   * not valid UTF-8 carries its real name in {@code raw} (the path inside its tree, as bytes, in
   * base64); its zip name then shows each invalid byte as {@code %XX}. A link's target is the
   * content of its zip entry (raw bytes); {@code target} shows it.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Entry(
      String path,
      Kind kind,
      long size,
      String sha256,
      Long documents,
      String database,
      String collection,
      String module,
      String tree,
      Integer mode,
      Long mtime,
      String target,
      String from,
      Boolean delta,
      String raw) {

    public Entry(
        String path,
        Kind kind,
        long size,
        String sha256,
        Long documents,
        String database,
        String collection,
        String module,
        String tree,
        Integer mode,
        Long mtime,
        String target) {
      this(
          path,
          kind,
          size,
          sha256,
          documents,
          database,
          collection,
          module,
          tree,
          mode,
          mtime,
          target,
          null,
          null,
          null);
    }

    public Entry(
        String path,
        Kind kind,
        long size,
        String sha256,
        Long documents,
        String database,
        String collection,
        String module,
        String tree,
        Integer mode,
        Long mtime,
        String target,
        String from,
        Boolean delta) {
      this(
          path,
          kind,
          size,
          sha256,
          documents,
          database,
          collection,
          module,
          tree,
          mode,
          mtime,
          target,
          from,
          delta,
          null);
    }

    /**
     * Whether the entry's bytes are in this backup's archive (not only named, as an unchanged file
     * of a chain).
     */
    public boolean archived() {
      return from == null;
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Skipped(String path, String reason) {}

  /** The most entries a manifest may list. */
  public static final int MAX_ENTRIES = 2_000_000;

  /**
   * Counts the JSON objects in a manifest's bytes before it is parsed (strings skipped): every
   * entry is one, so a manifest of more than {@link #MAX_ENTRIES} entries is refused before its
   * records fill the heap.
   */
  public static void checkSize(byte[] json, String id) {
    long objects = 0;
    boolean string = false;
    for (int i = 0; i < json.length; i++) {
      byte b = json[i];
      if (string) {
        if (b == '\\') i++;
        else if (b == '"') string = false;
      } else if (b == '"') {
        string = true;
      } else if (b == '{' && ++objects > 2L * MAX_ENTRIES + 16) {
        throw damaged(id, "lists more than " + MAX_ENTRIES + " entries");
      }
    }
  }

  /** The manifest of backup {@code id} is not what Coffer writes: nothing of it is used. */
  public static CofferException damaged(String id, String what) {
    return new CofferException(
        ExitCode.INTEGRITY,
        "the manifest of backup "
            + id
            + " "
            + what
            + ": the backup is damaged or forged, and Coffer"
            + " uses nothing from it");
  }
}
