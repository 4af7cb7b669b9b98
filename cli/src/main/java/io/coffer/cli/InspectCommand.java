package io.coffer.cli;

import io.coffer.engine.BackupDescriptor;
import io.coffer.engine.Engine;
import io.coffer.engine.archive.Manifest;
import io.coffer.engine.base.Json;
import io.coffer.engine.base.Printable;
import io.coffer.protocol.ExitCode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Show what a backup holds (modules, collections, document counts, sizes, files): the preview before a restore.",
      "Encrypted backups need --identity-file (or --passphrase-file) to show their contents; the summary is shown without."
    })
final class InspectCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(names = "--backup", paramLabel = "ID", description = "The backup to inspect.")
  String backup;

  @Mixin ArchiveOption archive;

  @Mixin KeyOptions key;

  @Override
  public Integer call() throws Exception {
    boolean json = common.json();
    Engine.Inspection inspection =
        Engine.inspect(
            common.storageRef(),
            archive.file == null ? null : archive.file.toString(),
            backup,
            key.decryption(),
            CommonOptions.secrets());
    {
      BackupDescriptor d = inspection.backup();
      Manifest m = inspection.manifest();
      List<String> chain = inspection.chain();
      if (json) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("backup", d);
        if (chain.size() > 1) out.put("chain", chain);
        if (m != null) out.put("manifest", m);
        System.out.println(Json.pretty(out));
        return ExitCode.OK.code();
      }
      System.out.printf(
          "Backup %s (%s), created %s, %s%n",
          d.id(),
          Printable.escape(d.type()),
          Printable.escape(d.createdAt()),
          d.encrypted() ? "encrypted (" + Printable.escape(d.encryption()) + ")" : "not encrypted");
      System.out.printf(
          "  stored %s (%s raw), sha256 %s%n",
          ProgressReporter.human(d.storedSize()), ProgressReporter.human(d.rawSize()), d.sha256());
      System.out.printf(
          "  %d collections, %d documents, %d files%s%n",
          d.collections(),
          d.documents(),
          d.files(),
          d.skipped() > 0 ? ", " + d.skipped() + " skipped at backup time" : "");
      if (d.recipients() != null)
        System.out.println("  recipients: " + Printable.escape(String.join(", ", d.recipients())));
      if (chain.size() > 1) {
        System.out.println(
            "  incremental: restoring it reads its chain, the full backup first: "
                + String.join(" -> ", chain));
      } else if (d.index() != null) {
        System.out.println("  chain index: yes (incremental backups can build on it)");
      }
      if (d.consistency() != null) {
        System.out.println(
            "  moment: "
                + (d.consistency().isPointInTime()
                    ? "one moment of the database, as it was at "
                        + Printable.escape(String.valueOf(d.consistency().at()))
                        + (m != null && m.oplog() != null
                            ? " (" + m.oplog().entries() + " oplog entries replayed by a restore)"
                            : "")
                    : "not one moment ("
                        + Printable.escape(String.valueOf(d.consistency().reason()))
                        + ")"));
      }
      if (m == null) {
        System.out.println(
            "  (contents are encrypted: give --identity-file or --passphrase-file to list them)");
        return ExitCode.OK.code();
      }
      if (m.source() != null && m.source().mongodb() != null)
        System.out.println("  source: " + Printable.escape(m.source().mongodb()));
      Map<String, long[]> modules = new TreeMap<>();
      System.out.println("  collections:");
      for (Manifest.Entry e : m.entries()) {
        if (e.kind() == Manifest.Kind.bson) {
          System.out.printf(
              "    %-40s %10d docs %12s%s%n",
              Printable.escape(e.database() + "." + e.collection()),
              e.documents(),
              ProgressReporter.human(e.size()),
              e.module() != null ? "  [" + Printable.escape(e.module()) + "]" : "");
          if (e.module() != null) {
            long[] t = modules.computeIfAbsent(e.module(), k -> new long[2]);
            t[0] += e.documents();
            t[1] += e.size();
          }
        } else if (e.kind() == Manifest.Kind.view) {
          System.out.printf(
              "    %-40s (view)%n", Printable.escape(e.database() + "." + e.collection()));
        }
      }
      if (!modules.isEmpty()) {
        System.out.println("  modules:");
        modules.forEach(
            (k, v) ->
                System.out.printf(
                    "    %-20s %10d docs %12s%n",
                    Printable.escape(k), v[0], ProgressReporter.human(v[1])));
      }
      Map<String, long[]> trees = new TreeMap<>();
      for (Manifest.Entry e : m.entries()) {
        if (e.tree() == null) continue;
        long[] t = trees.computeIfAbsent(e.tree(), k -> new long[3]);
        if (e.kind() == Manifest.Kind.directory) t[2]++;
        else t[0]++;
        t[1] += e.size();
      }
      if (!trees.isEmpty()) {
        System.out.println("  file trees:");
        trees.forEach(
            (k, v) ->
                System.out.printf(
                    "    %-20s %8d files %8d dirs %12s  from %s%n",
                    k,
                    v[0],
                    v[2],
                    ProgressReporter.human(v[1]),
                    m.source() == null || m.source().files() == null
                        ? "?"
                        : Printable.escape(m.source().files().get(k))));
      }
      if (m.skipped() != null && !m.skipped().isEmpty()) {
        System.out.println("  skipped at backup time:");
        for (Manifest.Skipped s : m.skipped())
          System.out.println("    " + Printable.escape(s.path() + ": " + s.reason()));
      }
    }
    return ExitCode.OK.code();
  }
}
