package io.coffer.engine;

import io.coffer.engine.archive.HashingInputStream;
import io.coffer.engine.archive.Manifest;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Printable;
import io.coffer.engine.base.Progress;
import io.coffer.engine.crypto.AgeException;
import io.coffer.engine.files.FileRestorer;
import io.coffer.engine.files.FileTreeDumper;
import io.coffer.engine.fs.Name;
import io.coffer.engine.io.Limited;
import io.coffer.engine.mongo.MongoMetadata;
import io.coffer.engine.mongo.MongoNames;
import io.coffer.engine.mongo.MongoRestorer;
import io.coffer.engine.mongo.OplogReplay;
import io.coffer.engine.mongo.Selection;
import io.coffer.engine.pitr.Slice;
import io.coffer.engine.pitr.Slices;
import io.coffer.engine.pitr.Windows;
import io.coffer.engine.storage.Storage;
import io.coffer.protocol.Consistency;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import io.coffer.protocol.RestoreResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import net.lingala.zip4j.exception.ZipException;
import net.lingala.zip4j.io.inputstream.ZipInputStream;
import net.lingala.zip4j.model.LocalFileHeader;
import org.bson.BsonDocument;

/**
 * Restores all or part of a backup. The archive is read once, as a stream: every entry is checked
 * against the manifest (size, SHA-256) and the stored archive against {@code backup.json}, and
 * everything selected is staged aside. Only when all of that held are the targets swapped in; any
 * failure before drops the staging and leaves every target untouched.
 */
final class RestoreEngine {
  private final BackupStore store;
  private final Storage storage;
  private final EngineLog log;
  private final Progress progress;

  /** Whether this run replayed the newest backup's oplog (after which nothing is staged). */
  private boolean replayed;

  public RestoreEngine(Storage storage, EngineLog log, Progress progress) {
    this.store = new BackupStore(storage);
    this.storage = storage;
    this.log = log;
    this.progress = progress;
  }

  /**
   * What will be restored: the selected entries of the newest manifest, each tree's target, how
   * many files.
   */
  private record Plan(
      Map<String, Manifest.Entry> byPath,
      Set<String> selectedPaths,
      Set<String> skippedPaths,
      Map<String, Path> treeTargets,
      boolean needsMongo,
      long files) {}

  public RestoreResult run(RestoreOptions o) throws IOException {
    BackupDescriptor d = store.descriptor(o.backupId());
    Manifest manifest = store.manifest(d, o.keys());
    List<BackupDescriptor> chain = chain(d);
    log.info(
        "restore of backup "
            + d.id()
            + " ("
            + d.type()
            + ", created "
            + d.createdAt()
            + ")"
            + (chain.size() > 1
                ? ", an incremental backup: reading its chain of "
                    + chain.size()
                    + " backups, from "
                    + chain.get(0).id()
                : "")
            + (o.dryRun() ? ", dry run" : ", mode " + o.mode().name().toLowerCase()));
    Plan plan = plan(o, manifest);
    Windows.Plan pit = o.pointInTime();
    Long baseEnd = pit == null ? null : baseEnd(d, manifest, plan, pit);
    Set<String> sources = new HashSet<>();
    for (String p : plan.selectedPaths()) {
      Manifest.Entry f = plan.byPath().get(p);
      if (f.database() != null) sources.add(f.database() + "." + f.collection());
    }
    Function<String, String> admits = pit == null ? null : admits(manifest, o, sources);
    try (RestorePipeline pipeline =
        new RestorePipeline(o, "backup " + d.id(), plan.needsMongo(), log, progress)) {
      MongoRestorer mongo = pipeline.mongo();
      List<RestoreResult.Item> items = describeTargets(plan, pipeline, o);
      if (plan.needsMongo() && manifest.consistency() != null) {
        log.info(
            manifest.oplog() != null
                ? "plan: replay the "
                    + manifest.oplog().entries()
                    + " oplog entries written while the backup read, so the database is as it was"
                    + " at "
                    + Printable.escape(String.valueOf(manifest.consistency().at()))
                : "plan: each collection as the backup read it, not one moment ("
                    + Printable.escape(String.valueOf(manifest.consistency().reason()))
                    + ")");
      }
      checkSpace(plan, o);
      if (o.dryRun()) {
        RestoreResult.PointInTime replayed =
            pit == null ? null : replaySlices(pit, baseEnd, d.id(), o, sources, admits, null);
        progress.phase("done");
        return pipeline.result("Planned", items, moment(plan, manifest, o), replayed);
      }
      pipeline.confirm();
      FileRestorer files =
          new FileRestorer(plan.treeTargets(), pipeline.replace(), pipeline.runId(), log, progress);
      Set<String> dbs = new TreeSet<>();
      for (String p : plan.selectedPaths()) {
        Manifest.Entry e = plan.byPath().get(p);
        if (e.database() != null) dbs.add(o.targetDb(e.database()));
      }
      RestoreResult.PointInTime[] pitResult = {null};
      pipeline.stageAndSwap(
          dbs,
          files,
          () -> {
            long[] written = {0};
            for (BackupDescriptor b : chain) {
              Manifest mb = b.id().equals(d.id()) ? manifest : store.manifest(b, o.keys());
              stream(
                  b, mb, d.id(), o, plan, mongo, files, written, () -> checkCounts(plan, o, mongo));
            }
            if (written[0] != plan.files()) {
              throw new CofferException(
                  ExitCode.INTEGRITY,
                  "backup "
                      + d.id()
                      + " lists "
                      + (plan.files() - written[0])
                      + " files whose content no archive of its chain holds; nothing was restored");
            }
            if (mongo != null && !replayed) checkCounts(plan, o, mongo);
            if (pit != null)
              pitResult[0] = replaySlices(pit, baseEnd, d.id(), o, sources, admits, mongo);
            return null;
          });
      progress.phase("done");
      return pipeline.result("Succeeded", items, moment(plan, manifest, o), pitResult[0]);
    }
  }

  /**
   * What moment the restored databases show: the backup's own consistency (an older backup, made
   * before it was recorded, says nothing); null for a files-only restore.
   */
  private static Consistency moment(Plan plan, Manifest m, RestoreOptions o) {
    if (!plan.needsMongo()) return null;
    if (o.pointInTime() != null)
      return RestorePipeline.merged(o, Consistency.pointInTime(o.pointInTime().until().toString()));
    if (m.consistency() != null) return RestorePipeline.merged(o, m.consistency());
    return Consistency.perCollection(
        "the backup was made before Coffer recorded consistency: each collection as it was read");
  }

  /**
   * Where a restore to a moment starts replaying the archive: the end of the base backup's own
   * oplog window (what it holds exactly); refused for a backup that is not one moment, or a restore
   * without collections.
   */
  private Long baseEnd(BackupDescriptor d, Manifest m, Plan plan, Windows.Plan pit) {
    if (!plan.needsMongo())
      throw CofferException.usage(
          "a restore to a moment ("
              + Field.UNTIL.mark()
              + ") restores collections: the oplog says nothing of files; restore them from a"
              + " backup without it");
    if (m.consistency() == null || !m.consistency().isPointInTime() || m.oplog() == null)
      throw CofferException.usage(
          "backup "
              + d.id()
              + " is not one moment of its database ("
              + Printable.escape(
                  String.valueOf(
                      m.consistency() == null
                          ? "made before Coffer recorded it"
                          : m.consistency().reason()))
              + "), so no oplog can be replayed on top of it; give another "
              + Field.BACKUP_ID.mark()
              + " or leave it out");
    if (!plan.treeTargets().isEmpty())
      log.warn(
          "files are restored as backup "
              + d.id()
              + " holds them (from "
              + d.createdAt()
              + "): the oplog archive brings the database, not files, to a later moment");
    long end = m.oplog().end();
    if (!Slice.second(end).equals(pit.base().at()))
      throw new CofferException(
          ExitCode.INTEGRITY,
          "backup "
              + d.id()
              + "'s descriptor and manifest disagree on its moment ("
              + pit.base().at()
              + ", "
              + Slice.second(end)
              + "); nothing was restored");
    if (Long.compareUnsigned(end, pit.from()) < 0)
      throw CofferException.usage(
          "backup "
              + d.id()
              + "'s moment ("
              + Slice.time(end)
              + ") lies before the archived stretch, which starts after "
              + Slice.time(pit.from())
              + "; give a later "
              + Field.BACKUP_ID.mark()
              + " or leave it out");
    return end;
  }

  /**
   * Which collections created after the base backup (in the replayed stretch) a restore to a moment
   * puts in place: null when it does, else why not ("" to say nothing). Those the base backup's
   * selection and this restore's would both take, in a database the restore restores; none where a
   * module decides (the module map is not in the backup, so a new collection's module is not
   * known).
   */
  private static Function<String, String> admits(
      Manifest m, RestoreOptions o, Set<String> sources) {
    Set<String> dbs = new HashSet<>();
    for (String ns : sources) dbs.add(ns.substring(0, ns.indexOf('.')));
    Manifest.Selection took = m.selection();
    Selection base =
        took == null
            ? Selection.all()
            : new Selection(
                Objects.requireNonNullElse(took.include(), List.of()),
                Objects.requireNonNullElse(took.exclude(), List.of()),
                List.of(),
                null);
    Selection restore = new Selection(o.include(), o.exclude(), List.of(), null);
    boolean patterns = !o.include().isEmpty() || !o.exclude().isEmpty();
    return ns -> {
      int dot = ns.indexOf('.');
      String db = ns.substring(0, dot);
      String collection = ns.substring(dot + 1);
      if (!base.includes(db, collection)) return "";
      if (patterns && !restore.includes(db, collection)) return "";
      if (!dbs.contains(db))
        return "its database was created after backup "
            + m.id()
            + ", and a restore to a moment writes only the databases its backup holds; restore"
            + " it from a later backup";
      if (took != null && took.modules() != null && !took.modules().isEmpty())
        return "it was created after backup "
            + m.id()
            + ", which took modules, and which module it belongs to is not known; restore it"
            + " from a later backup";
      if (!o.modules().isEmpty())
        return "it was created after backup "
            + m.id()
            + ", and a restore that picks modules ("
            + Field.MODULES.mark()
            + ") cannot tell its module; name it with "
            + Field.INCLUDE.mark()
            + " instead";
      return null;
    };
  }

  /**
   * Replays the archived oplog after the base backup's moment ({@code after}) up to the moment
   * asked for, slice after slice, onto the staged collections ({@code mongo}; null in a dry run,
   * where every entry is read and checked, none applied). Each slice is checked whole (count, size,
   * SHA-256) before the swap; an entry read twice (slices that overlap) is applied once.
   */
  private RestoreResult.PointInTime replaySlices(
      Windows.Plan pit,
      long after,
      String baseId,
      RestoreOptions o,
      Set<String> sources,
      Function<String, String> admits,
      MongoRestorer mongo)
      throws IOException {
    progress.phase("replaying");
    String label = "the oplog archive";
    OplogReplay.Replayer r =
        mongo != null
            ? mongo.oplogReplayer(label, sources, admits, o::targetDb)
            : new OplogReplay.Replayer(
                label, new OplogReplay.Targets(sources, admits, null), progress);
    long[] last = {after};
    long[] applied = {0};
    for (Slice s : pit.slices()) {
      Slices.read(
          storage,
          s,
          o.keys(),
          (raw, ts) -> {
            if (Long.compareUnsigned(ts, last[0]) <= 0) return; // the backup holds it already
            if (Long.compareUnsigned(ts, pit.limit()) >= 0) return; // after the moment asked for
            r.accept(raw);
            last[0] = ts;
            applied[0]++;
          });
    }
    r.finish();
    log.info(
        (mongo == null ? "plan: replay " : "replayed ")
            + applied[0]
            + " entries of the oplog archive from "
            + pit.slices().size()
            + " slices after backup "
            + baseId
            + ": the restored collections "
            + (mongo == null ? "will be" : "are")
            + " as they were at the end of "
            + pit.until());
    List<String> changes = r.notes();
    for (String c : changes) log.info((mongo == null ? "plan: the oplog " : "replayed: ") + c);
    return new RestoreResult.PointInTime(
        pit.until().toString(),
        baseId,
        pit.slices().size(),
        applied[0],
        changes.isEmpty() ? null : changes);
  }

  /** The backups to read, oldest (the full backup) first, ending with {@code d}. */
  private List<BackupDescriptor> chain(BackupDescriptor d) throws IOException {
    LinkedList<BackupDescriptor> chain = new LinkedList<>();
    chain.addFirst(d);
    Set<String> ids = new HashSet<>(Set.of(d.id()));
    while (chain.getFirst().parent() != null) {
      String p = chain.getFirst().parent();
      if (!ids.add(p))
        throw new CofferException(
            ExitCode.INTEGRITY, "the chain of backup " + d.id() + " loops at " + p);
      BackupDescriptor parent;
      try {
        parent = store.descriptor(p);
      } catch (CofferException e) {
        if (e.code() != ExitCode.NOT_FOUND) throw e;
        throw new CofferException(
            ExitCode.NOT_FOUND,
            "backup "
                + d.id()
                + " is incremental and needs backup "
                + p
                + " of its chain, which is missing or incomplete in storage; it cannot be restored",
            e);
      }
      chain.addFirst(parent);
    }
    return chain;
  }

  /**
   * After a chain: every incrementally restored collection holds exactly the documents the newest
   * backup counted.
   */
  private void checkCounts(Plan plan, RestoreOptions o, MongoRestorer mongo) {
    for (String path : plan.selectedPaths()) {
      Manifest.Entry e = plan.byPath().get(path);
      if (e.kind() != Manifest.Kind.bson || !Boolean.TRUE.equals(e.delta())) continue;
      long n = mongo.stagedCount(o.targetDb(e.database()), e.collection());
      if (n != e.documents()) {
        throw new CofferException(
            ExitCode.INTEGRITY,
            e.database()
                + "."
                + e.collection()
                + " holds "
                + n
                + " documents after its chain, the backup counted "
                + e.documents()
                + "; nothing was restored");
      }
    }
  }

  private Plan plan(RestoreOptions o, Manifest m) {
    Selection sel = new Selection(o.include(), o.exclude(), List.of(), null);
    boolean patterns = !o.include().isEmpty() || !o.exclude().isEmpty();
    Set<String> knownModules = new HashSet<>();
    Set<String> knownTrees = new TreeSet<>();
    for (Manifest.Entry e : m.entries()) {
      if (e.module() != null) knownModules.add(e.module());
      if (e.tree() != null) knownTrees.add(e.tree());
    }
    for (String mod : o.modules()) {
      if (!knownModules.contains(mod)) {
        throw CofferException.usage(
            "backup "
                + m.id()
                + " has no module '"
                + mod
                + "'; it holds: "
                + (knownModules.isEmpty()
                    ? "no modules (it was made without a module map)"
                    : String.join(", ", new TreeSet<>(knownModules))));
      }
    }
    for (String t : o.trees()) {
      if (!knownTrees.contains(t)) {
        throw CofferException.usage(
            "backup "
                + m.id()
                + " has no file tree '"
                + t
                + "'; it holds: "
                + (knownTrees.isEmpty() ? "none" : String.join(", ", knownTrees)));
      }
    }
    for (String k : o.filesTargets().keySet()) {
      if (!knownTrees.contains(k))
        throw CofferException.usage(
            Field.FILES.mark()
                + " names tree '"
                + k
                + "', which backup "
                + m.id()
                + " does not hold");
    }
    o.checkRenames();
    boolean wantDb = o.what() == null || o.what().hasDatabase();
    boolean wantFiles = o.what() == null || o.what().hasFiles();
    boolean collectionFilter = !o.include().isEmpty() || !o.modules().isEmpty();
    if (o.what() == null && collectionFilter && o.trees().isEmpty()) wantFiles = false;
    if (o.what() == null && !collectionFilter && !o.trees().isEmpty()) wantDb = false;
    // the trees to restore: those named, else all; each goes only where the caller says, never
    // where the backup says
    Set<String> trees =
        new TreeSet<>(
            wantFiles ? (o.trees().isEmpty() ? knownTrees : Set.copyOf(o.trees())) : Set.of());
    Map<String, Path> treeTargets = new LinkedHashMap<>();
    for (String t : trees) {
      Path target = o.filesTargets().get(t);
      if (target == null) {
        String original =
            m.source() == null || m.source().files() == null ? null : m.source().files().get(t);
        throw CofferException.usage(
            "backup "
                + m.id()
                + " holds file tree "
                + t
                + (original == null ? "" : " (backed up from " + original + ")")
                + ": give "
                + Field.FILES.mark()
                + " "
                + t
                + "=DIR to restore it"
                + (trees.size() > 1 ? ", or " + Field.TREES.mark() + " to pick trees" : "")
                + ", or "
                + Field.TYPE.mark()
                + " database to leave files out");
      }
      treeTargets.put(t, target.toAbsolutePath().normalize());
    }
    Map<String, Manifest.Entry> byPath = new LinkedHashMap<>();
    Set<String> selected = new HashSet<>();
    Set<String> leftOutSystem = new TreeSet<>();
    Map<String, String> targets = new HashMap<>();
    boolean needsMongo = false;
    long files = 0;
    for (Manifest.Entry e : m.entries()) {
      byPath.put(e.path(), e);
      if (e.database() != null) {
        if (!wantDb) continue;
        if (patterns && !sel.includes(e.database(), e.collection())) continue;
        if (!o.modules().isEmpty() && (e.module() == null || !o.modules().contains(e.module())))
          continue;
        if (MongoNames.SYSTEM_DATABASES.contains(o.targetDb(e.database()))
            && !o.systemDatabases()) {
          leftOutSystem.add(o.targetDb(e.database()));
          continue;
        }
        if (e.kind() == Manifest.Kind.bson || e.kind() == Manifest.Kind.view) {
          String t = o.targetDb(e.database()) + "." + e.collection();
          String other = targets.putIfAbsent(t, e.database() + "." + e.collection());
          if (other != null) {
            throw CofferException.usage(
                other
                    + " and "
                    + e.database()
                    + "."
                    + e.collection()
                    + " of backup "
                    + m.id()
                    + " would both be restored into "
                    + t
                    + "; rename one with "
                    + Field.RENAME_DB.mark()
                    + " or leave one out with "
                    + Field.EXCLUDE.mark());
          }
        }
        selected.add(e.path());
        needsMongo = true;
      } else if (e.tree() != null && trees.contains(e.tree())) {
        selected.add(e.path());
        if (e.kind() == Manifest.Kind.file) files++;
      }
    }
    if (!leftOutSystem.isEmpty()) log.warn(MongoNames.leftOutSystem(leftOutSystem));
    if (selected.isEmpty()) {
      throw CofferException.usage(
          "nothing to restore: the selection matches nothing in backup "
              + m.id()
              + (leftOutSystem.isEmpty()
                  ? ""
                  : " but system databases (give "
                      + Field.SYSTEM_DATABASES.mark()
                      + " to restore them)")
              + "; `coffer inspect` shows what it holds");
    }
    if (needsMongo) o.requireMongoUri();
    Set<String> skipped = new HashSet<>();
    if (m.skipped() != null) m.skipped().forEach(sk -> skipped.add(sk.path()));
    return new Plan(byPath, selected, skipped, treeTargets, needsMongo, files);
  }

  /**
   * Refuses, before anything is written, a file restore whose target lacks the room the manifest
   * says it needs.
   */
  private void checkSpace(Plan plan, RestoreOptions o) throws IOException {
    Map<String, Long> need = new HashMap<>();
    for (String p : plan.selectedPaths()) {
      Manifest.Entry e = plan.byPath().get(p);
      if (e.tree() != null) need.merge(e.tree(), e.size(), Long::sum);
    }
    for (Map.Entry<String, Long> n : need.entrySet()) {
      Path target = plan.treeTargets().get(n.getKey());
      Path existing = target;
      while (existing != null && !Files.isDirectory(existing)) existing = existing.getParent();
      if (existing == null) continue;
      long free = Files.getFileStore(existing).getUsableSpace();
      long needed = n.getValue() + (1 << 20);
      if (needed > free) {
        throw new CofferException(
            ExitCode.SOURCE,
            "file tree "
                + n.getKey()
                + " needs "
                + human(needed)
                + " and "
                + target
                + " has "
                + human(free)
                + " free; nothing was written: make room or restore elsewhere with "
                + Field.FILES.mark());
      }
    }
  }

  private static String human(long bytes) {
    if (bytes < 1 << 20) return (bytes >> 10) + " KiB";
    if (bytes < 1L << 30) return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    if (bytes < 1L << 40) return String.format(Locale.ROOT, "%.1f GiB", bytes / 1073741824.0);
    return String.format(Locale.ROOT, "%.1f TiB", bytes / 1099511627776.0);
  }

  private List<RestoreResult.Item> describeTargets(
      Plan plan, RestorePipeline pipeline, RestoreOptions o) throws IOException {
    boolean replace = pipeline.replace();
    List<RestoreResult.Item> items = new ArrayList<>();
    Map<String, long[]> trees = new LinkedHashMap<>();
    Map<String, Set<List<Name>>> keep = new HashMap<>();
    for (String path : plan.byPath().keySet()) {
      if (!plan.selectedPaths().contains(path)) continue;
      Manifest.Entry e = plan.byPath().get(path);
      if (e.kind() == Manifest.Kind.bson || e.kind() == Manifest.Kind.view) {
        RestorePipeline.Target t = pipeline.collection(e.database(), e.collection());
        items.add(
            new RestoreResult.Item(
                e.kind() == Manifest.Kind.view ? "view" : "collection",
                e.database() + "." + e.collection(),
                t.target(),
                e.kind() == Manifest.Kind.bson ? e.documents() : 0L,
                null,
                e.size(),
                t.action(),
                t.loses()));
        progress.addTotal(e.size());
      } else if (e.tree() != null) {
        long[] t = trees.computeIfAbsent(e.tree(), k -> new long[2]);
        if (e.kind() == Manifest.Kind.file || e.kind() == Manifest.Kind.symlink) t[0]++;
        t[1] += e.size();
        progress.addTotal(e.size());
        List<Name> parts = ManifestCheck.components(e);
        Set<List<Name>> k = keep.computeIfAbsent(e.tree(), x -> new HashSet<>());
        for (int i = 1; i <= parts.size(); i++) k.add(List.copyOf(parts.subList(0, i)));
      }
    }
    for (Map.Entry<String, long[]> t : trees.entrySet()) {
      Path target = plan.treeTargets().get(t.getKey());
      boolean nonEmpty = Files.isDirectory(target) && hasContent(target);
      String action = !nonEmpty ? "create" : replace ? "replace" : "merge";
      Long loses = null;
      if (nonEmpty && replace) {
        FileRestorer.Deletions del =
            FileRestorer.wouldDelete(target, keep.getOrDefault(t.getKey(), Set.of()), 10);
        loses = del.total();
        if (del.total() > 0) {
          pipeline.loses(
              del.total()
                  + " entries in "
                  + target
                  + " that the backup does not hold ("
                  + String.join(", ", del.samples())
                  + (del.total() > del.samples().size() ? ", ..." : "")
                  + ")");
        }
      }
      items.add(
          new RestoreResult.Item(
              "files",
              t.getKey(),
              target.toString(),
              null,
              t.getValue()[0],
              t.getValue()[1],
              action,
              loses));
    }
    for (RestoreResult.Item i : items) {
      log.info(
          "plan: "
              + i.kind()
              + " "
              + i.source()
              + " -> "
              + i.target()
              + ": "
              + i.action()
              + (i.documents() != null ? " (" + i.documents() + " documents)" : "")
              + (i.files() != null ? " (" + i.files() + " files)" : "")
              + (i.loses() != null && i.loses() > 0
                  ? ", deleting "
                      + i.loses()
                      + (i.kind().equals("files") ? " entries" : " documents")
                      + " the backup does not hold"
                  : ""));
    }
    return items;
  }

  private static boolean hasContent(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.anyMatch(p -> !FileRestorer.ours(Name.of(p.getFileName().toString())));
    }
  }

  /**
   * Reads one archive of the chain ({@code d}; the newest is {@code newestId}) and stages what the
   * final state takes from it: collections (whole, or the changes and deletions of an increment,
   * applied in chain order) and the files whose content this archive holds.
   */
  private void stream(
      BackupDescriptor d,
      Manifest m,
      String newestId,
      RestoreOptions o,
      Plan plan,
      MongoRestorer mongo,
      FileRestorer files,
      long[] written,
      Runnable beforeReplay)
      throws IOException {
    progress.phase("restoring");
    boolean replay = newestId.equals(d.id()) && mongo != null && m.oplog() != null;
    Set<String> seen = new HashSet<>();
    Map<String, BsonDocument> metadata = new HashMap<>();
    boolean newest = d.id().equals(newestId);
    Map<String, Manifest.Entry> byPath = new HashMap<>();
    int archived = 0;
    for (Manifest.Entry e : m.entries()) {
      byPath.put(e.path(), e);
      if (e.archived()) archived++;
    }
    Set<String> selectedCollections = new HashSet<>();
    for (String p : plan.selectedPaths()) {
      Manifest.Entry f = plan.byPath().get(p);
      if (f.database() != null) selectedCollections.add(f.database() + "." + f.collection());
    }
    Set<String> skippedHere = new HashSet<>();
    if (m.skipped() != null) m.skipped().forEach(sk -> skippedHere.add(sk.path()));
    HashingInputStream stored = store.openArchive(d);
    try (stored) {
      InputStream plain = BackupStore.decrypting(stored, d, o.keys());
      ZipInputStream zip = new ZipInputStream(plain, StandardCharsets.UTF_8);
      LocalFileHeader h;
      while ((h = BackupStore.nextEntry(zip, d)) != null) {
        String name = h.getFileName();
        InputStream content = BackupStore.entryContent(zip);
        if (name.equals(Manifest.ENTRY_NAME)) {
          drain(
              new Limited(
                  content,
                  ManifestCheck.limit(),
                  () ->
                      new CofferException(
                          ExitCode.INTEGRITY,
                          "backup "
                              + d.id()
                              + " holds a "
                              + name
                              + " larger than any Coffer writes; nothing was restored")));
          continue;
        }
        if (skippedHere.contains(name)) {
          drain(content); // archived, then found changed while being read: not part of the backup
          // (read, never written)
          continue;
        }
        Manifest.Entry e = byPath.get(name);
        if (e == null)
          throw new CofferException(
              ExitCode.INTEGRITY,
              "backup " + d.id() + " holds an entry its manifest does not list: " + name);
        if (!e.archived())
          throw new CofferException(
              ExitCode.INTEGRITY,
              "backup "
                  + d.id()
                  + " holds entry "
                  + name
                  + ", which its manifest says lies in backup "
                  + e.from());
        if (!seen.add(name))
          throw new CofferException(
              ExitCode.INTEGRITY, "backup " + d.id() + " holds entry " + name + " twice");
        HashingInputStream entry =
            new HashingInputStream(
                new Limited(
                    content,
                    e.size(),
                    () ->
                        new CofferException(
                            ExitCode.INTEGRITY,
                            "backup "
                                + d.id()
                                + ": entry "
                                + name
                                + " holds more than the "
                                + e.size()
                                + " bytes its manifest declares; nothing was restored")));
        if (e.kind() == Manifest.Kind.oplog) {
          if (replay) {
            // the collections are staged (and an increment's counts checked): now the entries
            // written while the backup read, so the copy is one moment
            beforeReplay.run();
            long n = mongo.replayOplog(entry, name, selectedCollections, o::targetDb);
            if (n != e.documents()) {
              throw new CofferException(
                  ExitCode.INTEGRITY,
                  "backup "
                      + d.id()
                      + ": "
                      + name
                      + " holds "
                      + n
                      + " oplog entries, the manifest says "
                      + e.documents()
                      + "; nothing was restored");
            }
            replayed = true;
            log.info(
                "replayed "
                    + n
                    + " oplog entries: the restored collections are as they were at "
                    + Printable.escape(String.valueOf(m.consistency().at())));
          }
        } else if (replayed && e.database() != null) {
          throw new CofferException(
              ExitCode.INTEGRITY,
              "backup "
                  + d.id()
                  + " holds "
                  + name
                  + " after its oplog, where Coffer never writes it; nothing was restored");
        } else if (takes(e, d.id(), newest, newestId, plan, selectedCollections)) {
          // a file's content may come from an older archive of the chain; its mode and time are the
          // newest backup's
          restoreEntry(
              e.kind() == Manifest.Kind.file ? plan.byPath().get(name) : e,
              entry,
              o,
              mongo,
              files,
              metadata);
          if (e.kind() == Manifest.Kind.file) written[0]++;
        }
        String sha = entry.drainAndHash();
        check(d, e, entry.count(), sha);
      }
      if (seen.size() != archived) {
        throw new CofferException(
            ExitCode.INTEGRITY,
            "backup "
                + d.id()
                + " is truncated: "
                + (archived - seen.size())
                + " entries of the manifest are missing from the archive");
      }
      String sha = stored.drainAndHash();
      if (!sha.equals(d.sha256()) || stored.count() != d.storedSize()) {
        throw new CofferException(
            ExitCode.INTEGRITY,
            "backup "
                + d.id()
                + " does not match its checksum (stored archive altered or truncated); nothing was restored");
      }
    } catch (AgeException e) {
      throw BackupStore.fromAge(d.id(), e);
    } catch (ZipException e) {
      throw new CofferException(
          ExitCode.INTEGRITY,
          "backup " + d.id() + " is damaged: " + BackupStore.reason(e) + "; nothing was restored",
          e);
    } catch (IOException e) {
      if (e.getCause() instanceof AgeException ae) throw BackupStore.fromAge(d.id(), ae);
      throw new CofferException(
          ExitCode.INTEGRITY,
          "backup "
              + d.id()
              + " cannot be read to the end ("
              + BackupStore.reason(e)
              + "): it is damaged or truncated, or the storage failed mid-way"
              + "; nothing was restored",
          e);
    }
  }

  /** Whether the final state takes this entry of archive {@code id}. */
  private static boolean takes(
      Manifest.Entry e,
      String id,
      boolean newest,
      String newestId,
      Plan plan,
      Set<String> selectedCollections) {
    if (e.database() != null) {
      if (!selectedCollections.contains(e.database() + "." + e.collection())) return false;
      return e.kind() != Manifest.Kind.view
          || newest; // a view's definition comes from the newest backup
    }
    if (!plan.selectedPaths().contains(e.path()))
      return false; // not in the final state (deleted since) or not selected
    if (e.kind() != Manifest.Kind.file)
      return newest; // directories and links: as the newest backup has them
    Manifest.Entry last = plan.byPath().get(e.path());
    String source = last.from() != null ? last.from() : newestId;
    return source.equals(id) && Objects.equals(last.sha256(), e.sha256());
  }

  private void restoreEntry(
      Manifest.Entry e,
      InputStream in,
      RestoreOptions o,
      MongoRestorer mongo,
      FileRestorer files,
      Map<String, BsonDocument> metadata)
      throws IOException {
    long mtime = e.mtime() == null ? 0 : e.mtime();
    switch (e.kind()) {
      case metadata, view -> {
        BsonDocument meta =
            MongoMetadata.parse(in.readAllBytes(), e.path(), e.kind() == Manifest.Kind.view);
        if (e.kind() == Manifest.Kind.view)
          mongo.defineView(o.targetDb(e.database()), e.collection(), meta);
        else metadata.put(e.database() + "." + e.collection(), meta);
      }
      case bson -> {
        progress.item(e.database() + "." + e.collection());
        BsonDocument meta =
            metadata.getOrDefault(e.database() + "." + e.collection(), new BsonDocument());
        if (Boolean.TRUE.equals(e.delta())) {
          mongo.applyChanges(o.targetDb(e.database()), e.collection(), meta, in, e.path());
          return;
        }
        long n =
            mongo.stage(
                o.targetDb(e.database()), e.collection(), meta, in, e.path(), e.documents());
        if (n != e.documents()) {
          throw new CofferException(
              ExitCode.INTEGRITY,
              e.path()
                  + " holds "
                  + n
                  + " documents, the manifest says "
                  + e.documents()
                  + "; nothing was restored");
        }
      }
      case deletions ->
          mongo.applyDeletions(
              o.targetDb(e.database()), e.collection(), in, e.path(), e.documents());
      case directory ->
          files.directory(e.tree(), ManifestCheck.components(e), mode(e), mtime, e.path());
      case file -> {
        progress.item(
            e.tree()
                + ":"
                + e.path().substring(FileTreeDumper.ROOT.length() + e.tree().length() + 1));
        files.file(e.tree(), ManifestCheck.components(e), in, mode(e), mtime, e.path());
      }
      case symlink -> {
        byte[] target = ManifestCheck.linkTarget(in.readAllBytes(), e.path());
        files.symlink(e.tree(), ManifestCheck.components(e), target, mtime, e.path());
      }
      default -> throw new IllegalStateException("unknown entry kind " + e.kind());
    }
  }

  private static int mode(Manifest.Entry e) {
    return e.mode() == null ? (e.kind() == Manifest.Kind.directory ? 0755 : 0644) : e.mode();
  }

  static void check(BackupDescriptor d, Manifest.Entry e, long size, String sha) {
    if (size != e.size() || (e.sha256() != null && !e.sha256().equals(sha))) {
      throw new CofferException(
          ExitCode.INTEGRITY,
          "backup "
              + d.id()
              + ": entry "
              + e.path()
              + " does not match the manifest (size or SHA-256 differ): the archive is damaged; nothing was restored");
    }
  }

  private static void drain(InputStream in) throws IOException {
    in.transferTo(OutputStream.nullOutputStream());
  }
}
