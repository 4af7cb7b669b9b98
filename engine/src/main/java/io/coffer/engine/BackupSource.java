package io.coffer.engine;

import io.coffer.engine.archive.ArchiveWriter;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.engine.files.FileTreeDumper;
import io.coffer.engine.incremental.ChainIndex;
import io.coffer.engine.mongo.DumpNames;
import io.coffer.engine.mongo.MongoConnection;
import io.coffer.engine.mongo.MongoDumper;
import io.coffer.engine.mongo.OplogCapture;
import io.coffer.engine.mongo.Selection;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import java.io.IOException;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a backup reads, one kind at a time: each source checks that it can be read and adds what it
 * expects to write to the progress total ({@link #prepare}), then writes its entries into the
 * archive ({@link #dump}). A backup loops over its sources.
 */
interface BackupSource extends AutoCloseable {
  void prepare() throws IOException;

  void dump(ArchiveWriter archive) throws IOException;

  /**
   * Whether what this source wrote is one moment of it, once dumped (null: a source of files, where
   * the question does not arise).
   */
  default OplogCapture.Window window() {
    return null;
  }

  @Override
  default void close() {}

  /** The collections a selection picks from one MongoDB. */
  final class Mongo implements BackupSource {
    private final MongoDumper dumper;
    private final String uri;
    private final Selection selection;
    private final EngineLog log;
    private final Progress progress;
    private List<MongoDumper.Target> targets = List.of();

    Mongo(BackupOptions o, ChainIndex index, String id, EngineLog log, Progress progress)
        throws IOException {
      this.dumper = new MongoDumper(o.mongoUri(), o.mongoTls(), o.timeoutSeconds(), log, progress);
      if (index != null) dumper.indexed(index, id, o.parent());
      this.uri = o.mongoUri();
      this.selection = o.selection();
      this.log = log;
      this.progress = progress;
    }

    @Override
    public void prepare() {
      targets = dumper.resolve(selection);
      if (targets.isEmpty()) {
        throw CofferException.usage(
            "the selection matches no collection in "
                + MongoConnection.redact(uri)
                + "; check "
                + Field.INCLUDE.mark()
                + " / "
                + Field.EXCLUDE.mark()
                + " / "
                + Field.MODULES.mark()
                + " (patterns match db.collection with * and ?; a bare name is a whole database)");
      }
      for (MongoDumper.Target t : targets) progress.addTotal(t.estimatedBytes());
      log.info("selected " + targets.size() + " collections from " + MongoConnection.redact(uri));
    }

    private OplogCapture.Window window;

    @Override
    public void dump(ArchiveWriter archive) throws IOException {
      OplogCapture oplog = dumper.startOplog(); // before the first read
      Set<String> namespaces = new HashSet<>();
      Set<String> buckets = new HashSet<>();
      for (MongoDumper.Target t : targets) {
        dumper.dump(t, archive);
        if ("timeseries".equals(t.type()) || t.options().containsKey("timeseries"))
          buckets.add(t.database() + ".system.buckets." + t.name());
        else if (!"view".equals(t.type())) namespaces.add(t.database() + "." + t.name());
      }
      // after the last read; an increment's beside its changes, out of mongorestore's way
      window =
          oplog.finish(
              namespaces, buckets, archive, DumpNames.oplog(DumpNames.root(dumper.increment())));
    }

    @Override
    public OplogCapture.Window window() {
      return window;
    }

    @Override
    public void close() {
      dumper.close();
    }
  }

  /** Named directory trees. */
  final class Trees implements BackupSource {
    private final FileTreeDumper dumper;
    private final List<FileTreeDumper.Tree> trees;
    private final EngineLog log;
    private final Progress progress;

    Trees(
        FileTreeDumper dumper, List<FileTreeDumper.Tree> trees, EngineLog log, Progress progress) {
      this.dumper = dumper;
      this.trees = trees;
      this.log = log;
      this.progress = progress;
    }

    @Override
    public void prepare() throws IOException {
      for (int i = 0; i < trees.size(); i++) {
        FileTreeDumper.Tree t = trees.get(i);
        if (!Files.isDirectory(t.root())) {
          throw new CofferException(
              ExitCode.SOURCE,
              "file tree "
                  + t.name()
                  + ": "
                  + t.root()
                  + " is not a readable directory; check "
                  + Field.FILES.mark(i));
        }
        progress.addTotal(dumper.estimate(t));
      }
    }

    @Override
    public void dump(ArchiveWriter archive) throws IOException {
      for (FileTreeDumper.Tree t : trees) {
        dumper.dump(t, archive);
        log.info("file tree " + t.name() + ": done");
      }
    }
  }
}
