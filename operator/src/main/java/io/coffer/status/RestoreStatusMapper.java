package io.coffer.status;

import io.coffer.api.RestoreStatus;
import io.coffer.protocol.Protocol;
import io.coffer.protocol.RestoreResult;
import java.util.ArrayList;

/** Turns the engine's restore result (termination message) into Restore status. Pure. */
public final class RestoreStatusMapper {
  private RestoreStatusMapper() {}

  /** Applies a "Succeeded" or "Planned" result; false when the outcome is no such result. */
  public static boolean apply(RestoreStatus s, Protocol.Outcome result) {
    if (!(result instanceof Protocol.Restore r)) return false;
    RestoreResult n = r.result();
    if (n.backupId() != null) s.backupId = n.backupId();
    s.collections = n.collections();
    s.documents = n.documents();
    s.files = n.files();
    s.duration = BackupStatusMapper.duration(n.durationSeconds());
    Moment m = Moment.of(n.consistency());
    s.consistency = m.mode();
    s.consistentAt = m.at();
    s.consistencyReason = m.reason();
    if (n.pointInTime() != null) {
      RestoreStatus.PointInTimeReplay p = new RestoreStatus.PointInTimeReplay();
      p.until = n.pointInTime().until();
      p.baseBackupId = n.pointInTime().base();
      p.slices = n.pointInTime().slices();
      p.oplogEntries = n.pointInTime().entries();
      p.changes = n.pointInTime().changes();
      s.pointInTime = p;
    }
    s.plan = new ArrayList<>();
    if (n.items() != null) {
      for (RestoreResult.Item i : n.items()) {
        RestoreStatus.Item item = new RestoreStatus.Item();
        item.kind = i.kind();
        item.source = i.source();
        item.target = i.target();
        item.documents = i.documents();
        item.files = i.files();
        item.bytes = i.bytes();
        item.action = i.action();
        s.plan.add(item);
      }
    }
    return true;
  }
}
