package io.coffer.controller.schedule;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.controller.Actuator;
import io.coffer.controller.Caches;
import io.coffer.controller.JobEventSources;
import io.coffer.controller.Writes;
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
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * BackupSchedule: observe (its Backups and the chain parents of the namespace, from the Backup
 * informer), decide ({@link ScheduleDecider}), act (create and delete Backups, ask for
 * verifications, record events, patch the status). A change of any of its Backups wakes it.
 */
@ControllerConfiguration(name = "backupschedule")
public class BackupScheduleReconciler implements Reconciler<BackupSchedule> {
  private final ScheduleDecider decider;
  private final Actuator actuator;
  private final Clock clock;
  private final Caches caches;
  private final Writes writes;
  private InformerEventSource<Backup, BackupSchedule> backups;

  public BackupScheduleReconciler(Clock clock, Duration poll, Caches caches, Writes writes) {
    this.writes = writes;
    this.decider = new ScheduleDecider(poll);
    this.actuator = new Actuator(clock);
    this.clock = clock;
    this.caches = caches;
  }

  @Override
  public List<EventSource<?, BackupSchedule>> prepareEventSources(
      EventSourceContext<BackupSchedule> ctx) {
    caches.schedules(ctx.getPrimaryCache());
    // every Backup of the namespace: its own by label, and the others for the chains they form
    backups =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Backup.class, BackupSchedule.class)
                .withName("schedule-backups")
                .withSecondaryToPrimaryMapper(
                    JobEventSources.<Backup>byLabel(ScheduleDecider.LABEL_SCHEDULE))
                .build(),
            ctx);
    return List.of(backups);
  }

  @Override
  public UpdateControl<BackupSchedule> reconcile(
      BackupSchedule schedule, Context<BackupSchedule> ctx) {
    var d = decider.decide(schedule, observe(schedule, ctx), clock.instant());
    actuator.run(schedule, d.actions(), ctx);
    return writes.control(schedule, d, BackupSchedule::new, ctx);
  }

  private ScheduleObservation observe(BackupSchedule schedule, Context<BackupSchedule> ctx) {
    List<Backup> own =
        ctx.getSecondaryResources(Backup.class).stream()
            .filter(b -> b.getMetadata().getDeletionTimestamp() == null)
            .toList();
    Set<String> parents =
        backups
            .list(
                schedule.getMetadata().getNamespace(),
                b ->
                    b.getMetadata().getDeletionTimestamp() == null
                        && b.getStatus() != null
                        && b.getStatus().parent != null)
            .map(b -> b.getStatus().parent)
            .collect(Collectors.toSet());
    return new ScheduleObservation(own, parents);
  }
}
