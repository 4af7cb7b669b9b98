package io.coffer.cli;

import io.coffer.engine.BackupDescriptor;
import io.coffer.engine.BackupStore;
import io.coffer.engine.Printable;
import io.coffer.engine.archive.Json;
import io.coffer.engine.storage.Storage;
import io.coffer.protocol.ExitCode;
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
    try (Storage storage = common.openStorage()) {
      List<BackupStore.Listed> all = new BackupStore(storage).list();
      if (json) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (BackupStore.Listed l : all) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("id", l.id());
          m.put("complete", l.complete());
          if (l.complete()) m.put("backup", l.descriptor());
          out.add(m);
        }
        System.out.println(Json.pretty(out));
        return ExitCode.OK.code();
      }
      int w = Math.max(2, all.stream().mapToInt(l -> l.id().length()).max().orElse(2));
      String row = "%-" + w + "s  %-22s %-14s %10s  %-10s %s%n";
      System.out.printf(row, "ID", "CREATED", "TYPE", "SIZE", "ENCRYPTED", "COMPLETE");
      for (BackupStore.Listed l : all) {
        BackupDescriptor d = l.descriptor();
        if (d == null) System.out.printf(row, l.id(), "-", "-", "-", "-", "no (interrupted)");
        else
          System.out.printf(
              row,
              d.id(),
              Printable.escape(d.createdAt()),
              Printable.escape(d.parent() != null ? "incr. " + d.type() : d.type()),
              ProgressReporter.human(d.storedSize()),
              d.encrypted() ? "yes" : "no",
              "yes");
      }
      if (all.isEmpty()) System.out.println("(no backups in " + storage.describe() + ")");
    }
    return ExitCode.OK.code();
  }
}
