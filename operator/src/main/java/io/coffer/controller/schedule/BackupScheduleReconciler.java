package io.coffer.controller.schedule;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.controller.Actuator;
import io.coffer.controller.Caches;
import io.coffer.controller.JobEventSources;
import io.coffer.controller.Notifier;
import io.coffer.controller.Writes;
import io.coffer.job.JobFactory;
import io.coffer.protocol.OplogWindow;
import io.coffer.protocol.Protocol;
import io.coffer.protocol.Purpose;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
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
import java.util.ArrayList;
import java.util.Comparator;
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

  public BackupScheduleReconciler(
      Clock clock,
      Duration poll,
      JobFactory.Settings settings,
      Caches caches,
      Writes writes,
      Notifier notifier) {
    this.writes = writes;
    this.decider = new ScheduleDecider(poll, settings);
    this.actuator = new Actuator(clock, notifier);
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
    // the oplog archivers (spec.pointInTime): their Deployments and pods
    String archivers =
        JobFactory.LABEL_MANAGED_BY
            + "="
            + JobFactory.MANAGER
            + ","
            + JobFactory.LABEL_PURPOSE
            + "="
            + JobFactory.ARCHIVER;
    var deployments =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Deployment.class, BackupSchedule.class)
                .withName("schedule-archivers")
                .withLabelSelector(archivers)
                .withSecondaryToPrimaryMapper(
                    JobEventSources.<Deployment>byLabel(ScheduleDecider.LABEL_SCHEDULE))
                .build(),
            ctx);
    var pods =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Pod.class, BackupSchedule.class)
                .withName("schedule-archiver-pods")
                .withLabelSelector(archivers)
                .withSecondaryToPrimaryMapper(
                    JobEventSources.<Pod>byLabel(ScheduleDecider.LABEL_SCHEDULE))
                .build(),
            ctx);
    List<EventSource<?, BackupSchedule>> sources =
        new ArrayList<>(List.of(backups, deployments, pods));
    // the restore drills (spec.drill): their Jobs and pods
    sources.addAll(
        JobEventSources.of(
            ctx,
            BackupSchedule.class,
            "schedule-drill",
            Purpose.DRILL,
            ScheduleDecider.LABEL_SCHEDULE));
    return sources;
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
    Deployment deployment =
        ctx.getSecondaryResources(Deployment.class).stream()
            .filter(x -> x.getMetadata().getDeletionTimestamp() == null)
            .findFirst()
            .orElse(null);
    Set<Pod> allPods = ctx.getSecondaryResources(Pod.class);
    Set<Pod> archiverPods =
        allPods.stream().filter(p -> isPurpose(p, JobFactory.ARCHIVER)).collect(Collectors.toSet());
    List<Pod> drillPods =
        allPods.stream().filter(p -> isPurpose(p, Purpose.DRILL.label())).toList();
    return new ScheduleObservation(
        own,
        parents,
        deployment,
        archiver(schedule, archiverPods, ctx),
        List.copyOf(ctx.getSecondaryResources(Job.class)),
        drillPods);
  }

  private static boolean isPurpose(Pod p, String purpose) {
    return p.getMetadata().getLabels() != null
        && purpose.equals(p.getMetadata().getLabels().get(JobFactory.LABEL_PURPOSE));
  }

  /**
   * What the archiver's pod says: the newest window in its log (read only while it runs), and why
   * its container last stopped. The newest pod when a replaced one still ends.
   */
  private ScheduleObservation.Archiver archiver(
      BackupSchedule schedule, Set<Pod> pods, Context<BackupSchedule> ctx) {
    Pod pod =
        pods.stream()
            .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
            .max(Comparator.comparing(p -> String.valueOf(p.getMetadata().getCreationTimestamp())))
            .orElse(null);
    if (pod == null) return null;
    boolean running = pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase());
    String failure = null;
    if (pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null) {
      for (ContainerStatus c : pod.getStatus().getContainerStatuses()) {
        var t = c.getLastState() == null ? null : c.getLastState().getTerminated();
        if (t == null && c.getState() != null) t = c.getState().getTerminated();
        if (t != null)
          failure =
              t.getMessage() != null && !t.getMessage().isBlank()
                  ? failureOf(t.getMessage())
                  : "its container ended (exit " + t.getExitCode() + ")";
        if (c.getState() != null && c.getState().getRunning() == null) running = false;
      }
    }
    OplogWindow window = null;
    if (running) {
      try {
        String log =
            ctx.getClient()
                .pods()
                .inNamespace(schedule.getMetadata().getNamespace())
                .withName(pod.getMetadata().getName())
                .tailingLines(400)
                .getLog();
        for (String line : log.split("\n")) {
          OplogWindow w = Protocol.window(line.strip());
          if (w != null) window = w;
        }
      } catch (KubernetesClientException e) {
        // the log cannot be read now: the last window stays in the status
      }
    }
    return new ScheduleObservation.Archiver(pod.getMetadata().getName(), running, window, failure);
  }

  /** The engine's failure line from a termination message, or the message as it was. */
  private static String failureOf(String message) {
    Protocol.Outcome o = Protocol.outcome(message, Purpose.OPLOG_ARCHIVE);
    if (o instanceof Protocol.Failed f) return f.failure().message();
    String m = message.strip();
    return m.length() > 500 ? m.substring(m.length() - 500) : m;
  }
}
