package io.coffer.engine;

import io.coffer.engine.base.Json;
import io.coffer.engine.storage.Storage;
import io.coffer.protocol.BackupResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds results that fit a pod's termination message (4 KiB): detail is trimmed, totals never. */
final class Results {
  public static final int MAX_BYTES = 4000;

  private Results() {}

  /**
   * The result of a backup completed earlier (its descriptor), for a retry that finds it complete.
   */
  public static BackupResult existing(
      BackupDescriptor d, String location, Storage.ObjectLock lock, Instant lockedUntil) {
    double duration = 0;
    try {
      duration =
          Duration.between(Instant.parse(d.createdAt()), Instant.parse(d.completedAt())).toMillis()
              / 1000.0;
    } catch (RuntimeException e) {
      // an older descriptor without times: no duration
    }
    return backup(d, location, duration, Map.of(), Map.of(), 0, List.of(), lock, lockedUntil);
  }

  static BackupResult backup(
      BackupDescriptor d,
      String location,
      double duration,
      Map<String, Long> modules,
      Map<String, Long> perCollection,
      int warnings,
      List<String> skipped,
      Storage.ObjectLock lock,
      Instant lockedUntil) {
    Map<String, Long> counts = new LinkedHashMap<>(perCollection);
    List<String> skip = new ArrayList<>(skipped);
    boolean truncated = false;
    while (true) {
      BackupResult r =
          new BackupResult(
              "Succeeded",
              d.id(),
              d.type(),
              location,
              d.archive(),
              d.storedSize(),
              d.rawSize(),
              d.sha256(),
              d.encrypted(),
              d.recipients(),
              duration,
              d.collections(),
              d.documents(),
              d.files(),
              modules.isEmpty() ? null : modules,
              counts.isEmpty() ? null : counts,
              truncated ? Boolean.TRUE : null,
              warnings,
              skip.isEmpty() ? null : skip,
              d.consistency(),
              lock == null ? null : lock.mode(),
              lockedUntil == null ? null : lockedUntil.toString());
      if (Json.write(r).getBytes(StandardCharsets.UTF_8).length <= MAX_BYTES) return r;
      if (!skip.isEmpty()) {
        skip.remove(skip.size() - 1);
      } else if (!counts.isEmpty()) {
        String last = null;
        for (String k : counts.keySet()) last = k;
        counts.remove(last);
        truncated = true;
      } else {
        return r;
      }
    }
  }
}
