package io.coffer.controller.schedule;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleSpec;
import io.coffer.api.BackupScheduleStatus;
import io.coffer.api.Phase;
import io.coffer.controller.EventRecorder;
import io.coffer.controller.JobEventSources;
import io.coffer.schedule.Cron;
import io.coffer.schedule.Retention;
import io.coffer.status.BackupStatusMapper;
import io.coffer.status.Conditions;
import io.coffer.status.Reason;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * BackupSchedule: creates the due Backup (at most one catch-up after downtime, honouring suspend, the
 * concurrency policy and the starting deadline), prunes by retention, and reports. It creates Backups, never Jobs.
 */
@ControllerConfiguration(name = "backupschedule")
public class BackupScheduleReconciler implements Reconciler<BackupSchedule> {
  public static final String LABEL_SCHEDULE = "coffer.io/schedule";
  private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmm");
  private final Clock clock;
  private final Duration poll;
  private final EventRecorder events;

  /** {@code poll}: the longest wait between two looks (the next run wakes it earlier). */
  public BackupScheduleReconciler(Clock clock, Duration poll) {
    this.clock = clock;
    this.poll = poll;
    this.events = new EventRecorder(clock);
  }

  @Override
  public List<EventSource<?, BackupSchedule>> prepareEventSources(EventSourceContext<BackupSchedule> ctx) {
    return List.of(new InformerEventSource<>(InformerEventSourceConfiguration.from(Backup.class, BackupSchedule.class)
        .withName("scheduled-backups").withLabelSelector(LABEL_SCHEDULE).withSecondaryToPrimaryMapper(JobEventSources.<Backup>byLabel(LABEL_SCHEDULE)).build(), ctx));
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

  @Override
  public UpdateControl<BackupSchedule> reconcile(BackupSchedule schedule, Context<BackupSchedule> ctx) {
    BackupScheduleStatus s = schedule.getStatus() != null ? schedule.getStatus() : new BackupScheduleStatus();
    schedule.setStatus(s);
    s.observedGeneration = schedule.getMetadata().getGeneration();
    BackupScheduleSpec spec = schedule.getSpec();
    Cron cron;
    ZoneId zone;
    Retention.Policy policy;
    try {
      cron = Cron.parse(cronOf(spec));
      if (spec.verificationSchedule != null) Cron.parse(spec.verificationSchedule);
      zone = ZoneId.of(spec.timeZone == null ? "UTC" : spec.timeZone);
      var r = spec.retention;
      policy = r == null ? new Retention.Policy(null, null, null, null, null, 3) : new Retention.Policy(Retention.parseAge(r.maxAge),
          r.keepLast, r.keepDaily, r.keepWeekly, r.keepMonthly, r.failedHistoryLimit == null ? 3 : r.failedHistoryLimit);
    } catch (RuntimeException e) {
      String msg = e instanceof java.time.DateTimeException ? "unknown time zone '" + spec.timeZone + "': use an IANA name such as Europe/Berlin"
          : e.getMessage();
      Conditions.set(s.conditions, Conditions.READY, false, Reason.InvalidSpec, msg, s.observedGeneration, clock);
      io.coffer.status.StatusWriter.replace(schedule, ctx);
      return UpdateControl.noUpdate();
    }
    ZonedDateTime now = Instant.now(clock).atZone(zone);
    List<Backup> backups = ctx.getSecondaryResources(Backup.class).stream()
        .filter(b -> b.getMetadata().getDeletionTimestamp() == null).toList();
    if (!Boolean.TRUE.equals(spec.suspend)) runIfDue(schedule, s, cron, zone, now, backups, ctx);
    prune(schedule, backups, policy, zone, ctx);
    if (Boolean.TRUE.equals(spec.verifyAfterEachBackup)) requestVerification(backups, ctx);
    if (spec.verificationSchedule != null) verifyOnSchedule(schedule, s, Cron.parse(spec.verificationSchedule), zone, now, backups, ctx);
    report(s, backups, cron, zone, now);
    Conditions.set(s.conditions, Conditions.READY, true, Reason.Running, Boolean.TRUE.equals(spec.suspend) ? "suspended"
        : "next run at " + s.nextScheduleTime, s.observedGeneration, clock);
    Duration wait = s.nextScheduleTime == null ? poll : Duration.between(now, ZonedDateTime.parse(s.nextScheduleTime)).plusSeconds(1);
    io.coffer.status.StatusWriter.replace(schedule, ctx); // writes nothing when the status did not change
    return UpdateControl.<BackupSchedule>noUpdate().rescheduleAfter(wait.isNegative() || wait.compareTo(poll) > 0 ? poll : wait);
  }

  private void runIfDue(BackupSchedule schedule, BackupScheduleStatus s, Cron cron, ZoneId zone, ZonedDateTime now, List<Backup> backups,
      Context<BackupSchedule> ctx) {
    String sinceText = s.lastScheduleTime != null ? s.lastScheduleTime : schedule.getMetadata().getCreationTimestamp();
    ZonedDateTime since = sinceText == null ? now.minusMinutes(1) : ZonedDateTime.parse(sinceText).withZoneSameInstant(zone);
    ZonedDateTime due = cron.latestBetween(since, now, zone);
    if (due == null) return;
    s.lastScheduleTime = due.toOffsetDateTime().toString();
    String name = schedule.getMetadata().getName() + "-" + due.format(NAME_TIME);
    // this run's Backup exists already: a look from a stale cache of this schedule's status; nothing to do
    if (backups.stream().anyMatch(x -> x.getMetadata().getName().equals(name))) return;
    Long deadline = schedule.getSpec().startingDeadlineSeconds;
    if (deadline != null && Duration.between(due, now).getSeconds() > deadline) {
      events.warning(ctx.getClient(), schedule, Reason.Waiting, "missed the run of " + due + " by more than " + deadline + " s; skipped");
      return;
    }
    List<Backup> active = backups.stream().filter(b -> b.getStatus() == null || b.getStatus().phase == null || !b.getStatus().phase.terminal())
        .filter(b -> !b.getMetadata().getName().equals(name)).toList();
    switch (schedule.getSpec().concurrencyPolicy) {
      case Forbid -> {
        if (!active.isEmpty()) {
          events.warning(ctx.getClient(), schedule, Reason.Waiting, "skipped the run of " + due + ": Backup "
              + active.get(0).getMetadata().getName() + " still runs (concurrencyPolicy Forbid)");
          return;
        }
      }
      case Replace -> active.forEach(b -> ctx.getClient().resource(b).delete());
      default -> { }
    }
    Backup b = new Backup();
    b.getMetadata().setName(name);
    b.getMetadata().setNamespace(schedule.getMetadata().getNamespace());
    b.getMetadata().setLabels(new java.util.HashMap<>(Map.of(LABEL_SCHEDULE, schedule.getMetadata().getName())));
    b.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder().withApiVersion(schedule.getApiVersion())
        .withKind(schedule.getKind()).withName(schedule.getMetadata().getName()).withUid(schedule.getMetadata().getUid())
        .withController(true).build()));
    b.setSpec(schedule.getSpec().template);
    try {
      ctx.getClient().resource(b).create();
      events.normal(ctx.getClient(), schedule, Reason.JobCreated, "created Backup " + b.getMetadata().getName() + " for the run of " + due);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) throw e;
    }
  }

  /** On each firing of the verification cron, asks for a verification of the newest succeeded Backup. */
  private void verifyOnSchedule(BackupSchedule schedule, BackupScheduleStatus s, Cron cron, ZoneId zone, ZonedDateTime now,
      List<Backup> backups, Context<BackupSchedule> ctx) {
    String sinceText = s.lastVerificationTime != null ? s.lastVerificationTime : schedule.getMetadata().getCreationTimestamp();
    ZonedDateTime since = sinceText == null ? now.minusMinutes(1) : ZonedDateTime.parse(sinceText).withZoneSameInstant(zone);
    ZonedDateTime due = cron.latestBetween(since, now, zone);
    if (due == null) return;
    s.lastVerificationTime = due.toOffsetDateTime().toString();
    backups.stream().filter(b -> state(b) == Retention.State.SUCCEEDED).max(Comparator.comparing(this::time))
        .ifPresent(b -> annotate(b, "scheduled-" + due.toOffsetDateTime(), ctx));
  }

  private static void annotate(Backup b, String value, Context<BackupSchedule> ctx) {
    try {
      ctx.getClient().resources(Backup.class).inNamespace(b.getMetadata().getNamespace()).withName(b.getMetadata().getName())
          .edit(x -> {
            if (x.getMetadata().getAnnotations() == null) x.getMetadata().setAnnotations(new java.util.HashMap<>());
            x.getMetadata().getAnnotations().put(io.coffer.controller.verify.VerificationReconciler.ANNOTATION, value);
            return x;
          });
    } catch (KubernetesClientException e) {
      // asked again at the next look
    }
  }

  /** Asks the verification controller to check each succeeded Backup once (annotation coffer.io/verify-requested). */
  private static void requestVerification(List<Backup> backups, Context<BackupSchedule> ctx) {
    for (Backup b : backups) {
      boolean asked = b.getMetadata().getAnnotations() != null
          && b.getMetadata().getAnnotations().containsKey(io.coffer.controller.verify.VerificationReconciler.ANNOTATION);
      if (state(b) != Retention.State.SUCCEEDED || asked) continue;
      annotate(b, "after-backup", ctx);
    }
  }

  private void prune(BackupSchedule schedule, List<Backup> backups, Retention.Policy policy, ZoneId zone, Context<BackupSchedule> ctx) {
    List<Retention.Item> items = backups.stream().map(b -> new Retention.Item(b.getMetadata().getName(), time(b), state(b))).toList();
    java.util.Set<String> doomed = Retention.prune(items, policy, Instant.now(clock), zone);
    if (doomed.isEmpty()) return;
    // retention never breaks a chain: a Backup that an incremental one (of any schedule) builds on stays
    java.util.Set<String> parents = new java.util.HashSet<>();
    for (Backup b : ctx.getClient().resources(Backup.class).inNamespace(schedule.getMetadata().getNamespace()).list().getItems()) {
      if (b.getMetadata().getDeletionTimestamp() == null && b.getStatus() != null && b.getStatus().parent != null) parents.add(b.getStatus().parent);
    }
    for (String name : doomed) {
      if (parents.contains(name)) continue;
      backups.stream().filter(b -> b.getMetadata().getName().equals(name)).findFirst().ifPresent(b -> {
        ctx.getClient().resource(b).delete();
        events.normal(ctx.getClient(), schedule, Reason.Deleting, "retention: deleting Backup " + name + " and its stored objects");
      });
    }
  }

  private void report(BackupScheduleStatus s, List<Backup> backups, Cron cron, ZoneId zone, ZonedDateTime now) {
    ZonedDateTime next = cron.next(now, zone);
    s.nextScheduleTime = next == null ? null : next.toOffsetDateTime().toString();
    List<Backup> ok = backups.stream().filter(b -> state(b) == Retention.State.SUCCEEDED).sorted(Comparator.comparing(this::time).reversed()).toList();
    s.lastSuccessfulBackup = ok.isEmpty() ? s.lastSuccessfulBackup : ok.get(0).getMetadata().getName();
    s.lastSuccessfulTime = ok.isEmpty() ? s.lastSuccessfulTime : ok.get(0).getStatus().completedAt;
    backups.stream().filter(b -> state(b) == Retention.State.FAILED).max(Comparator.comparing(this::time))
        .ifPresent(b -> s.lastFailedBackup = b.getMetadata().getName());
    s.active = backups.stream().filter(b -> state(b) == Retention.State.RUNNING).map(b -> b.getMetadata().getName()).sorted().toList();
    s.retained = ok.size();
    s.totalStoredBytes = ok.stream().mapToLong(b -> b.getStatus().storedBytes == null ? 0 : b.getStatus().storedBytes).sum();
    s.totalSize = BackupStatusMapper.human(s.totalStoredBytes);
  }

  private Instant time(Backup b) {
    String t = b.getStatus() != null && b.getStatus().completedAt != null ? b.getStatus().completedAt : b.getMetadata().getCreationTimestamp();
    return t == null ? Instant.now(clock) : Instant.parse(t);
  }

  private static Retention.State state(Backup b) {
    Phase p = b.getStatus() == null ? null : b.getStatus().phase;
    return p == Phase.Succeeded ? Retention.State.SUCCEEDED : p == Phase.Failed ? Retention.State.FAILED : Retention.State.RUNNING;
  }
}
