package io.coffer.controller;

import io.coffer.controller.backup.BackupReconciler;
import io.coffer.controller.restore.RestoreReconciler;
import io.coffer.controller.schedule.BackupScheduleReconciler;
import io.coffer.controller.verify.VerificationReconciler;
import io.coffer.job.JobFactory;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;

/** Wires the controllers into one java-operator-sdk Operator; the same code runs in production and in tests. */
public final class CofferOperator {
  /** What the operator is told at start. {@code namespaces} empty means all. */
  public record Config(JobFactory.Settings jobs, Set<String> namespaces, Duration retryBase, Duration progressEvery, Duration schedulePoll,
      Clock clock, LeaderElection leaderElection) {}

  /** Two or more replicas: only the holder of the Lease reconciles. Null in a Config means a single replica. */
  public record LeaderElection(String leaseName, String leaseNamespace, String identity, Duration leaseDuration, Duration renewDeadline,
      Duration retryPeriod) {
    public static LeaderElection defaults(String namespace, String identity) {
      return new LeaderElection("coffer-operator", namespace, identity, LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
          LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE, LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE);
    }
  }

  private CofferOperator() {}

  /**
   * A failed reconcile (a status write refused because it was computed from a cache one event behind, an API
   * hiccup) is retried until it succeeds, at most every 30 s: the default gives up after 5 tries, and a Backup
   * would then wait for an event that may never come.
   */
  static io.javaoperatorsdk.operator.processing.retry.Retry persistentRetry() {
    return new io.javaoperatorsdk.operator.processing.retry.GenericRetry().setInitialInterval(500).setIntervalMultiplier(2)
        .setMaxInterval(30_000).withoutMaxAttempts();
  }

  public static Operator create(KubernetesClient client, Config config) {
    Operator operator = new Operator(o -> o.withKubernetesClient(client)
        .withUseSSAToPatchPrimaryResource(false)
        // read-your-writes: the phase label's own patch must not make the next reconcile see a copy older than the
        // status just written (with opaque versions, any newer event evicts the written copy from the cache)
        .withParseResourceVersions(true)
        .withSSABasedCreateUpdateMatchForDependentResources(false)
        .withCloseClientOnStop(false)
        .withStopOnInformerErrorDuringStartup(false)
        .withLeaderElectionConfiguration(config.leaderElection() == null ? null : new LeaderElectionConfiguration(
            config.leaderElection().leaseName(), config.leaderElection().leaseNamespace(), config.leaderElection().leaseDuration(),
            config.leaderElection().renewDeadline(), config.leaderElection().retryPeriod(), config.leaderElection().identity(), null, false)));
    operator.register(new BackupReconciler(config.jobs(), config.retryBase(), config.progressEvery(), config.schedulePoll(), config.clock()), c -> {
      if (!config.namespaces().isEmpty()) c.settingNamespaces(config.namespaces());
      c.withRetry(persistentRetry());
    });
    operator.register(new RestoreReconciler(config.jobs(), config.retryBase(), config.progressEvery(), config.clock()), c -> {
      if (!config.namespaces().isEmpty()) c.settingNamespaces(config.namespaces());
      c.withRetry(persistentRetry());
    });
    operator.register(new VerificationReconciler(config.jobs(), config.clock()), c -> {
      if (!config.namespaces().isEmpty()) c.settingNamespaces(config.namespaces());
      c.withRetry(persistentRetry());
    });
    operator.register(new BackupScheduleReconciler(config.clock(), config.schedulePoll()), c -> {
      if (!config.namespaces().isEmpty()) c.settingNamespaces(config.namespaces());
      c.withRetry(persistentRetry());
    });
    return operator;
  }
}
