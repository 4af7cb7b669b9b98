package io.coffer.demo;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupStatus;
import io.coffer.api.Restore;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Prints each resource's row whenever it changes, as {@code kubectl get
 * backups,backupschedules,restores -w} would.
 */
final class Watch {
  private static final String FORMAT = "      %-34s %-10s %-9s %-10s %-9s %s";
  private final KubernetesClient client;
  private final Console out;
  private final Map<String, String> shown = new HashMap<>();

  Watch(KubernetesClient client, Console out) {
    this.client = client;
    this.out = out;
  }

  void header() {
    out.line(String.format(FORMAT, "NAME", "PHASE", "PROGRESS", "SIZE", "DURATION", "DETAIL"));
  }

  /**
   * Prints changes every 250 ms until {@code done} answers non-null or the time is up (then null).
   */
  <T> T until(Duration timeout, Supplier<T> done) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      print();
      T result = done.get();
      if (result != null) {
        print();
        return result;
      }
      Thread.sleep(250);
    }
    return null;
  }

  private void print() {
    for (Backup b : client.resources(Backup.class).inNamespace(Demo.NS).list().getItems()) {
      BackupStatus s = b.getStatus();
      if (s == null) {
        row("backup/" + b.getMetadata().getName(), "", "", "", "", "");
        continue;
      }
      String detail =
          s.lastError != null
              ? s.lastError
              : s.contents != null
                  ? String.format(
                      "%,d documents in %d collections, %d files",
                      s.contents.documents, s.contents.collections, s.contents.files)
                  : s.progress != null && s.progress.item != null ? s.progress.item : "";
      row(
          "backup/" + b.getMetadata().getName(),
          s.phase,
          percent(s.progress),
          s.size,
          s.duration,
          detail);
    }
    for (BackupSchedule x :
        client.resources(BackupSchedule.class).inNamespace(Demo.NS).list().getItems()) {
      var s = x.getStatus();
      row(
          "backupschedule/" + x.getMetadata().getName(),
          s == null ? "" : "Scheduled",
          "",
          s == null ? "" : s.totalSize,
          "",
          s == null || s.nextScheduleTime == null ? "" : "next run " + s.nextScheduleTime);
    }
    for (Restore r : client.resources(Restore.class).inNamespace(Demo.NS).list().getItems()) {
      var s = r.getStatus();
      if (s == null) {
        row("restore/" + r.getMetadata().getName(), "", "", "", "", "");
        continue;
      }
      boolean preview = Boolean.TRUE.equals(r.getSpec().dryRun);
      String detail =
          s.lastError != null
              ? s.lastError
              : preview && s.plan != null && !s.plan.isEmpty()
                  ? "plan: "
                      + s.plan.size()
                      + " items, e.g. "
                      + s.plan.get(0).action
                      + " "
                      + s.plan.get(0).target
                  : s.documents != null
                      ? String.format(
                          "%,d documents in %d collections, %d files restored",
                          s.documents, s.collections, s.files)
                      : s.plan != null && !s.plan.isEmpty()
                          ? "plan: "
                              + s.plan.size()
                              + " items, e.g. "
                              + s.plan.get(0).action
                              + " "
                              + s.plan.get(0).target
                          : s.waitingFor != null
                              ? "waiting for " + s.waitingFor
                              : s.progress != null && s.progress.item != null
                                  ? s.progress.item
                                  : "";
      row(
          "restore/" + r.getMetadata().getName(),
          s.phase,
          percent(s.progress),
          "",
          s.duration,
          detail);
    }
  }

  private static String percent(BackupStatus.Progress p) {
    return p == null || p.percent == null ? "" : String.format("%.0f%%", p.percent);
  }

  private void row(
      String name, Object phase, String progress, String size, String duration, String detail) {
    String text =
        String.format(
            FORMAT,
            name,
            phase == null ? "" : phase,
            progress,
            size == null ? "" : size,
            duration == null ? "" : duration,
            detail.length() > 90 ? detail.substring(0, 87) + "..." : detail);
    if (!text.equals(shown.put(name, text))) out.line(text);
  }
}
