package io.coffer.engine.mongo;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.DeleteOneModel;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.WriteModel;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.Printable;
import io.coffer.engine.base.Progress;
import io.coffer.engine.incremental.DocHash;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;

/**
 * Replays oplog entries, in their order, onto staged collections: what a point-in-time backup keeps
 * ({@link OplogCapture}) and what {@code mongodump --oplog} writes. Each entry is applied as a
 * replica set applies its oplog over documents that may already be in a later state, so applying it
 * again changes nothing: an insert writes the whole document; an update is applied to the document
 * as it is now ({@link DiffApplier}: MongoDB's {@code $v: 2} diff, or {@code $set} / {@code
 * $unset}), or replaces it whole; a delete removes by {@code _id}; a transaction ({@code applyOps})
 * is its operations in order. Nothing is visible before a restore's swap, so a transaction is
 * applied whole or not at all.
 *
 * <p>Entries of collections not restored are passed over (a mongodump's oplog holds the whole
 * server's). Not replayed, and said so ({@link #unreplayable}): updates by other operators ({@code
 * $inc}, {@code $push}: MongoDB logs their results; a server that logs them as given, such as
 * mongo-java-server, makes them unsafe to apply twice), commands other than those that create,
 * drop, rename or change collections and their indexes ({@link #command}), and transactions logged
 * over several entries or prepared. Everything here is read from storage and untrusted. Memory: one
 * batch of writes (at most {@link #BATCH} entries, {@link #BATCH_BYTES}).
 */
public final class OplogReplay {
  private static final int BATCH = 1000;
  private static final int BATCH_BYTES = 8 * 1024 * 1024;
  private static final Set<String> TOUCHING_COMMANDS =
      Set.of(
          "create",
          "drop",
          "collMod",
          "createIndexes",
          "dropIndexes",
          "deleteIndexes",
          "startIndexBuild",
          "commitIndexBuild",
          "abortIndexBuild",
          "emptycapped",
          "convertToCapped");

  private OplogReplay() {}

  /**
   * What a replay works on: the restored collections by their name in the source ({@code
   * db.collection}; the set follows the replayed creates, drops and renames), which collections
   * created in the replayed stretch join the restore ({@code admits}: null to restore it, else why
   * not, "" to say nothing), and their staged copies ({@code changes}: null in a dry run, where
   * entries are checked, not applied). What the replayed commands changed is noted ({@link
   * #notes}).
   */
  public static final class Targets {
    private static final int NOTES = 20;
    private final Set<String> restored;
    private final Set<String> original;
    private final Function<String, String> admits;
    private final Changes changes;
    private final Set<String> passedOver = new HashSet<>();
    private final List<String> notes = new ArrayList<>();
    private int moreNotes;

    /** No collection joins the restore during the replay. */
    public Targets(Set<String> sources, Changes changes) {
      this(sources, ns -> "", changes);
    }

    public Targets(Set<String> sources, Function<String, String> admits, Changes changes) {
      this.restored = new HashSet<>(sources);
      this.original = Set.copyOf(sources);
      this.admits = admits;
      this.changes = changes;
    }

    boolean takes(String db, String collection) {
      return restored.contains(db + "." + collection);
    }

    boolean takesAnyOf(String db) {
      return restored.stream().anyMatch(s -> s.startsWith(db + "."));
    }

    MongoCollection<BsonDocument> of(String db, String collection) {
      return changes == null ? null : changes.staged(db, collection);
    }

    /** A dry run: entries are checked, nothing is applied. */
    boolean dryRun() {
      return changes == null;
    }

    /**
     * Whether a collection not restored so far joins the restore (created, or renamed into a
     * restored name, in the replayed stretch); a refusal with a reason is noted once.
     */
    boolean admit(String db, String collection, BsonDocument e) {
      return why(db, collection, e) == null;
    }

    /**
     * Why a collection not restored so far does not join the restore ("" to say nothing), or null
     * when it does: a name the restore held from the start always does (dropped and created again,
     * say); a reason is noted once.
     */
    String why(String db, String collection, BsonDocument e) {
      String ns = db + "." + collection;
      if (original.contains(ns)) return null;
      if (passedOver.contains(ns)) return "";
      String why = admits.apply(ns);
      if (why == null || why.isEmpty()) return why; // "" is cheap to ask again: not kept
      if (passedOver.size() < 10_000) passedOver.add(ns);
      note(e, ns + " is not restored: " + why);
      return why;
    }

    void create(String db, String collection, BsonDocument options, BsonDocument e, String how) {
      restored.add(db + "." + collection);
      passedOver.remove(db + "." + collection);
      if (changes != null) changes.create(db, collection, options);
      note(e, how + " " + db + "." + collection);
    }

    void drop(String db, String collection, BsonDocument e, String how) {
      restored.remove(db + "." + collection);
      if (changes != null) changes.drop(db, collection);
      if (how != null) note(e, how);
    }

    void rename(String db, String from, String to, BsonDocument e) {
      restored.remove(db + "." + from);
      restored.add(db + "." + to);
      if (changes != null) changes.rename(db, from, to);
      note(e, "renamed " + db + "." + from + " to " + db + "." + to);
    }

    void modify(String db, String collection, BsonDocument mod, BsonDocument e) {
      if (changes != null) changes.modify(db, collection, mod);
      note(
          e,
          "changed the options of "
              + db
              + "."
              + collection
              + " ("
              + String.join(", ", mod.keySet())
              + ")");
    }

    void createIndex(String db, String collection, BsonDocument spec) {
      if (changes != null) changes.createIndex(db, collection, spec);
    }

    void dropIndex(String db, String collection, BsonValue which) {
      if (changes != null) changes.dropIndex(db, collection, which);
    }

    void note(BsonDocument e, String what) {
      if (notes.size() >= NOTES) {
        moreNotes++;
        return;
      }
      notes.add(
          Printable.escape(what.length() > 300 ? what.substring(0, 300) + "..." : what)
              + (e.isTimestamp("ts")
                  ? " at " + Instant.ofEpochSecond(e.getTimestamp("ts").getValue() >>> 32)
                  : ""));
    }

    /**
     * What the replayed commands changed, in their order: collections created, dropped, renamed or
     * changed, and those created that are not restored (at most {@value #NOTES}, then a count).
     */
    public List<String> notes() {
      List<String> all = new ArrayList<>(notes);
      if (moreNotes > 0) all.add("and " + moreNotes + " more changes");
      return all;
    }
  }

  /**
   * The staged copies a replay writes ({@code staged}: the copy of a restored collection, by its
   * source names) and what the replayed commands change on them. Only {@code staged} is needed
   * where no command is replayed.
   */
  @FunctionalInterface
  public interface Changes {
    MongoCollection<BsonDocument> staged(String db, String collection);

    /** An index built: the index list the collection gets when it is put in place. */
    default void createIndex(String db, String collection, BsonDocument spec) {}

    /** {@code which}: an index name, {@code "*"} (all but _id's), or a key pattern. */
    default void dropIndex(String db, String collection, BsonValue which) {}

    /** A collection (or view: {@code viewOn}) created with these options, empty. */
    default void create(String db, String collection, BsonDocument options) {}

    /** A restored collection dropped: it is not restored, and not in the target after. */
    default void drop(String db, String collection) {}

    /** A restored collection renamed, in its database. */
    default void rename(String db, String from, String to) {}

    /** {@code collMod}'s changes (the command without its name) to a restored collection. */
    default void modify(String db, String collection, BsonDocument changes) {}
  }

  /** The commands that build or drop an index: replayed into the restored index list. */
  private static final Set<String> INDEX_COMMANDS =
      Set.of(
          "createIndexes",
          "startIndexBuild",
          "commitIndexBuild",
          "abortIndexBuild",
          "dropIndexes",
          "deleteIndexes");

  /** Why this entry cannot be replayed safely, or null when it can. */
  public static String unreplayable(BsonDocument e) {
    String op = e.isString("op") ? e.getString("op").getValue() : "";
    String ns = e.isString("ns") ? e.getString("ns").getValue() : "";
    BsonDocument o = e.isDocument("o") ? e.getDocument("o") : null;
    switch (op) {
      case "i", "d", "n" -> {
        return null;
      }
      case "u" -> {
        if (o == null || o.isEmpty()) return "an update of " + ns + " in the oplog holds no change";
        if (isDiff(o)) return diffProblem(o.getDocument("diff"), "", 0);
        boolean operators = o.keySet().stream().anyMatch(k -> k.startsWith("$"));
        if (!operators) return null; // a replacement
        for (Map.Entry<String, BsonValue> k : o.entrySet()) {
          switch (k.getKey()) {
            case "$v" -> {}
            case "$set", "$unset" -> {
              if (!k.getValue().isDocument()) return "an update of " + ns + " is malformed";
              for (String path : k.getValue().asDocument().keySet()) {
                String why = pathProblem(path);
                if (why != null) return why;
              }
            }
            default -> {
              return "an update of "
                  + ns
                  + " by "
                  + k.getKey()
                  + " is in the oplog as given, not as its result (MongoDB logs results; this"
                  + " server does not), so it cannot be replayed safely";
            }
          }
        }
        return null;
      }
      case "c" -> {
        if (o != null && o.isArray("applyOps")) {
          if (splitOrPrepared(e))
            return "a transaction in the oplog is prepared or logged over several entries";
          for (BsonValue v : o.getArray("applyOps")) {
            if (!v.isDocument()) return "a transaction in the oplog holds something not an entry";
            String why = unreplayable(v.asDocument());
            if (why != null) return why;
          }
          return null;
        }
        String name = o == null || o.isEmpty() ? "?" : o.getFirstKey();
        if (name.equals("commitTransaction") || name.equals("abortTransaction"))
          return "a prepared transaction ended while the backup read";
        return "a command ("
            + Printable.escape(name)
            + ") changed a collection of "
            + Printable.escape(ns.endsWith(".$cmd") ? ns.substring(0, ns.length() - 5) : ns)
            + " while it was read";
      }
      default -> {
        return "the oplog holds an entry of unknown kind '" + Printable.escape(op) + "'";
      }
    }
  }

  private static boolean splitOrPrepared(BsonDocument e) {
    BsonDocument o = e.getDocument("o");
    if (o.isBoolean("prepare") && o.getBoolean("prepare").getValue()) return true;
    if (e.isBoolean("prepare") && e.getBoolean("prepare").getValue()) return true;
    if (o.isBoolean("partialTxn") && o.getBoolean("partialTxn").getValue()) return true;
    if (e.isDocument("prevOpTime")) {
      BsonDocument prev = e.getDocument("prevOpTime");
      return prev.isTimestamp("ts") && prev.getTimestamp("ts").getValue() != 0;
    }
    return false;
  }

  /** Whether a command ({@code o} of an entry in {@code db}) changes one of the namespaces. */
  static boolean commandTouches(BsonDocument o, String db, Set<String> namespaces) {
    return touched(o, db, new Targets(namespaces, (Changes) null)) != null;
  }

  /** A restored collection (db.collection) a command changes, or null. */
  private static String touched(BsonDocument o, String db, Targets targets) {
    if (o.containsKey("dropDatabase")) return targets.takesAnyOf(db) ? db + ".*" : null;
    if (o.containsKey("commitTransaction") || o.containsKey("abortTransaction"))
      return targets.takesAnyOf(db) ? db + ".*" : null;
    for (String k : TOUCHING_COMMANDS) {
      if (o.isString(k) && targets.takes(db, o.getString(k).getValue()))
        return db + "." + o.getString(k).getValue();
    }
    for (String k : List.of("renameCollection", "to")) {
      if (!o.isString(k)) continue;
      String full = o.getString(k).getValue();
      int dot = full.indexOf('.');
      if (dot > 0 && targets.takes(full.substring(0, dot), full.substring(dot + 1))) return full;
    }
    return null;
  }

  private static boolean isDiff(BsonDocument o) {
    return o.isNumber("$v") && o.getNumber("$v").intValue() == 2 && o.isDocument("diff");
  }

  private static String pathProblem(String path) {
    String[] parts = path.split("\\.", -1);
    if (parts.length > DiffApplier.MAX_DEPTH) return "an update in the oplog is nested too deep";
    for (String p : parts)
      if (p.isEmpty() || p.startsWith("$"))
        return "an update in the oplog names the path '" + Printable.escape(path) + "'";
    return null;
  }

  /** Why a {@code $v: 2} diff cannot be applied, or null. */
  private static String diffProblem(BsonDocument diff, String prefix, int depth) {
    if (depth > DiffApplier.MAX_DEPTH) return "an update diff in the oplog is nested too deep";
    for (Map.Entry<String, BsonValue> f : diff.entrySet()) {
      String k = f.getKey();
      if (k.equals("u") || k.equals("i") || k.equals("d")) {
        if (!f.getValue().isDocument()) return "an update diff in the oplog is malformed";
      } else if (k.startsWith("s") && k.length() > 1) {
        if (!f.getValue().isDocument()) return "an update diff in the oplog is malformed";
        String why = subProblem(f.getValue().asDocument(), prefix + k.substring(1) + ".", depth);
        if (why != null) return why;
      } else {
        return "an update diff in the oplog holds '" + Printable.escape(k) + "', unknown to Coffer";
      }
    }
    return null;
  }

  /** A sub-document's or an array's diff ({@code a: true}), one level deeper. */
  private static String subProblem(BsonDocument sub, String path, int depth) {
    return sub.containsKey("a")
        ? arrayProblem(sub, path, depth + 1)
        : diffProblem(sub, path, depth + 1);
  }

  private static String arrayProblem(BsonDocument diff, String prefix, int depth) {
    if (depth > DiffApplier.MAX_DEPTH) return "an update diff in the oplog is nested too deep";
    for (Map.Entry<String, BsonValue> f : diff.entrySet()) {
      String k = f.getKey();
      if (k.equals("a")) continue;
      if (k.equals("l")) {
        if (!(f.getValue().isInt32() || f.getValue().isInt64())
            || f.getValue().asNumber().longValue() < 0
            || f.getValue().asNumber().longValue() > Integer.MAX_VALUE)
          return "an array diff in the oplog gives an impossible length";
        continue;
      }
      if (k.length() < 2 || !DiffApplier.isIndex(k.substring(1)))
        return "an array diff in the oplog holds '" + Printable.escape(k) + "', unknown to Coffer";
      if (k.charAt(0) == 'u') continue;
      if (k.charAt(0) != 's' || !f.getValue().isDocument())
        return "an array diff in the oplog is malformed";
      String why = subProblem(f.getValue().asDocument(), prefix + k.substring(1) + ".", depth);
      if (why != null) return why;
    }
    return null;
  }

  /**
   * Applies the entries read from {@code bson} (named {@code label} in messages); returns how many
   * it read.
   */
  public static long replay(InputStream bson, String label, Targets targets, Progress progress)
      throws IOException {
    BsonStream in = new BsonStream(bson, label);
    Replayer r = new Replayer(label, targets, progress);
    byte[] raw;
    while ((raw = in.next()) != null) r.accept(raw);
    return r.finish();
  }

  /**
   * Entries given one at a time (a mongodump archive's oplog arrives in blocks), applied in their
   * order; {@link #finish} sends what is pending.
   */
  public static final class Replayer {
    private final String label;
    private final Targets targets;
    private final Progress progress;
    private final Batch batch;
    private long n;
    private long lastTs;

    public Replayer(String label, Targets targets, Progress progress) {
      this.label = label;
      this.targets = targets;
      this.progress = progress;
      this.batch = new Batch(label);
    }

    public void accept(byte[] raw) {
      n++;
      BsonDocument e;
      try {
        e = new RawBsonDocument(raw).decode(new BsonDocumentCodec()); // a mutable copy
      } catch (RuntimeException | StackOverflowError bad) {
        throw damaged(label, n, "is not a BSON document Coffer can read");
      }
      batch.entry = n;
      if (e.isTimestamp("ts") && Long.compareUnsigned(e.getTimestamp("ts").getValue(), lastTs) > 0)
        lastTs = e.getTimestamp("ts").getValue();
      try {
        apply(e, label, n, targets, batch, raw.length, 0);
      } catch (IllegalArgumentException | StackOverflowError bad) {
        throw damaged(label, n, "cannot be applied (" + Printable.escape(bad.getMessage()) + ")");
      }
      progress.addBytes(raw.length);
    }

    /** The time of the newest entry given (second precision), or null when none had a time. */
    public String lastTime() {
      return lastTs == 0 ? null : Instant.ofEpochSecond(lastTs >>> 32).toString();
    }

    /** What the replayed commands changed ({@link Targets#notes}). */
    public List<String> notes() {
      return targets.notes();
    }

    /** Sends what is pending; returns how many entries were given. */
    public long finish() {
      batch.flush();
      return n;
    }
  }

  private static void apply(
      BsonDocument e, String label, long n, Targets targets, Batch batch, int bytes, int depth) {
    if (depth > 2) throw damaged(label, n, "nests transactions");
    String op = e.isString("op") ? e.getString("op").getValue() : "";
    if (op.equals("n")) return;
    if (!e.isDocument("o")) throw damaged(label, n, "holds no change");
    BsonDocument o = e.getDocument("o");
    String ns = e.isString("ns") ? e.getString("ns").getValue() : "";
    int dot = ns.indexOf('.');
    if (dot <= 0 || dot == ns.length() - 1) throw damaged(label, n, "names no collection");
    String db = ns.substring(0, dot);
    String collection = ns.substring(dot + 1);
    if (op.equals("c")) {
      if (o.isArray("applyOps")) {
        boolean split = splitOrPrepared(e);
        for (BsonValue v : o.getArray("applyOps")) {
          if (!v.isDocument()) throw damaged(label, n, "holds a transaction with a non-entry");
          if (split) {
            String inner =
                v.asDocument().isString("ns") ? v.asDocument().getString("ns").getValue() : "";
            int d = inner.indexOf('.');
            if (d > 0 && targets.takes(inner.substring(0, d), inner.substring(d + 1)))
              throw refused(
                  label,
                  n,
                  e,
                  "a prepared transaction, or one logged over several entries,",
                  inner);
            continue;
          }
          // each operation is charged its share of the transaction's bytes
          apply(
              v.asDocument(),
              label,
              n,
              targets,
              batch,
              Math.max(1, bytes / o.getArray("applyOps").size()),
              depth + 1);
        }
        return;
      }
      command(e, o, db, label, n, targets, batch);
      return;
    }
    if (!targets.takes(db, collection)) {
      // a collection this restore does not take, or one created after the base backup (MongoDB
      // logs its create first; a server that creates it silently at its first insert does not)
      if (!op.equals("i") || !targets.admit(db, collection, e)) return;
      batch.flush();
      targets.create(db, collection, new BsonDocument(), e, "created (by its first insert)");
    }
    String why = unreplayable(e);
    if (why != null) throw damaged(label, n, "cannot be replayed: " + why);
    if (targets.dryRun()) return; // checked, not applied
    MongoCollection<BsonDocument> target = targets.of(db, collection);
    if (target == null)
      throw damaged(
          label, n, "writes to " + Printable.escape(ns) + ", which is a view or was never created");
    switch (op) {
      case "i" -> {
        BsonValue id = o.get("_id");
        if (id == null) throw damaged(label, n, "inserts a document without an _id");
        batch.add(
            target,
            id,
            new ReplaceOneModel<>(
                new BsonDocument("_id", id), o, new ReplaceOptions().upsert(true)),
            bytes);
      }
      case "d" -> {
        BsonValue id = o.get("_id");
        if (id == null) throw damaged(label, n, "deletes without an _id");
        batch.add(target, id, new DeleteOneModel<>(new BsonDocument("_id", id)), bytes);
      }
      case "u" -> {
        BsonValue id = e.isDocument("o2") ? e.getDocument("o2").get("_id") : null;
        if (id == null) throw damaged(label, n, "updates without an _id in o2");
        BsonDocument filter = new BsonDocument("_id", id);
        boolean operators = o.keySet().stream().anyMatch(k -> k.startsWith("$"));
        if (!operators) {
          BsonDocument replacement = o.clone();
          replacement.put("_id", id);
          batch.add(target, id, new ReplaceOneModel<>(filter, replacement), bytes);
          return;
        }
        // applied to the document as it is now, as a replica set does (in groups: one read of
        // their documents, then their final states written)
        batch.update(target, id, o, bytes);
      }
      default -> throw damaged(label, n, "is of unknown kind");
    }
  }

  /**
   * A command ({@code o}) of database {@code db}: collections created, dropped, renamed (in their
   * database) and changed ({@code collMod}), and indexes built and dropped, are replayed into what
   * the restore puts in place; a command on collections this restore does not take changes nothing;
   * any other command on a restored collection is refused with its time. Writes waiting in {@code
   * batch} are sent first, so each lands in the collection it was meant for.
   */
  private static void command(
      BsonDocument e,
      BsonDocument o,
      String db,
      String label,
      long n,
      Targets targets,
      Batch batch) {
    String command = o.isEmpty() ? "" : o.getFirstKey();
    switch (command) {
      case "create" -> {
        String name = named(o, command, label, n);
        if (targets.takes(db, name) || !targets.admit(db, name, e)) return; // held, or not taken
        if (o.containsKey("viewOn") || o.containsKey("timeseries")) {
          targets.note(
              e,
              (o.containsKey("viewOn") ? "view " : "time-series collection ")
                  + db
                  + "."
                  + name
                  + " created in the replayed stretch is not restored: Coffer restores views"
                  + " and time-series collections from backups only");
          return;
        }
        batch.flush();
        BsonDocument options = o.clone();
        options.remove("create");
        options.remove("idIndex");
        targets.create(db, name, options, e, "created");
      }
      case "drop" -> {
        String name = named(o, command, label, n);
        if (!targets.takes(db, name)) return;
        batch.flush();
        targets.drop(db, name, e, "dropped " + db + "." + name);
      }
      case "dropDatabase" -> {
        if (!targets.takesAnyOf(db)) return;
        batch.flush();
        for (String ns : List.copyOf(targets.restored)) {
          if (ns.startsWith(db + "."))
            targets.drop(db, ns.substring(db.length() + 1), e, "dropped " + ns + " (its database)");
        }
      }
      case "renameCollection" -> rename(e, o, label, n, targets, batch);
      case "collMod" -> {
        String name = named(o, command, label, n);
        if (!targets.takes(db, name)) return;
        batch.flush();
        BsonDocument mod = o.clone();
        mod.remove("collMod");
        if (mod.isEmpty()) return;
        targets.modify(db, name, mod, e);
      }
      default -> {
        String touched = touched(o, db, targets);
        if (touched == null) return; // a command on collections this restore does not take
        if (INDEX_COMMANDS.contains(command) && o.isString(command)) {
          index(command, o, db, o.getString(command).getValue(), label, n, targets);
          return;
        }
        throw refused(
            label,
            n,
            e,
            "a command (" + Printable.escape(command.isEmpty() ? "?" : command) + ")",
            touched);
      }
    }
  }

  /**
   * {@code renameCollection} from one namespace to another. A restored collection renamed in its
   * database follows (a restored one it replaces, with {@code dropTarget}, goes); renamed to a name
   * this restore does not take, it leaves the restore. A collection renamed into a restored name
   * from one this restore does not hold, or across databases, is refused: its documents are not in
   * the restore.
   */
  private static void rename(
      BsonDocument e, BsonDocument o, String label, long n, Targets targets, Batch batch) {
    String from = named(o, "renameCollection", label, n);
    String to = o.isString("to") ? o.getString("to").getValue() : null;
    int f = from.indexOf('.');
    int t = to == null ? -1 : to.indexOf('.');
    if (f <= 0 || f == from.length() - 1 || t <= 0 || t == to.length() - 1)
      throw damaged(label, n, "renames a collection without two namespaces");
    String fromDb = from.substring(0, f);
    String fromName = from.substring(f + 1);
    String toDb = to.substring(0, t);
    String toName = to.substring(t + 1);
    boolean fromRestored = targets.takes(fromDb, fromName);
    boolean toRestored = targets.takes(toDb, toName);
    if (!fromRestored) {
      if (!toRestored && !targets.admit(toDb, toName, e)) return; // neither is restored
      throw refusedRename(
          label,
          n,
          e,
          from,
          to,
          "from a collection this restore does not hold, so its documents are not in it",
          "give a selection that holds " + Printable.escape(from));
    }
    if (!fromDb.equals(toDb)) {
      throw refusedRename(
          label,
          n,
          e,
          from,
          to,
          "across databases, which Coffer does not replay",
          "leave " + Printable.escape(from) + " out (" + Field.EXCLUDE.mark() + ")");
    }
    batch.flush();
    if (toRestored) targets.drop(toDb, toName, e, null); // replaced: dropTarget
    String why = toRestored ? null : targets.why(toDb, toName, e);
    if (why == null) targets.rename(fromDb, fromName, toName, e);
    else if (why.isEmpty())
      targets.drop(
          fromDb,
          fromName,
          e,
          "renamed " + from + " to " + to + ", which this restore does not take");
    else
      throw refusedRename(
          label,
          n,
          e,
          from,
          to,
          "and " + to + " cannot be restored (" + why + ")",
          "leave " + Printable.escape(from) + " out (" + Field.EXCLUDE.mark() + ")");
  }

  private static String named(BsonDocument o, String command, String label, long n) {
    if (!o.isString(command) || o.getString(command).getValue().isEmpty())
      throw damaged(label, n, "holds a " + command + " without a collection");
    return o.getString(command).getValue();
  }

  private static CofferException refusedRename(
      String label, long n, BsonDocument e, String from, String to, String why, String instead) {
    return CofferException.usage(
        entry(label, n, e)
            + Printable.escape(from)
            + " was renamed to "
            + Printable.escape(to)
            + " "
            + why
            + "; restore to a moment before it, or "
            + instead
            + ". Nothing was restored");
  }

  /** "entry N of LABEL (at TIME): ", how a refusal names the entry it stops at. */
  private static String entry(String label, long n, BsonDocument e) {
    return "entry "
        + n
        + " of "
        + Printable.escape(label)
        + (e.isTimestamp("ts")
            ? " (at " + Instant.ofEpochSecond(e.getTimestamp("ts").getValue() >>> 32) + ")"
            : "")
        + ": ";
  }

  /**
   * An index built or dropped on a restored collection: the index list it gets when it is put in
   * place follows (the build itself runs then, after the data, as for every index). The forms
   * MongoDB logs: {@code createIndexes} with the spec beside it, a two-phase build's {@code
   * commitIndexBuild} with its specs (its start and abort change nothing), and {@code dropIndexes}
   * with a name, {@code "*"} or a key pattern.
   */
  private static void index(
      String command,
      BsonDocument o,
      String db,
      String collection,
      String label,
      long n,
      Targets targets) {
    List<BsonDocument> specs = new ArrayList<>();
    switch (command) {
      case "createIndexes" -> {
        BsonDocument spec = new BsonDocument();
        for (Map.Entry<String, BsonValue> f : o.entrySet())
          if (!f.getKey().equals("createIndexes")) spec.put(f.getKey(), f.getValue());
        specs.add(spec);
      }
      case "commitIndexBuild" -> {
        if (!o.isArray("indexes"))
          throw damaged(label, n, "commits an index build without indexes");
        for (BsonValue v : o.getArray("indexes")) {
          if (!v.isDocument()) throw damaged(label, n, "commits an index that is no document");
          specs.add(v.asDocument());
        }
      }
      case "dropIndexes", "deleteIndexes" -> {
        BsonValue which = o.get("index");
        if (which == null || !(which.isString() || which.isDocument()))
          throw damaged(label, n, "drops an index without naming it");
        targets.dropIndex(db, collection, which);
        return;
      }
      default -> {
        return; // a two-phase build's start or abort: no index changes
      }
    }
    for (BsonDocument spec : specs) {
      if (!spec.isDocument("key") || !spec.isString("name"))
        throw damaged(label, n, "builds an index without a key or a name");
      targets.createIndex(db, collection, spec);
    }
  }

  private static CofferException refused(
      String label, long n, BsonDocument e, String what, String ns) {
    return CofferException.usage(
        entry(label, n, e)
            + what
            + " changed "
            + Printable.escape(ns)
            + ", and Coffer does not replay that command on a collection it restores; restore to a"
            + " moment before it, leave that collection out ("
            + Field.EXCLUDE.mark()
            + ") or restore it with mongorestore --oplogReplay. Nothing was restored");
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
            + "; the oplog is damaged or forged, and nothing was restored");
  }

  /**
   * Consecutive writes to one collection, sent as one ordered bulk. Updates wait in a group (at
   * most {@link #UPDATES} entries, their {@code _id}s told apart by their exact BSON): their
   * documents are read (a few MiB at a time, each read finished before anything is written), each
   * update applied in memory in the oplog's order, and each document's final state written. A write
   * of a document with a waiting update first sends the group, and so does an update whose {@code
   * _id} the server would take for a waiting one of another type (1 and 1L), so every document's
   * writes keep their order. A write the server refuses, or an update that cannot be applied, names
   * its entry.
   */
  private static final class Batch {
    private static final int UPDATES = 200;
    private static final int READ_BYTES = 16 * 1024 * 1024;
    private final String label;
    private MongoCollection<BsonDocument> target;
    private final List<WriteModel<BsonDocument>> writes = new ArrayList<>();
    private final List<Long> writeEntries = new ArrayList<>();
    private final Map<String, Pending> pending = new LinkedHashMap<>();
    private final Set<String> pendingValues = new HashSet<>();
    private int updates;
    private long bytes;
    private long updateBytes;
    long entry;

    /** The updates of one {@code _id}, in the oplog's order, with their entries' numbers. */
    private record Pending(BsonValue id, List<BsonDocument> changes, List<Long> entries) {}

    Batch(String label) {
      this.label = label;
    }

    /**
     * A write of document {@code id}. Waiting updates of other documents stay waiting: the order
     * among documents does not matter on a staged collection (it has no index but {@code _id}'s
     * until the replay is over), only each document's own order, so an update waits only for the
     * writes of its own document before it.
     */
    void add(MongoCollection<BsonDocument> to, BsonValue id, WriteModel<BsonDocument> w, int size) {
      switchTo(to);
      if (pendingValues.contains(value(id))) applyUpdates();
      queue(w, entry, size);
    }

    private void queue(WriteModel<BsonDocument> w, long from, long size) {
      writes.add(w);
      writeEntries.add(from);
      bytes += size;
      if (writes.size() >= BATCH || bytes >= BATCH_BYTES) send();
    }

    void update(MongoCollection<BsonDocument> to, BsonValue id, BsonDocument o, int size) {
      switchTo(to);
      String key = exact(id);
      if (!pending.containsKey(key) && !pendingValues.add(value(id))) {
        applyUpdates(); // the server takes it for a waiting _id of another type: keep the order
        pendingValues.add(value(id));
      }
      Pending p =
          pending.computeIfAbsent(key, k -> new Pending(id, new ArrayList<>(), new ArrayList<>()));
      p.changes().add(o);
      p.entries().add(entry);
      updates++;
      updateBytes += size;
      if (updates >= UPDATES || updateBytes >= BATCH_BYTES) applyUpdates();
    }

    private void switchTo(MongoCollection<BsonDocument> to) {
      if (target != null && !target.getNamespace().equals(to.getNamespace())) flush();
      target = to;
    }

    void flush() {
      applyUpdates();
      send();
    }

    private void applyUpdates() {
      if (pending.isEmpty()) return;
      send(); // what came before is written first: the reads below see it
      Map<String, Pending> left = new LinkedHashMap<>(pending);
      while (!left.isEmpty()) {
        BsonArray ids = new BsonArray();
        for (Pending p : left.values()) ids.add(p.id());
        List<RawBsonDocument> read = new ArrayList<>();
        long readBytes = 0;
        try (MongoCursor<RawBsonDocument> c =
            target
                .withDocumentClass(RawBsonDocument.class)
                .find(new BsonDocument("_id", new BsonDocument("$in", ids)))
                .batchSize(64)
                .iterator()) {
          while (c.hasNext() && readBytes < READ_BYTES) {
            RawBsonDocument d = c.next();
            read.add(d);
            readBytes += d.getByteBuffer().remaining();
          }
        } // closed before anything is written (FerretDB's SQLite cannot write under a cursor)
        int matched = 0;
        for (RawBsonDocument raw : read) {
          BsonDocument now = raw.decode(new BsonDocumentCodec());
          Pending p = left.remove(exact(now.get("_id")));
          if (p == null) continue;
          matched++;
          write(p, now, raw.getByteBuffer().remaining());
        }
        if (matched == 0) break; // the rest are gone now (deleted or inserted later in the oplog)
      }
      // an _id the server matched under another type than the oplog's: read one by one
      for (Pending p : left.values()) {
        RawBsonDocument raw =
            target
                .withDocumentClass(RawBsonDocument.class)
                .find(new BsonDocument("_id", p.id()))
                .first();
        if (raw != null)
          write(p, raw.decode(new BsonDocumentCodec()), raw.getByteBuffer().remaining());
      }
      pending.clear();
      pendingValues.clear();
      updates = 0;
      updateBytes = 0;
      send();
    }

    private void write(Pending p, BsonDocument now, int size) {
      BsonDocument after = now;
      for (int i = 0; i < p.changes().size(); i++) {
        BsonDocument o = p.changes().get(i);
        try {
          after =
              isDiff(o)
                  ? DiffApplier.applyDiff(after, o.getDocument("diff"))
                  : DiffApplier.applySetUnset(after, o);
        } catch (IllegalArgumentException | StackOverflowError bad) {
          throw damaged(
              label,
              p.entries().get(i),
              "cannot be applied (" + Printable.escape(bad.getMessage()) + ")");
        }
      }
      after.put("_id", now.get("_id"));
      queue(
          new ReplaceOneModel<>(new BsonDocument("_id", now.get("_id")), after),
          p.entries().get(p.entries().size() - 1),
          size);
    }

    /** An {@code _id} by its exact BSON (type and, in a document, field order included). */
    private static String exact(BsonValue id) {
      return new String(DocHash.idDocument(id), StandardCharsets.ISO_8859_1);
    }

    /**
     * An {@code _id} as the server compares it at the top level: numbers by their value, whatever
     * their type; anything else by its exact BSON.
     */
    private static String value(BsonValue id) {
      if (id.isNumber() || id.isDecimal128()) {
        try {
          BigDecimal v =
              id.isDecimal128()
                  ? id.asDecimal128().getValue().bigDecimalValue()
                  : id.isDouble()
                      ? new BigDecimal(id.asDouble().getValue())
                      : BigDecimal.valueOf(id.asNumber().longValue());
          return "n:" + v.stripTrailingZeros().toPlainString();
        } catch (RuntimeException notFinite) { // NaN, infinities, a negative zero Decimal128
          return "n:" + id;
        }
      }
      return "x:" + exact(id);
    }

    private void send() {
      if (writes.isEmpty()) return;
      try {
        target.bulkWrite(List.copyOf(writes), new BulkWriteOptions().ordered(true));
      } catch (MongoBulkWriteException e) {
        int at = e.getWriteErrors().isEmpty() ? 0 : e.getWriteErrors().get(0).getIndex();
        throw new CofferException(
            ExitCode.INTEGRITY,
            "the server refused a write replayed from entry "
                + writeEntries.get(Math.min(at, writeEntries.size() - 1))
                + " of "
                + Printable.escape(label)
                + " ("
                + Printable.escape(
                    e.getWriteErrors().isEmpty() ? "?" : e.getWriteErrors().get(0).getMessage())
                + "); the oplog is damaged or forged, and nothing was restored",
            e);
      }
      writes.clear();
      writeEntries.clear();
      bytes = 0;
    }
  }
}
