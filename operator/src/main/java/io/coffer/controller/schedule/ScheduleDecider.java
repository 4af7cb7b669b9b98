package io.coffer.controller.schedule;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleSpec;
import io.coffer.api.BackupScheduleStatus;
import io.coffer.api.Phase;
import io.coffer.controller.Action;
import io.coffer.controller.Decision;
import io.coffer.controller.backup.VerificationDecider;
import io.coffer.job.JobFactory;
import io.coffer.job.JobObserver;
import io.coffer.job.Requests;
import io.coffer.job.SpecWords;
import io.coffer.protocol.OplogWindow;
import io.coffer.protocol.Protocol;
import io.coffer.schedule.Cron;
import io.coffer.schedule.Retention;
import io.coffer.status.BackupStatusMapper;
import io.coffer.status.Conditions;
import io.coffer.status.Reason;
import io.coffer.status.Statuses;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A BackupSchedule, as a pure function of the schedule, its Backups and the time: the due run's
 * Backup (at most one catch-up after downtime, honouring suspend, the concurrency policy and the
 * starting deadline), retention, verification requests, and the report. It creates Backups, never
 * Jobs.
 */
public final class ScheduleDecider {
  public static final String LABEL_SCHEDULE = "coffer.io/schedule";
  private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmm");
  public static final String POINT_IN_TIME_READY = "PointInTimeReady";

  /** True while the last restore drill failed (spec.drill). */
  public static final String DRILL_FAILED = "DrillFailed";

  /** How often a schedule with an archiver looks at its report (the window moves). */
  static final Duration ARCHIVER_POLL = Duration.ofSeconds(30);

  private final Duration poll;
  private final JobFactory.Settings settings;

  /** {@code poll}: the longest wait between two looks (the next run wakes it earlier). */
  public ScheduleDecider(Duration poll) {
    this(poll, new JobFactory.Settings("coffer:latest", "IfNotPresent"));
  }

  /** {@code settings}: the image an archiver's pod runs. */
  public ScheduleDecider(Duration poll, JobFactory.Settings settings) {
    this.poll = poll;
    this.settings = settings;
  }

  /** A structured frequency as cron. */
  public static String cronOf(BackupScheduleSpec spec) {
    if (spec.schedule != null) return spec.schedule;
    BackupScheduleSpec.Frequency f = spec.frequency;
    String[] hm = f.time.split(":");
    String mh = Integer.parseInt(hm[1]) + " " + Integer.parseInt(hm[0]);
    return switch (f.every) {
      case Daily -> mh + " * * *";
      case Weekly -> mh + " * * " + (f.dayOfWeek.ordinal() + 1) % 7;
      case Monthly -> mh + " " + f.dayOfMonth + " * *";
    };
  }

  public Decision<BackupScheduleStatus> decide(
      BackupSchedule schedule, ScheduleObservation o, Instant instant) {
    BackupScheduleStatus s = Statuses.copyOr(schedule.getStatus(), new BackupScheduleStatus());
    var d = new Decision.Builder<BackupScheduleStatus>();
    s.observedGeneration = schedule.getMetadata().getGeneration();
    BackupScheduleSpec spec = schedule.getSpec();
    Cron cron;
    Cron verifyCron;
    ZoneId zone;
    Retention.Policy policy;
    try {
      cron = Cron.parse(cronOf(spec));
      verifyCron = spec.verificationSchedule == null ? null : Cron.parse(spec.verificationSchedule);
      zone = ZoneId.of(spec.timeZone == null ? "UTC" : spec.timeZone);
      var r = spec.retention;
      policy =
          r == null
              ? new Retention.Policy(null, null, null, null, null, 3)
              : new Retention.Policy(
                  Retention.parseAge(r.maxAge),
                  r.keepLast,
                  r.keepDaily,
                  r.keepWeekly,
                  r.keepMonthly,
                  r.failedHistoryLimit == null ? 3 : r.failedHistoryLimit);
    } catch (RuntimeException e) {
      String msg =
          e instanceof DateTimeException
              ? "spec.timeZone: unknown time zone '"
                  + spec.timeZone
                  + "': use an IANA name such as Europe/Berlin"
              : e.getMessage();
      Conditions.working(s.conditions, Reason.InvalidSpec, msg, s.observedGeneration, instant);
      return d.done(s, null);
    }
    ZonedDateTime now = instant.atZone(zone);
    if (!Boolean.TRUE.equals(spec.suspend)) runIfDue(schedule, s, cron, zone, now, o.backups(), d);
    Instant lockExpiry = prune(o, s, policy, zone, instant, d);
    if (Boolean.TRUE.equals(spec.verifyAfterEachBackup)) requestVerification(o.backups(), d);
    if (verifyCron != null) verifyOnSchedule(schedule, s, verifyCron, zone, now, o.backups(), d);
    drill(schedule, s, o, zone, now, d);
    report(s, o.backups(), cron, zone, now);
    boolean archiving = pointInTime(schedule, s, o, instant, d);
    boolean suspended = Boolean.TRUE.equals(spec.suspend);
    Conditions.ready(
        s.conditions,
        suspended ? Reason.Suspended : Reason.Scheduled,
        suspended ? "suspended" : "next run at " + s.nextScheduleTime,
        s.observedGeneration,
        instant);
    Duration wait =
        s.nextScheduleTime == null
            ? poll
            : Duration.between(now, ZonedDateTime.parse(s.nextScheduleTime)).plusSeconds(1);
    Duration longest = archiving && ARCHIVER_POLL.compareTo(poll) < 0 ? ARCHIVER_POLL : poll;
    if (lockExpiry != null) { // a Backup retention keeps for its lock: look again when it ends
      Duration untilExpiry = Duration.between(instant, lockExpiry).plusSeconds(1);
      if (untilExpiry.compareTo(wait) < 0) wait = untilExpiry;
    }
    return d.done(s, wait.isNegative() || wait.compareTo(longest) > 0 ? longest : wait);
  }

  /**
   * The archiver of {@code spec.pointInTime}: its Deployment made, replaced when its pod changes,
   * removed when it is off; {@code status.pointInTime} from its report (the last one stays while
   * its pod restarts), an event for each new gap, and the PointInTimeReady condition (the window
   * reaches within rpoTarget of now). Returns whether an archiver runs.
   */
  private boolean pointInTime(
      BackupSchedule schedule,
      BackupScheduleStatus s,
      ScheduleObservation o,
      Instant now,
      Decision.Builder<BackupScheduleStatus> d) {
    BackupScheduleSpec.PointInTimeSpec pit = schedule.getSpec().pointInTime;
    boolean on = pit != null && Boolean.TRUE.equals(pit.enabled);
    Deployment existing = o.deployment();
    if (!on) {
      if (existing != null) {
        d.act(new Action.Delete(existing));
        d.event(
            Reason.ArchiverStopped,
            "stopped the oplog archiver "
                + existing.getMetadata().getName()
                + " (spec.pointInTime is off); its slices stay in storage");
      }
      s.pointInTime = null;
      s.conditions.removeIf(c -> POINT_IN_TIME_READY.equals(c.getType()));
      return false;
    }
    Deployment desired = JobFactory.archiver(schedule, LABEL_SCHEDULE, settings);
    String name = desired.getMetadata().getName();
    if (existing == null) {
      d.act(new Action.Create(desired));
      d.event(Reason.ArchiverStarted, "started the oplog archiver " + name);
    } else if (!Objects.equals(hash(existing), hash(desired))) {
      // updated in place: its Recreate strategy ends the old pod (which writes its open slice)
      // before the new one starts
      d.act(new Action.Apply(desired));
      d.event(
          Reason.ArchiverReplaced,
          "replacing the oplog archiver " + name + "'s pod: its spec changed");
    }
    BackupScheduleStatus.PointInTimeStatus old = s.pointInTime;
    BackupScheduleStatus.PointInTimeStatus p =
        old == null ? new BackupScheduleStatus.PointInTimeStatus() : old;
    Set<String> known = new HashSet<>();
    if (old != null && old.gaps != null) for (var g : old.gaps) known.add(g.from + "/" + g.to);
    p.archiver = name;
    ScheduleObservation.Archiver a = o.archiver();
    OplogWindow w = a == null ? null : a.window();
    if (w != null) {
      p.recoverableFrom = w.recoverableFrom();
      p.recoverableUntil = w.recoverableUntil();
      p.lastSliceAt = w.lastSliceAt();
      p.checkedAt = w.checkedAt();
      p.slices = w.slices();
      p.entries = w.entries();
      p.size = BackupStatusMapper.human(w.bytes());
      p.gaps = new ArrayList<>();
      for (OplogWindow.Gap g : w.gaps()) {
        BackupScheduleStatus.Gap x = new BackupScheduleStatus.Gap();
        x.from = g.from();
        x.to = g.to();
        x.reason = g.reason();
        p.gaps.add(x);
      }
      for (BackupScheduleStatus.Gap g : p.gaps) {
        if (known.contains(g.from + "/" + g.to)) continue;
        d.warning(
            Reason.OplogGap,
            "the oplog archive has a gap from "
                + g.from
                + " to "
                + g.to
                + ": "
                + g.reason
                + "; no restore reaches into it");
      }
    }
    p.state =
        a != null && a.running() && w != null
            ? "Running"
            : a == null || (a.running() && w == null && a.lastFailure() == null)
                ? "Starting"
                : "NotReporting";
    s.pointInTime = p;
    Duration rpo = rpoTarget(pit);
    String failure =
        a != null && a.lastFailure() != null && !"Running".equals(p.state)
            ? ": " + SpecWords.schedule(a.lastFailure(), schedule)
            : "";
    if (!"Running".equals(p.state) && w == null && p.recoverableUntil == null) {
      Conditions.set(
          s.conditions,
          POINT_IN_TIME_READY,
          false,
          "Starting".equals(p.state) ? Reason.ArchiverStarting : Reason.ArchiverNotReporting,
          "Starting".equals(p.state)
              ? "the oplog archiver " + name + " has not reported yet"
              : "the oplog archiver " + name + " does not run" + failure,
          s.observedGeneration,
          now);
    } else if (p.recoverableUntil == null) {
      Conditions.set(
          s.conditions,
          POINT_IN_TIME_READY,
          false,
          Reason.NoWindow,
          "no point-in-time backup lies in the archived oplog yet: the next backup opens the window",
          s.observedGeneration,
          now);
    } else {
      Duration behind = Duration.between(Instant.parse(p.recoverableUntil), now);
      boolean ok = behind.compareTo(rpo) <= 0;
      Conditions.set(
          s.conditions,
          POINT_IN_TIME_READY,
          ok,
          ok ? Reason.WithinRpo : Reason.RpoMissed,
          "restorable to any second from "
              + p.recoverableFrom
              + " to "
              + p.recoverableUntil
              + (ok
                  ? ""
                  : ", "
                      + behind.toSeconds()
                      + " s ago: more than spec.pointInTime.rpoTarget ("
                      + rpo.toSeconds()
                      + " s)"
                      + ("Running".equals(p.state) ? "" : "; the archiver does not run" + failure)),
          s.observedGeneration,
          now);
    }
    return true;
  }

  /** A schedule's recovery point objective: its rpoTarget, else twice its slice interval. */
  public static Duration rpoTarget(BackupScheduleSpec.PointInTimeSpec pit) {
    return Duration.ofSeconds(
        pit.rpoTarget != null
            ? Requests.seconds(pit.rpoTarget)
            : 2L * Requests.seconds(pit.sliceInterval == null ? "10m" : pit.sliceInterval));
  }

  private static String hash(Deployment dep) {
    return dep.getMetadata().getAnnotations() == null
        ? null
        : dep.getMetadata().getAnnotations().get(JobFactory.ANNOTATION_POD_HASH);
  }

  private void runIfDue(
      BackupSchedule schedule,
      BackupScheduleStatus s,
      Cron cron,
      ZoneId zone,
      ZonedDateTime now,
      List<Backup> backups,
      Decision.Builder<BackupScheduleStatus> d) {
    ZonedDateTime due = due(s.lastScheduleTime, schedule, cron, zone, now);
    if (due == null) return;
    s.lastScheduleTime = due.toOffsetDateTime().toString();
    String name = schedule.getMetadata().getName() + "-" + due.format(NAME_TIME);
    // this run's Backup exists already: a look from a stale cache of this schedule's status;
    // nothing to do
    if (backups.stream().anyMatch(x -> x.getMetadata().getName().equals(name))) return;
    Long deadline = schedule.getSpec().startingDeadlineSeconds;
    if (deadline != null && Duration.between(due, now).getSeconds() > deadline) {
      d.warning(
          Reason.RunSkipped,
          "missed the run of "
              + due
              + " by more than "
              + deadline
              + " s (spec.startingDeadlineSeconds); skipped");
      return;
    }
    List<Backup> active =
        backups.stream().filter(b -> state(b) == Retention.State.RUNNING).toList();
    switch (schedule.getSpec().concurrencyPolicy) {
      case Forbid -> {
        if (!active.isEmpty()) {
          d.warning(
              Reason.RunSkipped,
              "skipped the run of "
                  + due
                  + ": Backup "
                  + active.get(0).getMetadata().getName()
                  + " still runs (spec.concurrencyPolicy Forbid)");
          return;
        }
      }
      case Replace ->
          active.forEach(
              b -> {
                d.event(
                    Reason.RunReplaced,
                    "stopping Backup "
                        + b.getMetadata().getName()
                        + " for the run of "
                        + due
                        + " (spec.concurrencyPolicy Replace)");
                d.act(new Action.Delete(b));
              });
      default -> {}
    }
    Backup b = new Backup();
    b.getMetadata().setName(name);
    b.getMetadata().setNamespace(schedule.getMetadata().getNamespace());
    b.getMetadata()
        .setLabels(new HashMap<>(Map.of(LABEL_SCHEDULE, schedule.getMetadata().getName())));
    b.getMetadata()
        .setOwnerReferences(
            List.of(
                new OwnerReferenceBuilder()
                    .withApiVersion(schedule.getApiVersion())
                    .withKind(schedule.getKind())
                    .withName(schedule.getMetadata().getName())
                    .withUid(schedule.getMetadata().getUid())
                    .withController(true)
                    .build()));
    // who asked for it: the schedule's requester (the API server lets only the operator set it)
    Map<String, String> asked = new HashMap<>();
    Map<String, String> own = schedule.getMetadata().getAnnotations();
    if (own != null && own.get(Backup.REQUESTED_BY) != null)
      asked.put(Backup.REQUESTED_BY, own.get(Backup.REQUESTED_BY));
    asked.put(Backup.REQUESTED_VIA, "schedule " + schedule.getMetadata().getName());
    b.getMetadata().setAnnotations(asked);
    b.setSpec(schedule.getSpec().template);
    d.act(new Action.Create(b));
    d.event(Reason.BackupCreated, "created Backup " + name + " for the run of " + due);
  }

  /** The latest firing after {@code last} (else the schedule's creation) up to now, or null. */
  private static ZonedDateTime due(
      String last, BackupSchedule schedule, Cron cron, ZoneId zone, ZonedDateTime now) {
    String sinceText = last != null ? last : schedule.getMetadata().getCreationTimestamp();
    ZonedDateTime since =
        sinceText == null
            ? now.minusMinutes(1)
            : ZonedDateTime.parse(sinceText).withZoneSameInstant(zone);
    return cron.latestBetween(since, now, zone);
  }

  /**
   * On each firing of the verification cron, asks for a verification of the newest succeeded
   * Backup.
   */
  private void verifyOnSchedule(
      BackupSchedule schedule,
      BackupScheduleStatus s,
      Cron cron,
      ZoneId zone,
      ZonedDateTime now,
      List<Backup> backups,
      Decision.Builder<BackupScheduleStatus> d) {
    ZonedDateTime due = due(s.lastVerificationTime, schedule, cron, zone, now);
    if (due == null) return;
    s.lastVerificationTime = due.toOffsetDateTime().toString();
    backups.stream()
        .filter(b -> state(b) == Retention.State.SUCCEEDED)
        .max(Comparator.comparing(b -> time(b, now.toInstant())))
        .ifPresent(
            b ->
                d.act(
                    new Action.Annotate(
                        b, VerificationDecider.ANNOTATION, "scheduled-" + due.toOffsetDateTime())));
  }

  /**
   * Restore drills ({@code spec.drill}): on each firing of the drill's cron, when a succeeded
   * Backup exists, one drill Job (the newest complete backup in storage); its outcome goes to
   * {@code status.lastDrill}, an event, and the DrillFailed condition.
   */
  private void drill(
      BackupSchedule schedule,
      BackupScheduleStatus s,
      ScheduleObservation o,
      ZoneId zone,
      ZonedDateTime now,
      Decision.Builder<BackupScheduleStatus> d) {
    BackupScheduleSpec.DrillSpec spec = schedule.getSpec().drill;
    if (spec == null) {
      s.conditions.removeIf(c -> DRILL_FAILED.equals(c.getType()));
      return;
    }
    BackupScheduleStatus.Drill last = s.lastDrill;
    if (last != null && "Running".equals(last.result)) {
      Job job = o.drill(last.jobName);
      if (job == null) return; // not seen yet
      JobObserver.Outcome out = JobObserver.observe(job, o.drillPods());
      Instant at = now.toInstant();
      if (out.state() == JobObserver.State.SUCCEEDED) {
        last.result = "Passed";
        if (out.result() instanceof Protocol.Drill r) {
          last.backupId = r.result().backupId();
          last.rtoSeconds = r.result().rtoSeconds();
          last.collections = r.result().collections();
          last.documents = r.result().documents();
          last.files = r.result().files();
          last.message = r.result().message();
        }
        d.event(Reason.DrillPassed, "restore drill " + last.count + " passed: " + last.message);
        Conditions.set(
            s.conditions,
            DRILL_FAILED,
            false,
            Reason.DrillPassed,
            "the last restore drill passed: " + last.message,
            s.observedGeneration,
            at);
      } else if (out.state() == JobObserver.State.FAILED) {
        last.result = "Failed";
        last.message = SpecWords.drill(BackupStatusMapper.errorOf(out.result()), schedule);
        d.warning(Reason.DrillFailed, "restore drill " + last.count + " failed: " + last.message);
        Conditions.set(
            s.conditions,
            DRILL_FAILED,
            true,
            Reason.DrillFailed,
            "the last restore drill failed: " + last.message,
            s.observedGeneration,
            at);
      }
      return;
    }
    Cron cron;
    try {
      cron = Cron.parse(spec.schedule == null ? "@monthly" : spec.schedule);
    } catch (RuntimeException e) {
      Conditions.set(
          s.conditions,
          DRILL_FAILED,
          true,
          Reason.InvalidSpec,
          "spec.drill.schedule: " + e.getMessage(),
          s.observedGeneration,
          now.toInstant());
      return;
    }
    ZonedDateTime due = due(last == null ? null : last.time, schedule, cron, zone, now);
    if (due == null) return;
    boolean any = o.backups().stream().anyMatch(b -> state(b) == Retention.State.SUCCEEDED);
    if (!any) return; // nothing to drill yet: the next firing tries again
    int n = last == null || last.count == null ? 1 : last.count + 1;
    Job job = JobFactory.drillJob(schedule, LABEL_SCHEDULE, n, settings);
    d.act(new Action.CreateJob(job));
    BackupScheduleStatus.Drill next = new BackupScheduleStatus.Drill();
    next.count = n;
    next.time = due.toOffsetDateTime().toString();
    next.result = "Running";
    next.jobName = job.getMetadata().getName();
    s.lastDrill = next;
    d.event(Reason.Drilling, "restore drill " + n + " started: Job " + next.jobName);
  }

  /**
   * Asks each succeeded Backup for one verification (annotation coffer.io/verify-requested), once.
   */
  private static void requestVerification(
      List<Backup> backups, Decision.Builder<BackupScheduleStatus> d) {
    for (Backup b : backups) {
      boolean asked =
          b.getMetadata().getAnnotations() != null
              && b.getMetadata().getAnnotations().containsKey(VerificationDecider.ANNOTATION);
      if (state(b) == Retention.State.SUCCEEDED && !asked)
        d.act(new Action.Annotate(b, VerificationDecider.ANNOTATION, "after-backup"));
    }
  }

  /**
   * Deletes the Backups retention lets go, except those another builds on and those under Object
   * Lock (said in {@code status.retentionWaiting}); returns the first such lock's expiry, or null.
   */
  private static Instant prune(
      ScheduleObservation o,
      BackupScheduleStatus s,
      Retention.Policy policy,
      ZoneId zone,
      Instant now,
      Decision.Builder<BackupScheduleStatus> d) {
    List<Retention.Item> items =
        o.backups().stream()
            .map(b -> new Retention.Item(b.getMetadata().getName(), time(b, now), state(b)))
            .toList();
    Set<String> doomed = Retention.prune(items, policy, now, zone);
    int locked = 0;
    Instant firstExpiry = null;
    for (Backup b : o.backups()) {
      String name = b.getMetadata().getName();
      if (!doomed.contains(name) || o.parents().contains(name))
        continue; // a Backup another builds on stays
      Instant until = lockedUntil(b);
      if (until != null && until.isAfter(now)) { // kept until its Object Lock expires
        locked++;
        if (firstExpiry == null || until.isBefore(firstExpiry)) firstExpiry = until;
        continue;
      }
      if (b.getMetadata().getDeletionTimestamp() != null) continue;
      d.act(new Action.Delete(b));
      d.event(Reason.Pruned, "retention: deleting Backup " + name + " and its stored objects");
    }
    s.retentionWaiting =
        locked == 0
            ? null
            : locked
                + (locked == 1 ? " Backup waits" : " Backups wait")
                + " for its Object Lock to expire before retention deletes it (the first at "
                + firstExpiry
                + ")";
    return firstExpiry;
  }

  private static Instant lockedUntil(Backup b) {
    return b.getStatus() == null || b.getStatus().lockedUntil == null
        ? null
        : Instant.parse(b.getStatus().lockedUntil);
  }

  private static void report(
      BackupScheduleStatus s, List<Backup> backups, Cron cron, ZoneId zone, ZonedDateTime now) {
    ZonedDateTime next = cron.next(now, zone);
    s.nextScheduleTime = next == null ? null : next.toOffsetDateTime().toString();
    Instant at = now.toInstant();
    List<Backup> ok =
        backups.stream()
            .filter(b -> state(b) == Retention.State.SUCCEEDED)
            .sorted(Comparator.comparing((Backup b) -> time(b, at)).reversed())
            .toList();
    s.lastSuccessfulBackup =
        ok.isEmpty() ? s.lastSuccessfulBackup : ok.get(0).getMetadata().getName();
    s.lastSuccessfulTime = ok.isEmpty() ? s.lastSuccessfulTime : ok.get(0).getStatus().completedAt;
    backups.stream()
        .filter(b -> state(b) == Retention.State.FAILED)
        .max(Comparator.comparing(b -> time(b, at)))
        .ifPresent(b -> s.lastFailedBackup = b.getMetadata().getName());
    s.active =
        backups.stream()
            .filter(b -> state(b) == Retention.State.RUNNING)
            .map(b -> b.getMetadata().getName())
            .sorted()
            .toList();
    s.retained = ok.size();
    s.totalStoredBytes =
        ok.stream()
            .mapToLong(b -> b.getStatus().storedBytes == null ? 0 : b.getStatus().storedBytes)
            .sum();
    s.totalSize = BackupStatusMapper.human(s.totalStoredBytes);
  }

  private static Instant time(Backup b, Instant now) {
    String t =
        b.getStatus() != null && b.getStatus().completedAt != null
            ? b.getStatus().completedAt
            : b.getMetadata().getCreationTimestamp();
    return t == null ? now : Instant.parse(t);
  }

  private static Retention.State state(Backup b) {
    Phase p = b.getStatus() == null ? null : b.getStatus().phase;
    return p == Phase.Succeeded
        ? Retention.State.SUCCEEDED
        : p == Phase.Failed ? Retention.State.FAILED : Retention.State.RUNNING;
  }
}
