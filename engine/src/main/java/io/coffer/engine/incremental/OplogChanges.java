package io.coffer.engine.incremental;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.bson.BsonValue;

/**
 * Where the server keeps an oplog (a replica set, or mongo-java-server with its oplog on), the
 * documents touched since a position: an increment then reads only those, not every document.
 * Collections changed by a command (create, drop, rename) since then are read whole instead.
 * Memory: the touched {@code _id}s only.
 */
public final class OplogChanges {
  private final Map<String, Map<Long, BsonValue>> touched = new HashMap<>();
  private final Set<String> commanded = new HashSet<>();
  private final long entries;

  private OplogChanges(long entries) {
    this.entries = entries;
  }

  private static MongoCollection<BsonDocument> oplog(MongoClient client) {
    return client.getDatabase("local").getCollection("oplog.rs", BsonDocument.class);
  }

  private static Long edge(MongoClient client, int direction) {
    try {
      BsonDocument d =
          oplog(client)
              .find()
              .sort(new BsonDocument("$natural", new BsonInt32(direction)))
              .limit(1)
              .first();
      return d == null || !d.isTimestamp("ts") ? null : d.getTimestamp("ts").getValue();
    } catch (MongoException e) {
      return null; // no oplog (a standalone server), or no right to read it: every document is read
      // instead
    }
  }

  /** The oldest oplog position the server still holds, or null when it has no readable oplog. */
  public static Long oldest(MongoClient client) {
    return edge(client, 1);
  }

  /** The newest oplog position, or null when the server has no readable oplog. */
  public static Long latest(MongoClient client) {
    return edge(client, -1);
  }

  /**
   * The changes since {@code since}, or null when the oplog no longer reaches back that far (or
   * there is none).
   */
  public static OplogChanges since(MongoClient client, long since) {
    Long oldest = edge(client, 1);
    if (oldest == null || Long.compareUnsigned(oldest, since) > 0) return null;
    long n = 0;
    OplogChanges c;
    DocHash hasher = new DocHash();
    Map<String, Map<Long, BsonValue>> touched = new HashMap<>();
    Set<String> commanded = new HashSet<>();
    try {
      for (BsonDocument e :
          oplog(client)
              .find(new BsonDocument("ts", new BsonDocument("$gt", new BsonTimestamp(since))))
              .batchSize(5000)) {
        n++;
        String op = e.getString("op", new BsonString("")).getValue();
        String ns = e.getString("ns", new BsonString("")).getValue();
        BsonDocument o = e.getDocument("o", new BsonDocument());
        switch (op) {
          case "i", "d" -> add(touched, ns, o.get("_id"), hasher);
          case "u" -> add(touched, ns, e.getDocument("o2", new BsonDocument()).get("_id"), hasher);
          case "c" -> {
            String db = ns.endsWith(".$cmd") ? ns.substring(0, ns.length() - 5) : ns;
            for (String k :
                new String[] {
                  "create", "drop", "renameCollection", "to", "createIndexes", "collMod"
                }) {
              if (!o.isString(k)) continue;
              String v = o.getString(k).getValue();
              commanded.add(
                  v.contains(".") && (k.equals("renameCollection") || k.equals("to"))
                      ? v
                      : db + "." + v);
            }
            if (o.containsKey("applyOps") || o.containsKey("dropDatabase"))
              commanded.add(db + ".*");
          }
          default -> {}
        }
      }
    } catch (MongoException e) {
      return null;
    }
    c = new OplogChanges(n);
    c.touched.putAll(touched);
    c.commanded.addAll(commanded);
    return c;
  }

  private static void add(
      Map<String, Map<Long, BsonValue>> touched, String ns, BsonValue id, DocHash hasher) {
    if (id == null) return;
    byte[] doc = DocHash.idDocument(id);
    byte[] element = DocHash.idElement(doc, 0, doc.length);
    touched
        .computeIfAbsent(ns, k -> new LinkedHashMap<>())
        .put(hasher.hash(element, 0, element.length), id);
  }

  /**
   * Whether the oplog tells everything that happened to a collection since the position (no command
   * changed it).
   */
  public boolean covers(String db, String coll) {
    return !commanded.contains(db + "." + coll) && !commanded.contains(db + ".*");
  }

  /** The {@code _id}s touched in a collection since the position, by their hash. */
  public Map<Long, BsonValue> touched(String db, String coll) {
    return touched.getOrDefault(db + "." + coll, Map.of());
  }

  public long entries() {
    return entries;
  }
}
