package io.coffer.controller;

import io.coffer.controller.backup.BackupReconciler;
import io.coffer.controller.restore.RestoreReconciler;
import io.coffer.controller.schedule.BackupScheduleReconciler;
import io.coffer.job.JobFactory;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;

/**
 * Wires the controllers into one java-operator-sdk Operator; the same code runs in production and
 * in tests.
 */
public final class CofferOperator {
  /**
   * What the operator is told at start. {@code namespaces} empty means all. {@code
   * serverSideApply}: true against an API server (the status and the finalizer are written by
   * server-side apply); false only for fabric8's mock ({@code coffer demo --mock}, the benchmark),
   * which answers 415 to it, so the status is replaced by a JSON patch.
   */
  public record Config(
      JobFactory.Settings jobs,
      Set<String> namespaces,
      Duration retryBase,
      Duration progressEvery,
      Duration schedulePoll,
      Clock clock,
      LeaderElection leaderElection,
      boolean serverSideApply,
      Notifier notifier) {
    public Config(
        JobFactory.Settings jobs,
        Set<String> namespaces,
        Duration retryBase,
        Duration progressEvery,
        Duration schedulePoll,
        Clock clock,
        LeaderElection leaderElection) {
      this(
          jobs,
          namespaces,
          retryBase,
          progressEvery,
          schedulePoll,
          clock,
          leaderElection,
          true,
          Notifier.NONE);
    }

    /** The same, telling {@code notifier} of each transition too (a webhook). */
    public Config withNotifier(Notifier notifier) {
      return new Config(
          jobs,
          namespaces,
          retryBase,
          progressEvery,
          schedulePoll,
          clock,
          leaderElection,
          serverSideApply,
          notifier);
    }

    /** The same, for an API server without server-side apply (fabric8's mock). */
    public Config withoutServerSideApply() {
      return new Config(
          jobs,
          namespaces,
          retryBase,
          progressEvery,
          schedulePoll,
          clock,
          leaderElection,
          false,
          notifier);
    }
  }

  /**
   * Two or more replicas: only the holder of the Lease reconciles. Null in a Config means a single
   * replica.
   */
  public record LeaderElection(
      String leaseName,
      String leaseNamespace,
      String identity,
      Duration leaseDuration,
      Duration renewDeadline,
      Duration retryPeriod) {
    public static LeaderElection defaults(String namespace, String identity) {
      return new LeaderElection(
          "coffer-operator",
          namespace,
          identity,
          LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
          LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
          LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE);
    }
  }

  private CofferOperator() {}

  /**
   * A failed reconcile (a status write refused because it was computed from a cache one event
   * behind, an API hiccup) is retried until it succeeds, at most every 30 s: the default gives up
   * after 5 tries, and a Backup would then wait for an event that may never come.
   */
  static io.javaoperatorsdk.operator.processing.retry.Retry persistentRetry() {
    return new io.javaoperatorsdk.operator.processing.retry.GenericRetry()
        .setInitialInterval(500)
        .setIntervalMultiplier(2)
        .setMaxInterval(30_000)
        .withoutMaxAttempts();
  }

  public static Operator create(KubernetesClient client, Config config) {
    return create(client, config, new Caches());
  }

  /**
   * {@code caches}: filled with the controllers' informer caches as they start, for {@link
   * OperatorHttp}'s metrics.
   */
  public static Operator create(KubernetesClient client, Config config, Caches caches) {
    Operator operator =
        new Operator(
            o ->
                o.withKubernetesClient(client)
                    // every status write is a server-side apply of the status under the operator's
                    // field manager (see Writes)
                    .withUseSSAToPatchPrimaryResource(config.serverSideApply())
                    // read-your-writes: a newer event must not make the next reconcile see a copy
                    // older than the status just written
                    .withParseResourceVersions(true)
                    .withSSABasedCreateUpdateMatchForDependentResources(false)
                    .withCloseClientOnStop(false)
                    // reconciles, their durations and the work queue, beside Coffer's own meters
                    // (not per resource: a platform's thousands of Backups would be thousands of
                    // series)
                    .withMetrics(
                        MicrometerMetrics.withoutPerResourceMetrics(caches.metrics().registry()))
                    .withStopOnInformerErrorDuringStartup(false)
                    .withLeaderElectionConfiguration(
                        config.leaderElection() == null
                            ? null
                            : new LeaderElectionConfiguration(
                                config.leaderElection().leaseName(),
                                config.leaderElection().leaseNamespace(),
                                config.leaderElection().leaseDuration(),
                                config.leaderElection().renewDeadline(),
                                config.leaderElection().retryPeriod(),
                                config.leaderElection().identity(),
                                // a standby's informers are warm for a fast takeover, but its
                                // /metrics counts nothing until it leads
                                new io.fabric8.kubernetes.client.extended.leaderelection
                                    .LeaderCallbacks(
                                    () -> caches.leading(true),
                                    () -> caches.leading(false),
                                    leader -> {}),
                                false)));
    if (config.leaderElection() != null) caches.leading(false);
    Tuning tuning = new Tuning(config.retryBase(), config.progressEvery(), config.schedulePoll());
    Writes writes = new Writes(config.serverSideApply());
    register(
        operator,
        new BackupReconciler(
            config.jobs(), tuning, config.clock(), caches, writes, config.notifier()),
        config);
    register(
        operator,
        new RestoreReconciler(
            config.jobs(), tuning, config.clock(), caches, writes, config.notifier()),
        config);
    register(
        operator,
        new BackupScheduleReconciler(
            config.clock(),
            config.schedulePoll(),
            config.jobs(),
            caches,
            writes,
            config.notifier()),
        config);
    return operator;
  }

  private static <P extends io.fabric8.kubernetes.api.model.HasMetadata> void register(
      Operator operator,
      io.javaoperatorsdk.operator.api.reconciler.Reconciler<P> reconciler,
      Config config) {
    operator.register(
        reconciler,
        c -> {
          if (!config.namespaces().isEmpty()) c.settingNamespaces(config.namespaces());
          c.withRetry(persistentRetry());
        });
  }
}
