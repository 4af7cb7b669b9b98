package io.coffer.engine.mongo;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.DeleteOneModel;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.WriteModel;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.Printable;
import io.coffer.engine.base.Progress;
import io.coffer.protocol.ExitCode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bson.BsonArray;
import org.bson.BsonBinaryReader;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonValue;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.DecoderContext;

/**
 * Replays oplog entries, in their order, onto collections: what a point-in-time backup keeps
 * ({@link OplogCapture}) and what {@code mongodump --oplog} writes. Each entry is applied so that
 * applying it again changes nothing, as a replica set's secondaries apply them: an insert writes
 * the whole document; an update sets and unsets fields to the values the entry holds, in MongoDB's
 * forms ({@code $v: 2} with its {@code diff}: fields updated, inserted, deleted, sub-documents and
 * arrays; {@code $v: 1} and plain {@code $set} / {@code $unset}; a whole replacement); a delete
 * removes by {@code _id}; a transaction ({@code applyOps}) is its operations in order. Nothing is
 * visible before a restore's swap, so a transaction is applied whole or not at all.
 *
 * <p>Not replayed, and said so by {@link #unreplayable}: an update by other operators ({@code
 * $inc}, {@code $push}, ...: MongoDB logs their results, but a server that logs them as given, such
 * as mongo-java-server, makes them unsafe to apply twice), and commands that change a collection
 * (drop, rename, create, indexes, collMod). Everything here is read from storage and untrusted.
 */
public final class OplogReplay {
  private static final int BATCH = 1000;

  private OplogReplay() {}

  /** The staged collection a namespace's entries go to, or null when it is not restored. */
  @FunctionalInterface
  public interface Targets {
    MongoCollection<BsonDocument> of(String db, String collection);
  }

  /**
   * Why this entry cannot be replayed so that applying it twice is harmless, or null when it can.
   */
  public static String unreplayable(BsonDocument e) {
    String op = e.isString("op") ? e.getString("op").getValue() : "";
    String ns = e.isString("ns") ? e.getString("ns").getValue() : "";
    BsonDocument o = e.isDocument("o") ? e.getDocument("o") : null;
    switch (op) {
      case "i", "d", "n" -> {
        return null;
      }
      case "u" -> {
        if (o == null) return "an update in the oplog of " + ns + " has no change";
        if (isDiff(o)) return diffProblem(o.getDocument("diff"), "");
        boolean operators = false;
        for (String k : o.keySet()) {
          if (!k.startsWith("$")) continue;
          operators = true;
          if (!Set.of("$set", "$unset", "$v").contains(k)) {
            return "an update of "
                + ns
                + " by "
                + k
                + " is in the oplog as given, not as its result (MongoDB logs results; this"
                + " server does not), so it cannot be replayed safely";
          }
        }
        return operators || !o.isEmpty() ? null : "an update in the oplog of " + ns + " is empty";
      }
      case "c" -> {
        if (o != null && o.isArray("applyOps")) {
          for (BsonValue v : o.getArray("applyOps")) {
            if (!v.isDocument()) return "a transaction in the oplog holds something not an entry";
            String why = unreplayable(v.asDocument());
            if (why != null) return why;
          }
          return null;
        }
        String name = o == null || o.isEmpty() ? "?" : o.getFirstKey();
        return "a command ("
            + name
            + ") changed a collection of "
            + (ns.endsWith(".$cmd") ? ns.substring(0, ns.length() - 5) : ns)
            + " while the backup read it";
      }
      default -> {
        return "the oplog holds an entry of unknown kind '" + op + "'";
      }
    }
  }

  /** Whether a command ({@code o} of an entry in {@code db}) changes one of the namespaces. */
  static boolean commandTouches(BsonDocument o, String db, Set<String> namespaces) {
    if (o.containsKey("dropDatabase"))
      return namespaces.stream().anyMatch(n -> n.startsWith(db + "."));
    for (String k :
        List.of("create", "drop", "collMod", "createIndexes", "dropIndexes", "deleteIndexes")) {
      if (o.isString(k) && namespaces.contains(db + "." + o.getString(k).getValue())) return true;
    }
    for (String k : List.of("renameCollection", "to")) {
      if (o.isString(k) && namespaces.contains(o.getString(k).getValue())) return true;
    }
    return false;
  }

  private static boolean isDiff(BsonDocument o) {
    return o.isNumber("$v") && o.getNumber("$v").intValue() == 2 && o.isDocument("diff");
  }

  /** Why a {@code $v: 2} diff cannot be written as $set / $unset paths, or null. */
  private static String diffProblem(BsonDocument diff, String prefix) {
    for (Map.Entry<String, BsonValue> f : diff.entrySet()) {
      String k = f.getKey();
      if (k.equals("u") || k.equals("i") || k.equals("d")) {
        if (!f.getValue().isDocument()) return "an update diff in the oplog is malformed";
        for (String field : f.getValue().asDocument().keySet()) {
          if (field.contains(".") || field.startsWith("$") || field.isEmpty())
            return "an update in the oplog changes the field '"
                + Printable.escape(prefix + field)
                + "', whose name cannot be written as a path";
        }
      } else if (k.startsWith("s") && k.length() > 1) {
        String field = k.substring(1);
        if (!f.getValue().isDocument()) return "an update diff in the oplog is malformed";
        if (field.contains(".") || field.startsWith("$"))
          return "an update in the oplog changes the field '"
              + Printable.escape(prefix + field)
              + "', whose name cannot be written as a path";
        BsonDocument sub = f.getValue().asDocument();
        String why =
            sub.containsKey("a")
                ? arrayProblem(sub, prefix + field + ".")
                : diffProblem(sub, prefix + field + ".");
        if (why != null) return why;
      } else if (!k.equals("a")) {
        return "an update diff in the oplog holds '" + Printable.escape(k) + "', unknown to Coffer";
      }
    }
    return null;
  }

  private static String arrayProblem(BsonDocument diff, String prefix) {
    for (Map.Entry<String, BsonValue> f : diff.entrySet()) {
      String k = f.getKey();
      if (k.equals("a") || k.equals("l")) continue;
      if (k.length() < 2 || !k.substring(1).chars().allMatch(Character::isDigit))
        return "an array diff in the oplog holds '" + Printable.escape(k) + "', unknown to Coffer";
      if (k.charAt(0) == 'u') continue;
      if (k.charAt(0) != 's' || !f.getValue().isDocument())
        return "an array diff in the oplog is malformed";
      BsonDocument sub = f.getValue().asDocument();
      String path = prefix + k.substring(1) + ".";
      String why = sub.containsKey("a") ? arrayProblem(sub, path) : diffProblem(sub, path);
      if (why != null) return why;
    }
    return null;
  }

  /**
   * Applies the entries read from {@code bson} (named {@code label} in messages) to their targets;
   * returns how many entries it read.
   */
  public static long replay(InputStream bson, String label, Targets targets, Progress progress)
      throws IOException {
    BsonStream in = new BsonStream(bson, label);
    Batch batch = new Batch();
    long n = 0;
    byte[] raw;
    while ((raw = in.next()) != null) {
      n++;
      in.validate(raw); // well-formed, not nested beyond what the stack holds
      BsonDocument e;
      try (BsonBinaryReader r = new BsonBinaryReader(ByteBuffer.wrap(raw))) {
        e = new BsonDocumentCodec().decode(r, DecoderContext.builder().build()); // mutable
      }
      apply(e, label, n, targets, batch);
      progress.addBytes(raw.length);
    }
    batch.flush();
    return n;
  }

  private static void apply(BsonDocument e, String label, long n, Targets targets, Batch batch) {
    String why = unreplayable(e);
    if (why != null) throw damaged(label, n, "cannot be replayed: " + why);
    String op = e.getString("op").getValue();
    if (op.equals("n")) return;
    if (op.equals("c")) {
      for (BsonValue v : e.getDocument("o").getArray("applyOps"))
        apply(v.asDocument(), label, n, targets, batch);
      return;
    }
    if (!e.isString("ns") || !e.getString("ns").getValue().contains("."))
      throw damaged(label, n, "names no collection");
    String ns = e.getString("ns").getValue();
    int dot = ns.indexOf('.');
    MongoCollection<BsonDocument> target = targets.of(ns.substring(0, dot), ns.substring(dot + 1));
    if (target == null) return; // a collection this restore does not take
    if (!e.isDocument("o")) throw damaged(label, n, "holds no change");
    BsonDocument o = e.getDocument("o");
    switch (op) {
      case "i" -> {
        BsonValue id = o.get("_id");
        if (id == null) throw damaged(label, n, "inserts a document without an _id");
        batch.add(
            target,
            new ReplaceOneModel<>(
                new BsonDocument("_id", id), o, new ReplaceOptions().upsert(true)));
      }
      case "d" -> {
        BsonValue id = o.get("_id");
        if (id == null) throw damaged(label, n, "deletes without an _id");
        batch.add(target, new DeleteOneModel<>(new BsonDocument("_id", id)));
      }
      case "u" -> {
        BsonValue id = e.isDocument("o2") ? e.getDocument("o2").get("_id") : null;
        if (id == null) throw damaged(label, n, "updates without an _id in o2");
        BsonDocument filter = new BsonDocument("_id", id);
        if (isDiff(o)) {
          BsonDocument set = new BsonDocument();
          BsonDocument unset = new BsonDocument();
          List<BsonDocument> truncations = new ArrayList<>();
          flatten(o.getDocument("diff"), "", set, unset, truncations);
          BsonDocument update = new BsonDocument();
          if (!set.isEmpty()) update.put("$set", set);
          if (!unset.isEmpty()) update.put("$unset", unset);
          if (!update.isEmpty()) batch.add(target, new UpdateOneModel<>(filter, update));
          for (BsonDocument t : truncations)
            batch.add(target, new UpdateOneModel<>(filter, new BsonDocument("$push", t)));
        } else if (o.keySet().stream().anyMatch(k -> k.startsWith("$"))) {
          BsonDocument update = o.clone();
          update.remove("$v");
          if (!update.isEmpty()) batch.add(target, new UpdateOneModel<>(filter, update));
        } else {
          BsonDocument replacement = o.clone();
          replacement.put("_id", id);
          batch.add(target, new ReplaceOneModel<>(filter, replacement));
        }
      }
      default -> throw damaged(label, n, "is of unknown kind");
    }
  }

  /** A {@code $v: 2} diff as {@code $set} / {@code $unset} paths and array truncations. */
  private static void flatten(
      BsonDocument diff,
      String prefix,
      BsonDocument set,
      BsonDocument unset,
      List<BsonDocument> truncations) {
    for (Map.Entry<String, BsonValue> f : diff.entrySet()) {
      String k = f.getKey();
      switch (k) {
        case "u", "i" -> {
          for (Map.Entry<String, BsonValue> v : f.getValue().asDocument().entrySet())
            set.put(prefix + v.getKey(), v.getValue());
        }
        case "d" -> {
          for (String field : f.getValue().asDocument().keySet())
            unset.put(prefix + field, new BsonInt32(1));
        }
        case "a" -> {}
        case "l" ->
            truncations.add(
                new BsonDocument(
                    prefix.substring(0, prefix.length() - 1),
                    new BsonDocument("$each", new BsonArray()).append("$slice", f.getValue())));
        default -> {
          // "s<field>" (a sub-document or array) or, in an array, "u<index>" / "s<index>"
          char kind = k.charAt(0);
          String path = prefix + k.substring(1);
          if (kind == 'u') {
            set.put(path, f.getValue());
          } else {
            flatten(f.getValue().asDocument(), path + ".", set, unset, truncations);
          }
        }
      }
    }
  }

  private static CofferException damaged(String label, long n, String what) {
    return new CofferException(
        ExitCode.INTEGRITY,
        "entry "
            + n
            + " of "
            + Printable.escape(label)
            + " "
            + what
            + "; the backup's oplog is damaged or forged, and nothing was restored");
  }

  /** Consecutive writes to one collection, sent as one ordered bulk. */
  private static final class Batch {
    private MongoCollection<BsonDocument> target;
    private final List<WriteModel<BsonDocument>> writes = new ArrayList<>();

    void add(MongoCollection<BsonDocument> to, WriteModel<BsonDocument> w) {
      if (target != null && !target.getNamespace().equals(to.getNamespace())) flush();
      target = to;
      writes.add(w);
      if (writes.size() >= BATCH) flush();
    }

    void flush() {
      if (writes.isEmpty()) return;
      target.bulkWrite(List.copyOf(writes), new BulkWriteOptions().ordered(true));
      writes.clear();
    }
  }
}
