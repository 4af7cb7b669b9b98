package io.coffer.bench;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleSpec;
import io.coffer.api.BackupSpec;
import io.coffer.controller.CofferOperator;
import io.coffer.job.JobFactory;
import io.coffer.testing.ImageRuntime;
import io.coffer.testing.MockKubernetes;
import io.coffer.testing.Specs;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.javaoperatorsdk.operator.Operator;
import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prints the operator's reconcile latency under load (a command, never a timed test): N Backups and
 * M BackupSchedules created at once in the mock API; latency = from create to the first status the
 * operator writes (a Backup's Job created, a schedule's next run computed). No kubelet runs: Jobs
 * stay pending, which is what the operator sees while real backups run. Also prints the heap the
 * operator's JVM holds afterwards.
 *
 * <p>Run: {@code e2e/bench/operator.sh [backups=1000] [schedules=100]}.
 */
public final class OperatorBench {
  public static void main(String[] args) throws Exception {
    int backups = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int schedules = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    System.out.printf(
        "machine: %d cores, Java %s; %,d Backups and %,d BackupSchedules, created at once%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        backups,
        schedules);
    try (MockKubernetes kube = new MockKubernetes()) {
      KubernetesClient client = kube.client();
      for (String crd : List.of("backups", "restores", "backupschedules")) {
        try (var in = new FileInputStream(Path.of("crds/" + crd + ".coffer.io-v1.yml").toFile())) {
          client
              .resource(
                  client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class))
              .create();
        }
      }
      Operator operator =
          CofferOperator.create(
              client,
              new CofferOperator.Config(
                      new JobFactory.Settings(ImageRuntime.REFERENCE, "IfNotPresent"),
                      Set.of(),
                      Duration.ofSeconds(10),
                      Duration.ofSeconds(5),
                      Duration.ofMinutes(1),
                      Clock.systemUTC(),
                      null)
                  .withoutServerSideApply());
      operator.start();
      Map<String, Long> created = new ConcurrentHashMap<>();
      Map<String, Long> seen = new ConcurrentHashMap<>();
      var w1 =
          client
              .resources(Backup.class)
              .inNamespace("bench")
              .watch(
                  new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, Backup b) {
                      if (b.getStatus() != null && b.getStatus().jobName != null)
                        seen.putIfAbsent("b/" + b.getMetadata().getName(), System.nanoTime());
                    }

                    @Override
                    public void onClose(WatcherException cause) {}
                  });
      var w2 =
          client
              .resources(BackupSchedule.class)
              .inNamespace("bench")
              .watch(
                  new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, BackupSchedule s) {
                      if (s.getStatus() != null && s.getStatus().nextScheduleTime != null)
                        seen.putIfAbsent("s/" + s.getMetadata().getName(), System.nanoTime());
                    }

                    @Override
                    public void onClose(WatcherException cause) {}
                  });
      long t0 = System.nanoTime();
      for (int i = 0; i < backups; i++) {
        Backup b = new Backup();
        b.setMetadata(new ObjectMetaBuilder().withName("b" + i).withNamespace("bench").build());
        b.setSpec(spec());
        created.put("b/b" + i, System.nanoTime());
        client.resource(b).create();
      }
      for (int i = 0; i < schedules; i++) {
        BackupSchedule s = new BackupSchedule();
        s.setMetadata(new ObjectMetaBuilder().withName("s" + i).withNamespace("bench").build());
        s.setSpec(new BackupScheduleSpec());
        s.getSpec().schedule = (i % 60) + " 2 * * *";
        s.getSpec().template = spec();
        created.put("s/s" + i, System.nanoTime());
        client.resource(s).create();
      }
      double createSeconds = (System.nanoTime() - t0) / 1e9;
      long deadline = System.currentTimeMillis() + 300_000;
      while (seen.size() < backups + schedules && System.currentTimeMillis() < deadline)
        Thread.sleep(100);
      double allSeconds = (System.nanoTime() - t0) / 1e9;
      w1.close();
      w2.close();
      double p99 =
          Math.max(
              report("Backups (create -> Job created)", created, seen, "b/"),
              report("BackupSchedules (create -> next run computed)", created, seen, "s/"));
      System.out.printf(
          "goal: p99 from create to the operator's first status under 1 s: %s (p99 %.0f ms)%n",
          p99 < 1000 ? "met" : "missed", p99);
      System.out.printf(
          "all %,d created in %.1f s; all reconciled %.1f s after the first create (%.0f resources/s)%n",
          backups + schedules, createSeconds, allSeconds, (backups + schedules) / allSeconds);
      System.gc();
      Runtime rt = Runtime.getRuntime();
      System.out.printf(
          "heap in use after GC: %.0f MiB (operator, fabric8 mock API and %,d resources in one JVM); peak RSS %s%n",
          (rt.totalMemory() - rt.freeMemory()) / 1048576.0, backups + schedules, peakRss());
      operator.stop();
    }
  }

  static BackupSpec spec() {
    return Specs.backup("bench", "template")
        .type(BackupSpec.Type.Database)
        .mongo("mongo", "uri")
        .s3(null, "backups", null, "s3")
        .build()
        .getSpec();
  }

  /**
   * Prints the latencies; returns the p99 in ms (infinite when none or not all were reconciled).
   */
  static double report(
      String what, Map<String, Long> created, Map<String, Long> seen, String prefix) {
    List<Double> ms = new ArrayList<>();
    int missing = 0;
    for (var e : created.entrySet()) {
      if (!e.getKey().startsWith(prefix)) continue;
      Long s = seen.get(e.getKey());
      if (s == null) missing++;
      else ms.add((s - e.getValue()) / 1e6);
    }
    Collections.sort(ms);
    if (ms.isEmpty()) {
      System.out.printf("%-48s none reconciled%n", what);
      return Double.POSITIVE_INFINITY;
    }
    double p99 = ms.get((int) (ms.size() * 0.99));
    System.out.printf(
        "%-48s p50 %6.0f ms, p99 %6.0f ms, max %6.0f ms%s%n",
        what,
        ms.get(ms.size() / 2),
        p99,
        ms.get(ms.size() - 1),
        missing > 0 ? ", " + missing + " never reconciled" : "");
    return missing > 0 ? Double.POSITIVE_INFINITY : p99;
  }

  static String peakRss() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/self/status")))
        if (l.startsWith("VmHWM:")) return l.substring(6).trim();
    } catch (Exception e) {
      // not Linux
    }
    return "unknown";
  }
}
