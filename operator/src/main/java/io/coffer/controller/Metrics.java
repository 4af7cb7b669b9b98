package io.coffer.controller;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.Restore;
import io.coffer.controller.schedule.ScheduleDecider;
import io.coffer.schedule.Cron;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The operator's metrics, through Micrometer's Prometheus registry: gauges counted from the
 * resources' status at each scrape (the informer caches list, this counts: a scrape costs the API
 * server nothing), histograms of the backups this operator saw succeed, and, in the same registry,
 * the operator SDK's reconcile, queue and duration meters. Names are the ones Coffer exported
 * before Micrometer (docs/operations.md lists each, and what changed).
 */
public final class Metrics {
  static final double[] DURATION_BUCKETS = {10, 30, 60, 300, 900, 1800, 3600, 7200, 14400};
  static final double[] SIZE_BUCKETS = {1e6, 1e7, 1e8, 1e9, 1e10, 1e11};

  private final PrometheusMeterRegistry registry;
  private final Timer duration;
  private final DistributionSummary stored;
  private final MultiGauge backups;
  private final MultiGauge restores;
  private final MultiGauge verifications;
  private final MultiGauge lastSuccess;
  private final MultiGauge period;
  private final MultiGauge pitrUntil;
  private final MultiGauge pitrRpo;
  private final MultiGauge pitrGaps;
  private final MultiGauge pitrUp;
  private final MultiGauge pitrReport;
  private final MultiGauge drillRto;
  private final MultiGauge drillPassed;

  public Metrics() {
    this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  public Metrics(PrometheusMeterRegistry registry) {
    this.registry = registry;
    Duration[] slo = new Duration[DURATION_BUCKETS.length];
    for (int i = 0; i < slo.length; i++) slo[i] = Duration.ofSeconds((long) DURATION_BUCKETS[i]);
    duration =
        Timer.builder("coffer.backup.duration")
            .description("Durations of the backups this operator saw succeed.")
            .serviceLevelObjectives(slo)
            .register(registry);
    stored =
        DistributionSummary.builder("coffer.backup.stored")
            .baseUnit("bytes")
            .description("Stored sizes of the backups this operator saw succeed.")
            .serviceLevelObjectives(SIZE_BUCKETS)
            .register(registry);
    backups = gauge("coffer.backups", null, "Backups by namespace and phase.");
    restores = gauge("coffer.restores", null, "Restores by namespace and phase.");
    verifications =
        gauge(
            "coffer.backup.verifications",
            null,
            "Backups by namespace and the result of their last verification.");
    lastSuccess =
        gauge(
            "coffer.schedule.last.success.timestamp",
            "seconds",
            "When each schedule last produced a succeeded backup.");
    period =
        gauge(
            "coffer.schedule.period",
            "seconds",
            "Time between a schedule's next two runs (alert when no backup succeeded for longer).");
    pitrUntil =
        gauge(
            "coffer.pitr.recoverable.until.timestamp",
            "seconds",
            "The newest second a restore to a moment reaches (spec.pointInTime). time() minus it is"
                + " the achieved RPO.");
    pitrRpo =
        gauge(
            "coffer.pitr.rpo.target",
            "seconds",
            "A schedule's spec.pointInTime.rpoTarget (default twice its slice interval).");
    pitrGaps =
        gauge(
            "coffer.pitr.gaps",
            null,
            "Stretches of the oplog archive no slice covers (the oplog rolled over before the"
                + " archiver read it).");
    pitrUp =
        gauge(
            "coffer.pitr.archiver.up",
            null,
            "Whether the schedule's oplog archiver runs and reports.");
    pitrReport =
        gauge(
            "coffer.pitr.last.report.timestamp",
            "seconds",
            "When the archiver last reported (time() minus it: how far behind it is).");
    drillRto =
        gauge(
            "coffer.drill.rto",
            "seconds",
            "A schedule's last restore drill: the time from its restore's start to a usable copy.");
    drillPassed =
        gauge(
            "coffer.drill.passed",
            null,
            "Whether a schedule's last restore drill passed (1) or failed (0).");
  }

  private MultiGauge gauge(String name, String unit, String help) {
    MultiGauge.Builder b = MultiGauge.builder(name).description(help);
    if (unit != null) b.baseUnit(unit);
    return b.register(registry);
  }

  /** Where the operator SDK's meters go too. */
  public MeterRegistry registry() {
    return registry;
  }

  /** A Backup this operator saw succeed (its status says so for the first time). */
  public void backupSucceeded(Double seconds, Long storedBytes) {
    if (seconds != null) duration.record(Duration.ofMillis(Math.round(seconds * 1000)));
    if (storedBytes != null) stored.record(storedBytes);
  }

  /** The Prometheus text of everything, the gauges counted from these resources now. */
  public synchronized String scrape(
      List<Backup> backupList, List<Restore> restoreList, List<BackupSchedule> schedules) {
    backups.register(
        counts(
            backupList,
            b ->
                phase(
                    b.getMetadata().getNamespace(),
                    b.getStatus() == null ? null : b.getStatus().phase)),
        true);
    restores.register(
        counts(
            restoreList,
            r ->
                phase(
                    r.getMetadata().getNamespace(),
                    r.getStatus() == null ? null : r.getStatus().phase)),
        true);
    verifications.register(
        counts(
            backupList,
            b ->
                b.getStatus() == null
                        || b.getStatus().verification == null
                        || b.getStatus().verification.result == null
                    ? null
                    : Tags.of(
                        "namespace",
                        b.getMetadata().getNamespace(),
                        "result",
                        b.getStatus().verification.result)),
        true);
    List<MultiGauge.Row<?>> success = new ArrayList<>();
    List<MultiGauge.Row<?>> periods = new ArrayList<>();
    List<MultiGauge.Row<?>> until = new ArrayList<>();
    List<MultiGauge.Row<?>> rpo = new ArrayList<>();
    List<MultiGauge.Row<?>> gaps = new ArrayList<>();
    List<MultiGauge.Row<?>> up = new ArrayList<>();
    List<MultiGauge.Row<?>> report = new ArrayList<>();
    List<MultiGauge.Row<?>> rto = new ArrayList<>();
    List<MultiGauge.Row<?>> passed = new ArrayList<>();
    for (BackupSchedule s : schedules) {
      Tags t =
          Tags.of(
              "namespace", s.getMetadata().getNamespace(), "schedule", s.getMetadata().getName());
      var st = s.getStatus();
      if (st != null && st.lastSuccessfulTime != null)
        success.add(MultiGauge.Row.of(t, Instant.parse(st.lastSuccessfulTime).getEpochSecond()));
      Long p = period(s);
      if (p != null) periods.add(MultiGauge.Row.of(t, p));
      var pit = s.getSpec() == null ? null : s.getSpec().pointInTime;
      if (pit != null && Boolean.TRUE.equals(pit.enabled)) {
        rpo.add(MultiGauge.Row.of(t, ScheduleDecider.rpoTarget(pit).toSeconds()));
        var ps = st == null ? null : st.pointInTime;
        up.add(MultiGauge.Row.of(t, ps != null && "Running".equals(ps.state) ? 1 : 0));
        if (ps != null) {
          if (ps.recoverableUntil != null)
            until.add(MultiGauge.Row.of(t, Instant.parse(ps.recoverableUntil).getEpochSecond()));
          if (ps.checkedAt != null)
            report.add(MultiGauge.Row.of(t, Instant.parse(ps.checkedAt).getEpochSecond()));
          gaps.add(MultiGauge.Row.of(t, ps.gaps == null ? 0 : ps.gaps.size()));
        }
      }
      var last = st == null ? null : st.lastDrill;
      if (last != null && !"Running".equals(last.result)) {
        if (last.rtoSeconds != null) rto.add(MultiGauge.Row.of(t, last.rtoSeconds));
        passed.add(MultiGauge.Row.of(t, "Passed".equals(last.result) ? 1 : 0));
      }
    }
    lastSuccess.register(success, true);
    period.register(periods, true);
    pitrUntil.register(until, true);
    pitrRpo.register(rpo, true);
    pitrGaps.register(gaps, true);
    pitrUp.register(up, true);
    pitrReport.register(report, true);
    drillRto.register(rto, true);
    drillPassed.register(passed, true);
    return registry.scrape();
  }

  /**
   * The metrics of these resources alone, in a registry of their own (no histogram events): for
   * tests and tools.
   */
  public static String render(
      List<Backup> backups, List<Restore> restores, List<BackupSchedule> schedules) {
    return new Metrics().scrape(backups, restores, schedules);
  }

  private static Tags phase(String namespace, io.coffer.api.Phase phase) {
    return Tags.of("namespace", namespace, "phase", phase == null ? "Pending" : phase.name());
  }

  /** One row per distinct tag set (null: not counted), valued by how many resources have it. */
  private static <T> List<MultiGauge.Row<?>> counts(List<T> items, Function<T, Tags> tags) {
    Map<String, Tags> keys = new TreeMap<>();
    Map<String, Integer> n = new TreeMap<>();
    for (T item : items) {
      Tags t = tags.apply(item);
      if (t == null) continue;
      String k = t.toString();
      keys.put(k, t);
      n.merge(k, 1, Integer::sum);
    }
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    n.forEach((k, v) -> rows.add(MultiGauge.Row.of(keys.get(k), v)));
    return rows;
  }

  private static Long period(BackupSchedule s) {
    try {
      ZoneId zone = ZoneId.of(s.getSpec().timeZone == null ? "UTC" : s.getSpec().timeZone);
      Cron cron = Cron.parse(ScheduleDecider.cronOf(s.getSpec()));
      ZonedDateTime a = cron.next(ZonedDateTime.now(zone), zone);
      ZonedDateTime b = a == null ? null : cron.next(a, zone);
      return b == null ? null : Duration.between(a, b).getSeconds();
    } catch (RuntimeException e) {
      return null; // an invalid spec: its status says why
    }
  }
}
