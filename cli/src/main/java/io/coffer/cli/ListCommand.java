package io.coffer.cli;

import io.coffer.engine.BackupDescriptor;
import io.coffer.engine.Engine;
import io.coffer.engine.base.Json;
import io.coffer.engine.base.Printable;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.OplogWindow;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = "List the backups in a storage location, newest first.")
final class ListCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Override
  public Integer call() throws Exception {
    boolean json = common.json();
    {
      Engine.Catalogue catalogue = Engine.list(common.storageRef(), CommonOptions.secrets());
      var all = catalogue.backups();
      if (json) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (var l : all) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("id", l.id());
          m.put("complete", l.complete());
          if (l.complete()) m.put("backup", l.descriptor());
          out.add(m);
        }
        if (catalogue.oplog() != null) {
          Map<String, Object> o = new LinkedHashMap<>();
          o.put("oplogArchive", catalogue.oplog());
          out.add(o);
        }
        System.out.println(Json.pretty(out));
        return ExitCode.OK.code();
      }
      int w = Math.max(2, all.stream().mapToInt(l -> l.id().length()).max().orElse(2));
      String row = "%-" + w + "s  %-22s %-14s %10s  %-10s %-15s %s%n";
      System.out.printf(row, "ID", "CREATED", "TYPE", "SIZE", "ENCRYPTED", "MOMENT", "COMPLETE");
      for (var l : all) {
        BackupDescriptor d = l.descriptor();
        if (d == null) System.out.printf(row, l.id(), "-", "-", "-", "-", "-", "no (interrupted)");
        else
          System.out.printf(
              row,
              d.id(),
              Printable.escape(d.createdAt()),
              Printable.escape(d.parent() != null ? "incr. " + d.type() : d.type()),
              ProgressReporter.human(d.storedSize()),
              d.encrypted() ? "yes" : "no",
              moment(d),
              "yes");
      }
      if (all.isEmpty()) System.out.println("(no backups in " + catalogue.location() + ")");
      if (catalogue.oplog() != null) window(catalogue.oplog());
    }
    return ExitCode.OK.code();
  }

  /** The oplog archive's window and gaps, under the backups. */
  static void window(OplogWindow w) {
    System.out.println();
    System.out.println(
        "Oplog archive: "
            + w.slices()
            + " slices, "
            + w.entries()
            + " entries, "
            + ProgressReporter.human(w.bytes())
            + (w.lastSliceAt() == null
                ? ""
                : ", newest slice " + Printable.escape(w.lastSliceAt())));
    System.out.println(
        w.recoverableFrom() == null
            ? "  restorable to any second: not yet (no point-in-time backup lies in the archived"
                + " stretch; the next backup opens a window)"
            : "  restorable to any second from "
                + Printable.escape(w.recoverableFrom())
                + " to "
                + Printable.escape(w.recoverableUntil())
                + " (coffer restore --until TIME)");
    for (OplogWindow.Gap g : w.gaps())
      System.out.println(
          "  gap: "
              + Printable.escape(g.from())
              + " to "
              + Printable.escape(g.to())
              + ": "
              + Printable.escape(String.valueOf(g.reason())));
  }

  /**
   * Whether the backup's databases are one moment of the source (point-in-time) or each collection
   * as it was read (per-collection); "-" without a database part or from before Coffer recorded it.
   * {@code coffer inspect} says why.
   */
  static String moment(BackupDescriptor d) {
    if (d.consistency() == null) return "-";
    return d.consistency().isPointInTime() ? "point-in-time" : "per-collection";
  }
}
