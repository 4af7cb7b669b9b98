package io.coffer.engine.mongo;

import io.coffer.engine.base.CofferException;
import io.coffer.protocol.ExitCode;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonValue;

/**
 * A collection's {@code .metadata.json} (mongodump's: options and indexes in canonical extended
 * JSON), read from an archive and so a stranger's: it must parse, its options must be a document
 * and its indexes documents with a key and a name. Only the collection options that shape data are
 * passed to {@code create}; a collection's metadata may not make it a view, and a view's holds only
 * a source and a pipeline.
 */
public final class MongoMetadata {
  /**
   * Options of {@code create} a restore passes on; others (storageEngine's configString,
   * encryptedFields, ...) are dropped.
   */
  static final Set<String> COLLECTION_OPTIONS =
      Set.of(
          "capped",
          "size",
          "max",
          "validator",
          "validationLevel",
          "validationAction",
          "collation",
          "timeseries",
          "expireAfterSeconds",
          "clusteredIndex",
          "changeStreamPreAndPostImages",
          "indexOptionDefaults");

  static final Set<String> VIEW_OPTIONS = Set.of("viewOn", "pipeline", "collation");

  private MongoMetadata() {}

  /**
   * Deeper than MongoDB itself stores (100 levels): refused before the recursive parser could
   * overflow its stack.
   */
  static final int MAX_DEPTH = 200;

  /**
   * Extended JSON text as a document, whatever it holds (refused when not JSON, or nested past
   * {@link #MAX_DEPTH}).
   */
  public static BsonDocument parseJson(byte[] json, String entry) {
    if (depth(json) > MAX_DEPTH) throw bad(entry, "nests deeper than " + MAX_DEPTH + " levels");
    try {
      return BsonDocument.parse(new String(json, StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      throw bad(entry, "is not valid extended JSON");
    }
  }

  public static BsonDocument parse(byte[] json, String entry, boolean view) {
    BsonDocument d = parseJson(json, entry);
    BsonValue options = d.get("options");
    if (options != null && !options.isDocument())
      throw bad(entry, "has options that are not a document");
    BsonDocument o = options == null ? new BsonDocument() : options.asDocument();
    if (view) {
      if (!o.isString("viewOn") || !o.isArray("pipeline"))
        throw bad(entry, "defines a view without viewOn and pipeline");
      for (String k : o.keySet())
        if (!VIEW_OPTIONS.contains(k)) throw bad(entry, "defines a view with option " + k);
    } else if (o.containsKey("viewOn") || o.containsKey("pipeline")) {
      throw bad(entry, "makes a collection a view");
    }
    BsonValue indexes = d.get("indexes");
    if (indexes != null) {
      if (!indexes.isArray()) throw bad(entry, "has indexes that are not a list");
      for (BsonValue ix : (BsonArray) indexes) {
        if (!ix.isDocument()
            || !ix.asDocument().isDocument("key")
            || !ix.asDocument().isString("name")) {
          throw bad(entry, "has an index without a key document and a name");
        }
      }
    }
    return d;
  }

  /** The deepest nesting of objects and arrays in JSON text, strings skipped. */
  static int depth(byte[] json) {
    int depth = 0;
    int max = 0;
    boolean string = false;
    for (int i = 0; i < json.length; i++) {
      byte b = json[i];
      if (string) {
        if (b == '\\') i++;
        else if (b == '"') string = false;
      } else if (b == '"') {
        string = true;
      } else if (b == '{' || b == '[') {
        max = Math.max(max, ++depth);
      } else if (b == '}' || b == ']') {
        depth--;
      }
    }
    return max;
  }

  private static CofferException bad(String entry, String what) {
    return new CofferException(
        ExitCode.INTEGRITY,
        entry + " " + what + ": the archive is damaged or forged; nothing was restored");
  }
}
