package io.coffer.engine.mongo;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonNull;
import org.bson.BsonValue;

/**
 * Applies an oplog update to a document in memory, as a replica set applies it when it replays its
 * oplog over documents that may already be in a later state: never failing, and so that applying it
 * again changes nothing. Two forms: MongoDB 5.0+'s {@code $v: 2} diff ({@code d} fields deleted,
 * {@code u} fields updated in place (appended when absent), {@code i} fields inserted at the end,
 * {@code s<field>} a sub-document's or array's diff; an array diff has {@code a: true}, {@code l}
 * its new length, {@code u<index>} and {@code s<index>}), and {@code $set} / {@code $unset} by path
 * ({@code $v: 1}). Where the document's shape no longer fits the update (a field that became a
 * scalar, a missing sub-document), that part is passed over: a later entry of the oplog sets that
 * field again. Callers check the shape first ({@link OplogReplay#unreplayable}). Pure.
 */
public final class DiffApplier {
  /** Nesting a diff or a path may have; MongoDB allows 100 levels of documents. */
  static final int MAX_DEPTH = 100;

  private DiffApplier() {}

  /** The document after a {@code $v: 2} diff. */
  public static BsonDocument applyDiff(BsonDocument pre, BsonDocument diff) {
    return object(pre, diff, 0);
  }

  private static BsonDocument object(BsonDocument pre, BsonDocument diff, int depth) {
    if (depth > MAX_DEPTH) throw new IllegalArgumentException("nested deeper than MongoDB allows");
    Set<String> deleted = diff.isDocument("d") ? diff.getDocument("d").keySet() : Set.of();
    BsonDocument updates = diff.isDocument("u") ? diff.getDocument("u") : new BsonDocument();
    BsonDocument inserts = diff.isDocument("i") ? diff.getDocument("i") : new BsonDocument();
    Map<String, BsonDocument> subs = new LinkedHashMap<>();
    for (Map.Entry<String, BsonValue> f : diff.entrySet()) {
      String k = f.getKey();
      if (k.length() > 1 && k.charAt(0) == 's' && f.getValue().isDocument())
        subs.put(k.substring(1), f.getValue().asDocument());
    }
    BsonDocument out = new BsonDocument();
    Set<String> done = new HashSet<>();
    for (Map.Entry<String, BsonValue> f : pre.entrySet()) {
      String name = f.getKey();
      BsonValue v = f.getValue();
      if (deleted.contains(name) || inserts.containsKey(name))
        continue; // gone, or moved to the end
      if (updates.containsKey(name)) {
        out.put(name, updates.get(name));
        done.add(name);
      } else if (subs.containsKey(name)) {
        BsonDocument sub = subs.get(name);
        boolean arrayDiff = sub.containsKey("a");
        if (arrayDiff && v.isArray()) out.put(name, array(v.asArray(), sub, depth + 1));
        else if (!arrayDiff && v.isDocument())
          out.put(name, object(v.asDocument(), sub, depth + 1));
        else out.put(name, v); // the shape changed later: a later entry sets this field again
      } else {
        out.put(name, v);
      }
    }
    for (Map.Entry<String, BsonValue> u : updates.entrySet())
      if (!done.contains(u.getKey()) && !deleted.contains(u.getKey()))
        out.put(u.getKey(), u.getValue());
    for (Map.Entry<String, BsonValue> i : inserts.entrySet()) out.put(i.getKey(), i.getValue());
    return out;
  }

  private static BsonArray array(BsonArray pre, BsonDocument diff, int depth) {
    if (depth > MAX_DEPTH) throw new IllegalArgumentException("nested deeper than MongoDB allows");
    List<BsonValue> out = new ArrayList<>(pre.getValues());
    if (diff.isNumber("l")) {
      long l = diff.getNumber("l").longValue();
      if (l < 0) throw new IllegalArgumentException("gives an array a negative length");
      while (out.size() > l) out.remove(out.size() - 1);
    }
    for (Map.Entry<String, BsonValue> f : diff.entrySet()) {
      String k = f.getKey();
      if (k.length() < 2 || (k.charAt(0) != 'u' && k.charAt(0) != 's')) continue;
      int index = Integer.parseInt(k.substring(1));
      if (k.charAt(0) == 'u') {
        pad(out, index);
        out.set(index, f.getValue());
      } else if (index < out.size() && f.getValue().isDocument()) {
        BsonDocument sub = f.getValue().asDocument();
        BsonValue v = out.get(index);
        if (sub.containsKey("a") && v.isArray()) out.set(index, array(v.asArray(), sub, depth + 1));
        else if (!sub.containsKey("a") && v.isDocument())
          out.set(index, object(v.asDocument(), sub, depth + 1));
      }
    }
    return new BsonArray(out);
  }

  /** The document after {@code $set} / {@code $unset} by path ({@code $v: 1}, or no version). */
  public static BsonDocument applySetUnset(BsonDocument pre, BsonDocument update) {
    BsonDocument out = pre.clone();
    if (update.isDocument("$set")) {
      for (Map.Entry<String, BsonValue> s : update.getDocument("$set").entrySet())
        set(out, s.getKey().split("\\.", -1), 0, s.getValue());
    }
    if (update.isDocument("$unset")) {
      for (String path : update.getDocument("$unset").keySet())
        unset(out, path.split("\\.", -1), 0);
    }
    return out;
  }

  private static void set(BsonValue at, String[] path, int i, BsonValue value) {
    if (i >= MAX_DEPTH) throw new IllegalArgumentException("nested deeper than MongoDB allows");
    String part = path[i];
    boolean last = i == path.length - 1;
    if (at.isDocument()) {
      BsonDocument d = at.asDocument();
      if (last) {
        d.put(part, value);
        return;
      }
      if (!d.containsKey(part)) d.put(part, new BsonDocument());
      set(d.get(part), path, i + 1, value);
    } else if (at.isArray() && isIndex(part)) {
      BsonArray a = at.asArray();
      int index = Integer.parseInt(part);
      pad(a, index);
      if (last) {
        a.set(index, value);
        return;
      }
      if (a.get(index).isNull()) a.set(index, new BsonDocument());
      set(a.get(index), path, i + 1, value);
    }
    // a scalar where the path goes on: the shape changed later, a later entry sets it again
  }

  private static void unset(BsonValue at, String[] path, int i) {
    if (i >= MAX_DEPTH) throw new IllegalArgumentException("nested deeper than MongoDB allows");
    String part = path[i];
    boolean last = i == path.length - 1;
    if (at.isDocument()) {
      BsonDocument d = at.asDocument();
      if (last) d.remove(part);
      else if (d.containsKey(part)) unset(d.get(part), path, i + 1);
    } else if (at.isArray() && isIndex(part)) {
      BsonArray a = at.asArray();
      int index = Integer.parseInt(part);
      if (index >= a.size()) return;
      if (last) a.set(index, BsonNull.VALUE); // $unset of an array element leaves a null
      else unset(a.get(index), path, i + 1);
    }
  }

  /** Nulls up to {@code index}, as MongoDB pads an array; refused past what a document holds. */
  private static void pad(List<BsonValue> a, int index) {
    if (index >= MAX_ARRAY)
      throw new IllegalArgumentException("sets element " + index + " of an array of " + a.size());
    while (a.size() <= index) a.add(BsonNull.VALUE);
  }

  /**
   * The longest array an update may make: a 16 MB document holds fewer elements, and MongoDB pads
   * at most 1,500,000 past an array's end.
   */
  static final int MAX_ARRAY = 1_500_000;

  static boolean isIndex(String s) {
    if (s.isEmpty() || s.length() > 8) return false;
    for (int i = 0; i < s.length(); i++) if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
    return true;
  }
}
