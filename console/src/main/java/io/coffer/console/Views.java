package io.coffer.console;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupSpec;
import io.coffer.api.Restore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the page shows of each resource: the fields of its tables, badges and plots, small enough
 * that a namespace of a few thousand Backups travels in one snapshot. Names of Secrets appear (they
 * are in the spec, for whoever may read the resource); their contents never reach the console.
 */
public final class Views {
  private Views() {}

  public static Map<String, Object> of(HasMetadata r) {
    if (r instanceof Backup b) return backup(b);
    if (r instanceof BackupSchedule s) return schedule(s);
    if (r instanceof Restore x) return restore(x);
    throw new IllegalArgumentException(r.getKind());
  }

  static Map<String, Object> meta(HasMetadata r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", r.getKind());
    m.put("namespace", r.getMetadata().getNamespace());
    m.put("name", r.getMetadata().getName());
    m.put("created", r.getMetadata().getCreationTimestamp());
    if (r.getMetadata().getDeletionTimestamp() != null) m.put("deleting", true);
    // who asked for it (written by the API server; a schedule's Backups carry its requester)
    var annotations = r.getMetadata().getAnnotations();
    if (annotations != null && annotations.get(Backup.REQUESTED_BY) != null)
      m.put("requestedBy", annotations.get(Backup.REQUESTED_BY));
    return m;
  }

  public static Map<String, Object> backup(Backup b) {
    Map<String, Object> m = meta(b);
    BackupSpec spec = b.getSpec();
    if (spec != null) {
      m.put("type", spec.type == null ? null : spec.type.name());
      m.put("encrypted", spec.encryption != null);
      m.put("storage", storage(spec.storage));
      if (spec.source != null && spec.source.mongodb != null)
        m.put("modules", spec.source.mongodb.modules);
      List<String> trees = new ArrayList<>();
      if (spec.source != null) spec.source.files.forEach(f -> trees.add(f.name));
      m.put("trees", trees);
      m.put("chain", spec.chain != null);
    }
    var labels = b.getMetadata().getLabels();
    m.put("schedule", labels == null ? null : labels.get("coffer.io/schedule"));
    var st = b.getStatus();
    if (st != null) {
      m.put("phase", st.phase == null ? null : st.phase.name());
      m.put("backupId", st.backupId);
      m.put("started", st.startedAt);
      m.put("completed", st.completedAt);
      m.put("duration", st.duration);
      m.put("durationSeconds", st.durationSeconds);
      m.put("size", st.size);
      m.put("storedBytes", st.storedBytes);
      m.put("rawBytes", st.rawBytes);
      m.put("attempts", st.attempts);
      m.put("lastError", st.lastError);
      m.put("parent", st.parent);
      m.put("nextAttemptAt", st.nextAttemptAt);
      m.put("consistency", st.consistency);
      m.put("consistentAt", st.consistentAt);
      m.put("consistencyReason", st.consistencyReason);
      // the status's own small objects, as they are (null fields left out by their @JsonInclude)
      if (st.progress != null) m.put("progress", plain(st.progress));
      if (st.verification != null) m.put("verification", plain(st.verification));
      if (st.download != null) m.put("download", plain(st.download));
      if (st.copies != null && !st.copies.isEmpty()) {
        List<Object> copies = new ArrayList<>();
        for (var c : st.copies) copies.add(plain(c));
        m.put("copies", copies);
      }
      if (st.contents != null) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("collections", st.contents.collections);
        c.put("documents", st.contents.documents);
        c.put("files", st.contents.files);
        c.put("modules", st.contents.modules);
        c.put(
            "databases",
            st.contents.collectionCounts == null
                ? List.of()
                : st.contents.collectionCounts.keySet().stream()
                    .map(k -> k.contains(".") ? k.substring(0, k.indexOf('.')) : k)
                    .distinct()
                    .sorted()
                    .toList());
        m.put("contents", c);
      }
    }
    return m;
  }

  public static Map<String, Object> schedule(BackupSchedule s) {
    Map<String, Object> m = meta(s);
    var spec = s.getSpec();
    if (spec != null) {
      m.put("cron", spec.schedule);
      if (spec.frequency != null) {
        m.put("every", spec.frequency.every == null ? null : spec.frequency.every.name());
        m.put("time", spec.frequency.time);
        m.put(
            "dayOfWeek", spec.frequency.dayOfWeek == null ? null : spec.frequency.dayOfWeek.name());
        m.put("dayOfMonth", spec.frequency.dayOfMonth);
      }
      m.put("timeZone", spec.timeZone);
      m.put("suspended", Boolean.TRUE.equals(spec.suspend));
      if (spec.template != null) {
        m.put("type", spec.template.type == null ? null : spec.template.type.name());
        m.put("encrypted", spec.template.encryption != null);
        m.put("storage", storage(spec.template.storage));
        if (spec.template.source != null && spec.template.source.mongodb != null)
          m.put("modules", spec.template.source.mongodb.modules);
      }
      if (spec.retention != null) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("keepLast", spec.retention.keepLast);
        r.put("maxAge", spec.retention.maxAge);
        r.put("keepDaily", spec.retention.keepDaily);
        r.put("keepWeekly", spec.retention.keepWeekly);
        r.put("keepMonthly", spec.retention.keepMonthly);
        m.put("retention", r);
      }
      m.put("verifyAfterEachBackup", Boolean.TRUE.equals(spec.verifyAfterEachBackup));
    }
    var st = s.getStatus();
    if (st != null) {
      m.put("next", st.nextScheduleTime);
      m.put("last", st.lastScheduleTime);
      m.put("lastSuccessfulBackup", st.lastSuccessfulBackup);
      m.put("lastSuccessfulTime", st.lastSuccessfulTime);
      m.put("lastFailedBackup", st.lastFailedBackup);
      m.put("active", st.active);
      m.put("retained", st.retained);
      m.put("totalStoredBytes", st.totalStoredBytes);
      m.put("totalSize", st.totalSize);
      if (st.pointInTime != null) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("state", st.pointInTime.state);
        p.put("from", st.pointInTime.recoverableFrom);
        p.put("until", st.pointInTime.recoverableUntil);
        p.put("lastSliceAt", st.pointInTime.lastSliceAt);
        p.put("gaps", st.pointInTime.gaps == null ? 0 : st.pointInTime.gaps.size());
        m.put("pointInTime", p);
      }
      if (st.lastDrill != null) m.put("lastDrill", plain(st.lastDrill));
      var ready =
          st.conditions == null
              ? null
              : st.conditions.stream()
                  .filter(c -> "Ready".equals(c.getType()))
                  .findFirst()
                  .orElse(null);
      if (ready != null) {
        m.put("ready", "True".equals(ready.getStatus()));
        m.put("message", ready.getMessage());
      }
    }
    return m;
  }

  public static Map<String, Object> restore(Restore r) {
    Map<String, Object> m = meta(r);
    var spec = r.getSpec();
    if (spec != null) {
      m.put("backupName", spec.backupName);
      m.put("backupIdSource", spec.source == null ? null : spec.source.backupId);
      m.put("mode", spec.mode == null ? "Merge" : spec.mode.name());
      m.put("dryRun", Boolean.TRUE.equals(spec.dryRun));
      m.put("modules", spec.modules);
      if (spec.decryption != null) {
        var k =
            spec.decryption.identity != null
                ? spec.decryption.identity
                : spec.decryption.passphraseSecret;
        if (k != null) m.put("decryption", Map.of("secret", k.name, "key", k.key));
      }
    }
    var st = r.getStatus();
    if (st != null) {
      m.put("phase", st.phase == null ? null : st.phase.name());
      m.put("started", st.startedAt);
      m.put("completed", st.completedAt);
      m.put("duration", st.duration);
      m.put("lastError", st.lastError);
      m.put("waitingFor", st.waitingFor);
      m.put("collections", st.collections);
      m.put("documents", st.documents);
      m.put("files", st.files);
      m.put("consistency", st.consistency);
      m.put("consistentAt", st.consistentAt);
      m.put("consistencyReason", st.consistencyReason);
      if (st.pointInTime != null) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("until", st.pointInTime.until);
        p.put("base", st.pointInTime.baseBackupId);
        p.put("slices", st.pointInTime.slices);
        p.put("entries", st.pointInTime.oplogEntries);
        m.put("pointInTime", p);
      }
      if (st.progress != null) m.put("progress", plain(st.progress));
      if (st.plan != null) m.put("plan", st.plan.stream().map(Views::plain).toList());
    }
    return m;
  }

  private static Object plain(Object statusPart) {
    return ConsoleServer.MAPPER.convertValue(statusPart, Map.class);
  }

  /** Where a backup is stored, as a person says it: s3://bucket/prefix or pvc:claim/path. */
  static String storage(BackupSpec.StorageSpec s) {
    if (s == null) return null;
    if (s.s3 != null)
      return "s3://"
          + s.s3.bucket
          + (s.s3.prefix == null || s.s3.prefix.isEmpty() ? "" : "/" + s.s3.prefix);
    if (s.volume != null)
      return "pvc:" + s.volume.claimName + (s.volume.path == null ? "" : "/" + s.volume.path);
    return null;
  }
}
