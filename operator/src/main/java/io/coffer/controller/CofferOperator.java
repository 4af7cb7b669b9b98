package io.coffer.controller;

import io.coffer.controller.backup.BackupReconciler;
import io.coffer.controller.restore.RestoreReconciler;
import io.coffer.controller.schedule.BackupScheduleReconciler;
import io.coffer.job.JobFactory;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;

/** Wires the controllers into one java-operator-sdk Operator; the same code runs in production and in tests. */
public final class CofferOperator {
  /** What the operator is told at start. {@code namespaces} empty means all. */
  public record Config(JobFactory.Settings jobs, Set<String> namespaces, Duration retryBase, Duration progressEvery, Duration schedulePoll,
      Clock clock) {}

  private CofferOperator() {}

  public static Operator create(KubernetesClient client, Config config) {
    Operator operator = new Operator(o -> o.withKubernetesClient(client)
        .withUseSSAToPatchPrimaryResource(false)
        .withSSABasedCreateUpdateMatchForDependentResources(false)
        .withCloseClientOnStop(false)
        .withStopOnInformerErrorDuringStartup(false));
    operator.register(new BackupReconciler(config.jobs(), config.retryBase(), config.progressEvery(), config.clock()), c -> {
      if (!config.namespaces().isEmpty()) c.settingNamespaces(config.namespaces());
    });
    operator.register(new RestoreReconciler(config.jobs(), config.retryBase(), config.progressEvery(), config.clock()), c -> {
      if (!config.namespaces().isEmpty()) c.settingNamespaces(config.namespaces());
    });
    operator.register(new BackupScheduleReconciler(config.clock(), config.schedulePoll()), c -> {
      if (!config.namespaces().isEmpty()) c.settingNamespaces(config.namespaces());
    });
    return operator;
  }
}
